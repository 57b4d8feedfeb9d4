"""Legacy label records before the select stage: one data row, however many records.

A legacy ``export_labels`` file holds one record per *label*, so a data row
labelled twice (consensus, a relabel, an empty second pass) appears as two
records, possibly far apart in the array.  :func:`legacy_records` turns the
records into the data rows the :class:`~lbconvert.select.Selector` expects,
so that the selection rules of export v2 apply to legacy files too:

* ``labels="selected"`` (the default): the first record of a data row whose
  label is not skipped is the row's label; it goes on at once.  Later records
  of that row are counted and dropped as ``label not selected``; skipped
  records as ``label skipped``; a row whose every record is skipped counts
  once as an item skipped for ``all labels skipped``.  One pass; memory is a
  table of 64-bit hashes of the data row ids seen (32–64 bytes per data
  row, against about 120 for a Python ``dict`` of the ids).
* ``labels="all"``: the labels of a row are merged into one item, so all its
  records must be together.  A first pass counts the records of each data
  row (the same compact table); the second pass sends a row on as soon as its
  last record is read.  The earlier records of rows still incomplete wait in
  an anonymous temporary file (msgpack), only their offsets in memory, so
  memory stays flat however far apart a row's records are.  The item of a row labelled several times therefore comes at
  the position of its last record.  Reading twice needs a path (a stream
  cannot be rewound): a file object raises :class:`LbConvertError`.

Each row sent on has its polygon holes counted (a warning: writers draw the
outer ring) and, with ``legacy_y_up``, its y flipped (``height - y``) for
exports of the 2018 editors whose origin was the image's bottom-left corner
(see the README).  Export v2 files pass through untouched.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from array import array
from contextlib import closing
from typing import IO, Callable, Iterable, Iterator, Optional, Union

import msgspec

from ..errors import LbConvertError
from ..model import (
    Box,
    BoxAnnotation,
    DataRow,
    Label,
    ObjectAnnotation,
    Point,
    PointAnnotation,
    PolygonAnnotation,
    PolylineAnnotation,
    Project,
)
from ..read import ExportReader, Source
from .items import Selector

__all__ = ["legacy_records", "group_key", "IdTable", "HOLES_WARNING", "NO_HEIGHT_WARNING"]

HOLES_WARNING = "polygon hole not written (outer ring kept)"
NO_HEIGHT_WARNING = "legacy y-up: image height unknown, y not flipped"

_UNSEEN, _SKIPPED, _CHOSEN = 0, 1, 2


class IdTable:
    """A map from data row id to a small count, stored as 64-bit hashes in an
    open-addressing table (16 bytes a slot, at most half full).  Two ids with
    one hash (odds about 1e-10 per 100,000 rows) would share their count."""

    def __init__(self) -> None:
        self._keys = array("q", bytes(8 * 1024))
        self._values = array("q", bytes(8 * 1024))
        self._mask = len(self._keys) - 1
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def _slot(self, key: int) -> int:
        keys, mask = self._keys, self._mask
        slot = key & mask
        while (found := keys[slot]) and found != key:
            slot = (slot + 1) & mask
        return slot

    def get(self, data_row_id: str) -> int:
        key = hash(data_row_id) or 1  # 0 marks an empty slot
        slot = self._slot(key)
        return self._values[slot] if self._keys[slot] else 0

    def set(self, data_row_id: str, value: int) -> None:
        key = hash(data_row_id) or 1
        slot = self._slot(key)
        if not self._keys[slot]:
            self._keys[slot] = key
            self._count += 1
            if 2 * self._count > self._mask:
                self._values[slot] = value
                self._grow()
                return
        self._values[slot] = value

    def _grow(self) -> None:
        old_keys, old_values = self._keys, self._values
        size = 2 * len(old_keys)
        self._keys = array("q", bytes(8 * size))
        self._values = array("q", bytes(8 * size))
        self._mask = size - 1
        for key, value in zip(old_keys, old_values):
            if key:
                slot = self._slot(key)
                self._keys[slot] = key
                self._values[slot] = value


def legacy_records(reader: ExportReader, source: Source, selector: Selector) -> Iterator[DataRow]:
    """The data rows of ``reader`` for ``selector``: export v2 rows as read,
    legacy label records grouped by data row (see the module docstring)."""
    rows = iter(reader)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain((first,), rows)
    if not (reader.format or "").startswith("legacy"):
        yield from rows
        return
    grouping = _Grouping(selector)
    if selector.options.labels == "all":
        yield from grouping.merged(rows, _count_records(source, selector.options.max_record_bytes))
    else:
        yield from grouping.first_chosen(rows)


def group_key(row: DataRow) -> str:
    """What makes records one data row: the ``DataRow ID``; for 2018 records,
    which have none (the reader then uses the label's ``ID``), the image URL
    (``Labeled Data``)."""
    row_data = row.data_row.row_data
    if row_data and any(label.id == row.id for label in row.iter_labels()):
        return row_data
    return row.id


def _count_records(source: Source, max_record_bytes: int) -> IdTable:
    """First pass: how many records each data row has."""
    if not isinstance(source, (str, os.PathLike)):
        raise LbConvertError(
            "--labels all on a legacy export reads the file twice, so it needs "
            "a file path, not a stream"
        )
    counts = IdTable()
    with closing(ExportReader(source, max_record_bytes)) as reader:
        for row in reader:
            key = group_key(row)
            counts.set(key, counts.get(key) + 1)
    return counts


class _Grouping:
    def __init__(self, selector: Selector) -> None:
        self.selector = selector
        self.options = selector.options
        self.report = selector.report

    def first_chosen(self, rows: Iterable[DataRow]) -> Iterator[DataRow]:
        report, project = self.report, self.options.project
        states = IdTable()
        for row in rows:
            if project is not None and project not in row.projects:
                yield self._prepared(row)  # the selector counts it as not in the project
                continue
            labels = [label for p in row.projects.values() for label in p.labels]
            objects = sum(label.object_count() for label in labels)
            key = group_key(row)
            state = states.get(key)
            if state == _CHOSEN:
                report.objects_read += objects
                report.drop(
                    "label skipped"
                    if all(label.skipped for label in labels)
                    else "label not selected",
                    objects,
                )
                continue
            if labels and all(label.skipped for label in labels):
                report.objects_read += objects
                report.drop("label skipped", objects)
                if state == _UNSEEN:  # undone if a later record of the row is chosen
                    states.set(key, _SKIPPED)
                    report.data_rows += 1
                    report.skip_item("all labels skipped")
                continue
            if state == _SKIPPED:
                report.data_rows -= 1
                report.items_skipped["all labels skipped"] -= 1
                if not report.items_skipped["all labels skipped"]:
                    del report.items_skipped["all labels skipped"]
            states.set(key, _CHOSEN)
            yield self._prepared(row)

    def merged(self, rows: Iterable[DataRow], counts: IdTable) -> Iterator[DataRow]:
        with _Spill() as held:
            for row in rows:
                key = group_key(row)
                total = counts.get(key)
                if total <= 1 and key not in held:
                    yield self._prepared(row)
                elif held.count(key) + 1 >= total:
                    yield self._prepared(_merge([*held.pop(key), row]))
                else:
                    held.put(key, row)
            for key in list(held.ids()):  # only if the file changed between the passes
                yield self._prepared(_merge(held.pop(key)))

    def _prepared(self, row: DataRow) -> DataRow:
        holes = sum(
            len(obj.holes)
            for label in row.iter_labels()
            for obj in label.annotations.objects
            if isinstance(obj, PolygonAnnotation)
        )
        if holes:
            self.report.warnings[HOLES_WARNING] += holes
        if not self.options.legacy_y_up:
            return row
        height = self.selector.image_size(row)[1]
        if height is None:
            if any(label.annotations.objects for label in row.iter_labels()):
                self.report.warnings[NO_HEIGHT_WARNING] += 1
            return row
        return _flip_row(row, height)


class _Spill:
    """The records of data rows still waiting for their other records, kept in
    an anonymous temporary file: memory holds only their offsets, so it stays
    small however far apart a row's records are.  A record msgpack cannot
    encode (an integer beyond 64 bits in an unknown object) stays in memory."""

    def __init__(self) -> None:
        self._file: Optional[IO[bytes]] = None
        self._where: dict[str, list[Union[tuple[int, int], DataRow]]] = {}
        self._encode = msgspec.msgpack.Encoder().encode
        self._decode = msgspec.msgpack.Decoder(DataRow).decode

    def __enter__(self) -> "_Spill":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    def __contains__(self, key: str) -> bool:
        return key in self._where

    def count(self, key: str) -> int:
        return len(self._where.get(key, ()))

    def ids(self) -> Iterator[str]:
        return iter(self._where)

    def put(self, key: str, row: DataRow) -> None:
        try:
            data = self._encode(row)
        except (TypeError, OverflowError, ValueError):
            self._where.setdefault(key, []).append(row)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="lbconvert-legacy-")
        offset = self._file.seek(0, os.SEEK_END)
        self._file.write(data)
        self._where.setdefault(key, []).append((offset, len(data)))

    def pop(self, key: str) -> list[DataRow]:
        rows, spilled = [], self._file
        for where in self._where.pop(key, ()):
            if isinstance(where, DataRow):
                rows.append(where)
            elif spilled is not None:  # always, for an offset
                spilled.seek(where[0])
                rows.append(self._decode(spilled.read(where[1])))
        return rows


def _merge(records: list[DataRow]) -> DataRow:
    """One data row with the labels of all its records, in record order."""
    projects: dict[str, Project] = {}
    for record in records:
        for name, project in record.projects.items():
            known = projects.get(name)
            projects[name] = (
                project
                if known is None
                else msgspec.structs.replace(known, labels=known.labels + project.labels)
            )
    media = next((r.media_attributes for r in records if r.media_attributes is not None), None)
    first = records[0]
    return DataRow(
        data_row=first.data_row, media_attributes=media, projects=projects, position=first.position
    )


def _flip_row(row: DataRow, height: float) -> DataRow:
    projects = {
        name: msgspec.structs.replace(
            project, labels=tuple(_flip_label(label, height) for label in project.labels)
        )
        for name, project in row.projects.items()
    }
    return DataRow(
        data_row=row.data_row,
        media_attributes=row.media_attributes,
        projects=projects,
        experiments=row.experiments,
        position=row.position,
    )


def _flip_label(label: Label, height: float) -> Label:
    annotations = label.annotations
    objects = tuple(_flip(obj, height) for obj in annotations.objects)
    frames = {
        number: msgspec.structs.replace(
            frame, objects={key: _flip(obj, height) for key, obj in frame.objects.items()}
        )
        for number, frame in annotations.frames.items()
    }
    return msgspec.structs.replace(
        label, annotations=msgspec.structs.replace(annotations, objects=objects, frames=frames)
    )


def _flip(obj: ObjectAnnotation, height: float) -> ObjectAnnotation:
    """``obj`` with y measured down from the top instead of up from the bottom."""
    flip: Callable[[tuple[Point, ...]], tuple[Point, ...]] = lambda points: tuple(
        Point(x=p.x, y=height - p.y) for p in points
    )  # noqa: E731
    match obj:
        case BoxAnnotation(bounding_box=b):
            return msgspec.structs.replace(
                obj,
                bounding_box=Box(
                    left=b.left, top=height - b.top - b.height, width=b.width, height=b.height
                ),
            )
        case PolygonAnnotation(polygon=points, holes=holes):
            return msgspec.structs.replace(
                obj, polygon=flip(points), holes=tuple(flip(hole) for hole in holes)
            )
        case PolylineAnnotation(line=points):
            return msgspec.structs.replace(obj, line=flip(points))
        case PointAnnotation(point=p):
            return msgspec.structs.replace(obj, point=Point(x=p.x, y=height - p.y))
    return obj
