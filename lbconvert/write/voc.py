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
  export order; with items in both ``train`` and ``val`` also
  ``trainval.txt``, the items of both in export order (unless a split is
  itself named ``trainval``), with its class lists as for any split.
* ``ImageSets/Main/<class>_<split>.txt``: every stem of the split followed by
  `` 1`` when the image has an object of the class, else `` -1``, for every
  class of the class map.
* ``labelmap.txt``: the CVAT / Datumaro label map,
  ``# label:color_rgb:parts:actions``, ``background:0,0,0::``, then
  ``name:r,g,b::`` per class in class-id order (colours of the VOC colour map,
  :mod:`lbconvert.write.palette`), so Datumaro and CVAT import custom classes.
  With ``void_border`` a last line ``ignored:224,224,192::`` declares the
  void colour, as Datumaro's default VOC label map does (without it Datumaro
  refuses the PNGs: "Undeclared color").

Class names: the XML ``<name>``, ``labelmap.txt`` and the ``<class>`` of the
class lists all hold one VOC name per class (:class:`VocNames`), so readers
that match them (Datumaro, the VOC devkit) find every class: the class name
without what one of the three cannot hold (control characters and line
breaks, ``:``, ``/ \\ * ? " < > |``, characters XML 1.0 cannot hold: each
run becomes ``_``; surrounding white space; a leading ``#``), at most 150
characters (longer names are cut and get a hash), ``class<id>`` when nothing
is left, and ``_<id>`` appended when the name equals, ignoring case, an
earlier class's or ``background`` (``ignored`` with ``void_border``).  Each
class whose VOC name differs from its name counts once in
``warnings["class name changed for voc (see labelmap.txt)"]``.
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
* masks (pixels from ``--masks DIR``, :class:`lbconvert.write.mask_files.MaskSource`) give
  the box of their pixels: columns ``c0..c1`` (0-based) become
  ``xmin = c0 + 1``, ``xmax = c1 + 1``; ``truncated`` is 0.  Without a file
  they are dropped (``mask not available offline``); an empty mask is dropped
  (``empty mask``).
* points, polylines and every other kind are dropped
  (``<kind> not representable in voc``); objects of a class missing from a
  fixed class list are dropped (``class not in classes file``).

Segmentation pixels use the centre rule of :mod:`lbconvert.write.fill`: boxes
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

Files are named by the item's stem, which the select stage makes unique (a
video frame ``clip_000001`` and a row named ``clip_000001`` do not share a
file: the later one gets a ``__<hash>`` suffix and a warning).  The XML files
go through :class:`lbconvert.write.small_files.SmallFiles`.

