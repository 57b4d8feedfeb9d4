"""Pascal VOC: one XML file per image, image-set lists, optional segmentation PNGs.

Output (``OUT/``):

* ``Annotations/<stem>.xml`` for every item with pixels (images, video frames,
  pages): ``folder`` (``JPEGImages``), ``filename`` (the item's file name),
  ``size`` (width, height, depth 3), ``segmented`` (1 with ``segmentation``),
  then one ``<object>`` per written object in export order: ``name``,
  ``pose`` ``Unspecified``, ``truncated``, ``difficult`` 0 and ``bndbox``.
  Items without objects get an XML without objects (negatives).  Images are
  not copied: put them in ``OUT/JPEGImages`` if a tool wants them.
* ``ImageSets/Main/<split>.txt``: the stems of the split, one per line, in
  export order.
* ``ImageSets/Main/<class>_<split>.txt``: every stem of the split followed by
  `` 1`` when the image has an object of the class, else `` -1``, for every
  class of the class map.  ``<class>`` is the class name made file-safe
  (:func:`lbconvert.select.safe_stem`; ``class<N>`` when nothing is left, and
  a ``_<N>`` suffix when two names collide, case-insensitively).
* ``labelmap.txt``: the CVAT / Datumaro label map,
  ``# label:color_rgb:parts:actions``, ``background:0,0,0::``, then
  ``name:r,g,b::`` per class in class-id order (colours of the VOC colour map,
  :mod:`lbconvert.palette`), so Datumaro and CVAT import custom classes.
  With ``void_border`` a last line ``ignored:224,224,192::`` declares the
  void colour, as Datumaro's default VOC label map does (without it Datumaro
  refuses the PNGs: "Undeclared color").  The format cannot hold ``:`` or a
  line break in a name: those become ``_`` there (the XML keeps the real
  name) and are counted as a warning, as is a class named ``background`` (or
  ``ignored`` with ``void_border``): Datumaro refuses a label map that
  defines a name twice.
* with ``segmentation``: ``SegmentationClass/<stem>.png`` (8-bit palette PNG,
  VOC palette, pixel = class index, 1..N, 0 background),
  ``SegmentationObject/<stem>.png`` (pixel k = the k-th ``<object>`` of the
  XML, same palette) and ``ImageSets/Segmentation/<split>.txt``.  With
  ``void_border`` a 1-pixel-wide inner border of every object (pixels with a
  4-neighbour outside it; the image's edge is not a border) is 255 in both.

Coordinate mapping (the model's float pixels, origin top-left):

* ``bndbox`` holds **1-based integer pixel indices, both ends inclusive**:
  ``xmin = floor(left) + 1``, ``ymin = floor(top) + 1``,
  ``xmax = ceil(left + width)``, ``ymax = ceil(top + height)``, clipped to
  ``1..W`` and ``1..H``: the smallest run of whole pixels that contains the
  box.  ``truncated`` is 1 when the box reaches outside the image (it was
  clipped), else 0.  Video, DICOM and document boxes are boxes too.  A box entirely outside the image is dropped
  (``box outside image``); a box with a non-positive side is dropped
  (``degenerate box``).
* polygons give the box of their vertices (with ``clip``: of the polygon
  clipped to the image), mapped the same way, ``truncated`` when a vertex lies
  outside the image; degenerate rings are dropped
  (``degenerate polygon``), rings entirely outside (``polygon outside image``).
* masks (pixels from ``--masks DIR``, :class:`lbconvert.masks.MaskSource`) give
  the box of their pixels: columns ``c0..c1`` (0-based) become
  ``xmin = c0 + 1``, ``xmax = c1 + 1``; ``truncated`` is 0.  Without a file
  they are dropped (``mask not available offline``); an empty mask is dropped
  (``empty mask``).
* points, polylines and every other kind are dropped
  (``<kind> not representable in voc``); objects of a class missing from a
  fixed class list are dropped (``class not in classes file``).

Segmentation pixels use the centre rule of :mod:`lbconvert.raster`: boxes
paint their rectangle, polygons their ring (even-odd rule), masks their
pixels; objects are painted in export order, later over earlier.  Only 254
classes fit the 8-bit class PNG (255 is void): more is an error with
``segmentation``.  Objects after the 254th of one image keep their XML entry
but are not painted in ``SegmentationObject`` (counted as a warning).

Accounting: every ``<object>`` written counts once in
``annotations_written``; everything else is dropped with the reasons above.

XML: UTF-8 with an XML declaration, byte for byte what
:mod:`xml.etree.ElementTree` writes for the same tree after ``ET.indent``
(``&``, ``<``, ``>`` escaped in text; characters XML 1.0 cannot hold become
U+FFFD).  It is rendered from a fixed template with ElementTree's escaping
rule rather than through ``ET.tostring``, whose pure-Python serialiser cost
about 0.3 ms per file, more than half of the whole conversion (the tests check
the bytes against ElementTree's and parse every file with it).

Deterministic, and memory does not grow with the number of rows: the
image-set lists are streamed to disk, and the per-class lists are made at the
end from a per-split ``stem<TAB>class ids`` file, at most 128 class files open
at a time.
"""

