"""Polylines and shapely geometry as pixels: the band within ``line_width / 2``
of a line (round caps and joins), under :mod:`.fill`'s pixel-centre rule."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .canvas import PointsLike, as_points, canvas_value, check_coordinates
from .fill import scan_fill

if TYPE_CHECKING:
    import shapely

__all__ = ["fill_geometry", "polyline_geometry", "fill_polyline"]


# ---------------------------------------------------------------------------
# Shapely geometry and polylines
# ---------------------------------------------------------------------------


def _polygon_parts(geometry: shapely.Geometry) -> list[shapely.Polygon]:
    import shapely

    parts = np.asarray(shapely.get_parts(geometry))
    if parts.size == 0:
        return []
    kinds = shapely.get_type_id(parts)
    out = list(parts[kinds == 3])  # Polygon
    for nested in parts[(kinds == 6) | (kinds == 7)]:  # MultiPolygon, GeometryCollection
        out.extend(_polygon_parts(nested))
    return out


def fill_geometry(canvas: np.ndarray, geometry: shapely.Geometry, value: Any) -> None:
    """Paint a shapely Polygon / MultiPolygon (holes included) into ``canvas``.

    Within each polygon the exterior and interior rings are combined with
    the even-odd rule, so holes stay unpainted; separate polygons of a
    MultiPolygon (or GeometryCollection) are united.  Parts without area
    (points, lines) cover no pixel centre and are ignored, as is an empty
    geometry.  Same centre rule and canvas handling as :func:`fill_polygon`.
    """
    import shapely

    if not isinstance(geometry, shapely.Geometry):
        raise TypeError(f"expected a shapely geometry, got {type(geometry).__name__}")
    val = canvas_value(canvas, value)
    if geometry.is_empty:
        return
    polygons = _polygon_parts(geometry)
    if not polygons:
        return
    rings, poly_index = shapely.get_rings(np.asarray(polygons, dtype=object), return_index=True)
    coords, ring_index = shapely.get_coordinates(rings, return_index=True)
    if len(coords) < 2:
        return
    check_coordinates(coords, "geometry coordinates")
    # Shapely rings are closed, so consecutive vertices of the same ring are
    # exactly the ring's edges.
    same_ring = ring_index[:-1] == ring_index[1:]
    start = coords[:-1][same_ring]
    end = coords[1:][same_ring]
    group = np.asarray(poly_index)[ring_index[:-1][same_ring]]
    scan_fill(canvas, start[:, 0], start[:, 1], end[:, 0], end[:, 1], group, val)


def polyline_geometry(
    points: PointsLike,
    line_width: float,
    *,
    cap_style: str = "round",
    join_style: str = "round",
    quad_segs: int = 8,
) -> shapely.Geometry:
    """The band of ``line_width`` pixels around a polyline, as a shapely geometry.

    The polyline is buffered by ``line_width / 2`` with round caps and round
    joins by default (so the band is the set of points within
    ``line_width / 2`` of the line; a single point becomes a disc).  Pass
    ``cap_style="flat"`` / ``"square"`` or ``join_style="mitre"`` /
    ``"bevel"`` to change that.  Self-crossing lines give one united band
    (possibly with holes).
    """
    import shapely

    width = float(line_width)
    if not math.isfinite(width) or width <= 0:
        raise ValueError(f"line_width must be a positive number, got {line_width!r}")
    pts = as_points(points)
    if len(pts) == 0:
        return shapely.Polygon()
    if (pts == pts[0]).all():
        line = shapely.Point(pts[0])
    else:
        line = shapely.LineString(pts)
    return shapely.buffer(
        line, width / 2.0, quad_segs=quad_segs, cap_style=cap_style, join_style=join_style
    )


def fill_polyline(
    canvas: np.ndarray,
    points: PointsLike,
    value: Any,
    line_width: float,
    *,
    cap_style: str = "round",
    join_style: str = "round",
    quad_segs: int = 8,
) -> None:
    """Paint a polyline as a band ``line_width`` pixels wide (in place).

    The band is :func:`polyline_geometry` (shapely buffer of the whole line
    by ``line_width / 2``, round caps and joins by default) and is filled
    with :func:`fill_geometry`, i.e. the same centre rule as polygons.
    Raises ``ValueError`` for a non-positive ``line_width``.
    """
    val = canvas_value(canvas, value)
    pts = as_points(points)
    if cap_style == "round" and join_style == "round" and _tangled_line(pts):
        geometry = _segment_bands(pts, float(line_width), quad_segs)
    else:
        geometry = polyline_geometry(
            pts, line_width, cap_style=cap_style, join_style=join_style, quad_segs=quad_segs
        )
    fill_geometry(canvas, geometry, val)


#: A polyline longer than this many times its convex hull's perimeter is
#: tangled: GEOS's buffer of the whole line costs about the square of its
#: crossings (a 20,000-point zigzag took over 16 GB), so it is painted as the
#: union of its segments' bands instead -- the same set of points.
MAX_LINE_TANGLE = 50.0


def _tangled_line(pts: np.ndarray) -> bool:
    import shapely

    if len(pts) < 1000:  # cheap enough whatever its shape
        return False
    length = float(np.hypot(*np.diff(pts, axis=0).T).sum())
    hull = shapely.MultiPoint(pts).convex_hull.length
    return bool(length > MAX_LINE_TANGLE * max(hull, 1.0))


def _segment_bands(pts: np.ndarray, line_width: float, quad_segs: int) -> "shapely.Geometry":
    """The band around every segment (round caps), united by the fill."""
    import shapely

    segments = shapely.linestrings(np.stack([pts[:-1], pts[1:]], axis=1))
    bands = shapely.buffer(segments, line_width / 2.0, quad_segs=quad_segs)
    return shapely.GeometryCollection(list(bands))
