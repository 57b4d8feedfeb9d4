"""Cut an export's byte stream into records, with bounded memory.

Two framings, both in C for every byte of a record:

* NDJSON: ``readline`` with a size limit, so a line longer than
  ``max_record_bytes`` is refused after reading that many bytes, never
  held whole (a 1 MB gzip file can hold a 1 GB line);
* a JSON array (and a single JSON object): the top-level elements are found
  by msgspec itself.  ``msgspec.json.decode(window, type=msgspec.Raw)``
  skips the first JSON value of a window without building it and reports
  where the value ends ("trailing characters (byte N)") or that the window
  ends inside it ("truncated"), then the window grows geometrically.  Each
  element is thus skipped once or a few times in C and decoded once, in
  linear time; ijson's C backend is quadratic in the length of a string
  (see ``benchmarks/README.md``), its pure-Python backends 10-50x slower.

A record deeper than msgspec's nesting limit (about 1,000, less in a deep
call stack) raises :class:`RecordError` here or later in the decoder; the
readers turn every such fault into a one-line :class:`ExportFormatError`.
"""

from __future__ import annotations

import re
from typing import IO, Callable, Iterator, Optional

import msgspec

__all__ = [
    "RecordError",
    "DEFAULT_MAX_RECORD_BYTES",
    "lines",
    "array_elements",
    "single_value",
    "skip_leading_space",
    "describe_size",
]

#: Default bound on one record (an NDJSON line, an array element): 64 MiB.
DEFAULT_MAX_RECORD_BYTES = 64 << 20
_CHUNK = 1 << 20
_WHITE = b" \t\r\n"
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)")
_NOT_WHITE = re.compile(rb"[^ \t\r\n]")


class RecordError(Exception):
    """A framing fault: ``position`` is the 1-based line (NDJSON) or the
    0-based array index where it happened."""

    def __init__(self, reason: str, position: Optional[int]) -> None:
        super().__init__(reason)
        self.reason, self.position = reason, position


def describe_size(size: int) -> str:
    """``64 MiB`` for 67108864; plain bytes when not a whole number of KiB/MiB/GiB."""
    for shift, unit in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


def _too_large(limit: int, position: int, unit: str) -> RecordError:
    return RecordError(
        f"{unit} longer than the record limit of {describe_size(limit)} "
        "(raise it with --max-record-bytes / max_record_bytes=)",
        position,
    )


def skip_leading_space(stream: IO[bytes], peek_size: int) -> int:
    """Consume the white space before the first JSON byte; return how many
    newlines it held.  Memory stays at one buffer, however long the run."""
    newlines = 0
    while True:
        head: bytes = stream.peek(peek_size)  # type: ignore[attr-defined]  # IO lacks peek; stream is buffered
        if not head:
            return newlines
        stripped = head.lstrip(_WHITE)
        skipped = len(head) - len(stripped)
        newlines += head.count(b"\n", 0, skipped)
        stream.read(skipped)
        if stripped:
            return newlines


def lines(
    stream: IO[bytes], limit: int, first_line: int = 1
) -> Iterator[tuple[int, "bytes | bytearray"]]:
    """``(line number, line)`` for every line.  A line is read in pieces of at
    most 1 MiB (one ``readline`` for all but the longest lines), so that no
    more than ``limit`` plus one piece is ever held.  An over-long line that
    is only white space is skipped; any other raises :class:`RecordError`."""
    readline = stream.readline
    piece = min(limit + 1, _CHUNK)
    lineno = first_line - 1
    line: "bytes | bytearray | None"
    for line in iter(lambda: readline(piece), b""):
        lineno += 1
        if len(line) == piece and not line.endswith(b"\n"):
            line = _long_line(readline, line, limit, lineno)
            if line is None:
                continue
        yield lineno, line


def _long_line(
    readline: Callable[[int], bytes], start: bytes, limit: int, lineno: int
) -> Optional[bytearray]:
    """The rest of a line longer than one piece; None for white space only."""
    line = bytearray(start)
    blank = not start.strip(_WHITE)
    while not line.endswith(b"\n"):
        more = readline(_CHUNK)
        if not more:
            break
        if blank:  # an over-long run of white space: keep nothing of it
            if more.strip(_WHITE):
                blank = False
                line = bytearray(more)
            else:
                line = bytearray(more[-1:])
            continue
        line += more
        if len(line) > limit:
            raise _too_large(limit, lineno, "line")
    if blank:
        return None
    if len(line) > limit:
        raise _too_large(limit, lineno, "line")
    return line


