"""The ``lbconvert`` command line: ``inspect``, ``convert`` and ``formats``.

Exit codes: 0 success, 1 bad input or options (one line on stderr naming the
file and line), 2 usage error (argparse), 3 ``--strict`` and something was
dropped.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Optional, Sequence

import orjson

from . import __version__
from .errors import LbConvertError
from .inspect import inspect_export
from .read import ExportReader

__all__ = ["main"]


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
    summary = inspect_export(args.export, progress=progress)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lbconvert", description="Convert Labelbox exports into training datasets, offline.")
    parser.add_argument("--version", action="version", version=f"lbconvert {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    inspect = commands.add_parser("inspect", help="count what an export holds")
    inspect.add_argument("export", help="export file (NDJSON, JSON array or legacy JSON; gz ok)")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.set_defaults(run=_inspect)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except LbConvertError as exc:
        print(f"lbconvert: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"lbconvert: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
