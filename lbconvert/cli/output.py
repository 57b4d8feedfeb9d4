"""What the command line prints besides errors: the progress bar on stderr,
stdout writes that survive a reader going away (``lbconvert … | head -1``),
and ``inspect``'s summary as text."""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Optional

from ..read import ExportReader

__all__ = ["Progress", "emit", "print_summary", "stdout_to_devnull"]


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


def emit(text: str, stream: Any = None) -> None:
    """Print to stdout (or ``stream``); a reader that went away (``| head -1``)
    is not an error."""
    stream = stream or sys.stdout
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        if stream is sys.stdout:
            stdout_to_devnull()


def stdout_to_devnull() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush of a
    closed pipe raises nothing (see the Python docs on SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def print_summary(summary: dict[str, Any]) -> None:
    """What ``inspect`` found, as aligned text on stdout."""
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
    emit("\n".join(lines))


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
