"""Tests for lbconvert.write.fill: the pixel-centre rule, polygon/box/polyline
filling, size limits and COCO RLE."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from lbconvert.write import canvas, fill
from lbconvert.write.canvas import check_raster_size, new_canvas
from lbconvert.write.fill import box_mask, fill_box, fill_polygon, polygon_mask
from lbconvert.write.polylines import fill_geometry, fill_polyline, polyline_geometry
from lbconvert.write.rle import rle_area, rle_decode, rle_encode


def centre_grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """x and y of every pixel centre, shape (height, width)."""
    ys, xs = np.mgrid[0:height, 0:width]
    return xs + 0.5, ys + 0.5


def shapely_reference(geometry, width: int, height: int) -> np.ndarray:
    cx, cy = centre_grid(width, height)
    return shapely.contains_xy(geometry, cx, cy)


def assert_matches_reference(mask: np.ndarray, reference: np.ndarray, geometry) -> None:
    """Equal to the reference except on pixel centres lying exactly on the
    boundary (where shapely's ``contains`` says "outside" and our half-open
    rule may say "inside"); and in any case < 1% of the pixels differ."""
    assert mask.shape == reference.shape
    assert mask.dtype == bool
    diff = np.argwhere(mask != reference)
    if len(diff):
        rows, cols = diff[:, 0], diff[:, 1]
        dist = shapely.distance(shapely.boundary(geometry), shapely.points(cols + 0.5, rows + 0.5))
        assert np.all(dist < 1e-9), f"pixels off the boundary differ: {diff[dist >= 1e-9][:10]}"
    assert len(diff) < 0.01 * max(1, int(reference.sum()))


def star(cx: float, cy: float, r_out: float, r_in: float, n: int = 7) -> np.ndarray:
    angles = np.arange(2 * n) * np.pi / n
    radii = np.where(np.arange(2 * n) % 2 == 0, r_out, r_in)
    return np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)]


# ---------------------------------------------------------------------------
# Polygons against shapely
# ---------------------------------------------------------------------------

W, H = 160, 120

SHAPES = {
    "rectangle_fractional": [(10.3, 12.7), (95.6, 12.7), (95.6, 80.2), (10.3, 80.2)],
    "triangle": [(5.0, 110.0), (80.25, 3.5), (150.7, 98.1)],
    "concave_star": star(80.0, 60.0, 55.0, 20.0).tolist(),
    "partly_outside": [(-40.0, -25.5), (120.3, 10.0), (190.0, 140.0), (20.0, 95.5)],
    "closing_point_repeated": [
        (20.5, 20.5), (130.2, 30.0), (100.0, 100.7), (25.0, 90.0), (20.5, 20.5)
    ],
    "integer_vertices": [(10, 10), (100, 10), (100, 60), (60, 60), (60, 100), (10, 100)],
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_polygon_mask_matches_shapely(name: str) -> None:
    points = SHAPES[name]
    polygon = shapely.Polygon(points)
    mask = polygon_mask(points, W, H)
    reference = shapely_reference(polygon, W, H)
    assert reference.sum() > 50 * 50 or name == "triangle"
    assert_matches_reference(mask, reference, polygon)


def test_rectangle_counts_exact() -> None:
    # Columns whose centre i + 0.5 is in [10.3, 95.6): i = 10 .. 95 -> 86;
    # rows whose centre is in [12.7, 80.2): j = 13 .. 79 -> 67.
    mask = polygon_mask(SHAPES["rectangle_fractional"], W, H)
    assert mask.sum() == 86 * 67
    assert mask[13:80, 10:96].all()


def test_integer_vertices_half_open() -> None:
    # Vertices on pixel boundaries: the polygon covers exactly the pixels
    # inside it, no outline pixels (unlike PIL's ImageDraw.polygon).
    mask = polygon_mask(SHAPES["integer_vertices"], W, H)
    expected = np.zeros((H, W), dtype=bool)
    expected[10:60, 10:100] = True
    expected[60:100, 10:60] = True
    assert np.array_equal(mask, expected)


def test_random_star_polygons_match_shapely() -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        n = int(rng.integers(3, 40))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = rng.uniform(5, 120, n)
        cx, cy = rng.uniform(-30, W + 30), rng.uniform(-30, H + 30)
        points = np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)]
        polygon = shapely.Polygon(points)
        if not polygon.is_valid:
            continue
        mask = polygon_mask(points, W, H)
        assert_matches_reference(mask, shapely_reference(polygon, W, H), polygon)


def test_bow_tie_uses_even_odd() -> None:
    # A bow-tie ring crosses itself once; shapely calls it invalid.  Its
    # even-odd interior is the two triangles either side of the crossing (a
    # point is inside when a ray from it crosses the ring an odd number of
    # times), which is what must be painted.
    points = [(20.3, 10.1), (100.2, 90.4), (100.2, 10.1), (20.3, 90.4)]
    assert not shapely.Polygon(points).is_valid
    faces = shapely.get_parts(shapely.polygonize([shapely.union_all(shapely.LinearRing(points))]))
    assert len(faces) == 2
    expected_geometry = shapely.union_all(faces)
    mask = polygon_mask(points, W, H)
    assert_matches_reference(mask, shapely_reference(expected_geometry, W, H), expected_geometry)
    assert mask[50, 30] and mask[50, 90] and not mask[20, 60] and not mask[80, 60]


def test_pentagram_even_odd_leaves_centre_empty() -> None:
    # A pentagram drawn as one self-intersecting ring splits the plane into
    # five tips and a central pentagon.  Any ray from the pentagon crosses
    # the ring twice, so even-odd leaves it unpainted (non-zero winding would
    # fill it); the tips are crossed once and are painted.
    cx, cy, r = 80.0, 60.0, 55.0
    outer = [
        (cx + r * np.sin(2 * np.pi * k / 5), cy - r * np.cos(2 * np.pi * k / 5)) for k in range(5)
    ]
    ring = [outer[k] for k in (0, 2, 4, 1, 3)]
    faces = shapely.get_parts(shapely.polygonize([shapely.union_all(shapely.LinearRing(ring))]))
    assert len(faces) == 6
    centre = shapely.Point(cx, cy)
    tips = shapely.union_all([f for f in faces if not f.contains(centre)])
    mask = polygon_mask(ring, W, H)
    assert not mask[int(cy), int(cx)]
    assert_matches_reference(mask, shapely_reference(tips, W, H), tips)


def test_partly_outside_is_clipped_and_far_outside_is_empty() -> None:
    mask = polygon_mask([(-1e6, -1e6), (1e6, -1e6), (1e6, 1e6), (-1e6, 1e6)], W, H)
    assert mask.all()
    assert not polygon_mask([(-50, -50), (-10, -50), (-10, -10)], W, H).any()
    assert not polygon_mask([(W + 1, 0), (W + 50, 0), (W + 50, H)], W, H).any()
    assert not polygon_mask([(0, H + 1), (W, H + 1), (W, H + 50)], W, H).any()


def test_degenerate_polygons_are_empty() -> None:
    assert not polygon_mask([], W, H).any()
    assert not polygon_mask([(1, 1), (50, 50)], W, H).any()
    assert not polygon_mask([(1, 1), (50, 50), (1, 1)], W, H).any()  # 2 points + closing
    assert not polygon_mask([(1, 1), (50, 50), (100, 100)], W, H).any()  # collinear
    assert not polygon_mask([(10, 10.2), (90, 10.2), (50, 10.2)], W, H).any()  # horizontal


def test_point_formats() -> None:
    as_tuples = [(10.5, 5.0), (60.0, 20.0), (30.0, 70.25)]
    as_dicts = [{"x": x, "y": y} for x, y in as_tuples]
    expected = polygon_mask(np.array(as_tuples), W, H)
    assert expected.sum() > 100
    assert np.array_equal(polygon_mask(as_tuples, W, H), expected)
    assert np.array_equal(polygon_mask(as_dicts, W, H), expected)
    assert np.array_equal(polygon_mask([list(p) for p in as_tuples], W, H), expected)
    with pytest.raises(ValueError, match="NaN"):
        polygon_mask([(0, 0), (float("nan"), 5), (5, 5)], W, H)
    with pytest.raises(ValueError, match="shape"):
        polygon_mask([(0, 0, 1), (3, 5, 1), (5, 5, 1)], W, H)


def test_shared_edge_polygons_are_disjoint() -> None:
    # Two triangles sharing a diagonal that passes through pixel centres.
    a = [(10.0, 10.0), (110.0, 110.0), (10.0, 110.0)]
    b = [(110.0, 110.0), (10.0, 10.0), (110.0, 10.0)]  # shared edge reversed
    mask_a, mask_b = polygon_mask(a, W, H), polygon_mask(b, W, H)
    assert not (mask_a & mask_b).any()
    square = box_mask(10, 10, 100, 100, W, H)
    assert np.array_equal(mask_a | mask_b, square)


def test_tiling_paints_every_pixel_exactly_once() -> None:
    # A jittered grid of quadrilaterals (some vertices on pixel centres):
    # every pixel of the covered area belongs to exactly one cell.
    rng = np.random.default_rng(3)
    nx, ny, step = 8, 6, 18.0
    gx, gy = np.meshgrid(np.arange(nx + 1) * step + 5, np.arange(ny + 1) * step + 5)
    jitter = rng.uniform(-6, 6, size=(2,) + gx.shape)
    jitter[:, 1::3, ::2] = np.round(jitter[:, 1::3, ::2]) + 0.5  # hit pixel centres
    jitter[:, 0, :] = jitter[:, -1, :] = 0
    jitter[:, :, 0] = jitter[:, :, -1] = 0
    vx, vy = gx + jitter[0], gy + jitter[1]
    count = np.zeros((H, W), dtype=np.int32)
    for j in range(ny):
        for i in range(nx):
            quad = [
                (vx[j, i], vy[j, i]),
                (vx[j, i + 1], vy[j, i + 1]),
                (vx[j + 1, i + 1], vy[j + 1, i + 1]),
                (vx[j + 1, i], vy[j + 1, i]),
            ]
            count += polygon_mask(quad, W, H)
    outer = box_mask(5, 5, nx * step, ny * step, W, H)
    assert count.max() == 1
    assert np.array_equal(count == 1, outer)


def test_fill_polygon_in_place_uint16_and_untouched_pixels() -> None:
    canvas = np.full((H, W), 7, dtype=np.uint16)
    points = SHAPES["concave_star"]
    fill_polygon(canvas, points, 65535)
    mask = polygon_mask(points, W, H)
    assert np.array_equal(canvas, np.where(mask, 65535, 7))
    fill_polygon(canvas, points, 1000)
    assert set(np.unique(canvas).tolist()) == {7, 1000}
    with pytest.raises(ValueError, match="does not fit"):
        fill_polygon(canvas, points, 70000)
    with pytest.raises(ValueError, match="does not fit"):
        fill_polygon(np.zeros((H, W), np.uint8), points, 256)
    with pytest.raises(ValueError, match="does not fit"):
        fill_polygon(np.zeros((H, W), np.uint8), points, -1)


def test_fill_polygon_uint8_bool_and_rgb_canvases() -> None:
    points = SHAPES["triangle"]
    mask = polygon_mask(points, W, H)
    canvas = np.zeros((H, W), dtype=np.uint8)
    fill_polygon(canvas, points, 200)
    assert np.array_equal(canvas == 200, mask) and canvas.sum() == 200 * mask.sum()
    rgb = np.zeros((H, W, 3), dtype=np.uint8)
    fill_polygon(rgb, points, (10, 20, 30))
    assert np.array_equal(rgb[mask], np.tile([10, 20, 30], (mask.sum(), 1)))
    assert not rgb[~mask].any()


def test_later_polygons_overwrite_earlier() -> None:
    canvas = np.zeros((H, W), dtype=np.uint8)
    fill_polygon(canvas, [(0, 0), (100, 0), (100, 100), (0, 100)], 1)
    fill_polygon(canvas, [(50, 50), (150, 50), (150, 110), (50, 110)], 2)
    assert canvas[25, 25] == 1 and canvas[75, 75] == 2 and canvas[105, 140] == 2
    assert (canvas == 1).sum() == 100 * 100 - 50 * 50


def test_many_spans_per_row_and_non_contiguous_canvas() -> None:
    # A comb: more spans per row than the comparison passes handle, so the
    # per-pixel index path is used; also paint into a strided view.
    teeth = 40
    top = [(2.0, 2.0), (158.0, 2.0)]
    bottom = []
    for t in range(teeth, 0, -1):
        x = 2.13 + t * 3.9  # keeps edges off pixel centres
        bottom += [(x, 110.0), (x - 1.7, 110.0), (x - 1.7, 20.5), (x - 3.9, 20.5)]
    points = top + [(158.0, 110.0)] + bottom[1:]
    polygon = shapely.Polygon(points)
    assert polygon.is_valid
    mask = polygon_mask(points, W, H)
    assert_matches_reference(mask, shapely_reference(polygon, W, H), polygon)
    backing = np.zeros((H, 2 * W), dtype=np.uint8)
    view = backing[:, ::2]
    fill_polygon(view, points, 5)
    assert np.array_equal(view == 5, mask)
    assert not backing[:, 1::2].any()


@pytest.mark.parametrize("dense_cells", [0, 1 << 30])
@pytest.mark.parametrize("max_ranks", [0, 1000])
def test_internal_paths_agree(
    monkeypatch: pytest.MonkeyPatch, dense_cells: int, max_ranks: int
) -> None:
    # dense_cells: 0 forces the sparse crossing list, 1 << 30 the dense
    # (rows x edges) table; max_ranks: 0 forces the per-pixel index painter,
    # 1000 the bounding-box mask painter.
    expected = {name: polygon_mask(points, W, H) for name, points in SHAPES.items()}
    rng = np.random.default_rng(5)
    sizes = rng.integers(3, 30, 20)
    randoms = [rng.uniform(-20, [W + 20, H + 20], size=(int(n), 2)) for n in sizes]
    random_expected = [polygon_mask(points, W, H) for points in randoms]
    monkeypatch.setattr(fill, "_DENSE_CELLS", dense_cells)
    monkeypatch.setattr(fill, "_MAX_SPAN_RANKS", max_ranks)
    for points, mask in zip(randoms, random_expected):  # self-intersecting, even-odd
        assert np.array_equal(polygon_mask(points, W, H), mask)
    for name, points in SHAPES.items():
        assert np.array_equal(polygon_mask(points, W, H), expected[name]), name
        rgb = np.zeros((H, W, 3), dtype=np.uint8)
        fill_polygon(rgb, points, (1, 2, 3))
        assert np.array_equal(rgb[..., 2] == 3, expected[name]), name
        backing = np.zeros((H, W * 2), dtype=np.uint16)
        fill_polygon(backing[:, 1::2], points, 999)
        assert np.array_equal(backing[:, 1::2] == 999, expected[name]), name
        assert not backing[:, ::2].any()


def test_row_banding_gives_identical_results(monkeypatch: pytest.MonkeyPatch) -> None:
    points = star(80.0, 60.0, 70.0, 15.0, n=25)
    polygon = shapely.Polygon(points)
    unbanded = polygon_mask(points, W, H)
    monkeypatch.setattr(fill, "_CHUNK_CROSSINGS", 64)
    monkeypatch.setattr(fill, "_CHUNK_CELLS", 3 * W)
    banded = polygon_mask(points, W, H)
    assert np.array_equal(banded, unbanded)
    assert_matches_reference(banded, shapely_reference(polygon, W, H), polygon)
    geometry = shapely.Polygon(points, [star(80.0, 60.0, 12.0, 6.0, n=5)])
    canvas = np.zeros((H, W), dtype=bool)
    fill_geometry(canvas, geometry, True)
    assert_matches_reference(canvas, shapely_reference(geometry, W, H), geometry)


def test_wide_canvas() -> None:
    # Wider than 2**15 columns: exercises the 64-bit mask path.
    width = 40000
    points = [(0.2, 0.2), (39999.9, 1.0), (39000.0, 7.9), (5.0, 7.0)]
    polygon = shapely.Polygon(points)
    mask = polygon_mask(points, width, 8)
    assert_matches_reference(mask, shapely_reference(polygon, width, 8), polygon)


# ---------------------------------------------------------------------------
# Boxes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "left, width, columns",
    [
        (0.5, 2.0, [0, 1]),  # centres 0.5 and 1.5 are in [0.5, 2.5); 2.5 is not
        (0.6, 2.0, [1, 2]),  # centre 0.5 < 0.6; 2.5 < 2.6
        (0.0, 1.0, [0]),
        (0.0, 0.5, []),  # [0, 0.5) holds no centre
        (0.0, 0.51, [0]),
        (3.2, 0.2, []),  # thin box between centres
        (-3.0, 4.2, [0]),  # clipped on the left; 1.5 >= 1.2
        (7.0, 10.0, [7, 8, 9]),  # clipped on the right of a 10-px image
        (12.0, 5.0, []),  # outside
        (5.0, -2.0, []),  # negative width
    ],
)
def test_box_column_rule(left: float, width: float, columns: list[int]) -> None:
    mask = box_mask(left, 2.0, width, 3.0, 10, 8)
    cols = np.flatnonzero(mask.any(axis=0)).tolist()
    assert cols == columns
    assert mask.sum() == 3 * len(columns)  # rows 2, 3, 4
    if columns:
        assert np.flatnonzero(mask.any(axis=1)).tolist() == [2, 3, 4]


def test_box_matches_polygon_rule() -> None:
    rng = np.random.default_rng(11)
    for _ in range(50):
        left, top = rng.uniform(-20, W), rng.uniform(-20, H)
        bw, bh = rng.uniform(0.1, 90), rng.uniform(0.1, 90)
        corners = [(left, top), (left + bw, top), (left + bw, top + bh), (left, top + bh)]
        assert np.array_equal(box_mask(left, top, bw, bh, W, H), polygon_mask(corners, W, H))


def test_fill_box_uint16() -> None:
    canvas = np.zeros((H, W), dtype=np.uint16)
    fill_box(canvas, 10.5, 20.5, 30.0, 10.0, 40000)
    assert (canvas == 40000).sum() == 30 * 10
    assert canvas[20, 10] == 40000 and canvas[29, 39] == 40000 and canvas[30, 40] == 0
    with pytest.raises(ValueError):
        fill_box(canvas, float("inf"), 0, 1, 1, 1)


# ---------------------------------------------------------------------------
# Polylines and shapely geometry
# ---------------------------------------------------------------------------


def test_polyline_band_width_and_area() -> None:
    canvas = np.zeros((H, W), dtype=np.uint8)
    fill_polyline(canvas, [(20.0, 50.0), (140.0, 50.0)], 3, line_width=4.0)
    # Rows whose centre is within 2 px of y = 50: 48.5, 49.5, 50.5, 51.5.
    assert np.flatnonzero((canvas == 3).any(axis=1)).tolist() == [48, 49, 50, 51]
    # Round caps reach 2 px beyond both ends.
    assert (canvas[49] == 3).sum() == 124 and canvas[49, 18] == 3 and canvas[49, 17] == 0

    points = [(10.3, 12.1), (61.7, 101.9), (99.2, 18.4), (151.3, 93.6)]
    for line_width in (1.0, 3.0, 7.5):
        band = polyline_geometry(points, line_width)
        mask = np.zeros((H, W), dtype=bool)
        fill_polyline(mask, points, True, line_width)
        assert abs(mask.sum() - band.area) / band.area < 0.02
        assert_matches_reference(mask, shapely_reference(band, W, H), band)


def test_polyline_options_and_degenerate_input() -> None:
    flat = polyline_geometry([(20, 50), (140, 50)], 4.0, cap_style="flat")
    assert flat.area == pytest.approx(120 * 4)
    dot = np.zeros((H, W), dtype=bool)
    fill_polyline(dot, [(50.0, 50.0)], True, 10.0)  # a single point: a disc
    assert abs(dot.sum() - np.pi * 25) < 6
    empty = np.zeros((H, W), dtype=bool)
    fill_polyline(empty, [], True, 3.0)
    assert not empty.any()
    with pytest.raises(ValueError, match="line_width"):
        fill_polyline(empty, [(0, 0), (5, 5)], True, 0.0)


def test_self_crossing_polyline_keeps_its_hole() -> None:
    # A closed loop drawn as a polyline: the band has a hole in the middle.
    loop = [(20.0, 20.0), (120.0, 20.0), (120.0, 100.0), (20.0, 100.0), (20.0, 20.0)]
    mask = np.zeros((H, W), dtype=bool)
    fill_polyline(mask, loop, True, 6.0)
    band = polyline_geometry(loop, 6.0)
    assert len(band.interiors) == 1
    assert not mask[60, 70]
    assert_matches_reference(mask, shapely_reference(band, W, H), band)


def test_fill_geometry_holes_and_multipolygons() -> None:
    with_hole = shapely.Polygon(
        [(10, 10), (150, 10), (150, 110), (10, 110)],
        [[(40.5, 40.5), (90.2, 40.5), (90.2, 80.7), (40.5, 80.7)]],
    )
    multi = shapely.MultiPolygon(
        [with_hole, shapely.Polygon(star(65.0, 60.0, 15.0, 7.0)), shapely.box(152, 0, 158, 120)]
    )
    assert multi.is_valid
    for geometry in (with_hole, multi):
        canvas = np.zeros((H, W), dtype=np.uint16)
        fill_geometry(canvas, geometry, 300)
        assert_matches_reference(canvas == 300, shapely_reference(geometry, W, H), geometry)
    assert not canvas[60, 50]  # in the hole, outside the star


def test_fill_geometry_unites_overlapping_parts() -> None:
    # Overlapping parts (an invalid MultiPolygon) are united, not XOR-ed.
    a, b = shapely.box(10, 10, 100, 80), shapely.box(60, 40, 150, 110)
    canvas = np.zeros((H, W), dtype=bool)
    fill_geometry(canvas, shapely.MultiPolygon([a, b]), True)
    assert np.array_equal(canvas, box_mask(10, 10, 90, 70, W, H) | box_mask(60, 40, 90, 70, W, H))
    assert canvas.sum() == 2 * 90 * 70 - 40 * 40
    assert canvas[60, 80]


def test_fill_geometry_ignores_non_areal_parts_and_rejects_non_geometry() -> None:
    canvas = np.zeros((H, W), dtype=np.uint8)
    fill_geometry(canvas, shapely.Polygon(), 1)
    fill_geometry(canvas, shapely.LineString([(0, 0), (50, 50)]), 1)
    assert not canvas.any()
    collection = shapely.GeometryCollection([shapely.Point(5, 5), shapely.box(10, 10, 20, 20)])
    fill_geometry(canvas, collection, 1)
    assert canvas.sum() == 100
    with pytest.raises(TypeError):
        fill_geometry(canvas, [(0, 0), (1, 1), (1, 0)], 1)


# ---------------------------------------------------------------------------
# Size limits
# ---------------------------------------------------------------------------


def test_check_raster_size_refuses_huge_images_without_allocating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_allocation(*args, **kwargs):
        raise AssertionError("allocation attempted")

    monkeypatch.setattr(canvas.np, "zeros", no_allocation)
    message = "image size 1000000x1000000 exceeds the pixel limit 268435456 (max_pixels=)"
    with pytest.raises(ValueError) as err:
        check_raster_size(10**6, 10**6)
    assert str(err.value) == message
    with pytest.raises(ValueError, match="exceeds the pixel limit"):
        new_canvas(10**6, 10**6, np.uint8)
    with pytest.raises(ValueError, match="exceeds the pixel limit"):
        polygon_mask([(0, 0), (1, 0), (0, 1)], 10**6, 10**6)
    with pytest.raises(ValueError, match="exceeds the pixel limit"):
        box_mask(0, 0, 1, 1, 10**6, 10**6)
    with pytest.raises(ValueError, match="exceeds the pixel limit 100"):
        check_raster_size(11, 10, max_pixels=100)


def test_check_raster_size_accepts_and_validates() -> None:
    assert check_raster_size(1920, 1080) == (1920, 1080)
    assert check_raster_size(1920.0, np.int64(1080)) == (1920, 1080)
    assert check_raster_size(10**6, 10**6, max_pixels=None) == (10**6, 10**6)
    assert check_raster_size(10, 10, max_pixels=100) == (10, 10)
    for bad in (0, -5, 10.5):
        with pytest.raises(ValueError):
            check_raster_size(bad, 10)
    with pytest.raises(TypeError):
        check_raster_size("wide", 10)
    canvas = new_canvas(30, 20, np.uint16)
    assert canvas.shape == (20, 30) and canvas.dtype == np.uint16 and not canvas.any()


# ---------------------------------------------------------------------------
# COCO RLE
# ---------------------------------------------------------------------------


def rle_test_masks() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    masks = [
        np.zeros((5, 7), dtype=bool),
        np.ones((5, 7), dtype=bool),
        np.ones((1, 1), dtype=bool),
        np.zeros((1, 1), dtype=bool),
        rng.random((13, 17)) < 0.5,  # many short runs
        rng.random((64, 48)) < 0.05,
        rng.random((64, 48)) < 0.95,
        polygon_mask(SHAPES["concave_star"], W, H),
        polygon_mask([(0, 0), (1920, 0), (1920, 1080)], 1920, 1080),  # long runs
    ]
    first = np.zeros((9, 4), dtype=bool)
    first[0, 0] = True  # starts with a foreground pixel: leading empty run
    masks.append(first)
    # Long run followed by short ones: large negative deltas in the encoding.
    mixed = np.zeros((300, 400), dtype=bool)
    mixed[:, :200] = True
    mixed[::3, 250:] = True
    masks.append(mixed)
    for p in (0.1, 0.5, 0.9) * 5:
        shape = (int(rng.integers(1, 40)), int(rng.integers(1, 40)))
        masks.append(rng.random(shape) < p)
    return masks


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools vs numpy 2
def test_rle_encode_matches_pycocotools_byte_for_byte() -> None:
    mask_api = pytest.importorskip("pycocotools.mask")
    for mask in rle_test_masks():
        ours = rle_encode(mask)
        theirs = mask_api.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert ours["size"] == [int(v) for v in theirs["size"]] == list(mask.shape)
        assert isinstance(ours["counts"], str)
        assert ours["counts"].encode("ascii") == theirs["counts"]
        decoded = mask_api.decode(ours)
        assert np.array_equal(decoded.astype(bool), mask)
        assert rle_area(ours) == int(mask_api.area(theirs)) == rle_area(mask) == int(mask.sum())


def test_rle_decode_round_trip_without_pycocotools() -> None:
    for mask in rle_test_masks():
        rle = rle_encode(mask)
        assert np.array_equal(rle_decode(rle), mask)
    # Uncompressed (list) counts, column-major, starting with background.
    assert rle_decode({"size": [2, 3], "counts": [1, 2, 3]}).tolist() == [
        [False, True, False],
        [True, False, False],
    ]
    assert rle_area({"size": [2, 3], "counts": [1, 2, 3]}) == 2


def test_rle_encode_accepts_uint8_and_nonzero_values() -> None:
    mask = np.zeros((6, 5), dtype=np.uint8)
    mask[2:4, 1:3] = 1
    assert rle_encode(mask) == rle_encode(mask.astype(bool))
    assert rle_encode(mask * 255) == rle_encode(mask.astype(bool))
    with pytest.raises(ValueError):
        rle_encode(np.zeros(5, dtype=bool))
