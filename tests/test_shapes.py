"""The object-geometry layer every writer shares (lbconvert.write.shapes) and
the per-class handler table of Writer: each device against its plain definition."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from lbconvert.model import Box, BoxAnnotation, DocumentBoxAnnotation, Item, Point, PolygonAnnotation
from lbconvert.options import Options
from lbconvert.report import Report
from lbconvert.write import get_writer, shapes
from lbconvert.write.shapes import Shapes, clipped, pixel_bounds

EDGES = [-math.inf, -2.5, -0.0, 0.0, 0.5, 9.999, 10.0, 10.5, math.inf, math.nan]


def plain_clipped(left, top, right, bottom, width, height):
    """The definition: max/min against the image, nothing left -> None."""
    left, top = max(left, 0.0), max(top, 0.0)
    right, bottom = min(right, float(width)), min(bottom, float(height))
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom


def same(a, b) -> bool:
    """Equal, NaN equal to NaN, and -0.0 told from 0.0 (the bytes written differ)."""
    if a is None or b is None:
        return a is b
    return all((math.isnan(x) and math.isnan(y)) or (x == y and math.copysign(1, x)
                                                     == math.copysign(1, y)) for x, y in zip(a, b))


@pytest.mark.parametrize("width, height", [(10, 10), (1, 20)])
def test_clipped_is_the_plain_definition(width: int, height: int) -> None:
    for left, right in itertools.product(EDGES, repeat=2):
        for top, bottom in ((0.0, 5.0), (-0.0, 10.0), (3.0, 3.0), (12.0, 15.0)):
            assert same(clipped(left, top, right, bottom, width, height),
                        plain_clipped(left, top, right, bottom, width, height)), (left, right)


@pytest.mark.parametrize("box, expected", [
    ((2.0, 3.0, 4.0, 5.0), (2.0, 3.0, 6.0, 8.0)),
    ((-1.0, -1.0, 4.0, 5.0), (0.0, 0.0, 3.0, 4.0)),       # cut at the top-left
    ((8.0, 8.0, 4.0, 4.0), (8.0, 8.0, 10.0, 10.0)),       # cut at the bottom-right
    ((10.0, 0.0, 3.0, 3.0), None),                        # starts at the right edge
    ((0.0, -3.0, 3.0, 3.0), None),                        # ends at the top edge
])
def test_clipped_box_and_its_drops(box, expected) -> None:
    report = Report()
    item = Item(data_row_id="r", stem="r", file_name="r.jpg", width=10, height=10)
    obj = BoxAnnotation(name="car", bounding_box=Box(*box))
    assert Shapes(report, Options()).clipped_box(obj, item) == expected
    assert dict(report.dropped) == ({} if expected else {shapes.BOX_OUTSIDE: 1})


@pytest.mark.parametrize("width, height", [(0.0, 3.0), (3.0, 0.0), (-1.0, 3.0), (math.nan, 3.0)])
def test_a_box_without_area_is_degenerate(width: float, height: float) -> None:
    report = Report()
    obj = BoxAnnotation(name="car", bounding_box=Box(1.0, 1.0, width, height))
    assert Shapes(report, Options()).box(obj) is None
    assert dict(report.dropped) == {shapes.DEGENERATE_BOX: 1}


@pytest.mark.parametrize("points, kept", [
    ([(0, 0), (4, 0), (4, 4), (0, 4), (0, 0)], True),
    ([(0, 0), (4, 0), (0, 0)], False),                    # 2 distinct points
    ([(0, 0), (2, 2), (4, 4)], False),                    # collinear
    ([(0, 0), (4, 4), (4, 0), (0, 4)], True),             # a bow-tie has area
])
def test_polygon_degeneracy(points, kept: bool) -> None:
    report = Report()
    obj = PolygonAnnotation(name="a", polygon=tuple(Point(float(x), float(y)) for x, y in points))
    found = Shapes(report, Options()).polygon(obj)
    assert (found is not None) == kept
    assert dict(report.dropped) == ({} if kept else {shapes.DEGENERATE_POLYGON: 1})


@pytest.mark.parametrize("xs, ys, outside", [
    ([0.0, 5.0, 5.0], [0.0, 0.0, 5.0], False),
    ([-5.0, 0.0, 0.0], [1.0, 1.0, 5.0], True),            # touches the left edge only
    ([10.0, 12.0, 12.0], [1.0, 1.0, 5.0], True),          # starts at the right edge
    ([1.0, 5.0, 5.0], [10.0, 10.0, 14.0], True),          # below
])
def test_rings_drop_a_polygon_beyond_an_edge(xs, ys, outside: bool) -> None:
    report = Report()
    item = Item(data_row_id="r", stem="r", file_name="r.jpg", width=10, height=10)
    rings = Shapes(report, Options()).rings(xs, ys, item, drop_outside=True)
    assert (rings is None) == outside
    assert rings is None or rings == [list(zip(xs, ys))]


def test_pixel_bounds_is_the_box_of_the_set_pixels() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        pixels = rng.random((7, 9)) > 0.9
        if not pixels.any():
            continue
        rows, cols = np.nonzero(pixels)
        assert pixel_bounds(pixels) == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)


def test_drop_reasons_are_distinct() -> None:
    reasons = [value for name, value in vars(shapes).items() if name.isupper()
               and isinstance(value, str)]
    assert len(reasons) == len(set(reasons)) > 10


def test_the_handler_table_dispatches_subclasses_and_caches(tmp_path: Path) -> None:
    writer = get_writer("voc")(tmp_path / "out", Options())
    try:
        assert writer.handler_of[DocumentBoxAnnotation] == writer._box  # a subclass of a box
        assert DocumentBoxAnnotation in writer.handler_of                # found once, kept
        from lbconvert.model import PointAnnotation

        drop = writer.handler_of[PointAnnotation]
        assert drop(None, None) is None
        assert dict(writer.report.dropped) == {"point not representable in voc": 1}
    finally:
        writer.abort()
