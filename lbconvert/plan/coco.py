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
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterator, Optional

import orjson

from ..classes import ClassMap
from ..report import Report
from ..write.manifest import MANIFEST, REPORT

__all__ = ["merge_coco_parts"]

_IMAGE = re.compile(rb'\{"id":(\d+),')
_ANNOTATION = re.compile(rb'\{"id":(\d+),"image_id":(\d+),')
_RESULT = re.compile(rb'\{"image_id":(\d+),')
_IMAGES_END = b'], "annotations": ['
_ANNOTATIONS_END = b'], "categories": '


_CHUNK = 1 << 20  # bytes of lines at a time: bounds the merge's memory


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


_WITH_CATEGORY = re.compile(rb'\{"id":(\d+),"image_id":(\d+),"category_id":(\d+),')
_RESULT_WITH_CATEGORY = re.compile(rb'\{"image_id":(\d+),"category_id":(\d+),')


@dataclass
class _Source:
    """One part's file for one split, and what the merge changes in it."""

    path: Path
    categories: Optional[list[int]] = None  # local class id -> the export's; None: the same
    file_names: dict[int, tuple[str, str]] = field(default_factory=dict)  # image id -> old, new stem


def _recategorised(chunk: bytes, shift: int, image_shift: int, categories: list[int]
                   ) -> tuple[bytes, int]:
    pieces = _WITH_CATEGORY.split(chunk)
    records = [b'{"id":%d,"image_id":%d,"category_id":%d,'
               % (int(a) + shift, int(b) + image_shift, categories[int(c) - 1] + 1)
               for a, b, c in zip(pieces[1::4], pieces[2::4], pieces[3::4])]
    out: list[bytes] = [b""] * (2 * len(records) + 1)
    out[0::2] = pieces[0::4]
    out[1::2] = records
    return b"".join(out), len(records)


def _renamed_images(chunk: bytes, first_id: int, file_names: dict[int, tuple[str, str]]) -> bytes:
    """The image lines of ``chunk`` (ids from ``first_id``) with the renamed stems' file names."""
    lines = chunk.split(b",\n")
    for offset, line in enumerate(lines):
        change = file_names.get(first_id + offset)
        if change is not None:
            old, new = change
            record = orjson.loads(line)
            record["file_name"] = new + record["file_name"][len(old):]
            lines[offset] = orjson.dumps(record)
    return b",\n".join(lines)


def _merge_annotations(sources: "list[_Source]", target: IO[bytes],
                       categories: Optional[bytes] = None) -> list[int]:
    """Stitch one annotations file; returns the image id shift of each part.
    ``categories``: the export's categories, else the first part's stay."""
    parts = [_Lines(source.path) for source in sources]
    try:
        target.write(parts[0].head.rstrip(b"\n"))
        image_shifts = []
        images = 0
        for part, source in zip(parts, sources):
            shift = images
            image_shifts.append(shift)
            first = True
            local = 1
            for chunk in part.section(_IMAGES_END):
                count = chunk.count(b"\n") + 1
                if source.file_names:
                    chunk = _renamed_images(chunk, local, source.file_names)
                local += count
                if shift:
                    chunk = _shifted(_IMAGE_LINE, b'{"id":%d,', chunk, (shift,))[0]
                target.write((b",\n" if images else b"\n") + chunk if first
                             else b"\n" + chunk)
                first = False
                images += count
        target.write(b"\n" + _IMAGES_END)
        annotations = 0
        written = False
        for part, source, image_shift in zip(parts, sources, image_shifts):
            shift = annotations
            first = True
            last = b""
            for chunk in part.section(_ANNOTATIONS_END):
                if source.categories is not None:
                    chunk, count = _recategorised(chunk, shift, image_shift, source.categories)
                    annotations += count
                elif shift or image_shift:
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
                annotations = shift + _last_annotation_id(last)
        rest = parts[0].rest()
        if categories is not None:
            rest = _ANNOTATIONS_END + categories + b"}\n"
        target.write(b"\n" + rest)
        return image_shifts
    finally:
        for part in parts:
            part.close()


def _last_annotation_id(chunk: bytes) -> int:
    start = chunk.rfind(b"\n") + 1
    found: list[tuple[bytes, bytes]] = _ANNOTATION.findall(chunk, start)
    return int(found[-1][0])


def _merge_results(sources: "list[_Source]", target: IO[bytes], image_shifts: list[int]) -> None:
    """``[`` + one line of results per image + ``]``, ``image_id`` shifted."""
    parts = [_Lines(source.path) for source in sources]
    try:
        target.write(b"[")
        written = False
        for part, source, shift in zip(parts, sources, image_shifts):
            first = True
            for chunk in part.section(b"]"):
                if source.categories is not None:
                    pieces = _RESULT_WITH_CATEGORY.split(chunk)
                    records = [b'{"image_id":%d,"category_id":%d,'
                               % (int(a) + shift, source.categories[int(c) - 1] + 1)
                               for a, c in zip(pieces[1::3], pieces[2::3])]
                    out: list[bytes] = [b""] * (2 * len(records) + 1)
                    out[0::2] = pieces[0::3]
                    out[1::2] = records
                    chunk = b"".join(out)
                elif shift:
                    chunk = _shifted(_RESULT, b'{"image_id":%d,', chunk, (shift,))[0]
                target.write((b",\n" if written else b"\n") + chunk if first
                             else b"\n" + chunk)
                first = False
                written = True
        target.write(b"\n" + parts[0].rest())
    finally:
        for part in parts:
            part.close()


