"""Objects of one item as pixel regions: what the raster writers (``voc``,
``masks``) paint.

A :class:`Region` is a boolean window of the image: ``mask[j, i]`` is True when
the pixel ``(row + j, col + i)`` belongs to the object.  Windows are cut to
the object's extent, so painting an object costs its size, not the image's.

Pixels follow :mod:`lbconvert.write.fill`'s convention: a pixel belongs to a shape
when its centre lies inside it (half-open on the right and bottom edges).
Boxes use exactly the rule of :func:`lbconvert.write.fill.fill_box`; polygons are
filled with :func:`lbconvert.write.fill.fill_polygon` (even-odd rule) and
polylines with :func:`lbconvert.write.polylines.fill_polyline` (a band ``line_width``
pixels wide, round caps and joins) on a scratch canvas of the image's size,
so the result is bit-identical to filling the whole image.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple, Optional, Sequence

import numpy as np

from ..errors import LbConvertError
from ..model import Box, Item, Point
from .canvas import MAX_COORDINATE, check_raster_size
from .fill import fill_polygon
from .polylines import fill_polyline

__all__ = [
    "Region",
    "ItemRaster",
    "raster_size",
    "mask_region",
    "paint",
    "paint_claim",
    "inner_border",
]


class Region(NamedTuple):
    """A boolean window of the image whose top-left pixel is ``(row, col)``."""

    row: int
    col: int
    mask: np.ndarray

    @property
    def pixels(self) -> int:
        return int(np.count_nonzero(self.mask))

    def window(self, canvas: np.ndarray) -> np.ndarray:
        """The view of ``canvas`` this region covers."""
        height, width = self.mask.shape
        return canvas[self.row : self.row + height, self.col : self.col + width]

    def bounds(self) -> Optional[tuple[int, int, int, int]]:
        """``(col0, row0, col1, row1)`` of the covered pixels, ends exclusive;
        None when no pixel is covered."""
        rows = np.flatnonzero(self.mask.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(self.mask.any(axis=0))
        return (
            self.col + int(cols[0]),
            self.row + int(rows[0]),
            self.col + int(cols[-1]) + 1,
            self.row + int(rows[-1]) + 1,
        )


def raster_size(item: Item, max_pixels: int) -> tuple[int, int]:
    """The item's ``(width, height)``, refused with an :class:`LbConvertError`
    naming the data row when it is over ``max_pixels`` (nothing is allocated)."""
    try:
        return check_raster_size(item.width or 0, item.height or 0, max_pixels)
    except (TypeError, ValueError) as exc:
        raise LbConvertError(
            f"data row {item.data_row_id or '?'} (item {item.stem}, record "
            f"{item.source_position}): {exc}"
        ) from None


def _span(low: float, high: float, limit: int) -> tuple[int, int]:
    """Pixel indices ``[first, end)`` whose centres may lie in ``[low, high]``."""
    first = max(math.ceil(low - 0.5), 0)
    end = min(math.floor(high - 0.5) + 1, limit)
    return first, end


def absurd(
    coordinates: "Sequence[float] | Sequence[tuple[float, float]] | np.ndarray", margin: float = 0.0
) -> bool:
    """Whether any coordinate is NaN, infinite or beyond +-:data:`MAX_COORDINATE`
    (less ``margin``, the half width of a band around it): a corrupt export
    (``-1e308``).  Such shapes are not rasterized."""
    values = np.asarray(coordinates, dtype=np.float64)
    return bool(values.size) and not bool(np.abs(values).max() + margin <= MAX_COORDINATE)


class ItemRaster:
    """Turns the shapes of one image into :class:`Region` windows.

    Polygons and polylines are filled on a scratch canvas of the image's size
    (kept all False between calls, reused while the size stays the same) and
    cut out, so they are exactly what filling the whole image would give.
    Every method returns None when the shape lies outside the image.
    """

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._scratch: Optional[np.ndarray] = None

    def resize(self, width: int, height: int) -> None:
        if (width, height) != (self.width, self.height):
            self.width, self.height = width, height
            self._scratch = None

    def box(self, box: Box) -> Optional[Region]:
        """The pixels of a box: ``left <= i + 0.5 < left + width`` (same for rows).
        None also for coordinates beyond :data:`MAX_COORDINATE` (see :func:`absurd`)."""
        if absurd((box.left, box.top, box.left + box.width, box.top + box.height)):
            return None
        c0 = min(max(math.ceil(box.left - 0.5), 0), self.width)
        c1 = min(max(math.ceil(box.left + box.width - 0.5), 0), self.width)
        r0 = min(max(math.ceil(box.top - 0.5), 0), self.height)
        r1 = min(max(math.ceil(box.top + box.height - 0.5), 0), self.height)
        if c1 <= c0 or r1 <= r0:
            return None
        return Region(r0, c0, np.ones((r1 - r0, c1 - c0), dtype=bool))

    def polygon(self, vertices: Sequence[tuple[float, float]]) -> Optional[Region]:
        """The pixels of one ring (even-odd rule)."""
        points = np.asarray(vertices, dtype=np.float64).reshape(-1, 2)
        if len(points) < 3 or absurd(points):
            return None
        return self._cut(points, 0.0, lambda canvas: fill_polygon(canvas, points, True))

    def polyline(self, points: Sequence[Point], line_width: float) -> Optional[Region]:
        """The pixels of a band ``line_width`` wide around a polyline (one point: a disc)."""
        xy = np.array([(p.x, p.y) for p in points], dtype=np.float64).reshape(-1, 2)
        if len(xy) == 0 or absurd(xy, line_width / 2.0 + 1.0):
            return None
        return self._cut(
            xy, line_width / 2.0, lambda canvas: fill_polyline(canvas, xy, True, line_width)
        )

    def _cut(
        self, points: np.ndarray, margin: float, fill: Callable[[np.ndarray], None]
    ) -> Optional[Region]:
        low = points.min(axis=0) - margin
        high = points.max(axis=0) + margin
        c0, c1 = _span(float(low[0]), float(high[0]), self.width)
        r0, r1 = _span(float(low[1]), float(high[1]), self.height)
        if c1 <= c0 or r1 <= r0:
            return None
        if self._scratch is None:
            self._scratch = np.zeros((self.height, self.width), dtype=bool)
        fill(self._scratch)
        window = self._scratch[r0:r1, c0:c1]
        region = Region(r0, c0, window.copy())
        window[...] = False
        return region


def mask_region(pixels: np.ndarray) -> Optional[Region]:
    """A full-image boolean mask cut to its covered pixels (None when empty).

    The window is a copy, so the full-size array can be freed."""
    found = Region(0, 0, pixels).bounds()
    if found is None:
        return None
    c0, r0, c1, r1 = found
    return Region(r0, c0, pixels[r0:r1, c0:c1].copy())


def paint(canvas: np.ndarray, region: Region, value: int) -> None:
    """Paint ``value`` on the region's pixels (later calls paint over earlier ones)."""
    region.window(canvas)[region.mask] = value


def paint_claim(canvas: np.ndarray, region: Region, value: int, conflict: int) -> None:
    """Paint ``value`` where the canvas is 0 or already ``value``; pixels that
    another value (or ``conflict``) already claims become ``conflict``."""
    window = region.window(canvas)
    current = window[region.mask]
    window[region.mask] = np.where((current == 0) | (current == value), value, conflict)


def inner_border(region: Region, width: int, height: int) -> np.ndarray:
    """The region's pixels that have a 4-neighbour outside it: a 1-pixel-wide
    inner border, as a boolean window of the region's shape.

    Where the window touches the image's edge the object is taken to go on
    beyond it, so the image's edge is not a border.
    """
    mask = region.mask
    rows, cols = mask.shape
    padded = np.zeros((rows + 2, cols + 2), dtype=bool)
    padded[1:-1, 1:-1] = mask
    if region.row == 0:
        padded[0, 1:-1] = mask[0]
    if region.row + rows == height:
        padded[-1, 1:-1] = mask[-1]
    if region.col == 0:
        padded[1:-1, 0] = mask[:, 0]
    if region.col + cols == width:
        padded[1:-1, -1] = mask[:, -1]
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return mask & ~interior
