"""Vectorised rasterisation of annotation geometry into numpy arrays.

Pixel convention
----------------
Coordinates are the export's pixel coordinates: the origin is the top-left
corner of the image, ``x`` grows to the right and ``y`` grows downwards.
Pixel ``(col i, row j)`` covers the square ``[i, i+1) x [j, j+1)`` and its
centre is ``(i + 0.5, j + 0.5)``.

**A pixel belongs to a shape when its centre lies inside the shape.**

Points exactly on a boundary are decided by a half-open rule: a centre on a
left or top edge is inside, a centre on a right or bottom edge is outside.
For axis-aligned boxes this is simply ``left <= i + 0.5 < left + width`` and
``top <= j + 0.5 < top + height``.  For polygons it means, per pixel row, the
pixels whose centre ``x`` satisfies ``x_in <= x < x_out`` between a pair of
edge crossings.  Consequently two shapes sharing an edge never both own a
pixel, and tiling shapes leave no gaps.

Polygons are filled with the **even-odd** rule: a centre is inside when a ray
from it crosses the polygon's rings an odd number of times.  For simple
polygons (and polygons with holes given as separate rings) this is the usual
"inside"; for self-intersecting rings (a bow-tie drawn as one ring) regions
covered twice by the winding are outside.

Nothing here draws outlines: unlike ``PIL.ImageDraw.polygon`` (which also
paints every pixel the outline touches) the result agrees with
``shapely.contains_xy(shape, i + 0.5, j + 0.5)`` except for centres lying
exactly on an edge.

Polylines are painted as the band of points within ``line_width / 2`` of
the line (shapely buffer, round caps and joins by default), under the same
centre rule.

All filling works on numpy arrays without per-pixel Python loops: edge
crossings are computed for all edges and pixel rows at once, sorted and
paired into spans, and the spans are painted through a boolean mask over the
shape's bounding box (only the shape's rows and columns are touched).
Results are always clipped to the canvas; coordinates outside the image are
fine.  Image sizes are checked against a pixel budget
(:func:`check_raster_size`) before anything is allocated.

COCO RLE helpers (:func:`rle_encode`, :func:`rle_decode`, :func:`rle_area`)
produce exactly what ``pycocotools.mask.encode`` produces, without needing
pycocotools.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Sequence, Union

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import shapely

#: Anything :func:`as_points` accepts: an ``(N, 2)`` array, ``(x, y)`` pairs,
#: or Labelbox-style ``{"x": ..., "y": ...}`` mappings.
PointsLike = Union[np.ndarray, Sequence[Sequence[float]], Sequence[Mapping[str, float]]]

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_COORDINATE",
    "PointsLike",
    "as_points",
    "box_mask",
    "check_raster_size",
    "fill_box",
    "fill_geometry",
    "fill_polygon",
    "fill_polyline",
    "new_canvas",
    "polygon_mask",
    "polyline_geometry",
    "rle_area",
    "rle_decode",
    "rle_encode",
]

#: Default upper bound on ``width * height`` for any raster we allocate (256 Mpx).
DEFAULT_MAX_PIXELS = 2**28

#: Coordinates beyond +-this are treated as corrupt and rejected (ValueError).
MAX_COORDINATE = 1e15

# Up to this many spans in one pixel row, spans are painted through
# comparison passes over a bounding-box mask; beyond it every covered pixel is
# indexed (cost independent of the span count).
_MAX_SPAN_RANKS = 12

# Polygons whose (edges x rows) crossing table has at most this many cells
# use the dense path (fewer numpy calls); others generate only the actual
# crossings.
_DENSE_CELLS = 1 << 14

# Memory bounds for one pass of the scanline fill.  Larger work is split into
# bands of rows so that neither the crossing arrays nor the span grid grow
# beyond these element counts (roughly 16-32 MiB each).
_CHUNK_CROSSINGS = 1 << 21
_CHUNK_CELLS = 1 << 21


# ---------------------------------------------------------------------------
# Sizes and canvases
# ---------------------------------------------------------------------------


def _as_dimension(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"image {name} must be an integer, got {value!r}")
    try:
        result = operator.index(value)
    except TypeError:
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"image {name} must be an integer, got {value!r}") from None
        if not math.isfinite(as_float) or not as_float.is_integer():
            raise ValueError(f"image {name} must be a whole number, got {value!r}") from None
        result = int(as_float)
    if result <= 0:
        raise ValueError(f"image {name} must be positive, got {result}")
    return result


def check_raster_size(
    width: int, height: int, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> tuple[int, int]:
    """Validate an image size before allocating a raster for it.

    ``width`` and ``height`` must be positive whole numbers (ints, or floats
    such as ``1920.0``).  ``max_pixels`` bounds ``width * height``; ``None``
    disables the bound.

    Returns ``(width, height)`` as ints.

    Raises:
        ValueError: the size is not positive, or exceeds ``max_pixels``, e.g.
            ``image size 1000000x1000000 exceeds the pixel limit 268435456
            (--max-pixels)``.
        TypeError: a dimension is not a number.
    """
    w = _as_dimension(width, "width")
    h = _as_dimension(height, "height")
    if max_pixels is not None and w * h > max_pixels:
        raise ValueError(
            f"image size {w}x{h} exceeds the pixel limit {max_pixels} (--max-pixels)"
        )
    return w, h


def new_canvas(
    width: int,
    height: int,
    dtype: npt.DTypeLike = np.uint8,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Return a zero-filled ``(height, width)`` array of ``dtype``.

    The size is checked with :func:`check_raster_size` first, so an absurd
    size raises ``ValueError`` instead of attempting the allocation.
    """
    w, h = check_raster_size(width, height, max_pixels)
    return np.zeros((h, w), dtype=dtype)


