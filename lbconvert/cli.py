"""The ``lbconvert`` command line: ``inspect``, ``convert`` and ``formats``.

Exit codes: 0 success; 1 bad input or options (one line on stderr naming the
file and line); 2 usage error (argparse); 3 ``--strict`` and something was
dropped (nothing is written); 130 interrupted.

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
import os
import re
import sys
import traceback
from pathlib import Path
import time
from typing import Any, Optional, Sequence

import orjson

from . import __version__
from .classes import ClassMap
from .convert import StrictError, convert
from .errors import LbConvertError, one_line
from .inspect import inspect_export
from .options import Options, parse_split
from .read import DEFAULT_MAX_RECORD_BYTES, ExportReader
from .report import Report
from .write import get_writer, writer_names

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
    parser.add_argument("--max-record-bytes", type=parse_size, default=DEFAULT_MAX_RECORD_BYTES,
                        metavar="SIZE", help="refuse a record (NDJSON line, JSON array element) "
                        "longer than SIZE, e.g. 256M (default 64M)")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="print the traceback of an error too")


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: Optional[bool] = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._last = 0.0

    def __call__(self, reader: ExportReader) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2:
            return
        self._last = now
        done, total = reader.bytes_read(), reader.total_bytes
        if total:
            filled = int(30 * done / total)
            bar = "#" * filled + "-" * (30 - filled)
            sys.stderr.write(f"\r[{bar}] {100 * done / total:5.1f}% of {total / 1e6:.1f} MB")
        else:
            sys.stderr.write(f"\r{done / 1e6:.1f} MB read")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self._last:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _inspect(args: argparse.Namespace) -> int:
    progress = Progress()
    summary = inspect_export(args.export, progress=progress,
                             max_record_bytes=args.max_record_bytes)
    progress.finish()
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
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
    lines += [f"  {count:>8}  {name}" for name, count in
              sorted(summary["classes"].items(), key=lambda kv: (-kv[1], kv[0]))]
    if summary["projects"]:
        lines.append("projects:")
        lines += [f"  {pid}  {name}" for pid, name in summary["projects"].items()]
    if summary["model_runs"]:
        lines.append("model runs:")
        lines += [f"  {rid}  {name}" for rid, name in summary["model_runs"].items()]
    print("\n".join(lines))


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
    keypoints = tuple(n.strip() for n in args.keypoints.split(",") if n.strip()) \
        if args.keypoints else None
    options = Options(
        project=args.project, labels=args.labels, status=args.status, source=args.source,
        model_run=args.model_run, skip_unlabeled=args.skip_unlabeled, images=args.images,
        name_by=args.name_by, split=parse_split(args.split) if args.split else None,
        frames_dir=args.frames_dir, every=args.every, interpolate=args.interpolate,
        legacy_y_up=args.legacy_y_up, classes=classes,
        class_key=args.class_key, clip=args.clip, fix_geometry=args.fix_geometry,
        keypoints=keypoints is not None, keypoint_names=keypoints, masks=args.masks,
        mask_map=args.mask_map, max_pixels=args.max_pixels, line_width=args.line_width,
        task=args.task, boxes_from_shapes=args.boxes_from_shapes,
        boxes_as_polygons=args.boxes_as_polygons, split_parts=args.split_parts,
        image_mode=args.image_mode, absolute=args.absolute, allow_empty=args.allow_empty,
        results=args.results,
        segmentation=args.segmentation, void_border=args.void_border,
        instances=args.instances, overlap=args.overlap, strict=args.strict,
        overwrite=args.overwrite, max_record_bytes=args.max_record_bytes)
    options.validate()
    return options


def _write_report(path: Optional[str], report: Report, extra: dict[str, Any]) -> None:
    """``--report FILE`` as JSON; ``--report -`` to standard output (the
    summary then goes to standard error, so that stdout is JSON only)."""
    if not path:
        return
    text = orjson.dumps({**report.to_dict(), **extra}, option=orjson.OPT_INDENT_2) + b"\n"
    if path == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
        return
    with open(path, "wb") as handle:
        handle.write(text)


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
        inside = os.path.isdir(source) and target.startswith(source + os.sep) \
            and os.path.isfile(target)  # an existing file of an input folder
        if target == source or inside:
            raise LbConvertError(f"--report {path} is an input of this run (it would be "
                                 "replaced); name another file")
    if os.path.isdir(path):
        raise LbConvertError(f"--report {path}: is a directory; name the JSON file to write")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise LbConvertError(f"--report {path}: no such directory {folder}")


def _summary_stream(args: argparse.Namespace) -> Any:
    return sys.stderr if args.report == "-" else sys.stdout


def _convert(args: argparse.Namespace) -> int:
    options = _options(args)
    get_writer(args.to)  # fail early on an unknown format
    _check_report_path(args.report, [args.export, args.classes, args.ontology, args.mask_map,
                                     args.images, args.masks, args.frames_dir])
    progress = Progress()
    extra = {"format": args.to, "export": args.export, "output": args.out}
    try:
        report = convert(args.export, args.to, args.out, progress=progress, options=options)
    except StrictError as exc:
        progress.finish()
        _write_report(args.report, exc.report, {**extra, "strict_failure": True})
        print(exc.report.summary(), file=sys.stderr)
        print(f"lbconvert: error: {one_line(str(exc))}; nothing was written", file=sys.stderr)
        return 3
    progress.finish()
    _write_report(args.report, report, extra)
    print(report.summary(), file=_summary_stream(args))
    return 0


def _formats(args: argparse.Namespace) -> int:
    for name in writer_names():
        print(name)
    return 0


def _add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("export", help="export file (NDJSON, JSON array or legacy JSON; gz ok)")
    parser.add_argument("--to", required=True, metavar="FORMAT",
                        help="output format: " + ", ".join(writer_names()))
    parser.add_argument("-o", "--out", required=True, help="output directory")
    parser.add_argument("--report", metavar="FILE",
                        help="write the report as JSON ('-': to standard output)")
    parser.add_argument("--strict", action="store_true",
                        help="fail (exit 3, nothing written) if anything is dropped or warned about")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty OUT")
    _add_common_arguments(parser)
    select = parser.add_argument_group("selection")
    select.add_argument("--project", metavar="ID", help="project id (legacy: project name)")
    select.add_argument("--labels", choices=("selected", "all"), default="selected",
                        help="of several labels per row: the selected one, or all")
    select.add_argument("--status", metavar="STATUS", help="keep rows in this workflow status")
    select.add_argument("--source", choices=("labels", "predictions"), default="labels",
                        help="model runs: ground truth or predictions")
    select.add_argument("--model-run", metavar="ID", help="model run id when rows have several")
    select.add_argument("--skip-unlabeled", action="store_true", help="drop rows without labels")
    select.add_argument("--images", metavar="DIR", type=Path,
                        help="the images (sizes when the export lacks them; YOLO images/)")
    select.add_argument("--name-by", choices=("global_key", "external_id", "id"),
                        help="what names output files (default: global key, external id, id)")
    select.add_argument("--split", metavar="NAME=F,...",
                        help="split by data row id hash, e.g. train=0.8,val=0.2")
    select.add_argument("--frames-dir", metavar="DIR", type=Path,
                        help="video: extracted frames, DIR/<video stem>/<frame>.jpg")
    select.add_argument("--every", type=int, default=1, metavar="N",
                        help="video: keep every N-th frame")
    select.add_argument("--interpolate", action="store_true",
                        help="video: fill frames between keyframes")
    select.add_argument("--legacy-y-up", action="store_true",
                        help="legacy exports of the 2018 editors: y counts up from the bottom")
    classes = parser.add_argument_group("classes")
    classes.add_argument("--classes", metavar="FILE", help="class names, one per line, id order")
    classes.add_argument("--ontology", metavar="FILE", help="a Labelbox ontology JSON")
    classes.add_argument("--class-key", choices=("name", "value", "schema"), default="name")
    geometry = parser.add_argument_group("geometry")
    geometry.add_argument("--clip", action="store_true", help="clip geometry to the image")
    geometry.add_argument("--fix-geometry", action="store_true",
                          help="repair self-intersecting polygons")
    geometry.add_argument("--keypoints", metavar="NAMES",
                          help="point classes, in order, written as keypoints of their box")
    geometry.add_argument("--masks", metavar="DIR", type=Path, help="downloaded mask PNGs")
    geometry.add_argument("--mask-map", metavar="FILE", type=Path,
                          help="JSON: composite mask id / URL / feature id -> file in --masks")
    geometry.add_argument("--max-pixels", type=int, default=1 << 28, metavar="N",
                          help="refuse rasters larger than N pixels")
    geometry.add_argument("--line-width", type=float, metavar="PX",
                          help="rasterize polylines this wide")
    formats = parser.add_argument_group("format options")
    formats.add_argument("--task", choices=("detect", "segment", "pose", "obb"), default="detect",
                         help="YOLO task")
    formats.add_argument("--boxes-from-shapes", action="store_true",
                         help="YOLO detect: polygons and masks give their box")
    formats.add_argument("--boxes-as-polygons", action="store_true",
                         help="YOLO segment: boxes become 4-point polygons")
    formats.add_argument("--split-parts", action="store_true",
                         help="YOLO segment: one row per polygon part")
    mode = formats.add_mutually_exclusive_group()
    mode.add_argument("--link", dest="image_mode", action="store_const", const="link",
                      help="YOLO images/: symlinks (default)")
    mode.add_argument("--copy", dest="image_mode", action="store_const", const="copy")
    mode.add_argument("--hardlink", dest="image_mode", action="store_const", const="hardlink")
    formats.set_defaults(image_mode="link")
    formats.add_argument("--absolute", action="store_true",
                         help="YOLO data.yaml: absolute path")
    formats.add_argument("--allow-empty", action="store_true",
                         help="YOLO: write a dataset without classes (nc: 0) instead of failing")
    formats.add_argument("--results", action="store_true",
                         help="COCO: write a detection results list")
    formats.add_argument("--segmentation", action="store_true",
                         help="VOC: SegmentationClass / SegmentationObject PNGs")
    formats.add_argument("--void-border", action="store_true",
                         help="VOC: 255 on object borders")
    formats.add_argument("--instances", action="store_true", help="masks: instance PNGs too")
    formats.add_argument("--overlap", choices=("paint", "ignore"), default="paint",
                         help="masks: later objects paint over earlier ones, or 255")


def _to_labelbox(args: argparse.Namespace) -> int:
    from .reverse import to_labelbox

    keypoints = [n.strip() for n in args.keypoints.split(",") if n.strip()] \
        if args.keypoints else []
    extra = {"from": args.from_format, "input": args.input, "output": args.out}
    _check_report_path(args.report, [args.input, args.manifest, args.gt, args.data,
                                     args.ontology, args.out])
    try:
        report = to_labelbox(args.input, args.from_format, args.out, manifest=args.manifest,
                             gt=args.gt, data=args.data, ontology=args.ontology,
                             skip_unknown=args.skip_unknown, strict=args.strict,
                             keypoints=keypoints, mask_url=args.mask_url)
    except StrictError as exc:
        _write_report(args.report, exc.report, {**extra, "strict_failure": True})
        print(exc.report.summary(), file=sys.stderr)
        print(f"lbconvert: error: {exc}; nothing was written", file=sys.stderr)
        return 3
    _write_report(args.report, report, extra)
    print(report.summary(), file=_summary_stream(args))
    return 0


def _add_to_labelbox_parser(commands: Any) -> None:
    from .reverse import SOURCE_FORMATS

    parser = commands.add_parser(
        "to-labelbox", help="write Labelbox annotation-import NDJSON from a dataset or predictions")
    parser.add_argument("input", help="dataset directory lbconvert wrote, or a COCO / COCO "
                        "results JSON, a folder of YOLO label or prediction files, VOC XML")
    parser.add_argument("--from", dest="from_format", required=True, choices=SOURCE_FORMATS,
                        help="input format")
    parser.add_argument("-o", "--out", required=True, help="the NDJSON file to write")
    parser.add_argument("--manifest", metavar="FILE",
                        help="OUT/manifest.jsonl of the dataset (default: found in or above INPUT)")
    parser.add_argument("--gt", metavar="FILE",
                        help="coco-results: the COCO ground truth with the image and category ids")
    parser.add_argument("--data", metavar="FILE", help="yolo: data.yaml with the class names")
    parser.add_argument("--keypoints", metavar="NAMES",
                        help="yolo pose: keypoint class names, in order")
    parser.add_argument("--ontology", metavar="FILE",
                        help="Labelbox ontology JSON: every class must be one of its tools")
    parser.add_argument("--skip-unknown", action="store_true",
                        help="drop (and count) classes missing from --ontology instead of failing")
    parser.add_argument("--mask-url", metavar="URL",
                        help="write masks as PNGs beside the output, referenced under URL")
    parser.add_argument("--report", metavar="FILE",
                        help="write the report as JSON ('-': to standard output)")
    parser.add_argument("--strict", action="store_true",
                        help="fail (exit 3, nothing written) if anything is dropped or warned about")
    parser.set_defaults(run=_to_labelbox)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lbconvert", description="Convert Labelbox exports into training datasets, offline.")
    parser.add_argument("--version", action="version", version=f"lbconvert {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error too")
    commands = parser.add_subparsers(dest="command", required=True)
    inspect = commands.add_parser("inspect", help="count what an export holds")
    inspect.add_argument("export", help="export file (NDJSON, JSON array or legacy JSON; gz ok)")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    _add_common_arguments(inspect)
    inspect.set_defaults(run=_inspect)
    convert_parser = commands.add_parser("convert", help="write a dataset")
    _add_convert_arguments(convert_parser)
    convert_parser.set_defaults(run=_convert)
    formats = commands.add_parser("formats", help="list the output formats")
    formats.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="print the traceback of an error too")
    formats.set_defaults(run=_formats)
    _add_to_labelbox_parser(commands)
    from .preview.command import add_preview_command
    add_preview_command(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    try:
        return int(args.run(args))
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
