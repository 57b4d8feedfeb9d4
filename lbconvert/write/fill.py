"""Filling polygons and boxes into numpy arrays: the pixel-centre rule, vectorised.

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

Sizes, canvases and the input forms accepted are in :mod:`.canvas`;
polylines and shapely geometry in :mod:`.polylines`; COCO RLE in :mod:`.rle`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .canvas import DEFAULT_MAX_PIXELS, PointsLike, as_points, canvas_value, new_canvas

__all__ = ["fill_polygon", "polygon_mask", "fill_box", "box_mask", "scan_fill"]

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


def scan_fill(
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
    val = canvas_value(canvas, value)
    pts = as_points(points)
    if len(pts) < 3:
        return
    closed = np.concatenate((pts, pts[:1]))
    scan_fill(canvas, closed[:-1, 0], closed[:-1, 1], closed[1:, 0], closed[1:, 1], None, val)


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
    val = canvas_value(canvas, value)
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
