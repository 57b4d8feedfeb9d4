"""The geometry of one object as the writers need it, and every drop reason.

Each writer asks this layer for what its format holds: a box clipped to the
image, a polygon's vertices and area, its rings after ``fix_geometry`` /
``clip``, a mask's pixels and their bounds.  Each method returns the value,
or None after counting the object in the report under one of the reasons
below, so every writer drops the same object for the same reason.  What a
format then does with the value (COCO's ``[x, y, w, h]``, YOLO's normalised
centres, VOC's 1-based integers) stays in the writer.

Coordinates are the model's float pixels, origin at the image's top-left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

from .geometry import Ring, clip_ring, is_degenerate_ring, repair_ring, ring_xy, shoelace
from ..model import Box, BoxAnnotation, Item, MaskAnnotation, PointAnnotation, PolygonAnnotation
from ..options import Options
from ..report import Report

if TYPE_CHECKING:  # numpy loads only for masks
    import numpy as np

    from . import mask_files

__all__ = [
    "Shapes",
    "Corners",
    "clipped",
    "pixel_bounds",
    "not_representable",
    "outside",
    "degenerate",
    "DEGENERATE_BOX",
    "DEGENERATE_POLYGON",
    "DEGENERATE_POLYLINE",
    "DEGENERATE_MASK",
    "BOX_OUTSIDE",
    "POLYGON_OUTSIDE",
    "EMPTY_MASK",
    "MASK_OFFLINE",
    "NO_PIXEL_CENTRE",
    "OUT_OF_RANGE",
    "OPENCV_MISSING",
    "POINT_CLASS_UNLISTED",
    "POINT_OUTSIDE_BOXES",
    "SECOND_KEYPOINT",
]

# --- why an object is not written (the report's keys) ------------------------------

DEGENERATE_BOX = "degenerate box"
DEGENERATE_POLYGON = "degenerate polygon"
DEGENERATE_POLYLINE = "degenerate polyline"
DEGENERATE_MASK = "degenerate mask"
BOX_OUTSIDE = "box outside image"
POLYGON_OUTSIDE = "polygon outside image"
EMPTY_MASK = "empty mask"
MASK_OFFLINE = "mask not available offline"  # mask_files.NOT_OFFLINE (numpy loads with it)
NO_PIXEL_CENTRE = "shape covers no pixel centre"
OUT_OF_RANGE = "coordinates out of range"
OPENCV_MISSING = "mask contours need opencv (pip install lbconvert[masks])"
POINT_CLASS_UNLISTED = "point class not in --keypoints"
POINT_OUTSIDE_BOXES = "point outside every box"
SECOND_KEYPOINT = "second point of the same keypoint in one box"


def not_representable(kind: str, format_name: str) -> str:
    """``"<kind> not representable in <format>"``."""
    return f"{kind} not representable in {format_name}"


def outside(kind: str) -> str:
    """``"<kind> outside image"``."""
    return f"{kind} outside image"


def degenerate(kind: str) -> str:
    """``"degenerate <kind>"``."""
    return f"degenerate {kind}"


Corners = tuple[float, float, float, float]
"""``(left, top, right, bottom)`` in pixels."""


def clipped(
    left: float, top: float, right: float, bottom: float, width: float, height: float
) -> Optional[Corners]:
    """``[left, right] x [top, bottom]`` cut to the ``width`` x ``height`` image;
    None when nothing with an area is left."""
    # Comparisons, not max()/min() (the plain definition, tests/test_shapes.py):
    # a third of the cost; ties keep the box's own value, as max/min do.
    if left < 0.0:
        left = 0.0
    if top < 0.0:
        top = 0.0
    if right > width:
        right = float(width)
    if bottom > height:
        bottom = float(height)
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom


def pixel_bounds(pixels: "np.ndarray") -> tuple[int, int, int, int]:
    """``(col0, row0, col1, row1)`` of a non-empty boolean mask's set pixels, ends exclusive."""
    rows = pixels.any(axis=1).nonzero()[0]
    cols = pixels.any(axis=0).nonzero()[0]
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


