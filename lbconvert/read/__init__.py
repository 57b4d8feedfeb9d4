"""Readers: stream any Labelbox export file as :class:`~lbconvert.model.DataRow` s.

``read(path)`` sniffs the file (see :mod:`.detect`) and streams it: NDJSON line
by line (:mod:`.v2`), JSON arrays item by item with ijson's C backend, legacy
label rows through :mod:`.legacy`.  Nothing holds more than one record.
"""

from __future__ import annotations

import io
from typing import Iterator, Optional

import ijson
import msgspec

from ..errors import ExportFormatError, LbConvertError
from ..model import DataRow
from . import v2
from .detect import STREAM_ERRORS, Source, open_source, sniff_container

__all__ = ["read", "ExportReader", "Source", "refuse_text_mode"]


class ExportReader:
    """Iterate over the data rows of one export file.

    ``format`` is ``"v2-ndjson"``, ``"v2-json"``, ``"legacy-json"`` (or
    ``"legacy-ndjson"``), known once the first record is read.
    ``bytes_read()`` / ``total_bytes`` drive progress bars.
    """

    def __init__(self, source: Source) -> None:
        self._opened = open_source(source)
        self.name = self._opened.name
        self.total_bytes: Optional[int] = self._opened.total
        self.format: Optional[str] = None
        self._last: Optional[int] = None  # the last good line or index, for stream errors
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

    def __iter__(self) -> Iterator[DataRow]:
        try:
            if self.container == "ndjson":
                yield from self._ndjson()
            else:
                yield from self._json()
        except STREAM_ERRORS as exc:
            unit = "line" if self.container == "ndjson" else "index"
            where = "the start" if self._last is None else f"{unit} {self._last}"
            raise ExportFormatError(self.name, f"cannot read past {where} ({exc})") from exc
        finally:
            self.close()

    def _ndjson(self) -> Iterator[DataRow]:
        name = self.name
        decode = v2.fast_decode
        for lineno, line in enumerate(self._opened.stream, 1):
            try:  # the hot path: one C call per line
                row = decode(line)
                row.position = lineno
            except (msgspec.DecodeError, UnicodeDecodeError):  # blank, bad, legacy, unknown kinds
                if line.isspace():
                    continue
                row = v2.decode_line(line, name, lineno)
            self._last = lineno
            if self.format is None:
                self.format = "v2-ndjson" if b'"data_row"' in line else "legacy-ndjson"
            yield row

    def _json(self) -> Iterator[DataRow]:
        prefix = "item" if self.container == "array" else ""
        index = -1
        try:
            for index, record in enumerate(
                    ijson.items(self._opened.stream, prefix, use_float=True)):
                if self.format is None:
                    is_v2 = not isinstance(record, dict) or "data_row" in record
                    self.format = "v2-json" if is_v2 else "legacy-json"
                self._last = index
                yield v2.dispatch(record, self.name, index=index)
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            raise ExportFormatError(self.name, f"not valid JSON ({exc})",
                                    index=index + 1) from exc
        if self.format is None:
            self.format = "v2-json"


def read(source: Source) -> Iterator[DataRow]:
    """Stream the data rows of an export: a path, ``Path`` or binary file object
    (gzip-compressed or not)."""
    refuse_text_mode(source)
    return iter(ExportReader(source))


def refuse_text_mode(source: object) -> None:
    """A clear error for a file object opened in text mode (it has no bytes to sniff)."""
    if isinstance(source, io.TextIOBase) or (
            hasattr(source, "read") and "b" not in getattr(source, "mode", "b")):
        name = getattr(source, "name", None)
        raise LbConvertError(f"{name if isinstance(name, str) else 'export'}: a text-mode file "
                             "object; open the export in binary mode ('rb') or pass its path")
