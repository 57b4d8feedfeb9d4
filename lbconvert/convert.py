"""The whole pipeline: read -> select -> write, with the strict policy."""

from __future__ import annotations

import os
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Callable, Optional

from . import plan
from .errors import LbConvertError
from .options import Options
from .read import ExportReader, Source
from .report import Report
from .select import Selector
from .select_legacy import legacy_records
from .write import get_writer
from .write.outdir import check_inputs, resolve_target

__all__ = ["convert", "StrictError"]


class StrictError(LbConvertError):
    """``strict`` was set and something was dropped, skipped or warned about
    (e.g. a missing image file); nothing was written."""

    def __init__(self, report: Report) -> None:
        self.report = report
        reasons = ", ".join(f"{reason} ({count})" for reason, count in sorted(report.dropped.items()))
        skipped = ", ".join(f"{reason} ({count})"
                            for reason, count in sorted(report.items_skipped.items()))
        warned = ", ".join(f"{reason} ({count})" for reason, count in sorted(report.warnings.items()))
        super().__init__("strict: " + "; ".join(filter(None, [
            reasons and f"dropped {reasons}", skipped and f"skipped items: {skipped}",
            warned and f"warnings: {warned}"])))


def convert(export: Source, to: str, out: "str | os.PathLike[str]",
            progress: Optional[Callable[[ExportReader], None]] = None,
            jobs: Optional[int] = 1, executor: Optional[Executor] = None,
            **options: Any) -> Report:
    """Convert an export file into the format registered as ``to`` at ``out``.

    Options are the fields of :class:`lbconvert.options.Options`.  Returns
    the :class:`Report`; raises :class:`StrictError` under ``strict=True``
    when anything was dropped or skipped, or a writer counted a warning (the
    output is then not written).

    ``jobs=N`` converts on N local processes (0: every core), ``executor=``
    on any :class:`concurrent.futures.Executor` (a Dask client's
    ``get_executor()``): the same bytes as one process, see
    :mod:`lbconvert.plan` (which inputs and writers run in one process anyway).
    """
    opts = options.pop("options", None) or Options.from_kwargs(**options)
    writer_class = get_writer(to)
    check_inputs(resolve_target(Path(out)), [export, opts.images, opts.frames_dir, opts.masks,
                                             opts.mask_map])
    if jobs != 1 or executor is not None:
        jobs = plan.resolve_jobs(jobs)
        if (jobs > 1 or executor is not None) and plan.serial_reason(export, to, opts) is None:
            return plan.convert_partitioned(export, to, out, opts, jobs, executor, progress)
    if plan.is_url(export):  # an fsspec URL (s3://, gs://, file://, memory://)
        export = plan.open_url(export)  # type: ignore[arg-type]
    reader = ExportReader(export, opts.max_record_bytes)
    report = Report()
    try:
        writer = writer_class(out, opts, report=report)
    except BaseException:
        reader.close()
        raise
    selector = Selector(opts, report,
                        require_size=getattr(writer_class, "needs_image_size", True))
    try:
        for row in legacy_records(reader, export, selector):
            for item in selector.items(row):
                writer.add(item)
            if progress is not None:
                progress(reader)
        if opts.strict and (report.dropped or report.items_skipped or report.warnings):
            raise StrictError(report)
    except OSError as exc:
        writer.abort()
        if writer.failed_writing(exc):
            raise writer.output_error(exc) from exc
        reader.note_position(exc)
        raise
    except BaseException as exc:
        if not isinstance(exc, LbConvertError):
            reader.note_position(exc)
        writer.abort()
        if isinstance(exc, RecursionError):  # a record the decoder took, too deep to convert
            raise LbConvertError(f"{reader.position or reader.name}: nested too deeply to "
                                 "convert") from None
        raise
    finally:
        reader.close()
    return writer.close()
