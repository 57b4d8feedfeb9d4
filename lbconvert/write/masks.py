"""Mask PNGs: one semantic (class index) PNG per image, optionally an instance PNG.

Output (``OUT/``):

* ``semantic/<stem>.png`` for every item with pixels (``semantic/<split>/<stem>.png``
  when the items are in several splits: the split name made file-safe with
  :func:`lbconvert.names.safe_stem`): an 8-bit palette PNG,
  pixel = class index (0 background, classes 1..N in class-id order), with
  the VOC colour map as its palette (:mod:`lbconvert.write.palette`) so it looks
  right in any viewer.  Objects are painted in export order and **later
  objects paint over earlier ones** (``overlap="paint"``, the default).  With
  ``overlap="ignore"`` a pixel claimed by objects of two different classes
  becomes 255 (``ignore``) whatever comes later; overlaps within one class
  keep the class.
* with ``instances``: ``instance/<stem>.png`` (``instance/<split>/<stem>.png``
  with several splits), a 16-bit greyscale PNG (Pillow
  mode ``I;16``), pixel = instance number 1..K in export order of the objects
  written (0 background); later instances paint over earlier ones, whatever
  ``overlap`` says.  More than 65,535 instances in one image is an error.
* ``classes.json``: ``[{"index": 0, "name": "background", "color": [0, 0, 0]},
  {"index": 1, "name": "car", "color": [128, 0, 0]}, …]`` in index order, plus
  ``{"index": 255, "name": "ignore", "color": [224, 224, 192]}`` with
  ``overlap="ignore"``.  Colours are the PNG palette's.

Pixels (the model's float pixel coordinates, origin top-left) follow the
centre rule of :mod:`lbconvert.write.fill`: a pixel belongs to a shape when its
centre lies inside it.  Boxes paint ``left <= x + 0.5 < left + width``
(likewise rows); polygons their exported ring with the even-odd rule (a
self-intersecting ring is not repaired, ``fix_geometry`` has no effect);
masks the pixels of their local file (``--masks DIR``, see
:class:`lbconvert.write.mask_files.MaskSource`); with ``line_width`` polylines paint a
band that wide (round caps and joins, :func:`lbconvert.write.polylines.fill_polyline`)
and points a disc of that diameter.  Geometry outside the image is cut off.

Accounting: an object counts once in ``annotations_written`` when it is
drawn, i.e. when its shape covers at least one pixel centre of the image
(even if later objects paint over all of it).  Dropped, with the reason:
``degenerate box`` / ``degenerate polygon`` / ``degenerate polyline``,
``box outside image`` / ``polygon outside image`` / ``polyline outside
image`` / ``point outside image``, ``shape covers no pixel centre``, ``mask
not available offline``, ``empty mask``, ``polyline without --line-width``,
``point without --line-width``, ``coordinates out of range`` (NaN, infinite
or beyond +-1e15: a corrupt export), ``<kind> not representable in masks`` and
``class not in classes file``.

Limits: the 8-bit semantic PNG holds at most 254 classes (255 is ignore); a
255th class in the class map is an error, whether or not this writer draws
objects of it (a fixed class list that long is refused at once).
An image larger than ``max_pixels`` is an error naming the data row, raised
before any raster is allocated.

Deterministic: same input and options, byte-identical PNGs and JSON.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, cast

import numpy as np
import orjson

from ..errors import LbConvertError
from ..model import (
    BoxAnnotation,
    Item,
    MaskAnnotation,
    ObjectAnnotation,
    PointAnnotation,
    PolygonAnnotation,
    PolylineAnnotation,
)
from .palette import save_palette_png, save_png16, voc_colormap
from .regions import ItemRaster, Region, absurd, mask_region, paint, paint_claim, raster_size
from ..names import safe_stem
from .base import Writer
from .shapes import (
    DEGENERATE_POLYLINE,
    NO_PIXEL_CENTRE,
    OUT_OF_RANGE,
    Shapes,
    outside,
)

__all__ = ["MaskPngWriter"]

#: Largest class index of the 8-bit semantic PNG; 255 is ignore.
MAX_CLASS_INDEX = 254
IGNORE = 255
MAX_INSTANCES = 65535


class MaskPngWriter(Writer):
    name = "masks"
    writes_manifest = True
    handlers = (
        (BoxAnnotation, "_box"),
        (PolygonAnnotation, "_polygon"),
        (PolylineAnnotation, "_polyline"),
        (PointAnnotation, "_point"),
        (MaskAnnotation, "_mask"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._check_class_count()
        self.shapes = Shapes(self.report, self.options)
        self._ignore = self.options.overlap == "ignore"
        self._line_width = self.options.line_width
        if self._line_width is not None and not self._line_width > 0:
            raise LbConvertError(f"line width must be positive, not {self._line_width}")
        self._raster = ItemRaster(0, 0)  # resized to each item: the scratch canvas is reused
        self._kinds = ("semantic", "instance") if self.options.instances else ("semantic",)
        self._split_dirs: dict[str, str] = {}  # split -> directory in semantic/ ("": none)

    def prepare(self) -> None:
        for kind in self._kinds:
            os.makedirs(os.path.join(self.out, kind))

    def _check_class_count(self) -> None:
        """Refuse a class map larger than the 8-bit PNG holds: every class has
        its index (class id + 1) in classes.json, drawn here or not."""
        if len(self.classes) > MAX_CLASS_INDEX:
            raise LbConvertError(
                f"masks: {len(self.classes)} classes do not fit an 8-bit PNG "
                f"(at most {MAX_CLASS_INDEX}; 255 is ignore)"
            )

    def write(self, item: Item) -> None:
        if len(self.classes) > MAX_CLASS_INDEX:  # the select stage registered one too many
            self._check_class_count()
        width, height = raster_size(item, self.options.max_pixels)
        raster = self._raster
        raster.resize(width, height)
        semantic = np.zeros((height, width), dtype=np.uint8)
        instances = np.zeros((height, width), dtype=np.uint16) if self.options.instances else None
        drawn = 0
        report = self.report
        for obj in item.objects:
            report.current_class = obj.name or obj.value or ""  # class_of, inlined
            drawn_region = self._region(obj, item, raster)
            if drawn_region is None:
                continue
            region, index = drawn_region
            if self._ignore:
                paint_claim(semantic, region, index, IGNORE)
            else:
                paint(semantic, region, index)
            drawn += 1
            if instances is not None:
                if drawn > MAX_INSTANCES:
                    raise LbConvertError(
                        f"data row {item.data_row_id} (item {item.stem}): more "
                        f"than {MAX_INSTANCES} instances do not fit a 16-bit PNG"
                    )
                paint(instances, region, drawn)
        self.report.annotations_written += drawn
        stem = self.file_stem(item)
        directory = self._split_dirs.get(item.split)
        if directory is None:
            directory = self._add_split(item.split)
        save_palette_png(os.path.join(self.out, "semantic", directory, f"{stem}.png"), semantic)
        if instances is not None:
            save_png16(os.path.join(self.out, "instance", directory, f"{stem}.png"), instances)

    def open_splits(self, splits: list[str]) -> None:
        for split in splits:
            if split not in self._split_dirs:
                self._add_split(split)

    def _add_split(self, split: str) -> str:
        """The directory of a new split's PNGs in ``semantic/`` (and
        ``instance/``): none while there is one split; when a second one
        comes, the first one's PNGs move to their own directory (one rename
        each of ``semantic/`` and ``instance/``: they hold only that split's)."""
        name = safe_stem(split) or "split"
        if len(self._split_dirs) == 1:
            ((first, _),) = self._split_dirs.items()
            first_name = self._split_dirs[first] = safe_stem(first) or "split"
            for kind in self._kinds:
                base = os.path.join(self.out, kind)
                moving = os.path.join(self.out, f".{kind}.moving")
                os.rename(base, moving)
                os.mkdir(base)
                os.rename(moving, os.path.join(base, first_name))
        if not self._split_dirs:
            name = ""
        else:
            for kind in self._kinds:
                os.makedirs(os.path.join(self.out, kind, name), exist_ok=True)
        self._split_dirs[split] = name
        return name

    def _region(
        self, obj: ObjectAnnotation, item: Item, raster: ItemRaster
    ) -> Optional[tuple[Region, int]]:
        """The object's pixels and class index, or None (dropped, with the reason)."""
        region = self._shape(obj, item, raster)
        if region is None:
            return None
        if not region.mask.any():
            self.report.drop(NO_PIXEL_CENTRE)
            return None
        class_id = self.class_id(obj)
        if class_id is None:
            return None
        if class_id + 1 > MAX_CLASS_INDEX:
            raise LbConvertError(
                f"masks: class {self.classes.names[class_id]!r} would be index "
                f"{class_id + 1}; an 8-bit PNG holds at most {MAX_CLASS_INDEX} "
                "classes (255 is ignore)"
            )
        return region, class_id + 1

    def _shape(self, obj: ObjectAnnotation, item: Item, raster: ItemRaster) -> Optional[Region]:
        region: Optional[Region] = self.handler_of[type(obj)](obj, item, raster)
        return region

    def handler_table(self) -> "Sequence[tuple[type, Optional[str]]]":
        if self._line_width is None:  # polylines and points need a width to cover pixels
            return [
                (cls, "_without_width" if cls in (PolylineAnnotation, PointAnnotation) else name)
                for cls, name in self.handlers
            ]
        return self.handlers

    def _box(self, obj: BoxAnnotation, item: Item, raster: ItemRaster) -> Optional[Region]:
        box = self.shapes.box(obj)
        if box is None:
            return None
        return self._placed(
            raster.box(box),
            raster,
            "box",
            [box.left, box.left + box.width],
            [box.top, box.top + box.height],
        )

    def _polygon(self, obj: PolygonAnnotation, item: Item, raster: ItemRaster) -> Optional[Region]:
        polygon = self.shapes.polygon(obj)
        if polygon is None:
            return None
        xs, ys, _ = polygon
        return self._placed(raster.polygon(list(zip(xs, ys))), raster, "polygon", xs, ys)

    def _polyline(
        self, obj: PolylineAnnotation, item: Item, raster: ItemRaster
    ) -> Optional[Region]:
        points, line_width = obj.line, cast(float, self._line_width)  # set: see handler_table
        if not points:
            return self._drop(DEGENERATE_POLYLINE)
        return self._placed(
            raster.polyline(points, line_width),
            raster,
            "polyline",
            [p.x for p in points],
            [p.y for p in points],
            line_width / 2,
        )

    def _point(self, obj: PointAnnotation, item: Item, raster: ItemRaster) -> Optional[Region]:
        point, line_width = obj.point, cast(float, self._line_width)  # set: see handler_table
        return self._placed(
            raster.polyline((point,), line_width),
            raster,
            "point",
            [point.x],
            [point.y],
            line_width / 2,
        )

    def _without_width(self, obj: ObjectAnnotation, item: Item, raster: ItemRaster) -> None:
        self._drop(f"{obj.kind} without --line-width")

    def _mask(self, obj: MaskAnnotation, item: Item, raster: ItemRaster) -> Optional[Region]:
        pixels = self.shapes.mask(obj, item)
        return None if pixels is None else mask_region(pixels)

    def _placed(
        self,
        region: Optional[Region],
        raster: ItemRaster,
        what: str,
        xs: Sequence[float],
        ys: Sequence[float],
        margin: float = 0.0,
    ) -> Optional[Region]:
        """The region, or None with the reason: outside the image, or between pixel centres."""
        if region is not None:
            return region
        if absurd(xs, margin + 1.0) or absurd(ys, margin + 1.0):
            return self._drop(OUT_OF_RANGE)
        beyond = (
            max(xs) + margin <= 0
            or max(ys) + margin <= 0
            or min(xs) - margin >= raster.width
            or min(ys) - margin >= raster.height
        )
        return self._drop(outside(what) if beyond else NO_PIXEL_CENTRE)

    def _drop(self, reason: str) -> Optional[Region]:
        """Count the drop; None, so that ``return region or self._drop(…)`` reads well."""
        self.report.drop(reason)
        return None

    def finish(self) -> None:
        self._check_class_count()  # a writer driven by hand registers classes in add()
        colors = voc_colormap(256)  # orjson writes the tuples as arrays
        entries = [{"index": 0, "name": "background", "color": colors[0]}]
        entries += [
            {"index": index, "name": name, "color": colors[index]}
            for index, name in enumerate(self.classes.names, 1)
        ]
        if self._ignore:
            entries.append({"index": IGNORE, "name": "ignore", "color": colors[IGNORE]})
        with open(os.path.join(self.out, "classes.json"), "wb") as out:
            out.write(b"[\n  " + b",\n  ".join(map(orjson.dumps, entries)) + b"\n]\n")
