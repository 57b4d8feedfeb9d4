"""The ``lbconvert`` command line: ``inspect``, ``convert`` and ``formats``.

Exit codes: 0 success; 1 bad input or options (one line on stderr naming the
file and line); 2 usage error (argparse); 3 ``--strict`` and something was
dropped for a reason not given to ``--allow`` (nothing is written); 4 the
run wrote nothing useful (no item, or every object dropped) and
``--allow-empty`` was not given (the empty dataset is at ``OUT``); 130 interrupted.
A closed stdout (``lbconvert … | head -1``) does not fail a command.

Every error is ONE line on stderr, ``lbconvert: error: …``: line breaks inside
a message (a parser's caret diagram, a key with a newline) become `` / ``
and other control characters are escaped, so that a hostile export cannot
spread a message over lines or send terminal escapes.  Anything that is not
an :class:`~lbconvert.errors.LbConvertError` or an ``OSError`` is a bug: one
line naming the exception, the record being converted (``FILE:LINE`` or
``FILE[INDEX]``, and the data row) and asking for a bug report, exit 1.
``--debug`` prints the traceback as well.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import traceback
from pathlib import Path
import time
from typing import Any, Iterator, Optional, Sequence

import orjson

from . import __version__
from .classes import ClassMap
from .convert import StrictError, convert
from .errors import LbConvertError, one_line
from .inspect import inspect_export
from .options import Options, cli_spelling, parse_split
from .read import DEFAULT_MAX_RECORD_BYTES, ExportReader
from .report import Report
from .write import Writer, get_writer, writer_names

__all__ = ["main", "one_line", "parse_size"]

_SIZE = re.compile(r"(\d+)\s*([kmg]?)(?:i?b)?", re.IGNORECASE)
BUG_REPORT = "this is a bug in lbconvert: please report it with this line"


def parse_size(text: str) -> int:
    """``"67108864"``, ``"64M"``, ``"64MiB"``, ``"1G"`` -> bytes (binary units)."""
    match = _SIZE.fullmatch(text.strip())
    if not match or int(match.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 67108864, 256M, 2G)")
    return int(match.group(1)) << {"": 0, "k": 10, "m": 20, "g": 30}[match.group(2).lower()]


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-record-bytes",
        type=parse_size,
        default=DEFAULT_MAX_RECORD_BYTES,
        metavar="SIZE",
        help="refuse a record (NDJSON line, JSON array element) "
        "longer than SIZE, e.g. 256M (default 64M)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the traceback of an error too",
    )


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal:
    bytes read (capped at 100 %), rows per second and the time left."""

    def __init__(self, enabled: Optional[bool] = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._last = 0.0
        self._start = time.monotonic()
        self.rows = 0

    def __call__(self, reader: ExportReader) -> None:
        self.rows += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2:
            return
        self._last = now
        sys.stderr.write("\r" + self.line(reader.bytes_read(), reader.total_bytes, now))
        sys.stderr.flush()

    def line(self, done: int, total: Optional[int], now: float) -> str:
        elapsed = max(now - self._start, 1e-9)
        rate = f"{self.rows / elapsed:,.0f} rows/s"
        if not total:
            return f"{done / 1e6:.1f} MB read, {rate}"
        fraction = min(done / total, 1.0)
        filled = int(30 * fraction)
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        eta = "--:--" if left is None else f"{int(left) // 60:02d}:{int(left) % 60:02d}"
        return (
            f"[{'#' * filled}{'-' * (30 - filled)}] {100 * fraction:5.1f}% of "
            f"{total / 1e6:.1f} MB, {rate}, ETA {eta}"
        )

    def finish(self) -> None:
        if self.enabled and self._last:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()


def _emit(text: str, stream: Any = None) -> None:
    """Print to stdout (or ``stream``); a reader that went away (``| head -1``)
    is not an error."""
    stream = stream or sys.stdout
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        if stream is sys.stdout:
            _stdout_to_devnull()


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush of a
    closed pipe raises nothing (see the Python docs on SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def _inspect(args: argparse.Namespace) -> int:
    progress = Progress(enabled=False if args.quiet else None)
    summary = inspect_export(args.export, progress=progress, max_record_bytes=args.max_record_bytes)
    progress.finish()
    if args.json:
        _emit(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    else:
        _print_summary(summary)
    return 0


def _print_summary(summary: dict[str, Any]) -> None:
    lines = [
        f"format:            {summary['format']}",
        f"data rows:         {summary['data_rows']}",
        f"labels:            {summary['labels']} ({summary['skipped_labels']} skipped)",
        f"rows without size: {summary['rows_without_size']}",
        "media:             " + _pairs(summary["media"]),
        "objects:           " + _pairs(summary["objects"]),
    ]
    if summary["predictions"]:
        lines.append("predictions:       " + _pairs(summary["predictions"]))
    lines.append("classes:")
    lines += [
        f"  {count:>8}  {name}"
        for name, count in sorted(summary["classes"].items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    if summary["projects"]:
        lines.append("projects:")
        lines += [f"  {pid}  {name}" for pid, name in summary["projects"].items()]
    if summary["model_runs"]:
        lines.append("model runs:")
        lines += [f"  {rid}  {name}" for rid, name in summary["model_runs"].items()]
    lines += _class_table(summary.get("class_table", {}))
    _emit("\n".join(lines))


def _class_table(table: dict[str, Any]) -> list[str]:
    """Per class: data rows holding it, objects, and objects per kind."""
    if not table:
        return []
    kinds = sorted({kind for counts in table.values() for kind in counts["kinds"]})
    width = max(5, *(len(name) for name in table))
    header = f"  {'class':<{width}}  {'rows':>6}  {'objects':>7}" + "".join(
        f"  {kind:>8}" for kind in kinds
    )
    rows = [
        f"  {name:<{width}}  {counts['rows']:>6}  {counts['objects']:>7}"
        + "".join(f"  {counts['kinds'].get(kind, 0):>8}" for kind in kinds)
        for name, counts in sorted(table.items(), key=lambda kv: (-kv[1]["objects"], kv[0]))
    ]
    return ["per class:", header, *rows]


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items()) or "none"


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
        _emit(data.decode())
        return
    with open(path, "wb") as handle:
        handle.write(data + b"\n")


def _check_report_path(path: Optional[str], inputs: "list[Optional[str]]") -> None:
    """Refuse, before any work, a ``--report`` that would replace an input of the
    run (the export, a classes file, …) or that cannot be written (no such folder)."""
    if not path or path == "-":
        return
    target = os.path.realpath(path)
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


def _convert(args: argparse.Namespace) -> int:
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
        _emit(report.summary(), _summary_stream(args))
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


def _formats(args: argparse.Namespace) -> int:
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
    _emit("\n".join(lines))
    return 0


def _first_line(writer: type) -> str:
    """A writer's description when it declares none: the first line of its
    class docstring, else of its module's."""
    module = sys.modules.get(writer.__module__)
    for doc in (writer.__dict__.get("__doc__"), getattr(module, "__doc__", None)):
        if isinstance(doc, str) and doc.strip():
            return doc.strip().splitlines()[0]
    return ""


def _add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("export", help="export file (NDJSON, JSON array or legacy JSON; gz ok)")
    parser.add_argument(
        "--to", required=True, metavar="FORMAT", help="output format: " + ", ".join(writer_names())
    )
    parser.add_argument(
        "-o",
        "--output",
        "--out",
        dest="out",
        required=True,
        metavar="OUT",
        help="output directory (written atomically)",
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="write the report as JSON to FILE ('-': stdout, the summary then goes to stderr)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no summary, no progress bar (errors still go to stderr)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 3, nothing written) if anything is dropped, skipped or warned about",
    )
    parser.add_argument(
        "--allow",
        metavar="REASON",
        action="append",
        default=[],
        help="with --strict: accept drops/skips/warnings of this reason, as "
        "the summary spells it (repeatable)",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="writing nothing useful is not a failure (else exit 4); YOLO may "
        "then write a dataset without classes",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty OUT")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="convert on N processes (0: every core; default 1); same output",
    )
    parser.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="convert on the Dask cluster of this scheduler (tcp://HOST:8786); "
        "its workers must see the export and OUT",
    )
    _add_common_arguments(parser)
    parser.add_argument(
        "--writer-option",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="an option of the chosen writer (repeatable; see `lbconvert formats`)",
    )
    select = parser.add_argument_group("selection")
    select.add_argument("--project", metavar="ID", help="project id (legacy: project name)")
    select.add_argument(
        "--labels",
        choices=("selected", "all"),
        default="selected",
        help="of several labels per row: the selected one, or all",
    )
    select.add_argument("--status", metavar="STATUS", help="keep rows in this workflow status")
    select.add_argument(
        "--source",
        choices=("labels", "predictions"),
        default="labels",
        help="model runs: ground truth or predictions",
    )
    select.add_argument("--model-run", metavar="ID", help="model run id when rows have several")
    select.add_argument("--skip-unlabeled", action="store_true", help="drop rows without labels")
    select.add_argument(
        "--images",
        metavar="DIR",
        type=Path,
        help="the images (sizes when the export lacks them; YOLO images/)",
    )
    select.add_argument(
        "--name-by",
        choices=("global_key", "external_id", "id"),
        help="what names output files (default: global key, else external id, else data row id)",
    )
    select.add_argument(
        "--split",
        metavar="NAME=F,...",
        help="split by data row id hash, e.g. train=0.8,val=0.2 (default: a "
        "model run's split, else everything in train)",
    )
    select.add_argument(
        "--frames-dir",
        metavar="DIR",
        type=Path,
        help="video: extracted frames, DIR/<video stem>/<frame>.jpg",
    )
    select.add_argument(
        "--every", type=int, default=1, metavar="N", help="video: keep every N-th frame"
    )
    select.add_argument(
        "--interpolate", action="store_true", help="video: fill frames between keyframes"
    )
    select.add_argument(
        "--legacy-y-up",
        action="store_true",
        help="legacy exports of the 2018 editors: y counts up from the bottom",
    )
    classes = parser.add_argument_group("classes")
    classes.add_argument("--classes", metavar="FILE", help="class names, one per line, id order")
    classes.add_argument("--ontology", metavar="FILE", help="a Labelbox ontology JSON")
    classes.add_argument(
        "--class-key",
        choices=("name", "value", "schema"),
        default="name",
        help="what names a class: the tool's name, its value, or its schema id",
    )
    geometry = parser.add_argument_group("geometry")
    geometry.add_argument("--clip", action="store_true", help="clip geometry to the image")
    geometry.add_argument(
        "--fix-geometry", action="store_true", help="repair self-intersecting polygons"
    )
    geometry.add_argument(
        "--keypoints",
        metavar="NAMES",
        help="point classes, in order, written as keypoints of their box",
    )
    geometry.add_argument("--masks", metavar="DIR", type=Path, help="downloaded mask PNGs")
    geometry.add_argument(
        "--mask-map",
        metavar="FILE",
        type=Path,
        help="JSON: composite mask id / URL / feature id -> file in --masks",
    )
    geometry.add_argument(
        "--max-pixels",
        type=int,
        default=1 << 28,
        metavar="N",
        help="refuse rasters larger than N pixels",
    )
    geometry.add_argument(
        "--line-width", type=float, metavar="PX", help="rasterize polylines this wide"
    )
    formats = parser.add_argument_group("format options")
    formats.add_argument(
        "--task", choices=("detect", "segment", "pose", "obb"), default="detect", help="YOLO task"
    )
    formats.add_argument(
        "--boxes-from-shapes",
        action="store_true",
        help="YOLO detect: polygons and masks give their box",
    )
    formats.add_argument(
        "--boxes-as-polygons",
        action="store_true",
        help="YOLO segment: boxes become 4-point polygons",
    )
    formats.add_argument(
        "--split-parts", action="store_true", help="YOLO segment: one row per polygon part"
    )
    mode = formats.add_mutually_exclusive_group()
    mode.add_argument(
        "--link",
        dest="image_mode",
        action="store_const",
        const="link",
        help="YOLO images/, COCO --layout coco2017: symlinks (the default)",
    )
    mode.add_argument(
        "--copy",
        dest="image_mode",
        action="store_const",
        const="copy",
        help="YOLO images/, COCO --layout coco2017: copy the images",
    )
    mode.add_argument(
        "--hardlink",
        dest="image_mode",
        action="store_const",
        const="hardlink",
        help="YOLO images/, COCO --layout coco2017: hard links (same file system)",
    )
    formats.set_defaults(image_mode="link")
    formats.add_argument("--absolute", action="store_true", help="YOLO data.yaml: absolute path")
    formats.add_argument(
        "--results", action="store_true", help="COCO: write a detection results list"
    )
    formats.add_argument(
        "--layout",
        choices=("default", "coco2017"),
        default="default",
        help="COCO: coco2017 writes annotations/instances_<split>.json and "
        "images/<split>/ (with --images)",
    )
    formats.add_argument(
        "--segmentation",
        action="store_true",
        help="VOC: SegmentationClass / SegmentationObject PNGs",
    )
    formats.add_argument("--void-border", action="store_true", help="VOC: 255 on object borders")
    formats.add_argument("--instances", action="store_true", help="masks: instance PNGs too")
    formats.add_argument(
        "--overlap",
        choices=("paint", "ignore"),
        default="paint",
        help="masks: later objects paint over earlier ones, or 255",
    )


def _to_labelbox(args: argparse.Namespace) -> int:
    from .reverse import to_labelbox

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
        )
    except StrictError as exc:
        return _strict_failure(args, exc, extra)
    _write_report(args.report, report, extra)
    if not args.quiet:
        _emit(report.summary(), _summary_stream(args))
    return 0


def _add_to_labelbox_parser(commands: Any) -> None:
    from .reverse import SOURCE_FORMATS

    parser = commands.add_parser(
        "to-labelbox",
        help="write Labelbox annotation-import NDJSON from a dataset or predictions",
        formatter_class=_FORMATTER,
        description="Turn a dataset lbconvert wrote, or model predictions on it, into the NDJSON "
        "that Labelbox imports (pre-labels or model-run predictions).",
        epilog=_TO_LABELBOX_EXAMPLES,
    )
    parser.add_argument(
        "input",
        help="dataset directory lbconvert wrote, or a COCO / COCO "
        "results JSON, a folder of YOLO label or prediction files, VOC XML",
    )
    parser.add_argument(
        "--from", dest="from_format", required=True, choices=SOURCE_FORMATS, help="input format"
    )
    parser.add_argument(
        "-o",
        "--output",
        "--out",
        dest="out",
        required=True,
        metavar="FILE",
        help="the NDJSON file to write (atomically)",
    )
    parser.add_argument(
        "--manifest",
        metavar="FILE",
        help="OUT/manifest.jsonl of the dataset (default: found in or above INPUT)",
    )
    parser.add_argument(
        "--gt",
        metavar="FILE",
        help="coco-results: the COCO ground truth with the image and category ids",
    )
    parser.add_argument("--data", metavar="FILE", help="yolo: data.yaml with the class names")
    parser.add_argument(
        "--keypoints", metavar="NAMES", help="yolo pose: keypoint class names, in order"
    )
    parser.add_argument(
        "--ontology",
        metavar="FILE",
        help="Labelbox ontology JSON: every class must be one of its tools",
    )
    parser.add_argument(
        "--skip-unknown",
        action="store_true",
        help="drop (and count) classes missing from --ontology instead of failing",
    )
    parser.add_argument(
        "--mask-url",
        metavar="URL",
        help="write masks as PNGs beside the output, referenced under URL",
    )
    parser.add_argument(
        "--report", metavar="FILE", help="write the report as JSON ('-': to standard output)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 3, nothing written) if anything is dropped or warned about",
    )
    parser.add_argument(
        "--allow",
        metavar="REASON",
        action="append",
        default=[],
        help="with --strict: accept drops/warnings of this reason, as the summary "
        "spells it (repeatable)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no summary (errors still go to stderr)"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the traceback of an error too",
    )
    parser.set_defaults(run=_to_labelbox)


class _FORMATTER(argparse.RawDescriptionHelpFormatter):
    """Examples kept as written; "(default: …)" after every option that has one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            default not in (None, False, [], argparse.SUPPRESS)
            and "%(default)" not in text
            and action.option_strings
            and action.const is None
        ):
            shown = f"{default:,}" if isinstance(default, int) and default > 9999 else default
            text += f" (default: {shown})".replace("%", "%%")
        return text


_CONVERT_EXAMPLES = """examples:
  lbconvert convert export.ndjson --to coco -o out/coco --project cl3vyrz2zafeq76e6zyfvrz89
  lbconvert convert export.ndjson --to coco -o out/coco --layout coco2017 --images imgs/ --copy
  lbconvert convert export.ndjson.gz --to yolo -o out/yolo --task segment --images imgs/ \\
      --split train=0.8,val=0.2
  lbconvert convert export.ndjson --to voc -o out/voc --segmentation --masks masks/
  lbconvert convert export.ndjson --to yolo -o out/yolo --strict \\
      --allow "point not representable in yolo detect" --report - -q

exit codes: 0 success; 1 bad input or options; 2 usage; 3 --strict and a drop not
--allow'ed (nothing written); 4 nothing useful written (see --allow-empty)
"""

_INSPECT_EXAMPLES = """examples:
  lbconvert inspect export.ndjson
  lbconvert inspect export.json.gz --json | python -c 'import json,sys; print(json.load(sys.stdin)["classes"])'
"""

_TO_LABELBOX_EXAMPLES = """examples:
  lbconvert to-labelbox out/coco --from coco -o labels.ndjson
  lbconvert to-labelbox runs/detect/predict/labels --from yolo --manifest out/yolo/manifest.jsonl \\
      --data out/yolo/data.yaml -o predictions.ndjson --ontology ontology.json --skip-unknown

exit codes: 0 success; 1 bad input or options; 2 usage; 3 --strict and a drop not
--allow'ed (nothing written)
"""

_FORMATS_EXAMPLES = """examples:
  lbconvert formats
  lbconvert convert export.ndjson --to myformat -o out --writer-option quality=high
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lbconvert",
        description="Convert Labelbox exports into training datasets, offline.",
        epilog="run `lbconvert COMMAND --help` for a command's options and examples",
        formatter_class=_FORMATTER,
    )
    parser.add_argument("--version", action="version", version=f"lbconvert {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    inspect = commands.add_parser(
        "inspect",
        help="count what an export holds",
        formatter_class=_FORMATTER,
        description="Stream an export and count rows, labels, objects per kind and per "
        "class, media, projects and model runs.",
        epilog=_INSPECT_EXAMPLES,
    )
    inspect.add_argument("export", help="export file (NDJSON, JSON array or legacy JSON; gz ok)")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_common_arguments(inspect)
    inspect.set_defaults(run=_inspect)
    convert_parser = commands.add_parser(
        "convert",
        help="write a dataset",
        formatter_class=_FORMATTER,
        description="Convert an export into a dataset at OUT; print what was written and "
        "what was dropped, and why.",
        epilog=_CONVERT_EXAMPLES,
    )
    _add_convert_arguments(convert_parser)
    convert_parser.set_defaults(run=_convert)
    formats = commands.add_parser(
        "formats",
        help="list the output formats and their options",
        formatter_class=_FORMATTER,
        description="List every registered writer (built-in and from the lbconvert.writers "
        "entry points) with its description and --writer-option keys.",
        epilog=_FORMATS_EXAMPLES,
    )
    formats.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the traceback of an error too",
    )
    formats.set_defaults(run=_formats)
    _add_to_labelbox_parser(commands)
    from .preview.command import add_preview_command

    add_preview_command(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    try:
        with cli_spelling():
            return int(args.run(args))
    except BrokenPipeError:  # stdout closed early: what was asked for was done
        _stdout_to_devnull()
        return 0
    except KeyboardInterrupt:
        return 130
    except (LbConvertError, OSError) as exc:
        _fail(f"lbconvert: error: {exc}", debug)
        return 1
    except Exception as exc:  # the last resort: a bug, reported on one line
        _fail(_bug_line(exc), debug)
        return 1


def _fail(message: str, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    sys.stderr.write(one_line(message) + "\n")
    sys.stderr.flush()


def _bug_line(exc: Exception) -> str:
    where = getattr(exc, "lbconvert_position", None)
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if len(text) > 300:
        text = text[:300] + "…"
    place = f" while converting {where}" if where else ""
    return f"lbconvert: internal error{place}: {text} ({BUG_REPORT}; --debug shows the traceback)"