Deterministic, and the writer's memory does not grow with the number of rows
(the image-set lists: :mod:`lbconvert.write.voc_image_sets`).
"""

from __future__ import annotations

import os
import re
from math import ceil, floor
from typing import TYPE_CHECKING, Any, Optional, TypeAlias

import msgspec

from ..errors import LbConvertError
from ..options import option_name
from .geometry import bounds, clip_ring, extent, ring
from ..model import BoxAnnotation, Item, MaskAnnotation, PolygonAnnotation
from .palette import voc_colormap
from .base import Writer, release
from .small_files import SmallFiles
from .shapes import BOX_OUTSIDE, POLYGON_OUTSIDE, Shapes
from .voc_image_sets import ImageSets
from .voc_names import VocNames, file_safe_names, voc_class_name

if TYPE_CHECKING:  # numpy loads only for segmentation and masks
    from .regions import ItemRaster, Region

__all__ = ["VocWriter", "voc_bndbox", "voc_class_name", "VocNames", "file_safe_names"]

#: Largest class / object index an 8-bit PNG can hold next to void (255).
MAX_INDEX = 254
VOID = 255
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class BndBox(msgspec.Struct, frozen=True, gc=False):
    """A VOC ``<bndbox>``: 1-based inclusive pixel indices, and ``truncated``
    1 when the box was clipped at the image border."""

    xmin: int
    ymin: int
    xmax: int
    ymax: int
    truncated: int


def voc_bndbox(
    left: float, top: float, right: float, bottom: float, width: int, height: int
) -> Optional[BndBox]:
    """The 1-based inclusive VOC box of ``[left, right] x [top, bottom]`` in a
    ``width`` x ``height`` image, or None when it lies entirely outside."""
    if right <= 0 or bottom <= 0 or left >= width or top >= height:
        return None
    truncated = 0
    if left < 0:
        left, truncated = 0, 1
    if top < 0:
        top, truncated = 0, 1
    if right > width:
        right, truncated = width, 1
    if bottom > height:
        bottom, truncated = height, 1
    return BndBox(floor(left) + 1, floor(top) + 1, ceil(right), ceil(bottom), truncated)


def _escape(value: str) -> str:
    """XML character data exactly as ElementTree escapes it (``&``, ``<``, ``>``),
    with the characters XML 1.0 cannot hold replaced by U+FFFD."""
    if value.isprintable() and "&" not in value and "<" not in value and ">" not in value:
        return value  # the usual name: nothing to change, and no regex to run
    value = _XML_INVALID.sub("\ufffd", value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    return value.replace("<", "&lt;").replace(">", "&gt;")


def _xml_head(file_name: str, width: str, height: str, segmented: str) -> str:
    # With VocWriter._xml: the bytes ElementTree gives for the same
    # tree after ET.indent(root) and ET.tostring(root, encoding="utf-8",
    # xml_declaration=True) (the tests compare).  f-strings: %-formatting
    # of these templates cost twice as much.
    return (
        f"<?xml version='1.0' encoding='utf-8'?>\n<annotation>\n  <folder>JPEGImages</folder>\n"
        f"  <filename>{_escape(file_name)}</filename>\n  <size>\n    <width>{width}</width>\n"
        f"    <height>{height}</height>\n    <depth>3</depth>\n  </size>\n"
        f"  <segmented>{segmented}</segmented>\n"
    )


def _object_opening(name: str) -> str:
    """The text of an ``<object>`` of this class up to its ``truncated`` value."""
    name = _escape(name)
    return (
        f"  <object>\n    {f'<name>{name}</name>' if name else '<name />'}\n"
        "    <pose>Unspecified</pose>\n    <truncated>"
    )


_Pixels: TypeAlias = "BoxAnnotation | PolygonAnnotation | Region"
"""What gives an object's pixels: the box or polygon annotation itself, drawn
only with ``segmentation``, or a mask's pixels, read once."""


class VocObject(msgspec.Struct, frozen=True, gc=False):
    """One object on its way to the XML and the segmentation PNGs."""

    class_id: int
    box: BndBox
    pixels: Any  # _Pixels (msgspec cannot hold the numpy Region as a typed field)


