"""The command line's argument declarations: the options of ``convert`` and
``to-labelbox``, the ones every reading command shares, ``--max-record-bytes``
sizes, the help formatter and the examples each command's ``--help`` ends with.

Only declarations: what a command does with its arguments is in
:mod:`lbconvert.cli.commands`.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from ..read import DEFAULT_MAX_RECORD_BYTES
from ..write import writer_names

__all__ = [
    "CONVERT_EXAMPLES",
    "FORMATS_EXAMPLES",
    "INSPECT_EXAMPLES",
    "TO_LABELBOX_EXAMPLES",
    "HelpFormatter",
    "add_common_arguments",
    "add_convert_arguments",
    "add_to_labelbox_parser",
    "parse_size",
]

_SIZE = re.compile(r"(\d+)\s*([kmg]?)(?:i?b)?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"67108864"``, ``"64M"``, ``"64MiB"``, ``"1G"`` -> bytes (binary units)."""
    match = _SIZE.fullmatch(text.strip())
    if not match or int(match.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 67108864, 256M, 2G)")
    return int(match.group(1)) << {"": 0, "k": 10, "m": 20, "g": 30}[match.group(2).lower()]


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """``--max-record-bytes`` and ``--debug``, for the commands that read an export."""
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


def add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``convert``: what to write where, then the option groups
    selection, classes, geometry and format options."""
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
    add_common_arguments(parser)
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


def add_to_labelbox_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``to-labelbox`` to the CLI's subparsers and return its parser."""
    from ..reverse import SOURCE_FORMATS

    parser: argparse.ArgumentParser = commands.add_parser(
        "to-labelbox",
        help="write Labelbox annotation-import NDJSON from a dataset or predictions",
        formatter_class=HelpFormatter,
        description="Turn a dataset lbconvert wrote, or model predictions on it, into the NDJSON "
        "that Labelbox imports (pre-labels or model-run predictions).",
        epilog=TO_LABELBOX_EXAMPLES,
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
        "--overwrite", action="store_true", help="replace an existing FILE (and its masks folder)"
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
    return parser


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
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


CONVERT_EXAMPLES = """examples:
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

INSPECT_EXAMPLES = """examples:
  lbconvert inspect export.ndjson
  lbconvert inspect export.json.gz --json | python -c 'import json,sys; print(json.load(sys.stdin)["classes"])'
"""

TO_LABELBOX_EXAMPLES = """examples:
  lbconvert to-labelbox out/coco --from coco -o labels.ndjson
  lbconvert to-labelbox runs/detect/predict/labels --from yolo --manifest out/yolo/manifest.jsonl \\
      --data out/yolo/data.yaml -o predictions.ndjson --ontology ontology.json --skip-unknown

exit codes: 0 success; 1 bad input or options; 2 usage; 3 --strict and a drop not
--allow'ed (nothing written)
"""

FORMATS_EXAMPLES = """examples:
  lbconvert formats
  lbconvert convert export.ndjson --to myformat -o out --writer-option quality=high
"""
