"""Readers: stream any Labelbox export file as :class:`~lbconvert.model.DataRow` s.

``read(path)`` sniffs the file (see :mod:`.detect`) and streams it: NDJSON line
by line, JSON arrays element by element (both framed by :mod:`.records`, in
C), each record decoded by :mod:`.v2` (legacy label rows through
:mod:`.legacy`).  Nothing holds more than one record, and one record may not
exceed ``max_record_bytes`` (64 MiB by default).

Every fault of the input, whatever its shape (bad JSON, nesting deeper than
the decoder's limit, an over-long record, a cut-off gzip stream), raises a
one-line :class:`~lbconvert.errors.ExportFormatError` naming the file and the
line (NDJSON) or the array index.
"""

from __future__ import annotations

import io
from typing import Iterator, Optional

import msgspec

from ..errors import ExportFormatError, LbConvertError
from ..model import DataRow
from . import records, v2
from .detect import STREAM_ERRORS, Source, open_source, sniff_container
from .records import DEFAULT_MAX_RECORD_BYTES, RecordError

__all__ = ["read", "ExportReader", "Source", "DEFAULT_MAX_RECORD_BYTES", "refuse_text_mode"]


class ExportReader:
    """Iterate over the data rows of one export file.

    ``format`` is ``"v2-ndjson"``, ``"v2-json"``, ``"legacy-json"`` (or
    ``"legacy-ndjson"``), known once the first record is read.
    ``bytes_read()`` / ``total_bytes`` drive progress bars.
    """

    def __init__(self, source: Source, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> None:
        if not isinstance(max_record_bytes, int) or max_record_bytes < 1:
            raise LbConvertError("max_record_bytes must be a positive number of bytes")
        self.max_record_bytes = max_record_bytes
        self._opened = open_source(source)
        self.name = self._opened.name
        self.total_bytes: Optional[int] = self._opened.total
        self.format: Optional[str] = None
        self._last: Optional[int] = None  # the last good line or index, for stream errors
        self._last_row: Optional[DataRow] = None
        try:
            self.container = sniff_container(self._opened)
        except BaseException:
            self._opened.close()
            raise

    def bytes_read(self) -> int:
        return self._opened.bytes_read()

    def close(self) -> None:
        self._opened.close()

    def __enter__(self) -> "ExportReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def position(self) -> Optional[str]:
        """Where the reader is: ``FILE:LINE`` or ``FILE[INDEX]`` of the last
        record read (for messages about faults that are not the input's)."""
        if self._last is None:
            return None
        where = (
            f"{self.name}:{self._last}"
            if self.container == "ndjson"
            else f"{self.name}[{self._last}]"
        )
        row_id = self._last_row.id if self._last_row is not None else None
        return f"{where}, data row {row_id}" if row_id else where

    def note_position(self, exc: BaseException) -> None:
        """Attach :attr:`position` to an unexpected exception (not an
        :class:`~lbconvert.errors.LbConvertError`) as ``exc.lbconvert_position``,
        for the command line's one-line report of a bug."""
        if getattr(exc, "lbconvert_position", None) is None:
            try:
                exc.lbconvert_position = self.position  # type: ignore[attr-defined]  # set on any exception
            except AttributeError:
                pass

    def __iter__(self) -> Iterator[DataRow]:
        unit = "line" if self.container == "ndjson" else "index"
        try:
            if self.container == "ndjson":
                yield from self._ndjson()
            else:
                yield from self._json()
        except STREAM_ERRORS as exc:
            where = "the start" if self._last is None else f"{unit} {self._last}"
            raise ExportFormatError(self.name, f"cannot read past {where} ({exc})") from exc
        except RecordError as exc:
            at: v2.Where = {"line": exc.position} if unit == "line" else {"index": exc.position}
            raise ExportFormatError(self.name, exc.reason, **at) from None
        finally:
            self.close()

    def _ndjson(self) -> Iterator[DataRow]:
        name = self.name
        decode = v2.fast_decode
        for lineno, line in records.lines(
            self._opened.stream, self.max_record_bytes, self._opened.first_line
        ):
            try:  # the hot path: one C call per line
                row = decode(line)
                row.position = lineno
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                # blank, bad, legacy, unknown kinds, too deep
                if line.isspace():
                    continue
                row = v2.decode_record(line, name, line=lineno)
            self._last, self._last_row = lineno, row
            if self.format is None:
                self.format = "v2-ndjson" if _is_v2(line) else "legacy-ndjson"
            yield row

    def _json(self) -> Iterator[DataRow]:
        stream, limit = self._opened.stream, self.max_record_bytes
        elements = (
            records.array_elements(stream, limit)
            if self.container == "array"
            else records.single_value(stream, limit)
        )
        for index, element in elements:
            try:
                row = v2.fast_decode(element)
                row.position = index
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                row = v2.decode_record(element, self.name, index=index)
            if self.format is None:
                self.format = "v2-json" if _is_v2(element) else "legacy-json"
            self._last, self._last_row = index, row
            yield row
        if self.format is None:
            self.format = "v2-json"


def _is_v2(record: "bytes | bytearray") -> bool:
    """Whether the first record (already read as a row) is an export v2 row:
    a ``data_row`` key at its top level, not just the text anywhere."""
    try:
        decoded = msgspec.json.decode(record)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return b'"data_row"' in record
    return not isinstance(decoded, dict) or "data_row" in decoded


def read(source: Source, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> Iterator[DataRow]:
    """Stream the data rows of an export: a path, ``Path`` or binary file object
    (gzip-compressed or not).  A record (NDJSON line, array element) longer
    than ``max_record_bytes`` is an error."""
    refuse_text_mode(source)
    return iter(ExportReader(source, max_record_bytes))


def refuse_text_mode(source: object) -> None:
    """A clear error for a file object opened in text mode (it has no bytes to sniff)."""
    if isinstance(source, io.TextIOBase) or (
        hasattr(source, "read") and "b" not in getattr(source, "mode", "b")
    ):
        name = getattr(source, "name", None)
        raise LbConvertError(
            f"{name if isinstance(name, str) else 'export'}: a text-mode file "
            "object; open the export in binary mode ('rb') or pass its path"
        )
