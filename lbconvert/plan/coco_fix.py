"""The fix tasks of the one-pass COCO plan (:mod:`.coco`): a piece of a part
file's section rewritten with the export's ids, and the byte scanning they need.

The layout of a COCO file (:mod:`lbconvert.write.coco`) makes the sections
easy to cut and to fix: a head line ending in ``"images": [``, one image
per line (``\\n{"id":N,…}`` joined by ``,``), ``\\n], "annotations": [``,
the annotations of one image per line, ``\\n], "categories": […]}``.
Records are found by their opening ``{"id":N,`` (an image, after a line
break) and ``{"id":N,"image_id":M,"category_id":C,`` (an annotation): a
quote inside a JSON string is always escaped and orjson writes no line
break, so these bytes only open a record; the local ids in them are what a
piece needs to know, so a section can be cut anywhere between two lines.
``results[_<split>].json`` (``[``, one line of results per image, ``\\n]``)
is fixed alike (``image_id``, ``category_id``).

:func:`fix_piece` and :func:`fix_manifest` run in the executor's workers:
they are module-level and their arguments plain data, as in :mod:`.run`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO, Callable, Iterator, Optional

import orjson

from ..errors import LbConvertError

__all__ = [
    "BLOCK_BYTES",
    "IMAGES_END",
    "ANNOTATIONS_END",
    "RESULTS_END",
    "Fix",
    "fix_piece",
    "fix_manifest",
    "find_marker",
    "last_line",
]

#: Bytes read at a time (by a fix task, :func:`~.coco._describe`, and the
#: merge's copy through a buffer): bounds their memory.
BLOCK_BYTES = 1 << 20

IMAGES_END = b'\n], "annotations": ['
ANNOTATIONS_END = b'\n], "categories": '
RESULTS_END = b"\n]\n"
_IMAGE = re.compile(rb'\n\{"id":(\d+),')
_ANNOTATION = re.compile(rb'\{"id":(\d+),"image_id":(\d+),"category_id":(\d+),')
_RESULT = re.compile(rb'\{"image_id":(\d+),"category_id":(\d+),')


# --- the bytes of a part file, read in blocks -----------------------------------------


def find_marker(handle: IO[bytes], marker: bytes, start: int) -> int:
    """The offset of the first ``marker`` at or after ``start`` (read in blocks)."""
    handle.seek(start)
    offset, carry = start, b""
    while True:
        block = handle.read(BLOCK_BYTES)
        if not block:
            raise LbConvertError(f"internal error: {marker!r} missing in {handle.name}")
        data = carry + block
        found = data.find(marker)
        if found >= 0:
            return offset + found
        keep = min(len(marker) - 1, len(data))
        offset += len(data) - keep
        carry = data[len(data) - keep :]


def last_line(handle: IO[bytes], start: int, end: int) -> tuple[int, bytes]:
    """The last line of the bytes ``[start, end)`` (after its last line
    break; empty when they hold none) and where it starts."""
    position, line = end, b""
    while position > start:
        size = min(BLOCK_BYTES, position - start)
        handle.seek(position - size)
        block = handle.read(size)
        position -= size
        newline = block.rfind(b"\n")
        if newline >= 0:
            return position + newline + 1, block[newline + 1 :] + line
        line = block + line
    return end, b""


# --- 3. fix: a piece of a section, with the export's ids (runs in a worker) -----------


@dataclass(frozen=True)
class Fix:
    """What changes in one piece of a section: ``kind`` is ``images``,
    ``annotations`` or ``results``; the piece is the lines of ``path`` that
    start in ``[start, end)`` within the section ``[first, last)``."""

    kind: str
    path: str
    first: int
    last: int
    start: int = 0
    end: int = 0
    target: str = ""
    image_shift: int = 0
    annotation_shift: int = 0
    categories: Optional[dict[bytes, bytes]] = None  # local category_id -> the export's
    file_names: Optional[dict[int, tuple[str, str]]] = None  # local image id -> old, new stem

    def changes(self) -> bool:
        """Whether the piece's bytes change at all (else they are copied as they are)."""
        return bool(self.image_shift or self.annotation_shift or self.categories or self.file_names)


def fix_piece(fix: Fix) -> str:
    """Write the piece ``fix`` describes, changed, to ``fix.target`` (returned)."""
    change = _CHANGES[fix.kind]
    with open(fix.path, "rb") as source, open(fix.target, "wb") as target:
        start = _line_start(source, fix.start, fix.first, fix.last)
        end = _line_start(source, fix.end, fix.first, fix.last)
        for lines in _blocks_of_lines(source, start, end):
            target.write(change(lines, fix))
    return fix.target