# ---------------------------------------------------------------------------
# Input normalisation
# ---------------------------------------------------------------------------


def _check_coordinates(arr: np.ndarray, what: str) -> None:
    # One reduction covers NaN (comparison is False), inf and absurd values.
    if arr.size and not (np.abs(arr).max() <= MAX_COORDINATE):
        if not np.isfinite(arr).all():
            raise ValueError(f"{what} contain NaN or infinite coordinates")
        raise ValueError(f"{what} contain coordinates beyond +-{MAX_COORDINATE:g}")


def as_points(points: PointsLike) -> np.ndarray:
    """Convert a point list to a float64 array of shape ``(N, 2)``.

    Accepts an ``(N, 2)`` array, a sequence of ``(x, y)`` pairs, or a
    sequence of mappings with ``"x"`` and ``"y"`` keys (the Labelbox export
    shape).  An empty input gives shape ``(0, 2)``.

    Raises:
        ValueError: wrong shape, non-numeric values, or a coordinate that is
            NaN, infinite or beyond +-:data:`MAX_COORDINATE`.
    """
    if isinstance(points, np.ndarray):
        arr = points
    else:
        seq = list(points)
        if seq and isinstance(seq[0], Mapping):
            try:
                seq = [(p["x"], p["y"]) for p in seq]
            except (KeyError, TypeError) as exc:
                raise ValueError(f"point mappings need 'x' and 'y' keys: {exc}") from None
        arr = seq
    try:
        arr = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"points must be numeric (x, y) pairs: {exc}") from None
    if arr.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {arr.shape}")
    _check_coordinates(arr, "points")
    return arr


_INT_RANGES: dict[np.dtype, tuple[int, int]] = {}


def _canvas_value(canvas: np.ndarray, value: Any) -> np.ndarray:
    """Cast ``value`` to the canvas dtype, refusing values that do not fit."""
    if not isinstance(canvas, np.ndarray):
        raise TypeError("canvas must be a numpy array")
    if canvas.ndim not in (2, 3):
        raise ValueError(f"canvas must be 2-D (H, W) or 3-D (H, W, C), got shape {canvas.shape}")
    dtype = canvas.dtype
    val = np.asarray(value)
    if val.dtype != dtype:
        if dtype.kind in "iu":
            if val.dtype.kind == "f":
                if not (np.isfinite(val).all() and (val == np.round(val)).all()):
                    raise ValueError(
                        f"value {value!r} is not a whole number for the {dtype} canvas"
                    )
            elif val.dtype.kind not in "iub":
                raise ValueError(f"value {value!r} cannot be painted into a {dtype} canvas")
            bounds = _INT_RANGES.get(dtype)
            if bounds is None:
                info = np.iinfo(dtype)
                bounds = _INT_RANGES[dtype] = (int(info.min), int(info.max))
            if val.ndim == 0:
                low = high = val.item()
            else:
                low, high = (val.min(), val.max()) if val.size else (0, 0)
            if low < bounds[0] or high > bounds[1]:
                raise ValueError(f"value {value!r} does not fit the canvas dtype {dtype}")
        val = val.astype(dtype)
    if val.ndim != 0 and (canvas.ndim == 2 or val.ndim != 1):
        raise ValueError(
            "value must be a scalar (or, for an (H, W, C) canvas, a per-channel vector)"
        )
    return val


