"""Geometry helpers shared by the writers: rings, areas, boxes of shapes, clipping, repair."""

from __future__ import annotations

from typing import Optional, Sequence

import shapely
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.geometry import box as shapely_box

from .model import Box, Point

__all__ = [
    "ring", "ring_area", "bounds", "is_degenerate_ring", "clip_box", "clip_ring",
    "repair_ring", "Ring",
]

Ring = list[tuple[float, float]]


def ring(points: Sequence[Point]) -> Ring:
    """The polygon's vertices without the repeated closing point and without
    consecutive duplicates."""
    out: Ring = []
    for p in points:
        xy = (p.x, p.y)
        if not out or out[-1] != xy:
            out.append(xy)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def ring_area(vertices: Ring) -> float:
    """Absolute shoelace area.  For a self-intersecting ring this is the
    absolute sum of its signed parts (a bow-tie gives 0): repair such
    polygons (``--fix-geometry``) for their true area."""
    n = len(vertices)
    total = 0.0
    for i in range(n):
        x1, y1 = vertices[i]
        x2, y2 = vertices[(i + 1) % n]
        total += x1 * y2 - x2 * y1
    return abs(total) / 2.0


def bounds(vertices: Sequence[tuple[float, float]]) -> Box:
    xs = [v[0] for v in vertices]
    ys = [v[1] for v in vertices]
    left, top = min(xs), min(ys)
    return Box(left=left, top=top, width=max(xs) - left, height=max(ys) - top)


def is_degenerate_ring(vertices: Ring) -> bool:
    """Fewer than 3 distinct points, or no area at all.  A zero shoelace sum
    alone is not enough: a bow-tie's two halves cancel out."""
    if len(set(vertices)) < 3:
        return True
    if ring_area(vertices) > 0.0:
        return False
    return shapely.make_valid(ShapelyPolygon(vertices)).area == 0.0


def clip_box(box: Box, width: float, height: float) -> Optional[Box]:
    """The part of the box inside the image, or None when nothing is left."""
    left, top = max(box.left, 0.0), max(box.top, 0.0)
    right = min(box.left + box.width, float(width))
    bottom = min(box.top + box.height, float(height))
    if right <= left or bottom <= top:
        return None
    return Box(left=left, top=top, width=right - left, height=bottom - top)


def _rings_of(geometry: shapely.Geometry) -> list[Ring]:
    """Exterior rings of the polygonal parts of a geometry, largest first."""
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, ShapelyPolygon) and g.area > 0]
    parts.sort(key=lambda g: -g.area)
    return [[(float(x), float(y)) for x, y in list(g.exterior.coords)[:-1]] for g in parts]


def clip_ring(vertices: Ring, width: float, height: float) -> list[Ring]:
    """The polygon clipped to the image: zero, one or several rings."""
    polygon = ShapelyPolygon(vertices)
    if not polygon.is_valid:
        polygon = shapely.make_valid(polygon)
    return _rings_of(polygon.intersection(shapely_box(0, 0, width, height)))


def repair_ring(vertices: Ring) -> list[Ring]:
    """A self-intersecting polygon made valid with shapely: one ring per part."""
    polygon = ShapelyPolygon(vertices)
    if polygon.is_valid:
        return [vertices]
    return _rings_of(shapely.make_valid(polygon))
