"""The whole pipeline: read -> select -> write, with the strict policy
(:meth:`lbconvert.report.Report.fails_strict`)."""

from __future__ import annotations

import os
import time
from concurrent.futures import Executor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Optional, Union, cast

from . import plan
from .errors import LbConvertError, StrictError
from .model import DataRow
from .options import ConvertOptions, Options
from .read import ExportReader, Source, refuse_text_mode
from .report import Report
from .select import Selector
from .select.legacy import legacy_records
from .write import Writer, get_writer
from .write.outdir import check_inputs, resolve_target

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["convert", "StrictError", "ExportInput"]

#: What :func:`convert` reads: an export file (path or binary file object)
#: or data rows already read, e.g. filtered from :func:`lbconvert.read`.
ExportInput = Union[Source, Iterable[DataRow]]


def convert(
    export: ExportInput,
    to: str,
    out: "str | os.PathLike[str]",
    progress: Optional[Callable[[ExportReader], None]] = None,
    *,
    options: Optional[Options] = None,
    jobs: Optional[int] = 1,
    executor: Optional[Executor] = None,
    **kwargs: "Unpack[ConvertOptions]",
) -> Report:
    """Convert an export into the format registered as ``to`` at ``out``.

    ``export`` is a path, a binary file object, or an iterable of
    :class:`~lbconvert.model.DataRow` (rows from :func:`lbconvert.read`,
    filtered as you like).  The keyword options are the fields of
    :class:`lbconvert.options.Options` (typed by :class:`ConvertOptions`);
    ``options=`` passes a ready :class:`Options` instead.  Returns the
    :class:`Report`; raises :class:`StrictError` under ``strict=True`` when
    anything was dropped or skipped, or a writer counted a warning, for a
    reason not in ``allow`` (the output is then not written).

    ``jobs=N`` converts on N local processes (0: every core), ``executor=``
    on any :class:`concurrent.futures.Executor` (a Dask client's
    ``get_executor()``): the same bytes as one process, see
    :mod:`lbconvert.plan` (which inputs and writers run in one process anyway).
    """
    started = time.monotonic()
    if options is not None and kwargs:
        raise LbConvertError("give options= or keyword options, not both")
    if options is not None and not isinstance(options, Options):
        raise LbConvertError(f"options= must be an Options, not {type(options).__name__}")
    if options is not None:
        options.validate()  # as from_kwargs does: Options(task="x") is refused as task="x" is
    opts = options if options is not None else Options.from_kwargs(**kwargs)
    if not isinstance(out, (str, os.PathLike)):
        raise LbConvertError(f"out must be a path, not {type(out).__name__}")
    if progress is not None and not callable(progress):
        raise LbConvertError(f"progress must be a callable, not {type(progress).__name__}")
    writer_class = get_writer(to)
    check_inputs(
        resolve_target(Path(out)), [export, opts.images, opts.frames_dir, opts.masks, opts.mask_map]
    )
    if jobs != 1 or executor is not None:
        jobs = plan.resolve_jobs(jobs)
        if (jobs > 1 or executor is not None) and plan.serial_reason(export, to, opts) is None:
            return plan.convert_partitioned(
                cast(str, export), to, out, opts, jobs, executor, progress, started
            )
    if plan.is_url(export):  # an fsspec URL (s3://, gs://, file://, memory://)
        export = cast(Source, plan.open_url(cast(str, export)))
    report = Report()
    report.started(opts, to)
    with ExitStack() as cleanup:
        reader, rows = _rows(export, opts)
        if reader is not None:
            cleanup.callback(reader.close)
        writer = writer_class(out, opts, report=report)
        selector = Selector(opts, report, require_size=writer_class.needs_image_size)
        try:
            # _rows makes a reader only for a path or a file object: the export is a Source
            rows = (
                legacy_records(reader, cast(Source, export), selector)
                if reader is not None
                else rows
            )
            for row in rows:
                for item in selector.items(row):
                    writer.add(item)
                if progress is not None and reader is not None:
                    progress(reader)
            if opts.strict and report.fails_strict(opts.allow):
                report.elapsed_seconds = time.monotonic() - started
                raise StrictError(report, opts.allow)
        except BaseException as exc:
            error = _failed(writer, reader, exc)
            if error is exc:
                raise
            raise error from exc
    result: Report = writer.close()
    result.elapsed_seconds = time.monotonic() - started
    return result


def _failed(writer: Writer, reader: Optional[ExportReader], exc: BaseException) -> BaseException:
    """Abort the writer; the exception to raise for ``exc`` (one line where it can be)."""
    writer.abort()
    if isinstance(exc, OSError) and writer.failed_writing(exc):
        return writer.output_error(exc)
    if isinstance(exc, RecursionError):  # a record the decoder took, too deep to convert
        where = (reader.position or reader.name) if reader is not None else "export"
        return LbConvertError(f"{where}: nested too deeply to convert")
    if reader is not None and not isinstance(exc, LbConvertError):
        reader.note_position(exc)
    return exc


def _rows(export: ExportInput, opts: Options) -> tuple[Optional[ExportReader], Iterable[DataRow]]:
    """The reader (None for rows given as an iterable) and the rows to convert."""
    if isinstance(export, (str, bytes, os.PathLike)) or hasattr(export, "read"):
        refuse_text_mode(export)
        source = cast(Source, export)  # hasattr() narrows nothing
        reader = ExportReader(source, opts.max_record_bytes)
        return reader, reader
    if isinstance(export, Iterable):
        return None, _checked_rows(export)
    raise LbConvertError(
        f"export must be a path, a binary file object or an iterable of "
        f"DataRow, not {type(export).__name__}"
    )


def _checked_rows(rows: Iterable[DataRow]) -> Iterator[DataRow]:
    for index, row in enumerate(rows):
        if not isinstance(row, DataRow):
            raise LbConvertError(f"export[{index}]: expected a DataRow, got {type(row).__name__}")
        yield row
