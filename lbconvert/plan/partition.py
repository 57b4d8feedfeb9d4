"""Cut a plain NDJSON export into byte ranges of whole lines, and read one.

A range ``[start, end)`` owns the lines that start inside it; the cuts are
moved to line starts by the coordinator (one ``readline`` per cut), so the
ranges tile the file.  A part's reader numbers its lines from the number of
line breaks before its start (counted in the worker, in C), so every error
names the line of the whole file, as one process would.

Inputs are paths, or fsspec URLs (``s3://…``, ``file://…``, ``memory://…``)
when fsspec is installed; they are opened again in every worker.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import IO, Any, Iterator, Optional, cast

from ..model import DataRow
from ..read import ExportReader
from ..read.detect import OpenedSource, sniff_container
from ..read.records import DEFAULT_MAX_RECORD_BYTES

__all__ = [
    "ByteRange",
    "is_url",
    "open_input",
    "open_url",
    "input_size",
    "ndjson_ranges",
    "PartReader",
]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ByteRange:
    """Part ``index`` of ``source``: the lines starting in ``[start, end)``."""

    source: str
    name: str  # as messages name the file
    index: int
    start: int
    end: int
    #: Number lines as in the whole file (count the line breaks before
    #: ``start``); False: from 1 in the part, which is enough while nothing
    #: fails (line numbers only appear in messages), and the plan reruns a
    #: failed part numbered to get the very message one process gives.
    numbered: bool = False


def is_url(source: object) -> bool:
    """Whether ``source`` is an fsspec URL (``scheme://…``), not a local path."""
    return isinstance(source, str) and "://" in source


def open_input(source: str) -> IO[bytes]:
    """A seekable binary file of a path or an fsspec URL."""
    if is_url(source):
        import fsspec  # type: ignore[import-untyped]  # the [dask] extra

        opened: IO[bytes] = fsspec.open(source, "rb").open()
        return opened
    return open(source, "rb", buffering=0)


class _NamedStream(io.BufferedReader):
    """An fsspec file, named by its URL in messages (as the parts name it)."""

    def __init__(self, raw: Any, url: str) -> None:
        super().__init__(raw, buffer_size=1 << 16)
        self._url = url

    @property
    def name(self) -> str:
        return self._url


def open_url(url: str) -> IO[bytes]:
    """An fsspec URL as a binary stream for one process's reader."""
    return _NamedStream(open_input(url), url)


def input_size(source: str) -> int:
    if is_url(source):
        import fsspec

        fs, path = fsspec.core.url_to_fs(source)
        return int(fs.size(path))
    return os.path.getsize(source)


def ndjson_ranges(source: str, name: str, parts: int) -> list[ByteRange]:
    """``parts`` ranges of about equal size, cut at line starts (fewer when
    lines are long: an empty range is left out)."""
    size = input_size(source)
    cuts = [0]
    with open_input(source) as handle:
        for k in range(1, parts):
            handle.seek(max(size * k // parts - 1, cuts[-1]))
            _skip_line(handle)
            cuts.append(max(min(handle.tell(), size), cuts[-1]))
    cuts.append(size)
    ranges = [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
    return [ByteRange(source, name, i, a, b) for i, (a, b) in enumerate(ranges)]


def _skip_line(handle: IO[bytes]) -> None:
    """Move to the start of the next line (reading in pieces: a line may be long)."""
    while True:
        piece = handle.readline(_CHUNK)
        if not piece or piece.endswith(b"\n"):
            return


def _lines_before(handle: IO[bytes], offset: int) -> int:
    """Line breaks in the first ``offset`` bytes (read into one reused buffer:
    a fresh bytes object per piece costs more than the counting)."""
    handle.seek(0)
    buffer = bytearray(_CHUNK)
    count = 0
    left = offset
    while left > 0:
        with memoryview(buffer) as view:
            got = handle.readinto(view[: min(_CHUNK, left)])  # type: ignore[attr-defined]  # IO lacks readinto
        if not got:
            break
        count += buffer.count(b"\n", 0, got)
        left -= got
    return count


class _Window(io.RawIOBase):
    """The bytes ``[start, end)`` of a seekable file, as a raw stream."""

    def __init__(self, handle: IO[bytes], start: int, end: int) -> None:
        self._handle, self._end = handle, end
        handle.seek(start)
        self._position = start
        self.name = getattr(handle, "name", "")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self._end - self._position)
        if wanted <= 0:
            return 0
        with memoryview(buffer) as view:
            got: int = self._handle.readinto(view[:wanted])  # type: ignore[attr-defined]  # IO lacks readinto
        self._position += got or 0
        return got or 0

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()


class PartReader(ExportReader):
    """An :class:`~lbconvert.read.ExportReader` over the lines of one range of
    a plain NDJSON export (the container is known: the whole file was sniffed
    once), numbering lines as in the whole file."""

    def __init__(self, part: ByteRange, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> None:  # noqa: D107 - no super().__init__: nothing to sniff
        self.max_record_bytes = max_record_bytes
        handle = open_input(part.source)
        first_line = 1 + (_lines_before(handle, part.start) if part.start and part.numbered else 0)
        raw = _Window(handle, part.start, part.end)
        stream = io.BufferedReader(raw, buffer_size=1 << 16)
        self._opened = OpenedSource(
            stream, part.name, cast(IO[bytes], raw), part.end - part.start, [stream]
        )
        self._opened.first_line = first_line
        if part.start == 0:  # a byte-order mark and leading blank lines, as read() skips them
            sniff_container(self._opened)
        self.name = part.name
        self.total_bytes: Optional[int] = part.end - part.start
        self.format = None
        self._last = None
        self._last_row = None
        self.container = "ndjson"

    def rows(self) -> Iterator[DataRow]:
        return iter(self)
