"""The ``lbconvert preview`` subcommand (added to the parser by :mod:`lbconvert.cli`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_preview_command"]


def add_preview_command(commands: Any) -> None:
    """Add ``preview`` to the CLI's subparsers."""
    parser = commands.add_parser(
        "preview",
        help="write an HTML page that shows a converted dataset",
        description="Read a dataset lbconvert wrote (COCO, YOLO, VOC or mask PNGs) back from "
        "disk and write PREVIEW_DIR/index.html: a summary, the conversion report "
        "and a sample of images with their annotations drawn.",
    )
    parser.add_argument("dataset", metavar="OUT", help="the dataset directory")
    parser.add_argument(
        "-o",
        "--output",
        "--out",
        dest="out",
        required=True,
        metavar="PREVIEW_DIR",
        help="where index.html and its thumbnails go",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty PREVIEW_DIR (replacing index.html and thumbs/)",
    )
    parser.add_argument(
        "--images",
        metavar="DIR",
        type=Path,
        help="the images (looked up as for YOLO's --images); "
        "without them items are drawn on a neutral canvas",
    )
    parser.add_argument("-n", type=int, default=24, metavar="N", help="sample size (24)")
    parser.add_argument(
        "--seed", default="0", metavar="S", help="which sample (deterministic for a seed)"
    )
    parser.add_argument(
        "--split", action="append", metavar="NAME", help="only this split (repeatable)"
    )
    parser.add_argument(
        "--class",
        dest="classes",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="only images with these classes, and only these drawn",
    )
    parser.add_argument(
        "--format",
        choices=("coco", "yolo", "voc", "masks"),
        help="the dataset's format (default: detected from its files)",
    )
    parser.add_argument(
        "--thumb-size",
        type=int,
        default=480,
        metavar="PX",
        help="longest side of a thumbnail (480)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing on success (errors still go to stderr)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the traceback of an error too",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from . import preview

    files = preview(
        args.dataset,
        args.out,
        images=args.images,
        n=args.n,
        seed=args.seed,
        splits=args.split,
        classes=args.classes,
        format=args.format,
        thumb_size=args.thumb_size,
        overwrite=args.overwrite,
    )
    if not args.quiet:
        print(f"wrote {files[0]} ({len(files) - 1} thumbnails)")
    return 0