# --- the parts of a one-pass run (lbconvert.plan.run.write_coco_part) ---------------

def merge_coco_parts(directories: list[Path], out: Path, classes: ClassMap, results: list[Any],
                     changed: list[dict[int, tuple[str, str]]], report: Report) -> Report:
    """Merge COCO parts written in one pass into ``out``: class ids of the
    export (categories rebuilt, ``category_id`` mapped), stems renamed by the
    export's unique-stem rule (``file_name`` and the manifest), ids shifted;
    the summed ``report`` written.  The part directories are removed."""
    from .run import IMAGE_RECORD

    splits = list(dict.fromkeys(s for r in results for s in r.survey.splits))
    category_maps = [_category_map(r.survey.classes, classes) for r in results]
    file_names: list[dict[str, dict[int, tuple[str, str]]]] = []
    manifest_lines: list[dict[int, str]] = []
    for result, moved in zip(results, changed):
        by_split: dict[str, dict[int, tuple[str, str]]] = {}
        lines: dict[int, str] = {}
        with open(result.images, "rb") as records:
            for number, (asked, new) in sorted(moved.items()):
                records.seek(number * IMAGE_RECORD.size)
                split, image, line = IMAGE_RECORD.unpack(records.read(IMAGE_RECORD.size))
                if split >= 0:
                    by_split.setdefault(result.survey.splits[split], {})[image] = (asked, new)
                    lines[line] = new
        os.remove(result.images)
        file_names.append(by_split)
        manifest_lines.append(lines)
    categories = _categories(directories, classes)
    single = len(splits) <= 1
    for split in splits or ["train"]:
        suffix = "" if single else f"_{split}"
        sources = []
        for directory, result, cmap, names in zip(directories, results, category_maps,
                                                  file_names):
            own = result.survey.splits
            if split not in own and (own or directory != directories[0]):
                continue  # an empty default train file is used only when nothing is
            part_suffix = "" if len(own) <= 1 else f"_{split}"
            sources.append(_Source(directory / f"annotations{part_suffix}.json", cmap,
                                   names.get(split, {})))
        with open(out / f"annotations{suffix}.json", "wb") as target:
            shifts = _merge_annotations(sources, target, categories)
        results_sources = [_Source(s.path.with_name("results" + s.path.name[11:]), s.categories)
                           for s in sources]
        if results_sources[0].path.exists():
            with open(out / f"results{suffix}.json", "wb") as target:
                _merge_results(results_sources, target, shifts)
    with open(out / MANIFEST, "wb") as target:
        for directory, lines in zip(directories, manifest_lines):
            _append_manifest(directory / MANIFEST, target, lines)
    for directory in directories:
        shutil.rmtree(directory)
    with open(out / REPORT, "wb") as handle:
        handle.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    return report


def _category_map(local: ClassMap, whole: ClassMap) -> Optional[list[int]]:
    """Local class id -> the export's, None when they are the same (the
    first part's always are: the export's map starts with it)."""
    ids = whole._ids  # noqa: SLF001 - the idents, in id order, of the same class
    found = [ids[ident] for ident in local._ids]  # noqa: SLF001
    return None if found == list(range(len(found))) else found


def _categories(directories: list[Path], classes: ClassMap) -> bytes:
    """The export's ``categories``, laid out as the parts' (same keys)."""
    template = None
    for directory in directories:
        for name in sorted(os.listdir(directory)):
            if name.startswith("annotations") and name.endswith(".json"):
                found = _Lines(directory / name)
                try:
                    for _ in found.section(_IMAGES_END):
                        pass
                    for _ in found.section(_ANNOTATIONS_END):
                        pass
                    listed: list[dict[str, Any]] = orjson.loads(
                        found.rest()[len(_ANNOTATIONS_END):].rstrip()[:-1])
                finally:
                    found.close()
                if listed:
                    template = listed[0]
                    break
        if template is not None:
            break
    if template is None:
        return b"[]"
    return orjson.dumps([{**template, "id": i + 1, "name": name}
                         for i, name in enumerate(classes.names)])


def _append_manifest(source: Path, target: IO[bytes], renamed: dict[int, str]) -> None:
    with open(source, "rb") as lines:
        if not renamed:
            shutil.copyfileobj(lines, target, 1 << 20)
            return
        for number, line in enumerate(lines):
            new = renamed.get(number)
            if new is not None:
                record = orjson.loads(line)
                record["file_name"] = new + record["file_name"][len(record["stem"]):]
                record["stem"] = new
                line = orjson.dumps(record) + b"\n"
            target.write(line)