from __future__ import annotations

import math
import os
import re
from typing import IO, Any, Callable, NamedTuple, Optional, Sequence

import numpy as np

from ..errors import LbConvertError
from ..geometry import bounds, clip_ring, is_degenerate_ring, ring_xy, shoelace
from ..model import (
    Box, BoxAnnotation, Item, MaskAnnotation, ObjectAnnotation, Point, PolygonAnnotation,
)
from ..palette import save_palette_png, voc_colormap
from ..regions import ItemRaster, Region, inner_border, mask_region, paint, raster_size
from ..select import safe_stem
from .base import SmallFiles, Writer

__all__ = ["VocWriter", "voc_bndbox", "file_safe_names"]

#: Largest class / object index an 8-bit PNG can hold next to void (255).
MAX_INDEX = 254
VOID = 255
#: How many class files are open at once while they are written.
_OPEN_FILES = 128
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class BndBox(NamedTuple):
    xmin: int
    ymin: int
    xmax: int
    ymax: int
    truncated: int  # 1 when the box was clipped at the image border


def voc_bndbox(left: float, top: float, right: float, bottom: float, width: int, height: int
               ) -> Optional[BndBox]:
    """The 1-based inclusive VOC box of ``[left, right] x [top, bottom]`` in a
    ``width`` x ``height`` image, or None when it lies entirely outside."""
    if right <= 0 or bottom <= 0 or left >= width or top >= height:
        return None
    truncated = 1 if left < 0 or top < 0 or right > width or bottom > height else 0
    return BndBox(max(math.floor(left) + 1, 1), max(math.floor(top) + 1, 1),
                  min(math.ceil(right), width), min(math.ceil(bottom), height), truncated)


def file_safe_names(names: list[str]) -> list[str]:
    """Class names usable in file names, unique even on case-insensitive file systems."""
    out: list[str] = []
    taken: set[str] = set()
    for index, name in enumerate(names):
        safe = safe_stem(name) or f"class{index}"
        if safe.lower() in taken:
            safe = f"{safe}_{index}"
        taken.add(safe.lower())
        out.append(safe)
    return out


