"""What each subcommand does with its parsed arguments: ``inspect``,
``convert`` (its options, ``--writer-option`` values, the Dask executor),
``formats`` and ``to-labelbox``, and the ``--report`` file they write.

The arguments are declared in :mod:`lbconvert.cli.arguments`; errors are
turned into exit codes by :func:`lbconvert.cli.main`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any, Iterator, Optional, Sequence

import orjson

from ..classes import ClassMap
from ..convert import convert
from ..errors import StrictError
from ..errors import LbConvertError, one_line
from ..inspect import inspect_export
from ..options import Options, parse_split
from ..report import Report
from ..write import Writer, get_writer, writer_names
from .output import Progress, emit, print_summary

__all__ = [
    "DASK_CONNECT_TIMEOUT",
    "run_convert",
    "run_formats",
    "run_inspect",
    "run_to_labelbox",
]


def run_inspect(args: argparse.Namespace) -> int:
    """``lbconvert inspect``: count what the export holds; exit 0."""
    progress = Progress(enabled=False if args.quiet else None)
    summary = inspect_export(args.export, progress=progress, max_record_bytes=args.max_record_bytes)
    progress.finish()
    if args.json:
        emit(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    else:
        print_summary(summary)
    return 0


def _options(args: argparse.Namespace) -> Options:
    if args.classes and args.ontology:
        raise LbConvertError("give --classes or --ontology, not both")
    classes = None
    if args.classes:
        classes = ClassMap.from_file(args.classes, key=args.class_key)
    elif args.ontology:
        classes = ClassMap.from_ontology(args.ontology, key=args.class_key)
    keypoints = (
        tuple(n.strip() for n in args.keypoints.split(",") if n.strip()) if args.keypoints else None
    )
    options = Options(
        project=args.project,
        labels=args.labels,
        status=args.status,
        source=args.source,
        model_run=args.model_run,
        skip_unlabeled=args.skip_unlabeled,
        images=args.images,
        name_by=args.name_by,
        split=parse_split(args.split) if args.split else None,
        frames_dir=args.frames_dir,
        every=args.every,
        interpolate=args.interpolate,
        legacy_y_up=args.legacy_y_up,
        classes=classes,
        class_key=args.class_key,
        clip=args.clip,
        fix_geometry=args.fix_geometry,
        keypoints=keypoints is not None,
        keypoint_names=keypoints,
        masks=args.masks,
        mask_map=args.mask_map,
        max_pixels=args.max_pixels,
        line_width=args.line_width,
        task=args.task,
        boxes_from_shapes=args.boxes_from_shapes,
        boxes_as_polygons=args.boxes_as_polygons,
        split_parts=args.split_parts,
        image_mode=args.image_mode,
        absolute=args.absolute,
        allow_empty=args.allow_empty,
        results=args.results,
        segmentation=args.segmentation,
        void_border=args.void_border,
        instances=args.instances,
        overlap=args.overlap,
        strict=args.strict,
        overwrite=args.overwrite,
        max_record_bytes=args.max_record_bytes,
        layout=args.layout,
        allow=tuple(args.allow),
        extra=_writer_options(get_writer(args.to), args.writer_option),
    )
    options.validate()
    return options


def _writer_options(writer: type[Writer], pairs: Sequence[str]) -> dict[str, Any]:
    """``--writer-option KEY=VALUE`` pairs, converted to the types the writer
    declares in ``writer_options`` (an undeclared key is an error)."""
    declared = getattr(writer, "writer_options", {}) or {}
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise LbConvertError(f"--writer-option {pair!r}: expected KEY=VALUE")
        spec = declared.get(key)
        if spec is None:
            known = ", ".join(sorted(declared)) or "none"
            raise LbConvertError(
                f"--writer-option {key}: not an option of the "
                f"{writer.name or 'chosen'} writer (its options: {known})"
            )
        values[key] = _typed(key, spec.type, text)
    return values


def _typed(key: str, kind: type, text: str) -> Any:
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise LbConvertError(f"--writer-option {key}={text}: expected true or false")
    try:
        return kind(text)
    except (TypeError, ValueError):
        raise LbConvertError(
            f"--writer-option {key}={text}: expected {getattr(kind, '__name__', kind)}"
        ) from None


def _write_report(path: Optional[str], report: Report, extra: dict[str, Any]) -> None:
    """The report as JSON into ``path``; ``-`` is stdout."""
    if not path:
        return
    data = orjson.dumps({**report.to_dict(timing=True), **extra}, option=orjson.OPT_INDENT_2)
    if path == "-":
        emit(data.decode())
        return
    with open(path, "wb") as handle:
        handle.write(data + b"\n")


def _check_report_path(
    path: Optional[str], inputs: "list[Optional[str]]", dataset: Optional[str] = None
) -> None:
    """Refuse, before any work, a ``--report`` that would replace an input of the
    run (the export, a classes file, …), that lies in the ``dataset`` directory
    (which the run replaces as a whole), or that cannot be written (no such folder)."""
    if not path or path == "-":
        return
    target = os.path.realpath(path)
    if dataset is not None:
        folder = os.path.realpath(dataset)
        if target == folder or target.startswith(folder + os.sep):
            raise LbConvertError(
                f"--report {path} is inside the output directory {dataset}, which the "
                "dataset replaces as a whole; name a file outside it"
            )
    for given in inputs:
        if not given:
            continue
        source = os.path.realpath(given)
        inside = (
            os.path.isdir(source) and target.startswith(source + os.sep) and os.path.isfile(target)
        )  # an existing file of an input folder
        if target == source or inside:
            raise LbConvertError(
                f"--report {path} is an input of this run (it would be replaced); name another file"
            )
    if os.path.isdir(path):
        raise LbConvertError(f"--report {path}: is a directory; name the JSON file to write")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise LbConvertError(f"--report {path}: no such directory {folder}")


def _summary_stream(args: argparse.Namespace) -> Any:
    """Where the summary goes: standard error when the JSON report takes stdout."""
    return sys.stderr if args.report == "-" else sys.stdout


def _strict_failure(args: argparse.Namespace, exc: StrictError, extra: dict[str, Any]) -> int:
    """``--strict`` refused the run: the report (marked as a strict failure) and
    the summary on stderr say what was dropped; exit 3."""
    _write_report(args.report, exc.report, {**extra, "strict_failure": True})
    if not args.quiet:
        print(exc.report.summary(), file=sys.stderr)
    print(f"lbconvert: error: {one_line(str(exc))}; nothing was written", file=sys.stderr)
    return 3


def run_convert(args: argparse.Namespace) -> int:
    """``lbconvert convert``: write the dataset, the report and the summary;
    exit 0, 3 (``--strict``) or 4 (nothing useful written)."""
    get_writer(args.to)  # fail early on an unknown format
    _check_report_path(
        args.report,
        [
            args.export,
            args.classes,
            args.ontology,
            args.mask_map,
            args.images,
            args.masks,
            args.frames_dir,
        ],
        dataset=args.out,
    )
    options = _options(args)
    progress = Progress(enabled=False if args.quiet else None)
    extra = {"export": args.export, "output": args.out}
    try:
        with _executor(args) as executor:
            report = convert(
                args.export,
                args.to,
                args.out,
                progress=progress,
                options=options,
                jobs=args.jobs,
                executor=executor,
            )
    except StrictError as exc:
        progress.finish()
        return _strict_failure(args, exc, extra)
    progress.finish()
    empty = report.wrote_nothing() and not options.allow_empty
    _write_report(args.report, report, {**extra, "wrote_nothing": report.wrote_nothing()})
    if not args.quiet:
        emit(report.summary(), _summary_stream(args))
    if empty:
        hints = report.hints() or [
            "check the selection options (--project, --labels, "
            "--source) against `lbconvert inspect`"
        ]
        print(
            "lbconvert: nothing useful was written (exit 4; --allow-empty accepts it). "
            "What would help:",
            file=sys.stderr,
        )
        for hint in hints:
            print(f"  - {hint}", file=sys.stderr)
        return 4
    return 0


#: Seconds to wait for ``--dask-scheduler`` to answer.
DASK_CONNECT_TIMEOUT = 20


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Iterator[Any]:
    """The Dask cluster's executor for ``--dask-scheduler``, else None (local processes)."""
    address = getattr(args, "dask_scheduler", None)
    if not address:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise LbConvertError("--dask-scheduler needs Dask: pip install 'lbconvert[dask]'") from None
    try:
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]  # untyped library
    except (OSError, TimeoutError) as exc:
        raise LbConvertError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
    with client:
        yield client.get_executor()  # type: ignore[no-untyped-call]  # untyped library


