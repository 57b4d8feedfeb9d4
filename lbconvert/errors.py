"""Errors raised by lbconvert.  Catch :class:`LbConvertError` to catch them all."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Optional

if TYPE_CHECKING:
    from .report import Report

__all__ = [
    "LbConvertError",
    "ExportFormatError",
    "SelectionError",
    "OutputError",
    "StrictError",
    "one_line",
]

_BREAKS = re.compile("\\s*[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+\\s*")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x9f]")


def one_line(text: str) -> str:
    """``text`` on one line: line breaks become `` / ``, other control
    characters ``\\xNN`` (a hostile export cannot send terminal escapes)."""
    text = _BREAKS.sub(" / ", text.strip())
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class LbConvertError(Exception):
    """Root of every error lbconvert raises on purpose.  Its message is always
    one line (see :func:`one_line`), whatever the data it quotes."""

    def __str__(self) -> str:
        return one_line(super().__str__())


class ExportFormatError(LbConvertError):
    """A record of the export is malformed.

    The message reads ``FILE:LINE: PATH: what was wrong`` for NDJSON (1-based
    line) and ``FILE[INDEX]: PATH: what was wrong`` for JSON arrays (0-based
    index), with the data row id when it is known.
    """

    def __init__(
        self,
        file: str,
        reason: str,
        *,
        line: Optional[int] = None,
        index: Optional[int] = None,
        path: str = "",
        data_row_id: Optional[str] = None,
    ) -> None:
        self.file, self.reason, self.line, self.index = file, reason, line, index
        self.path, self.data_row_id = path, data_row_id
        where = file
        if line is not None:
            where += f":{line}"
        elif index is not None:
            where += f"[{index}]"
        parts = [where]
        if data_row_id:
            parts.append(f"data row {data_row_id}")
        if path:
            parts.append(path)
        parts.append(reason)
        super().__init__(": ".join(parts))


class SelectionError(LbConvertError):
    """The export cannot be converted with the options given (e.g. several
    projects and no ``--project``)."""


class OutputError(LbConvertError):
    """The output cannot be written (non-empty directory, unsafe path, …)."""


class StrictError(LbConvertError):
    """``strict`` was set and something was dropped, skipped or warned about
    (e.g. a missing image file) for a reason not in ``allow``; nothing was
    written."""

    def __init__(self, report: "Report", allow: Iterable[str] = ()) -> None:
        self.report = report
        refused = [
            f"{kind}{' ' if kind == 'dropped' else ': '}"
            + ", ".join(f"{reason} ({count})" for reason, count in counts.items())
            for kind, counts in report.not_allowed(allow)
            if counts
        ]
        super().__init__("strict: " + "; ".join(refused))
