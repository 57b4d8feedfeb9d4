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


class _Lines:
    """The lines of a part file, read up to a closing line."""

    def __init__(self, path: Path) -> None:
        self.handle = open(path, "rb")
        self.head = self.handle.readline()
        self.end = b""

    def until(self, end: bytes) -> Iterator[bytes]:
        """The record lines (without their ``,`` and line break) up to the
        line starting with ``end``, which is kept in :attr:`end`."""
        for line in self.handle:
            if line.startswith(end):
                self.end = line
                return
            yield line[:-2] if line.endswith(b",\n") else line.rstrip(b"\n")
        raise ValueError(f"a COCO part file ended before {end!r}")


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
            for record in part.until(_IMAGES_END):
                if shift:
                    record = _IMAGE.sub(lambda m: b'{"id":%d,' % (int(m[1]) + shift), record, 1)
                target.write((b",\n" if images else b"\n") + record)
                images += 1
        target.write(b"\n" + _IMAGES_END)
        annotations = 0
        lines = 0
        for part, image_shift in zip(parts, image_shifts):
            shift = annotations

            def renumber(match: "re.Match[bytes]") -> bytes:
                return b'{"id":%d,"image_id":%d,' % (int(match[1]) + shift,
                                                      int(match[2]) + image_shift)
            last = b""
            for record in part.until(_ANNOTATIONS_END):
                if shift or image_shift:
                    record, count = _ANNOTATION.subn(renumber, record)
                    annotations += count
                else:
                    last = record
                target.write((b",\n" if lines else b"\n") + record)
                lines += 1
            if last:  # not renumbered: the part's last id is its count
                annotations = shift + int(_ANNOTATION.findall(last)[-1][0])
        target.write(b"\n" + parts[0].end + parts[0].handle.read())
        return image_shifts
    finally:
        for part in parts:
            part.handle.close()


def _merge_results(sources: list[Path], target: IO[bytes], image_shifts: list[int]) -> None:
    """``[`` + one line of results per image + ``]``, ``image_id`` shifted."""
    parts = [_Lines(source) for source in sources]
    try:
        target.write(b"[")
        lines = 0
        for part, shift in zip(parts, image_shifts):
            for record in part.until(b"]"):
                if shift:
                    record = _RESULT.sub(
                        lambda m: b'{"image_id":%d,' % (int(m[1]) + shift), record)
                target.write((b",\n" if lines else b"\n") + record)
                lines += 1
        target.write(b"\n" + parts[0].end)
    finally:
        for part in parts:
            part.handle.close()