class _Window:
    """A growing byte window over a stream; ``start`` is where the next value begins."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream, self.limit = stream, limit
        self.data = bytearray()
        self.start = 0
        self.eof = False

    def fill(self, wanted: int) -> bool:
        """Read until ``wanted`` bytes follow ``start`` (or EOF); False at EOF."""
        if self.start > len(self.data) // 2:
            del self.data[: self.start]
            self.start = 0
        while len(self.data) - self.start < wanted and not self.eof:
            chunk = self.stream.read(max(_CHUNK, wanted - (len(self.data) - self.start)))
            if not chunk:
                self.eof = True
            self.data += chunk
        return len(self.data) > self.start

    def skip_space(self) -> Optional[int]:
        """Skip white space; the next byte, or None at EOF."""
        while True:
            found = _NOT_WHITE.search(self.data, self.start)
            if found is not None:
                self.start = found.start()
                return self.data[self.start]
            self.start = len(self.data)
            if not self.fill(1):
                return None

    def value(self, position: int, unit: str) -> bytes:
        """The bytes of the JSON value at ``start`` (without its separator);
        moves ``start`` past it."""
        wanted = min(_CHUNK, self.limit + 1)
        while True:
            self.fill(wanted)
            available = len(self.data) - self.start
            end = self._end_of_value(available, position)
            if end is not None:
                with memoryview(self.data) as view:
                    record = bytes(view[self.start : self.start + end])
                self.start += end
                return record
            if available > self.limit:
                raise _too_large(self.limit, position, unit)
            if self.eof:
                raise RecordError("not valid JSON (the file ends inside this value)", position)
            wanted = min(2 * available, self.limit + 1)

    def _end_of_value(self, available: int, position: int) -> Optional[int]:
        size = min(available, self.limit + 1)
        with memoryview(self.data) as whole, whole[self.start : self.start + size] as window:
            try:
                msgspec.json.decode(window, type=msgspec.Raw)
            except msgspec.DecodeError as exc:
                message = str(exc)
                if message.startswith("Input data was truncated"):
                    return None
                found = _TRAILING.search(message)
                if found:  # msgspec counts the trailing byte itself
                    return int(found.group(1)) - 1
                raise RecordError(f"not valid JSON ({message})", position) from None
            except RecursionError:
                raise RecordError("not valid JSON: nested too deeply", position) from None
        # The whole window is one value: complete only if nothing can follow.
        if self.eof or available > self.limit:
            return size
        return None


def array_elements(stream: IO[bytes], limit: int) -> Iterator[tuple[int, bytes]]:
    """``(index, element bytes)`` for every element of the JSON array the
    stream holds (its ``[`` is the next non-space byte)."""
    window = _Window(stream, limit)
    if window.skip_space() != ord("["):
        raise RecordError("not valid JSON: expected '['", 0)
    window.start += 1
    index = 0
    if window.skip_space() == ord("]"):
        window.start += 1
        _expect_end(window, index)
        return
    while True:
        if window.skip_space() is None:
            raise RecordError("not valid JSON (the file ends inside the array)", index)
        yield index, window.value(index, "array element")
        following = window.skip_space()
        if following == ord(","):
            window.start += 1
            index += 1
            if window.skip_space() == ord("]"):
                raise RecordError("not valid JSON: a trailing ',' before ']'", index)
            continue
        if following == ord("]"):
            window.start += 1
            _expect_end(window, index + 1)
            return
        if following is None:
            raise RecordError("not valid JSON (the file ends inside the array)", index + 1)
        raise RecordError(
            f"not valid JSON: expected ',' or ']' after the element, found {chr(following)!r}",
            index,
        )


def single_value(stream: IO[bytes], limit: int) -> Iterator[tuple[int, bytes]]:
    """The one JSON value of a file that holds a single object, as index 0."""
    window = _Window(stream, limit)
    window.skip_space()
    yield 0, window.value(0, "the JSON value")
    _expect_end(window, 1)


def _expect_end(window: _Window, position: int) -> None:
    following = window.skip_space()
    if following is not None:
        raise RecordError(
            f"not valid JSON: {chr(following)!r} after the end of the top-level value", position
        )