class Shapes:
    """One writer's view of its objects' geometry: its report, ``clip`` and
    ``fix_geometry``, and the local mask files (``--masks DIR``)."""

    def __init__(self, report: Report, options: Options) -> None:
        self.report = report
        self.clip = options.clip
        self.fix_geometry = options.fix_geometry
        self.masks: "Optional[mask_files.MaskSource]" = None
        if options.masks is not None:  # numpy and Pillow load only when needed
            from .mask_files import MaskSource

            self.masks = MaskSource.from_options(options)

    def box(self, obj: BoxAnnotation) -> Optional[Box]:
        """The box, unless a side is not positive (``degenerate box``)."""
        box = obj.bounding_box
        if not (box.width > 0 and box.height > 0):
            self.report.drop(DEGENERATE_BOX)
            return None
        return box

    def keypoint_place(
        self, point: PointAnnotation, slots: dict[str, int], boxes: Sequence[Corners]
    ) -> Optional[tuple[int, int]]:
        """Where a pose point goes: ``(its slot, the index of the first box
        holding it)`` (edges included), or None with the drop counted (its
        class is not among ``slots``, or no box holds it).  The caller
        refuses a second point for a slot it has filled."""
        self.report.current_class = name = point.name or point.value or ""
        slot = slots.get(name)
        if slot is None:
            self.report.drop(POINT_CLASS_UNLISTED)
            return None
        x, y = point.point.x, point.point.y
        owner = next(
            (
                i
                for i, (left, top, right, bottom) in enumerate(boxes)
                if left <= x <= right and top <= y <= bottom
            ),
            None,
        )
        if owner is None:
            self.report.drop(POINT_OUTSIDE_BOXES)
            return None
        return slot, owner

    def clipped_box(self, obj: BoxAnnotation, item: Item) -> Optional[Corners]:
        """The box's corners cut to the image (``degenerate box``, ``box outside image``)."""
        box = obj.bounding_box
        if not (box.width > 0 and box.height > 0):  # self.box(obj): YOLO's hot path, inlined
            self.report.drop(DEGENERATE_BOX)
            return None
        corners = clipped(
            box.left,
            box.top,
            box.left + box.width,
            box.top + box.height,
            item.width or 0,
            item.height or 0,
        )
        if corners is None:
            self.report.drop(BOX_OUTSIDE)
        return corners

    def polygon(self, obj: PolygonAnnotation) -> Optional[tuple[list[float], list[float], float]]:
        """The ring's x and y coordinates (no repeated closing point) and its
        shoelace area, unless it is degenerate (``degenerate polygon``)."""
        xs, ys = ring_xy(obj.polygon)
        area = shoelace(xs, ys)
        if area == 0.0 and is_degenerate_ring(list(zip(xs, ys))):
            self.report.drop(DEGENERATE_POLYGON)
            return None
        return xs, ys, area

    def rings(
        self, xs: list[float], ys: list[float], item: Item, drop_outside: bool = False
    ) -> Optional[list[Ring]]:
        """The polygon's ring(s): repaired with ``fix_geometry``, cut to the image
        with ``clip``; None (``polygon outside image``) when nothing is left or,
        with ``drop_outside``, when every vertex lies beyond one image edge."""
        width, height = item.width or 0, item.height or 0
        if drop_outside and (max(xs) <= 0 or max(ys) <= 0 or min(xs) >= width or min(ys) >= height):
            self.report.drop(POLYGON_OUTSIDE)
            return None
        rings = [list(zip(xs, ys))]
        if self.fix_geometry:
            rings = repair_ring(rings[0])
        if self.clip:
            rings = [part for r in rings for part in clip_ring(r, width, height)]
            if not rings:
                self.report.drop(POLYGON_OUTSIDE)
                return None
        return rings

    def polygon_rings(self, obj: PolygonAnnotation, item: Item) -> Optional[list[Ring]]:
        """:meth:`polygon`, then :meth:`rings` dropping polygons beyond an edge."""
        found = self.polygon(obj)
        return None if found is None else self.rings(found[0], found[1], item, drop_outside=True)

    def mask(self, obj: MaskAnnotation, item: Item) -> "Optional[np.ndarray]":
        """The mask's pixels from its local file (``mask not available offline``,
        ``mask size differs from image``), unless none is set (``empty mask``)."""
        if self.masks is None:  # no --masks DIR: nothing to look up (VOC's writer stage -2.6 %)
            self.report.drop(MASK_OFFLINE)
            return None
        from .mask_files import mask_pixels

        pixels = mask_pixels(self.masks, obj, item, self.report)
        if pixels is None:
            return None
        if not pixels.any():
            self.report.drop(EMPTY_MASK)
            return None
        return pixels
