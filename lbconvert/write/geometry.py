"""Geometry helpers shared by the writers: rings, areas, boxes of shapes, clipping, repair."""

from __future__ import annotations

from operator import mul
from typing import Sequence

from typing import TYPE_CHECKING

from ..model import Box, Point

if TYPE_CHECKING:
    import shapely

__all__ = [
    "ring",
    "ring_xy",
    "shoelace",
    "ring_area",
    "bounds",
    "extent",
    "is_degenerate_ring",
    "clip_ring",
    "repair_ring",
    "too_tangled",
    "Ring",
]

Ring = list[tuple[float, float]]


def ring_xy(points: Sequence[Point]) -> tuple[list[float], list[float]]:
    """The polygon's x and y coordinates without the repeated closing point."""
    # List comprehensions cost about half of list(map(attrgetter("x"), points)).
    xs = [point.x for point in points]
    ys = [point.y for point in points]
    if len(xs) > 1 and xs[0] == xs[-1] and ys[0] == ys[-1]:
        xs.pop()
        ys.pop()
    return xs, ys


def shoelace(xs: list[float], ys: list[float]) -> float:
    """Absolute shoelace area.  For a self-intersecting ring this is the
    absolute sum of its signed parts (a bow-tie gives 0): repair such
    polygons (``--fix-geometry``) for their true area."""
    if len(xs) < 3:
        return 0.0
    forward = sum(map(mul, xs, ys[1:])) + xs[-1] * ys[0]  # map stops at the shorter list
    backward = sum(map(mul, xs[1:], ys)) + xs[0] * ys[-1]
    return float(abs(forward - backward) / 2.0)


def ring(points: Sequence[Point]) -> Ring:
    """The polygon's vertices without the repeated closing point."""
    return list(zip(*ring_xy(points)))


def ring_area(vertices: Ring) -> float:
    """:func:`shoelace` of a list of vertices."""
    return shoelace([v[0] for v in vertices], [v[1] for v in vertices])


def bounds(vertices: Sequence[tuple[float, float]]) -> Box:
    xs = [v[0] for v in vertices]
    ys = [v[1] for v in vertices]
    left, top = min(xs), min(ys)
    return Box(left=left, top=top, width=max(xs) - left, height=max(ys) - top)


def extent(values: list[float]) -> tuple[float, float]:
    """``(min(values), max(values))`` of a non-empty list of floats, at about
    half the cost: ``sorted`` compares floats with a C fast path.  (Of ``0.0``
    and ``-0.0`` in one list, the maximum may come out as either.)"""
    ordered = sorted(values)
    return ordered[0], ordered[-1]


def is_degenerate_ring(vertices: Ring) -> bool:
    """Fewer than 3 distinct points, or no area at all.  A zero shoelace sum
    alone is not enough: a bow-tie's two halves cancel out."""
    if len(set(vertices)) < 3:
        return True
    if ring_area(vertices) > 0.0:
        return False
    import shapely  # imported on first use: it costs a third of a second

    polygon = shapely.Polygon(vertices)
    if too_tangled(polygon):  # crossings everywhere: it has area
        return False
    return bool(shapely.make_valid(polygon).area == 0.0)


def _rings_of(geometry: "shapely.Geometry") -> list[Ring]:
    """Exterior rings of the polygonal parts of a geometry, largest first."""
    import shapely

    parts = [
        g for g in shapely.get_parts(geometry) if isinstance(g, shapely.Polygon) and g.area > 0
    ]
    parts.sort(key=lambda g: -g.area)
    return [[(float(x), float(y)) for x, y in list(g.exterior.coords)[:-1]] for g in parts]


#: A self-intersecting ring whose perimeter is more than this many times its
#: convex hull's is too tangled to repair: ``make_valid`` costs about the square
#: of the number of crossings (a scrambled ring of 4,000 points takes 10 s, one
#: of 20,000 points minutes and gigabytes).  Hand-drawn rings, even with a
#: crossing or two, stay within 2-5 times their hull.
MAX_TANGLE = 50.0


def too_tangled(polygon: "shapely.Polygon") -> bool:
    """Whether an invalid polygon is too tangled to repair (:data:`MAX_TANGLE`)."""
    hull = polygon.convex_hull.length
    return bool(hull > 0 and polygon.exterior.length > MAX_TANGLE * hull)  # shapely is untyped


def clip_ring(vertices: Ring, width: float, height: float) -> list[Ring]:
    """The polygon clipped to the image: zero, one or several rings.

    A self-intersecting ring is made valid first, unless it is too tangled
    (:data:`MAX_TANGLE`): then it is cut to the image as it is (Sutherland-
    Hodgman, linear time), still self-intersecting, as it would be written
    without clipping."""
    import shapely

    polygon = shapely.Polygon(vertices)
    if not polygon.is_valid:
        if too_tangled(polygon):
            cut = _cut_to_rectangle(vertices, float(width), float(height))
            return [cut] if len(cut) >= 3 else []
        polygon = shapely.make_valid(polygon)
    return _rings_of(polygon.intersection(shapely.box(0, 0, width, height)))


def _cut_to_rectangle(vertices: Ring, width: float, height: float) -> Ring:
    """Sutherland-Hodgman clipping of any ring to ``[0, width] x [0, height]``."""
    edges = [(0, 0.0, True), (0, width, False), (1, 0.0, True), (1, height, False)]
    for axis, limit, keep_above in edges:

        def inside(v: tuple[float, float]) -> bool:
            return v[axis] >= limit if keep_above else v[axis] <= limit

        cut: Ring = []
        for i, current in enumerate(vertices):
            previous = vertices[i - 1]
            if inside(current) != inside(previous):
                t = (limit - previous[axis]) / (current[axis] - previous[axis])
                cut.append(
                    (
                        previous[0] + t * (current[0] - previous[0]),
                        previous[1] + t * (current[1] - previous[1]),
                    )
                )
            if inside(current):
                cut.append(current)
        vertices = cut
        if not vertices:
            break
    return vertices


def repair_ring(vertices: Ring) -> list[Ring]:
    """A self-intersecting polygon made valid with shapely: one ring per part.
    A ring too tangled to repair (:data:`MAX_TANGLE`) is kept as it is."""
    import shapely

    polygon = shapely.Polygon(vertices)
    if polygon.is_valid or too_tangled(polygon):
        return [vertices]
    return _rings_of(shapely.make_valid(polygon))
