"""Stitch the COCO files of the parts of a partitioned run.

Each part's ``annotations[_<split>].json`` has the layout the COCO writer
gives it (:mod:`lbconvert.write.coco`): a head line ending in
``"images": [``, one image per line, ``], "annotations": [``, the
annotations of one image per line, ``], "categories": …}``.  Its ids count
from 1 in the part; here they are shifted by the images and annotations of
the parts before, per split, which makes them the ids one process writes.
Records are found by their opening ``{"id":N,`` (images, at a line start)
and ``{"id":N,"image_id":M,`` (annotations): inside a JSON string a quote
is always escaped, so these bytes only open a record.
``results[_<split>].json`` (one line per image) shifts ``image_id`` alike.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO, Iterator

__all__ = ["merge_coco_files"]

_IMAGE = re.compile(rb'\{"id":(\d+),')
_ANNOTATION = re.compile(rb'\{"id":(\d+),"image_id":(\d+),')
_RESULT = re.compile(rb'\{"image_id":(\d+),')
_IMAGES_END = b'], "annotations": ['
_ANNOTATIONS_END = b'], "categories": '


def merge_coco_files(parts: list[Path], out: Path) -> None:
    """Write every COCO file of the first part, merged over ``parts``, into
    ``out``; the part files are removed."""
    names = sorted(n for n in os.listdir(parts[0])
                   if n.endswith(".json") and n.startswith(("annotations", "results")))
    shifts: dict[str, list[int]] = {}  # by split suffix: images of the parts before
    for name in sorted(names, key=lambda n: not n.startswith("annotations")):
        sources = [part / name for part in parts]
        with open(out / name, "wb") as target:
            if name.startswith("annotations"):
                shifts[name[len("annotations"):]] = _merge_annotations(sources, target)
            else:
                _merge_results(sources, target, shifts[name[len("results"):]])
        for source in sources:
            source.unlink()


_CHUNK = 1 << 22


class _Lines:
    """The lines of a part file, read a chunk of whole lines at a time."""

    def __init__(self, path: Path) -> None:
        self.handle = open(path, "rb")
        self.head = self.handle.readline()
        self.end = b""
        self._read: list[bytes] = []  # lines read past the last section's end

    def section(self, end: bytes) -> Iterator[bytes]:
        """Chunks of the record lines up to the line starting with ``end``
        (kept in :attr:`end`), each without its final line break."""
        pending = b""
        while True:
            lines, self._read = self._read or self.handle.readlines(_CHUNK), []
            if not lines:
                raise ValueError(f"a COCO part file ended before {end!r}")
            for number, line in enumerate(lines):
                if line.startswith(end):
                    self.end, self._read = line, lines[number + 1:]
                    chunk = pending + b"".join(lines[:number])
                    if chunk:
                        yield chunk[:-1]
                    return
            if pending:
                yield pending[:-1]
            pending = b"".join(lines)

    def rest(self) -> bytes:
        return self.end + b"".join(self._read) + self.handle.read()

    def close(self) -> None:
        self.handle.close()


def _shifted(pattern: "re.Pattern[bytes]", template: bytes, chunk: bytes,
             shifts: tuple[int, ...]) -> tuple[bytes, int]:
    """``chunk`` with the numbers ``pattern`` captures (one or two) raised by
    ``shifts`` (``template`` puts them back); also how many records it held."""
    pieces = pattern.split(chunk)
    if len(shifts) == 1:
        (shift,) = shifts
        records = [template % (int(a) + shift) for a in pieces[1::2]]
        texts = pieces[0::2]
    else:
        first, second = shifts
        records = [template % (int(a) + first, int(b) + second)
                   for a, b in zip(pieces[1::3], pieces[2::3])]
        texts = pieces[0::3]
    out: list[bytes] = [b""] * (2 * len(records) + 1)
    out[0::2] = texts
    out[1::2] = records
    return b"".join(out), len(records)


_IMAGE_LINE = re.compile(rb'(?m)^\{"id":(\d+),')


def _merge_annotations(sources: list[Path], target: IO[bytes]) -> list[int]:
    """Stitch one annotations file; returns the image id shift of each part."""
    parts = [_Lines(source) for source in sources]
    try:
        target.write(parts[0].head.rstrip(b"\n"))
        image_shifts = []
        images = 0
        for part in parts:
            shift = images
            image_shifts.append(shift)
            first = True
            for chunk in part.section(_IMAGES_END):
                count = chunk.count(b"\n") + 1
                if shift:
                    chunk = _shifted(_IMAGE_LINE, b'{"id":%d,', chunk, (shift,))[0]
                target.write((b",\n" if images else b"\n") + chunk if first
                             else b"\n" + chunk)
                first = False
                images += count
        target.write(b"\n" + _IMAGES_END)
        annotations = 0
        written = False
        for part, image_shift in zip(parts, image_shifts):
            shift = annotations
            first = True
            last = b""
            for chunk in part.section(_ANNOTATIONS_END):
                if shift or image_shift:
                    chunk, count = _shifted(_ANNOTATION, b'{"id":%d,"image_id":%d,', chunk,
                                            (shift, image_shift))
                    annotations += count
                else:
                    last = chunk
                target.write((b",\n" if written else b"\n") + chunk if first
                             else b"\n" + chunk)
                first = False
                written = True
            if last:  # not renumbered: the part's last id is its count
                annotations = shift + int(_last_annotation_id(last))
        target.write(b"\n" + parts[0].rest())
        return image_shifts
    finally:
        for part in parts:
            part.close()


def _last_annotation_id(chunk: bytes) -> bytes:
    start = chunk.rfind(b"\n") + 1
    return _ANNOTATION.findall(chunk, start)[-1][0]


def _merge_results(sources: list[Path], target: IO[bytes], image_shifts: list[int]) -> None:
    """``[`` + one line of results per image + ``]``, ``image_id`` shifted."""
    parts = [_Lines(source) for source in sources]
    try:
        target.write(b"[")
        written = False
        for part, shift in zip(parts, image_shifts):
            first = True
            for chunk in part.section(b"]"):
                if shift:
                    chunk = _shifted(_RESULT, b'{"image_id":%d,', chunk, (shift,))[0]
                target.write((b",\n" if written else b"\n") + chunk if first
                             else b"\n" + chunk)
                first = False
                written = True
        target.write(b"\n" + parts[0].rest())
    finally:
        for part in parts:
            part.close()