def run_formats(args: argparse.Namespace) -> int:
    """``lbconvert formats``: every registered writer with its ``--writer-option`` keys."""
    lines = []
    for name in writer_names():
        try:
            writer = get_writer(name)
        except (LbConvertError, ImportError) as exc:
            lines.append(f"{name:<10} (cannot be loaded: {exc})")
            continue
        description = getattr(writer, "description", "") or _first_line(writer)
        lines.append(f"{name:<10} {description}")
        for key, spec in sorted((getattr(writer, "writer_options", {}) or {}).items()):
            default = "" if spec.default is None else f", default {spec.default!r}"
            lines.append(
                f"{'':<10}   --writer-option {key}=<{spec.type.__name__}>{default}: {spec.help}"
            )
    emit("\n".join(lines))
    return 0


def _first_line(writer: type) -> str:
    """A writer's description when it declares none: the first line of its
    class docstring, else of its module's."""
    module = sys.modules.get(writer.__module__)
    for doc in (writer.__dict__.get("__doc__"), getattr(module, "__doc__", None)):
        if isinstance(doc, str) and doc.strip():
            return doc.strip().splitlines()[0]
    return ""


def run_to_labelbox(args: argparse.Namespace) -> int:
    """``lbconvert to-labelbox``: write Labelbox import NDJSON; exit 0 or 3 (``--strict``)."""
    from ..reverse import to_labelbox

    keypoints = (
        [n.strip() for n in args.keypoints.split(",") if n.strip()] if args.keypoints else []
    )
    extra = {"from": args.from_format, "input": args.input, "output": args.out}
    _check_report_path(
        args.report, [args.input, args.manifest, args.gt, args.data, args.ontology, args.out]
    )
    try:
        report = to_labelbox(
            args.input,
            args.from_format,
            args.out,
            manifest=args.manifest,
            gt=args.gt,
            data=args.data,
            ontology=args.ontology,
            skip_unknown=args.skip_unknown,
            strict=args.strict,
            allow=tuple(args.allow),
            keypoints=keypoints,
            mask_url=args.mask_url,
            overwrite=args.overwrite,
        )
    except StrictError as exc:
        return _strict_failure(args, exc, extra)
    _write_report(args.report, report, extra)
    if not args.quiet:
        emit(report.summary(), _summary_stream(args))
    return 0