# ---------------------------------------------------------------------------
# Scanline core
# ---------------------------------------------------------------------------
#
# 1. Every edge is anchored at its lower end point (xa, ya), so an edge shared
#    by two polygons yields bit-identical crossings whichever way each
#    polygon traverses it: x(j) = xa + (j + 0.5 - ya) * slope.
# 2. The edge crosses the centres y = j + 0.5 of the rows j with
#    ya <= j + 0.5 < yb (half-open; horizontal edges cross no row), i.e.
#    ceil(ya - 0.5) <= j < ceil(yb - 0.5).
# 3. All crossings of all rows are generated at once, sorted by
#    (group, row, x) and paired: [x_in, x_out) covers the pixels with
#    x_in <= i + 0.5 < x_out, i.e. ceil(x_in - 0.5) <= i < ceil(x_out - 0.5).
# 4. The spans are painted through a boolean mask over their bounding box
#    (one comparison pass per "span rank" within a row), or, for shapes with
#    many spans per row, by indexing every covered pixel.


def _scan_fill(
    canvas: np.ndarray,
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    group: np.ndarray | None,
    val: np.ndarray,
) -> None:
    """Paint the even-odd interior of the edges ``(x0, y0) -> (x1, y1)``.

    Edges with the same ``group`` id are combined with the even-odd rule;
    different groups are united.  ``group=None`` means a single group.
    The edges of every group must form closed rings.
    """
    height, width = canvas.shape[:2]
    if len(x0) == 0:
        return
    if group is not None and group.min() == group.max():
        group = None
    swap = y0 > y1
    ya = np.where(swap, y1, y0)
    yb = np.where(swap, y0, y1)
    xa = np.where(swap, x1, x0)
    dy = y1 - y0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        # Negation is exact, so the slope does not depend on the direction.
        slope = (x1 - x0) / np.where(dy == 0, 1.0, dy)
    if group is None:
        # The edges form closed rings, so x0 / y0 hold every vertex.
        row_lo = min(max(math.ceil(float(y0.min()) - 0.5), 0), height)
        row_hi = min(max(math.ceil(float(y0.max()) - 0.5), 0), height)
        if row_hi <= row_lo:
            return
        # Column range of the crossings, with a pixel of margin for rounding.
        col_lo = min(max(math.floor(float(x0.min()) - 0.5), 0), width)
        col_hi = min(max(math.ceil(float(x0.max()) - 0.5) + 1, 0), width)
        if col_hi <= col_lo:
            return
        n_rows = row_hi - row_lo
        if len(x0) * n_rows <= _DENSE_CELLS and n_rows * (col_hi - col_lo) <= _CHUNK_CELLS:
            _fill_dense(canvas, xa, ya, yb, slope, row_lo, row_hi, col_lo, col_hi, val)
            return
    jlo = np.ceil(ya - 0.5)
    jhi = np.ceil(yb - 0.5)
    if jlo.min() < 0 or jhi.max() > height:
        np.clip(jlo, 0, height, out=jlo)
        np.clip(jhi, 0, height, out=jhi)
    jlo = jlo.astype(np.int64)
    counts = jhi.astype(np.int64) - jlo  # horizontal edges: 0
    total = int(counts.sum())
    if total == 0:
        return
    row_lo = int(jlo.min())
    n_rows = int((jlo + counts).max()) - row_lo
    band = max(1, min(n_rows * _CHUNK_CROSSINGS // total, _CHUNK_CELLS // width))
    if band >= n_rows:
        _fill_band(canvas, xa, ya, slope, jlo, counts, row_lo, n_rows, group, val)
        return
    # Tall and/or edge-heavy shape: bound memory by working in row bands.
    jhi = jlo + counts
    for band_lo in range(row_lo, row_lo + n_rows, band):
        lo = np.maximum(jlo, band_lo)
        band_counts = np.minimum(jhi, band_lo + band) - lo
        sel = band_counts > 0
        if sel.any():
            _fill_band(
                canvas,
                xa[sel],
                ya[sel],
                slope[sel],
                lo[sel],
                band_counts[sel],
                band_lo,
                min(band, row_lo + n_rows - band_lo),
                None if group is None else group[sel],
                val,
            )


def _fill_dense(
    canvas: np.ndarray,
    xa: np.ndarray,
    ya: np.ndarray,
    yb: np.ndarray,
    slope: np.ndarray,
    row_lo: int,
    row_hi: int,
    c0: int,
    c1: int,
    val: np.ndarray,
) -> None:
    """Single-group fill of rows ``row_lo:row_hi`` and columns ``c0:c1``
    through a dense (rows x edges) crossing table.

    Needs fewer numpy calls than :func:`_fill_band`, so it is used for the
    common small polygons; crossings are computed by the same expression,
    so both paths agree exactly.
    """
    yc = np.arange(row_lo + 0.5, row_hi)[:, None]  # pixel-row centres
    inside = (ya <= yc) & (yc < yb)
    with np.errstate(over="ignore", invalid="ignore"):  # entries outside `inside`
        xs = np.where(inside, (yc - ya) * slope + xa, np.inf)
    xs.sort(axis=1)
    counts = np.add.reduce(inside, axis=1, dtype=np.intp)
    n_pairs = int(counts.max()) // 2
    if n_pairs == 0:
        return
    # Pixel i is covered when x_in <= i + 0.5 < x_out; rows with fewer
    # crossings have +inf entries, which clip to empty spans at c1.
    cols = np.ceil(xs[:, : 2 * n_pairs] - 0.5)
    np.clip(cols, c0, c1, out=cols)
    cols = cols.astype(np.int64)
    c_in = cols[:, 0::2]
    c_out = cols[:, 1::2]
    if n_pairs > _MAX_SPAN_RANKS:
        rows, ranks = np.nonzero(c_out > c_in)
        _paint_spans(canvas, rows + row_lo, c_in[rows, ranks], c_out[rows, ranks], val)
        return
    grid_w = c1 - c0
    small = grid_w < 2**15
    itype, utype = (np.int16, np.uint16) if small else (np.int64, np.uint64)
    grid_cols = np.arange(grid_w, dtype=itype)
    lo = (c_in - c0).astype(itype)
    span_len = (c_out - c_in).astype(utype)
    cover = np.subtract(grid_cols, lo[:, 0, None]).view(utype) < span_len[:, 0, None]
    for k in range(1, n_pairs):
        # Only the rows that have a (k+1)-th span need this pass.
        k_rows = np.flatnonzero(counts > 2 * k)
        ra, rb = int(k_rows[0]), int(k_rows[-1]) + 1
        cover[ra:rb] |= (
            np.subtract(grid_cols, lo[ra:rb, k, None]).view(utype) < span_len[ra:rb, k, None]
        )
    target = canvas[row_lo:row_hi, c0:c1]
    np.copyto(target, val, where=cover if canvas.ndim == 2 else cover[:, :, None])


def _fill_band(
    canvas: np.ndarray,
    xa: np.ndarray,
    ya: np.ndarray,
    slope: np.ndarray,
    first_row: np.ndarray,
    counts: np.ndarray,
    band_lo: int,
    n_band_rows: int,
    group: np.ndarray | None,
    val: np.ndarray,
) -> None:
    """Crossings of edge ``k`` with rows ``first_row[k] .. + counts[k] - 1``
    (all within ``band_lo .. band_lo + n_band_rows - 1`` and on the canvas)
    -> sorted pairs -> painted spans."""
    width = canvas.shape[1]
    total = int(counts.sum())
    edge = np.repeat(np.arange(len(counts)), counts)
    # Row of each crossing relative to the band (small ints sort fast).
    rel_type = np.int16 if n_band_rows < 2**15 else np.int64
    rel = (np.arange(total) + (first_row - band_lo - np.cumsum(counts) + counts)[edge]).astype(
        rel_type
    )
    xs = (rel + (band_lo + 0.5) - ya[edge]) * slope[edge] + xa[edge]
    # Sort by (group, row, x): x first, then a stable sort on the row key.
    order = np.argsort(xs)
    key = rel if group is None else group[edge] * n_band_rows + rel
    order = order[np.argsort(key[order], kind="stable")]
    # Each (group, row) has an even number of crossings: pair them up.
    xs = np.ceil(xs[order] - 0.5)
    if xs.min() < 0 or xs.max() > width:
        np.clip(xs, 0, width, out=xs)
    cols = xs.astype(np.int64)
    rows = rel[order[0::2]].astype(np.int64)
    rows += band_lo
    c_in = cols[0::2]
    c_out = cols[1::2]
    if group is not None:
        # Spans of different groups may overlap: bring each row's spans together.
        by_row = np.argsort(rows, kind="stable")
        rows, c_in, c_out = rows[by_row], c_in[by_row], c_out[by_row]
    _paint_spans(canvas, rows, c_in, c_out, val)


def _paint_spans(
    canvas: np.ndarray, rows: np.ndarray, c_in: np.ndarray, c_out: np.ndarray, val: np.ndarray
) -> None:
    """Paint the pixel spans ``[c_in, c_out)`` of ``rows`` (sorted ascending).

    Spans may be empty or overlap (their union is painted).
    """
    lengths = c_out - c_in
    if lengths.min() <= 0:
        nonempty = lengths > 0
        if not nonempty.any():
            return
        rows, c_in, lengths = rows[nonempty], c_in[nonempty], lengths[nonempty]
        c_out = c_in + lengths
    n_spans = len(rows)
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    c0, c1 = int(c_in.min()), int(c_out.max())
    n_rows, grid_w = r1 - r0, c1 - c0
    step = np.diff(rows)
    if n_spans == n_rows and (n_spans == 1 or step.min() > 0):
        rank = None  # exactly one span in every row: the common convex case
        n_ranks = 1
    else:
        # Rank of each span within its row (0 for a row's first span).
        first = np.concatenate(([True], step != 0))
        starts = np.flatnonzero(first)
        rank = np.arange(n_spans) - starts[np.cumsum(first) - 1]
        n_ranks = int(rank.max()) + 1
    if n_ranks <= _MAX_SPAN_RANKS:
        # Bounding-box mask, one comparison pass per span rank: pixel c lies
        # in the span (lo, len) when (c - lo), taken as unsigned, is < len.
        # A row's k-th spans (k >= 1) only exist in part of the box, so later
        # passes only visit the rows and columns where they occur.
        small = grid_w < 2**15
        itype, utype = (np.int16, np.uint16) if small else (np.int64, np.uint64)
        grid_cols = np.arange(grid_w, dtype=itype)
        if rank is None:
            lo = (c_in - c0).astype(itype)
            span_len = lengths.astype(utype)
            cover = np.subtract(grid_cols, lo[:, None]).view(utype) < span_len[:, None]
        else:
            local = rows - r0
            for k in range(n_ranks):
                sel = rank == k
                k_rows = local[sel]
                ra, rb = int(k_rows[0]), int(k_rows[-1]) + 1
                ca = c0 if k == 0 else int(c_in[sel].min())
                cb = c1 if k == 0 else int(c_out[sel].max())
                lo = np.zeros(rb - ra, dtype=itype)
                span_len = np.zeros(rb - ra, dtype=utype)
                lo[k_rows - ra] = c_in[sel] - ca
                span_len[k_rows - ra] = lengths[sel]
                band = (
                    np.subtract(grid_cols[: cb - ca], lo[:, None]).view(utype) < span_len[:, None]
                )
                if k == 0:
                    if rb - ra == n_rows:
                        cover = band
                    else:
                        cover = np.zeros((n_rows, grid_w), dtype=bool)
                        cover[ra:rb] = band
                else:
                    cover[ra:rb, ca - c0 : cb - c0] |= band
        target = canvas[r0:r1, c0:c1]
        np.copyto(target, val, where=cover if canvas.ndim == 2 else cover[:, :, None])
        return
    # Many spans per row (comb-like shapes): index every covered pixel.
    n_px = int(lengths.sum())
    height, width = canvas.shape[:2]
    index_type = np.int32 if height * width < 2**31 else np.int64
    span_start = (rows * width + c_in - (np.cumsum(lengths) - lengths)).astype(index_type)
    flat = np.arange(n_px, dtype=index_type) + np.repeat(span_start, lengths)
    if canvas.flags.c_contiguous:
        canvas.reshape((height * width,) + canvas.shape[2:])[flat] = val
    else:
        canvas[flat // width, flat % width] = val


# ---------------------------------------------------------------------------
# Polygons
# ---------------------------------------------------------------------------


def fill_polygon(canvas: np.ndarray, points: PointsLike, value: Any) -> None:
    """Paint ``value`` into ``canvas`` (in place) where the polygon covers.

    ``points`` is one ring in any form accepted by :func:`as_points`; the
    closing point may be repeated or not.  Fewer than 3 points paints
    nothing.  Pixels are covered by the centre rule with even-odd filling
    (see the module docstring); only the polygon's rows are touched.

    ``canvas`` is a 2-D array of any dtype (``bool``, ``uint8``, ``uint16``,
    ...), or a 3-D ``(H, W, C)`` array with a scalar or per-channel value.
    A value that does not fit the dtype raises ``ValueError``.
    """
    val = _canvas_value(canvas, value)
    pts = as_points(points)
    if len(pts) < 3:
        return
    closed = np.concatenate((pts, pts[:1]))
    _scan_fill(canvas, closed[:-1, 0], closed[:-1, 1], closed[1:, 0], closed[1:, 1], None, val)


def polygon_mask(
    points: PointsLike, width: int, height: int, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """Boolean ``(height, width)`` mask of the pixels whose centre is inside the polygon."""
    mask = new_canvas(width, height, bool, max_pixels)
    fill_polygon(mask, points, True)
    return mask


# ---------------------------------------------------------------------------
# Boxes
# ---------------------------------------------------------------------------


def _box_span(start: float, length: float, limit: int) -> tuple[int, int]:
    start = float(start)
    length = float(length)
    if not (math.isfinite(start) and math.isfinite(length)):
        raise ValueError("box coordinates must be finite numbers")
    lo = min(max(math.ceil(start - 0.5), 0), limit)
    hi = min(max(math.ceil(start + length - 0.5), 0), limit)
    return lo, hi


def fill_box(
    canvas: np.ndarray, left: float, top: float, width: float, height: float, value: Any
) -> None:
    """Paint ``value`` on the pixels whose centre lies in the box (in place).

    Column ``i`` is covered when ``left <= i + 0.5 < left + width``, row
    ``j`` when ``top <= j + 0.5 < top + height``.  A non-positive width or
    height covers nothing; the box is clipped to the canvas.
    """
    val = _canvas_value(canvas, value)
    H, W = canvas.shape[:2]
    c0, c1 = _box_span(left, width, W)
    r0, r1 = _box_span(top, height, H)
    if c1 > c0 and r1 > r0:
        canvas[r0:r1, c0:c1] = val


def box_mask(
    left: float,
    top: float,
    width: float,
    height: float,
    image_width: int,
    image_height: int,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Boolean ``(image_height, image_width)`` mask of a box; see :func:`fill_box`."""
    mask = new_canvas(image_width, image_height, bool, max_pixels)
    fill_box(mask, left, top, width, height, True)
    return mask


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
    val = _canvas_value(canvas, value)
    if geometry.is_empty:
        return
    polygons = _polygon_parts(geometry)
    if not polygons:
        return
    rings, poly_index = shapely.get_rings(np.asarray(polygons, dtype=object), return_index=True)
    coords, ring_index = shapely.get_coordinates(rings, return_index=True)
    if len(coords) < 2:
        return
    _check_coordinates(coords, "geometry coordinates")
    # Shapely rings are closed, so consecutive vertices of the same ring are
    # exactly the ring's edges.
    same_ring = ring_index[:-1] == ring_index[1:]
    start = coords[:-1][same_ring]
    end = coords[1:][same_ring]
    group = np.asarray(poly_index)[ring_index[:-1][same_ring]]
    _scan_fill(canvas, start[:, 0], start[:, 1], end[:, 0], end[:, 1], group, val)


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
    val = _canvas_value(canvas, value)
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
    return length > MAX_LINE_TANGLE * max(hull, 1.0)


def _segment_bands(pts: np.ndarray, line_width: float, quad_segs: int) -> "shapely.Geometry":
    """The band around every segment (round caps), united by the fill."""
    import shapely

    segments = shapely.linestrings(np.stack([pts[:-1], pts[1:]], axis=1))
    bands = shapely.buffer(segments, line_width / 2.0, quad_segs=quad_segs)
    return shapely.GeometryCollection(list(bands))


# ---------------------------------------------------------------------------
# COCO run-length encoding
# ---------------------------------------------------------------------------


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """Column-major run lengths of a 2-D mask, starting with a (maybe empty) zero run."""
    flat = (np.asarray(mask) != 0).T.ravel()
    if flat.size == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).astype(np.int64)
    if flat[0]:
        runs = np.concatenate(([0], runs))
    return runs


def _counts_to_string(counts: np.ndarray) -> str:
    """pycocotools' ``rleToString``: delta rule for i > 2, 5 bits per char."""
    x = counts.astype(np.int64)
    if len(x) > 3:
        x[3:] -= counts[1:-2]
    bits = int(np.abs(x).max()).bit_length() + 1  # + sign bit
    n_groups = bits // 5 + 1
    chars = np.empty((len(x), n_groups), dtype=np.int64)
    more = np.empty((len(x), n_groups), dtype=bool)
    rest = x
    for k in range(n_groups):
        c = rest & 0x1F
        rest = rest >> 5
        more[:, k] = np.where(c & 0x10, rest != -1, rest != 0)
        chars[:, k] = c + 48 + 0x20 * more[:, k]
    # ``more`` is monotone (once False it stays False), so the number of
    # characters for a value is 1 + the number of True flags.
    length = 1 + more.sum(axis=1)
    used = np.arange(n_groups)[None, :] < length[:, None]
    return chars[used].astype(np.uint8).tobytes().decode("ascii")


def _string_to_counts(s: str | bytes) -> np.ndarray:
    """pycocotools' ``rleFrString`` (inverse of :func:`_counts_to_string`)."""
    if isinstance(s, str):
        s = s.encode("ascii")
    c = np.frombuffer(s, dtype=np.uint8).astype(np.int64) - 48
    if c.size == 0:
        return np.zeros(0, dtype=np.int64)
    if (c < 0).any() or (c > 63).any() or (c[-1] & 0x20):
        raise ValueError("malformed RLE counts string")
    last = (c & 0x20) == 0
    value_id = np.concatenate(([0], np.cumsum(last)[:-1]))
    first = np.concatenate(([True], last[:-1]))
    start_pos = np.flatnonzero(first)
    k = np.arange(c.size) - start_pos[value_id]
    x = np.zeros(int(last.sum()), dtype=np.int64)
    np.add.at(x, value_id, (c & 0x1F) << (5 * k))
    # Sign-extend values whose final character has bit 0x10 set.
    n_chars = np.bincount(value_id)
    negative = (c[last] & 0x10) != 0
    x[negative] |= -1 << (5 * n_chars[negative])
    # Undo the delta rule: cnts[i] = x[i] + cnts[i - 2] for i > 2.
    counts = x.copy()
    counts[1::2] = np.cumsum(x[1::2])
    counts[2::2] = np.cumsum(x[2::2])
    return counts


def rle_encode(mask: np.ndarray) -> dict[str, Any]:
    """COCO compressed RLE of a 2-D mask: ``{"size": [h, w], "counts": str}``.

    Identical to ``pycocotools.mask.encode(np.asfortranarray(mask.astype(np.uint8)))``
    for 0/1 masks, except that ``counts`` is an ASCII ``str`` (JSON-ready)
    rather than ``bytes``.  Any non-zero value counts as foreground.  Runs
    are taken in column-major order starting with a (possibly empty) run of
    background pixels.
    """
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {arr.shape}")
    h, w = arr.shape
    return {"size": [int(h), int(w)], "counts": _counts_to_string(_run_lengths(arr))}


def _rle_counts(rle: Mapping[str, Any]) -> np.ndarray:
    counts = rle["counts"]
    if isinstance(counts, (str, bytes)):
        return _string_to_counts(counts)
    return np.asarray(counts, dtype=np.int64)


def rle_decode(rle: Mapping[str, Any]) -> np.ndarray:
    """Decode a COCO RLE (compressed string or uncompressed list counts) to a bool mask."""
    h, w = (int(v) for v in rle["size"])
    counts = _rle_counts(rle)
    if counts.sum() != h * w or (counts < 0).any():
        raise ValueError(f"RLE counts do not cover a {h}x{w} mask")
    values = np.arange(len(counts)) % 2 == 1
    flat = np.repeat(values, counts)
    return flat.reshape(w, h).T.copy()


def rle_area(mask: np.ndarray | Mapping[str, Any]) -> int:
    """Foreground pixel count of a mask array, or of a COCO RLE dict."""
    if isinstance(mask, Mapping):
        return int(_rle_counts(mask)[1::2].sum())
    return int(np.count_nonzero(mask))