class VocWriter(Writer):
    name = "voc"
    writes_manifest = True
    handlers = ((BoxAnnotation, "_box"), (PolygonAnnotation, "_polygon"), (MaskAnnotation, "_mask"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._segmentation = int(self.options.segmentation)  # 0 or 1, as <segmented> holds it
        if self._segmentation and self.classes.fixed and len(self.classes) > MAX_INDEX:
            raise LbConvertError(
                f"voc {option_name('segmentation')}: {len(self.classes)} classes do not fit an "
                f"8-bit PNG (at most {MAX_INDEX}; 255 is void)"
            )
        self._object_openings: list[str] = []  # per class id: see _object_opening
        void = self._segmentation and self.options.void_border
        self._names = VocNames(("background", "ignored") if void else ("background",))
        self.shapes = Shapes(self.report, self.options)
        if self._segmentation:
            from .regions import ItemRaster

            self._raster = ItemRaster(0, 0)  # resized to each item: the canvas is reused

    def prepare(self) -> None:
        os.makedirs(os.path.join(self.out, "ImageSets", "Main"))
        self._image_sets = ImageSets(str(self.out), bool(self._segmentation))
        self._annotations = SmallFiles(self.out / "Annotations")
        if self._segmentation:
            for parts in (
                ("SegmentationClass",),
                ("SegmentationObject",),
                ("ImageSets", "Segmentation"),
            ):
                os.makedirs(os.path.join(self.out, *parts))

    # --- per item ---

    def write(self, item: Item) -> None:
        if len(self._names.names) < len(self.classes):  # the select stage registered more
            self._name_classes()
        if self._segmentation:
            self._raster_size(item)  # refuse before anything is built
        objects = self._objects(item)
        stem = self.file_stem(item)
        self._annotations.write(f"{stem}.xml", self._xml(item, objects))
        self.report.annotations_written += len(objects)
        if self._segmentation:
            self._write_segmentation(stem, item, objects)
        classes = 0
        for obj in objects:
            classes |= 1 << obj.class_id
        self._image_sets.add(item.split, stem, classes)

    def open_splits(self, splits: list[str]) -> None:
        for split in splits:
            self._image_sets.start(split)

    def _objects(self, item: Item) -> list[VocObject]:
        """The objects that get an ``<object>``; the others are dropped and counted."""
        written: list[VocObject] = []
        report = self.report
        for obj in item.objects:
            report.current_class = obj.name or obj.value or ""  # class_of, inlined
            shape = self.handler_of[type(obj)](obj, item)
            if shape is not None:
                class_id = self.class_id(obj)
                if class_id is not None:
                    written.append(VocObject(class_id, *shape))
        if self._segmentation and written:
            self._check_class_index(max(obj.class_id for obj in written))
        return written

    def _check_class_index(self, class_id: int) -> None:
        """Refuse a class whose index (class id + 1) an 8-bit class PNG cannot hold."""
        if class_id + 1 > MAX_INDEX:
            raise LbConvertError(
                f"voc {option_name('segmentation')}: class {self.classes.names[class_id]!r} "
                f"would be index {class_id + 1}; an 8-bit PNG holds at most "
                f"{MAX_INDEX} classes (255 is void)"
            )

    # --- the box and pixels of one object (None: dropped) ---

    def _box(self, obj: BoxAnnotation, item: Item) -> Optional[tuple[BndBox, _Pixels]]:
        box = self.shapes.box(obj)
        if box is None:
            return None
        return self._inside(
            voc_bndbox(
                box.left,
                box.top,
                box.left + box.width,
                box.top + box.height,
                item.width or 0,
                item.height or 0,
            ),
            obj,
            BOX_OUTSIDE,
        )

    def _polygon(self, obj: PolygonAnnotation, item: Item) -> Optional[tuple[BndBox, _Pixels]]:
        polygon = self.shapes.polygon(obj)
        if polygon is None:
            return None
        xs, ys, _ = polygon
        width, height = item.width or 0, item.height or 0
        (left, right), (top, bottom) = extent(xs), extent(ys)
        bndbox = voc_bndbox(left, top, right, bottom, width, height)
        if bndbox is not None and bndbox.truncated and self.options.clip:
            bndbox = _clipped_bndbox(list(zip(xs, ys)), width, height)
        return self._inside(bndbox, obj, POLYGON_OUTSIDE)

    def _inside(
        self, bndbox: Optional[BndBox], pixels: _Pixels, outside: str
    ) -> Optional[tuple[BndBox, _Pixels]]:
        """The box and pixels, or None with the drop ``outside`` when no box is left."""
        if bndbox is None:
            self.report.drop(outside)
            return None
        return bndbox, pixels

    def _mask(self, obj: MaskAnnotation, item: Item) -> Optional[tuple[BndBox, _Pixels]]:
        pixels = self.shapes.mask(obj, item)
        if pixels is None:
            return None
        from .regions import mask_region

        region: Region = mask_region(pixels)  # type: ignore[assignment]  # not empty: a Region
        c0, r0 = region.col, region.row
        r1, c1 = r0 + region.mask.shape[0], c0 + region.mask.shape[1]
        return BndBox(c0 + 1, r0 + 1, c1, r1, 0), region

    # --- output of one item ---

    def _name_classes(self) -> None:
        """VOC names (and ``<object>`` openings) for the classes that have none
        yet; a changed name counts as a warning now, so ``strict`` sees it."""
        names = self._names
        changed = names.changed
        names.extend(self.classes.names)
        if names.changed > changed:
            self.report.warnings[_RENAMED] += names.changed - changed
        self._object_openings.extend(
            map(_object_opening, names.names[len(self._object_openings) :])
        )

    def _xml(self, item: Item, objects: list[VocObject]) -> bytes:
        openings = self._object_openings
        parts = [
            _xml_head(item.file_name, str(item.width), str(item.height), str(self._segmentation))
        ]
        for obj in objects:
            box = obj.box
            parts.append(
                f"{openings[obj.class_id]}{box.truncated}</truncated>\n"
                "    <difficult>0</difficult>\n    <bndbox>\n"
                f"      <xmin>{box.xmin}</xmin>\n"
                f"      <ymin>{box.ymin}</ymin>\n"
                f"      <xmax>{box.xmax}</xmax>\n"
                f"      <ymax>{box.ymax}</ymax>\n"
                "    </bndbox>\n  </object>\n"
            )
        parts.append("</annotation>\n")
        return "".join(parts).encode("utf-8")

    def _raster_size(self, item: Item) -> tuple[int, int]:
        from .regions import raster_size

        return raster_size(item, self.options.max_pixels)

    def _write_segmentation(self, stem: str, item: Item, objects: list[VocObject]) -> None:
        import numpy as np

        from .palette import save_palette_png
        from .regions import inner_border, paint

        width, height = self._raster_size(item)
        raster = self._raster
        raster.resize(width, height)
        classes = np.zeros((height, width), dtype=np.uint8)
        instances = np.zeros((height, width), dtype=np.uint8)
        for number, obj in enumerate(objects, 1):
            region = _pixels(obj.pixels, raster)
            if region is None:
                continue
            paint(classes, region, obj.class_id + 1)
            if number <= MAX_INDEX:
                paint(instances, region, number)
            else:
                self.report.warnings[
                    "object beyond the 254th of an image not painted in SegmentationObject"
                ] += 1
            if self.options.void_border:
                border = inner_border(region, width, height)
                region.window(classes)[border] = VOID
                region.window(instances)[border] = VOID
        save_palette_png(os.path.join(self.out, "SegmentationClass", f"{stem}.png"), classes)
        save_palette_png(os.path.join(self.out, "SegmentationObject", f"{stem}.png"), instances)

    # --- the end ---

    def finish(self) -> None:
        self._annotations.close()
        self._name_classes()  # a hand-driven writer: classes looked up after add()
        self._write_labelmap()
        self._image_sets.write(self._names.names)

    def _write_labelmap(self) -> None:
        colors = voc_colormap(len(self.classes) + 1)
        void = self._segmentation and self.options.void_border
        lines = ["# label:color_rgb:parts:actions", "background:0,0,0::"]
        for index, name in enumerate(self._names.names, 1):
            r, g, b = colors[index]
            lines.append(f"{name}:{r},{g},{b}::")
        if void:
            r, g, b = voc_colormap(VOID + 1)[VOID]
            lines.append(f"ignored:{r},{g},{b}::")  # as Datumaro's default VOC label map
        with open(
            os.path.join(self.out, "labelmap.txt"), "w", encoding="utf-8", newline="\n"
        ) as out:
            out.write("\n".join(lines) + "\n")

    def abort(self) -> None:
        annotations = getattr(self, "_annotations", None)  # absent if __init__ failed
        release(
            *([annotations.abort] if annotations else []),
            *([self._image_sets.close] if hasattr(self, "_image_sets") else []),
        )
        super().abort()


_RENAMED = "class name changed for voc (see labelmap.txt)"


def _clipped_bndbox(
    vertices: list[tuple[float, float]], width: int, height: int
) -> Optional[BndBox]:
    """The box of a polygon cut to the image (marked truncated), None when nothing is left."""
    parts = clip_ring(vertices, width, height)
    if not parts:
        return None
    inner = bounds([v for part in parts for v in part])
    bndbox = voc_bndbox(
        inner.left, inner.top, inner.left + inner.width, inner.top + inner.height, width, height
    )
    return (
        None
        if bndbox is None
        else BndBox(bndbox.xmin, bndbox.ymin, bndbox.xmax, bndbox.ymax, truncated=1)
    )


def _pixels(shape: _Pixels, raster: "ItemRaster") -> "Optional[Region]":
    """The pixels of an object on the item's ``raster`` (None when none are inside)."""
    if isinstance(shape, BoxAnnotation):
        return raster.box(shape.bounding_box)
    if isinstance(shape, PolygonAnnotation):
        return raster.polygon(ring(shape.polygon))
    return shape  # a mask's Region