def _escape(value: str) -> str:
    """XML character data exactly as ElementTree escapes it (``&``, ``<``, ``>``),
    with the characters XML 1.0 cannot hold replaced by U+FFFD."""
    value = _XML_INVALID.sub("\ufffd", value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    return value.replace("<", "&lt;").replace(">", "&gt;")


# With the <object> of _write_xml: the bytes ElementTree gives for the same tree
# after ET.indent(root) and ET.tostring(root, encoding="utf-8",
# xml_declaration=True) (the tests compare).
_HEAD = ("<?xml version='1.0' encoding='utf-8'?>\n<annotation>\n  <folder>JPEGImages</folder>\n"
         "  <filename>{filename}</filename>\n  <size>\n    <width>{width}</width>\n"
         "    <height>{height}</height>\n    <depth>3</depth>\n  </size>\n"
         "  <segmented>{segmented}</segmented>\n")


class _Object(NamedTuple):
    """One object on its way to the XML (and the segmentation PNGs)."""

    class_id: int
    box: BndBox
    region: Callable[[ItemRaster], Optional[Region]]


class _Split:
    """The streamed lists of one split."""

    def __init__(self, out: str, split: str, segmentation: bool) -> None:
        self.name = split
        main = os.path.join(out, "ImageSets", "Main")
        self.stems: IO[str] = open(os.path.join(main, f"{split}.txt"), "w", encoding="utf-8",
                                   newline="\n")
        self.classes_path = os.path.join(out, f".classes_{split}.part")
        self.classes: IO[str] = open(self.classes_path, "w", encoding="utf-8", newline="\n")
        self.segmentation: Optional[IO[str]] = None
        if segmentation:
            self.segmentation = open(os.path.join(out, "ImageSets", "Segmentation", f"{split}.txt"),
                                     "w", encoding="utf-8", newline="\n")

    def add(self, stem: str, class_ids: set[int]) -> None:
        self.stems.write(stem + "\n")
        self.classes.write(f"{stem}\t{','.join(map(str, sorted(class_ids)))}\n")
        if self.segmentation is not None:
            self.segmentation.write(stem + "\n")

    def close(self) -> None:
        for handle in (self.stems, self.classes, self.segmentation):
            if handle is not None:
                handle.close()


class VocWriter(Writer):
    name = "voc"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._segmentation = self.options.segmentation
        if self._segmentation and self.classes.fixed and len(self.classes) > MAX_INDEX:
            raise LbConvertError(f"voc --segmentation: {len(self.classes)} classes do not fit an "
                                 f"8-bit PNG (at most {MAX_INDEX}; 255 is void)")
        self._splits: dict[str, _Split] = {}
        self._raster = ItemRaster(0, 0)  # resized to each item: the scratch canvas is reused
        self._name_elements: list[str] = []
        self._masks = None
        if self.options.masks is not None:  # numpy and Pillow load only when needed
            from ..masks import MaskSource

            self._masks = MaskSource.from_options(self.options)
        os.makedirs(os.path.join(self.out, "ImageSets", "Main"))
        self._annotations = SmallFiles(self.out / "Annotations")
        if self._segmentation:
            for parts in (("SegmentationClass",), ("SegmentationObject",),
                          ("ImageSets", "Segmentation")):
                os.makedirs(os.path.join(self.out, *parts))

    # --- per item ---

    def add(self, item: Item) -> None:
        if not self.drawable(item):
            return
        if self._segmentation:
            raster_size(item, self.options.max_pixels)  # refuse before anything is built
        objects = [found for obj in item.objects
                   if (found := self._object(obj, item)) is not None]
        self._write_xml(item, objects)
        self.report.annotations_written += len(objects)
        if self._segmentation:
            self._write_segmentation(item, objects)
        self._split(item.split).add(item.stem, {o.class_id for o in objects})

    def _split(self, split: str) -> _Split:
        found = self._splits.get(split)
        if found is None:
            name = safe_stem(split) or "split"
            found = self._splits[split] = _Split(str(self.out), name, self._segmentation)
        return found

    def _object(self, obj: ObjectAnnotation, item: Item) -> Optional[_Object]:
        match obj:
            case BoxAnnotation(bounding_box=box):
                shape = self._box(box, item)
            case PolygonAnnotation(polygon=points):
                shape = self._polygon(points, item)
            case MaskAnnotation():
                shape = self._mask(obj, item)
            case _:
                self.report.drop(f"{obj.kind} not representable in voc")
                return None
        if shape is None:
            return None
        class_id = self.class_id(obj)
        if class_id is None:
            return None
        if self._segmentation and class_id + 1 > MAX_INDEX:
            raise LbConvertError(f"voc --segmentation: class {self.classes.names[class_id]!r} "
                                 f"would be index {class_id + 1}; an 8-bit PNG holds at most "
                                 f"{MAX_INDEX} classes (255 is void)")
        return _Object(class_id, *shape)

    def _box(self, box: Box, item: Item
             ) -> Optional[tuple[BndBox, Callable[[ItemRaster], Optional[Region]]]]:
        if box.width <= 0 or box.height <= 0:
            self.report.drop("degenerate box")
            return None
        found = voc_bndbox(box.left, box.top, box.left + box.width, box.top + box.height,
                           item.width or 0, item.height or 0)
        if found is None:
            self.report.drop("box outside image")
            return None
        return found, lambda raster: raster.box(box)

    def _polygon(self, points: Sequence[Point], item: Item
                 ) -> Optional[tuple[BndBox, Callable[[ItemRaster], Optional[Region]]]]:
        xs, ys = ring_xy(points)
        if shoelace(xs, ys) == 0.0 and is_degenerate_ring(list(zip(xs, ys))):
            self.report.drop("degenerate polygon")
            return None
        width, height = item.width or 0, item.height or 0
        found = voc_bndbox(min(xs), min(ys), max(xs), max(ys), width, height)
        if found is not None and found.truncated and self.options.clip:
            parts = clip_ring(list(zip(xs, ys)), width, height)
            inner = bounds([v for part in parts for v in part]) if parts else None
            found = None if inner is None else voc_bndbox(
                inner.left, inner.top, inner.left + inner.width, inner.top + inner.height,
                width, height)
            found = found and found._replace(truncated=1)
        if found is None:
            self.report.drop("polygon outside image")
            return None
        return found, lambda raster: raster.polygon(list(zip(xs, ys)))

    def _mask(self, obj: MaskAnnotation, item: Item
              ) -> Optional[tuple[BndBox, Callable[[ItemRaster], Optional[Region]]]]:
        pixels = self._masks.pixels(obj, item) if self._masks else None
        if pixels is None:
            self.report.drop("mask not available offline")
            return None
        region = mask_region(pixels)
        if region is None:
            self.report.drop("empty mask")
            return None
        c0, r0 = region.col, region.row
        r1, c1 = r0 + region.mask.shape[0], c0 + region.mask.shape[1]
        return BndBox(c0 + 1, r0 + 1, c1, r1, 0), lambda raster: region

    # --- output of one item ---

    def _write_xml(self, item: Item, objects: list[_Object]) -> None:
        parts = [_HEAD.format(filename=_escape(item.file_name), width=item.width,
                              height=item.height, segmented=int(self._segmentation))]
        for class_id, (xmin, ymin, xmax, ymax, truncated), _ in objects:
            parts.append(
                f"  <object>\n    {self._name_element(class_id)}\n    <pose>Unspecified</pose>\n"
                f"    <truncated>{truncated}</truncated>\n    <difficult>0</difficult>\n"
                f"    <bndbox>\n      <xmin>{xmin}</xmin>\n      <ymin>{ymin}</ymin>\n"
                f"      <xmax>{xmax}</xmax>\n      <ymax>{ymax}</ymax>\n    </bndbox>\n"
                "  </object>\n")
        parts.append("</annotation>\n")
        self._annotations.write(f"{item.stem}.xml", "".join(parts).encode("utf-8"))

    def _name_element(self, class_id: int) -> str:
        """``<name>…</name>`` of a class, escaped once per class."""
        cached = self._name_elements
        if class_id >= len(cached):
            for name in self.classes.names[len(cached):]:
                name = _escape(name)
                cached.append(f"<name>{name}</name>" if name else "<name />")
        return cached[class_id]

    def _write_segmentation(self, item: Item, objects: list[_Object]) -> None:
        width, height = raster_size(item, self.options.max_pixels)
        raster = self._raster
        raster.resize(width, height)
        classes = np.zeros((height, width), dtype=np.uint8)
        instances = np.zeros((height, width), dtype=np.uint8)
        for number, obj in enumerate(objects, 1):
            region = obj.region(raster)
            if region is None:
                continue
            paint(classes, region, obj.class_id + 1)
            if number <= MAX_INDEX:
                paint(instances, region, number)
            else:
                self.report.warnings["object beyond the 254th of an image not painted in "
                                     "SegmentationObject"] += 1
            if self.options.void_border:
                border = inner_border(region, width, height)
                region.window(classes)[border] = VOID
                region.window(instances)[border] = VOID
        save_palette_png(os.path.join(self.out, "SegmentationClass", f"{item.stem}.png"), classes)
        save_palette_png(os.path.join(self.out, "SegmentationObject", f"{item.stem}.png"),
                         instances)

    # --- the end ---

    def finish(self) -> None:
        self._annotations.close()
        if not self._splits:  # nothing drawable: still a valid, empty dataset
            self._split("train")
        self._write_labelmap()
        safe_names = file_safe_names(self.classes.names)
        for split in sorted(self._splits.values(), key=lambda s: s.name):
            split.close()
            for start in range(0, len(safe_names), _OPEN_FILES):
                self._write_class_lists(split, safe_names, start)
            os.remove(split.classes_path)

    def _write_class_lists(self, split: _Split, safe_names: list[str], start: int) -> None:
        """``<class>_<split>.txt`` for the classes ``start .. start + _OPEN_FILES - 1``,
        from one pass over the split's ``stem<TAB>class ids`` file."""
        main = os.path.join(self.out, "ImageSets", "Main")
        chunk = safe_names[start:start + _OPEN_FILES]
        handles = [open(os.path.join(main, f"{name}_{split.name}.txt"), "w", encoding="utf-8",
                        newline="\n") for name in chunk]
        try:
            with open(split.classes_path, encoding="utf-8") as lines:
                for line in lines:
                    stem, _, ids = line.rstrip("\n").partition("\t")
                    present = {int(i) - start for i in ids.split(",") if i}
                    for offset, handle in enumerate(handles):
                        handle.write(f"{stem} 1\n" if offset in present else f"{stem} -1\n")
        finally:
            for handle in handles:
                handle.close()

    def _write_labelmap(self) -> None:
        colors = voc_colormap(len(self.classes) + 1)
        void = self._segmentation and self.options.void_border
        lines = ["# label:color_rgb:parts:actions", "background:0,0,0::"]
        for index, name in enumerate(self.classes.names, 1):
            if _LABELMAP_UNSAFE.search(name):
                self.report.warnings["class name with ':' or a line break in labelmap.txt"] += 1
            if name == "background" or (name == "ignored" and void):
                self.report.warnings[f"class named {name!r} clashes in labelmap.txt"] += 1
            r, g, b = colors[index]
            lines.append(f"{_LABELMAP_UNSAFE.sub('_', name)}:{r},{g},{b}::")
        if void:
            r, g, b = voc_colormap(VOID + 1)[VOID]
            lines.append(f"ignored:{r},{g},{b}::")  # as Datumaro's default VOC label map
        with open(os.path.join(self.out, "labelmap.txt"), "w", encoding="utf-8",
                  newline="\n") as out:
            out.write("\n".join(lines) + "\n")

    def abort(self) -> None:
        if hasattr(self, "_annotations"):
            self._annotations.close()
        for split in self._splits.values():
            split.close()
        super().abort()


_LABELMAP_UNSAFE = re.compile(r"[:\r\n]")