def _line_start(handle: IO[bytes], offset: int, first: int, last: int) -> int:
    """The first line break at or after ``offset`` (a section's lines start
    with one), or the section's end; ``first`` itself is a line start."""
    if offset <= first:
        return first
    found = _find_or_none(handle, b"\n", offset, last)
    return last if found is None else found


def _find_or_none(handle: IO[bytes], byte: bytes, start: int, end: int) -> Optional[int]:
    handle.seek(start)
    offset = start
    while offset < end:
        block = handle.read(min(BLOCK_BYTES, end - offset))
        if not block:
            break
        found = block.find(byte)
        if found >= 0:
            return offset + found
        offset += len(block)
    return None


def _blocks_of_lines(handle: IO[bytes], start: int, end: int) -> Iterator[bytes]:
    """The bytes ``[start, end)`` in blocks of about :data:`BLOCK_BYTES`, each cut
    just before a line break (a record never spans one)."""
    handle.seek(start)
    left, carry = end - start, b""
    while left > 0:
        block = handle.read(min(BLOCK_BYTES, left))
        if not block:
            break
        left -= len(block)
        data = carry + block
        cut = data.rfind(b"\n") if left else len(data)
        if cut <= 0:  # one long line so far
            carry = data
            continue
        yield data[:cut]
        carry = data[cut:]
    if carry:
        yield carry


def _interleave(texts: list[bytes], records: list[bytes]) -> bytes:
    out: list[bytes] = [b""] * (len(texts) + len(records))
    out[0::2] = texts
    out[1::2] = records
    return b"".join(out)


def _fixed_images(lines: bytes, fix: Fix) -> bytes:
    pieces = _IMAGE.split(lines)
    shift = fix.image_shift
    ids = pieces[1::2]
    texts = pieces[0::2]
    if fix.file_names:
        for number, local in enumerate(ids):
            change = fix.file_names.get(int(local))
            if change is not None:
                texts[number + 1] = _renamed(texts[number + 1], change)
    return _interleave(texts, [b'\n{"id":%d,' % (int(local) + shift) for local in ids])


def _renamed(rest: bytes, change: tuple[str, str]) -> bytes:
    """An image record's bytes after its id (and the ``,`` after it, if
    any), with the renamed stem in ``file_name``."""
    old, new = change
    separator = b"," if rest.endswith(b"},") else b""
    record = orjson.loads(b"{" + rest[: len(rest) - len(separator)])
    record["file_name"] = new + record["file_name"][len(old) :]
    return orjson.dumps(record)[1:] + separator


def _fixed_annotations(lines: bytes, fix: Fix) -> bytes:
    pieces = _ANNOTATION.split(lines)
    shift, image_shift = fix.annotation_shift, fix.image_shift
    categories = fix.categories or {}
    records = [
        b'{"id":%d,"image_id":%d,"category_id":%s,'
        % (int(a) + shift, int(i) + image_shift, categories.get(c, c))
        for a, i, c in zip(pieces[1::4], pieces[2::4], pieces[3::4])
    ]
    return _interleave(pieces[0::4], records)


def _fixed_results(lines: bytes, fix: Fix) -> bytes:
    pieces = _RESULT.split(lines)
    image_shift = fix.image_shift
    categories = fix.categories or {}
    records = [
        b'{"image_id":%d,"category_id":%s,' % (int(i) + image_shift, categories.get(c, c))
        for i, c in zip(pieces[1::3], pieces[2::3])
    ]
    return _interleave(pieces[0::3], records)


_CHANGES: dict[str, Callable[[bytes, Fix], bytes]] = {
    "images": _fixed_images,
    "annotations": _fixed_annotations,
    "results": _fixed_results,
}


def fix_manifest(source: str, target: str, renamed: dict[int, str]) -> str:
    """``source`` with the lines ``renamed`` names given their new stem."""
    with open(source, "rb") as lines, open(target, "wb", buffering=1 << 20) as out:
        for number, line in enumerate(lines):
            new = renamed.get(number)
            if new is not None:
                record = orjson.loads(line)
                record["file_name"] = new + record["file_name"][len(record["stem"]) :]
                record["stem"] = new
                line = orjson.dumps(record) + b"\n"
            out.write(line)
    return target
