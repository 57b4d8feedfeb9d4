"""The shared geometry helpers at their boundaries, by their public names:
rings with and without a closing point, exact areas and boxes, degenerate
rings, and clipping against the image window on every side.

Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import pytest

from lbconvert.model import Box, Point
from lbconvert.write.geometry import (
    bounds, clip_ring, extent, is_degenerate_ring, repair_ring, ring, ring_area, ring_xy,
    shoelace,
)
from lbconvert.write.shapes import clipped

W, H = 200.0, 100.0


def points(*xy: tuple[float, float]) -> list[Point]:
    return [Point(x=x, y=y) for x, y in xy]


# --- rings ------------------------------------------------------------------------------

def test_ring_drops_only_a_repeated_closing_point() -> None:
    assert ring_xy(points((0, 0), (4, 0), (0, 3), (0, 0))) == ([0, 4, 0], [0, 0, 3])
    # same x at both ends but another y, and the other way round: not closed
    assert ring_xy(points((0, 0), (4, 0), (0, 3))) == ([0, 4, 0], [0, 0, 3])
    assert ring_xy(points((0, 0), (4, 4), (5, 0))) == ([0, 4, 5], [0, 4, 0])
    assert ring_xy(points((1, 2), (4, 4), (7, 2))) == ([1, 4, 7], [2, 4, 2])
    assert ring(points((0, 0), (4, 0), (0, 3), (0, 0))) == [(0, 0), (4, 0), (0, 3)]


def test_a_single_point_is_kept() -> None:
    # one point is not a closed ring of one: nothing to drop
    assert ring_xy(points((5, 6))) == ([5], [6])
    assert ring_xy([]) == ([], [])
    # two equal points: the second closes the first
    assert ring_xy(points((5, 6), (5, 6))) == ([5], [6])


# --- areas and boxes ----------------------------------------------------------------------

@pytest.mark.parametrize("vertices, area", [
    ([(0, 0), (4, 0), (0, 3)], 6.0),                       # right triangle: 4 * 3 / 2
    ([(0, 0), (0, 3), (4, 0)], 6.0),                       # the other orientation
    ([(0, 0), (5, 0), (5, 2), (0, 2)], 10.0),              # rectangle 5 x 2
    # concave: 16 - the notch (4,4) (2,1) (0,4) = 16 - 4 * 3 / 2 = 10
    ([(0, 0), (4, 0), (4, 4), (2, 1), (0, 4)], 10.0),
    ([(1, 1), (3, 1), (3, 4)], 3.0),                       # 2 * 3 / 2, away from the origin
    ([(0, 0), (4, 0)], 0.0),                               # fewer than 3 vertices
    ([(0, 0), (0, 0), (0, 0)], 0.0),
])
def test_shoelace_and_ring_area(vertices, area: float) -> None:
    assert ring_area(vertices) == area
    xs, ys = [v[0] for v in vertices], [v[1] for v in vertices]
    assert shoelace(xs, ys) == area


def test_bounds_are_left_top_width_height() -> None:
    # xs 3 .. 10 -> left 3, width 7; ys 4 .. 12 -> top 4, height 8
    assert bounds([(3.0, 4.0), (10.0, 6.0), (5.0, 12.0)]) == Box(left=3.0, top=4.0, width=7.0,
                                                                 height=8.0)
    # negative coordinates: xs -6 .. -2 -> width 4; ys -9 .. 1 -> height 10
    assert bounds([(-2.0, 1.0), (-6.0, -9.0)]) == Box(left=-6.0, top=-9.0, width=4.0, height=10.0)


def test_extent_is_min_and_max() -> None:
    assert extent([3.0, -1.0, 2.0, 7.5]) == (-1.0, 7.5)
    assert extent([4.0]) == (4.0, 4.0)


# --- degenerate rings ---------------------------------------------------------------------

@pytest.mark.parametrize("vertices, degenerate", [
    ([], True),
    ([(0.0, 0.0)], True),
    ([(0.0, 0.0), (5.0, 5.0)], True),                          # 2 points
    ([(0.0, 0.0), (5.0, 5.0), (0.0, 0.0)], True),              # 3 points, 2 distinct
    ([(0.0, 0.0), (5.0, 5.0), (9.0, 9.0)], True),              # collinear
    ([(0.0, 0.0), (2.0, 2.0), (4.0, 4.0), (6.0, 6.0)], True),  # 4 collinear, distinct
    ([(0.0, 0.0), (4.0, 0.0), (0.0, 3.0)], False),             # a triangle (3 distinct)
    ([(0.0, 0.0), (40.0, 40.0), (40.0, 0.0), (0.0, 40.0)], False),  # bow-tie: sum 0, area 800
])
def test_is_degenerate_ring(vertices, degenerate: bool) -> None:
    assert is_degenerate_ring(vertices) is degenerate


# --- clipping to the image ----------------------------------------------------------------

@pytest.mark.parametrize("box, expected", [
    (Box(left=10, top=10, width=20, height=20), Box(left=10, top=10, width=20, height=20)),
    (Box(left=0, top=0, width=200, height=100), Box(left=0, top=0, width=200, height=100)),
    (Box(left=-10, top=10, width=30, height=20), Box(left=0, top=10, width=20, height=20)),
    (Box(left=10, top=-10, width=20, height=30), Box(left=10, top=0, width=20, height=20)),
    (Box(left=190, top=10, width=20, height=20), Box(left=190, top=10, width=10, height=20)),
    (Box(left=10, top=90, width=20, height=20), Box(left=10, top=90, width=20, height=10)),
    (Box(left=-5, top=-5, width=300, height=300), Box(left=0, top=0, width=200, height=100)),
    # touching the image from outside on each side, and one pixel beyond: nothing left
    (Box(left=-20, top=10, width=20, height=20), None),
    (Box(left=-21, top=10, width=20, height=20), None),
    (Box(left=10, top=-20, width=20, height=20), None),
    (Box(left=10, top=-21, width=20, height=20), None),
    (Box(left=200, top=10, width=20, height=20), None),
    (Box(left=201, top=10, width=20, height=20), None),
    (Box(left=10, top=100, width=20, height=20), None),
    (Box(left=10, top=101, width=20, height=20), None),
    # zero width or height inside the image
    (Box(left=10, top=10, width=0, height=20), None),
    (Box(left=10, top=10, width=20, height=0), None),
])
def test_clip_box(box: Box, expected) -> None:
    corners = clipped(box.left, box.top, box.left + box.width, box.top + box.height, 200, 100)
    assert corners == (None if expected is None else (
        expected.left, expected.top, expected.left + expected.width, expected.top + expected.height))


def parts_summary(rings) -> list[tuple[Box, float]]:
    return [(bounds(part), ring_area(part)) for part in rings]


@pytest.mark.parametrize("vertices, expected", [
    # square -10..10 around the top-left corner: 0..10 x 0..10 is left, area 100
    ([(-10.0, -10.0), (10.0, -10.0), (10.0, 10.0), (-10.0, 10.0)],
     [(Box(left=0.0, top=0.0, width=10.0, height=10.0), 100.0)]),
    # square 190..210 x 90..110 around the bottom-right corner: 190..200 x 90..100
    ([(190.0, 90.0), (210.0, 90.0), (210.0, 110.0), (190.0, 110.0)],
     [(Box(left=190.0, top=90.0, width=10.0, height=10.0), 100.0)]),
    # the whole image and more: the image, 200 x 100 = 20000
    ([(-1.0, -1.0), (201.0, -1.0), (201.0, 101.0), (-1.0, 101.0)],
     [(Box(left=0.0, top=0.0, width=200.0, height=100.0), 20000.0)]),
    # inside: unchanged (a 4 x 3 right triangle, area 6)
    ([(10.0, 10.0), (14.0, 10.0), (10.0, 13.0)],
     [(Box(left=10.0, top=10.0, width=4.0, height=3.0), 6.0)]),
    # touching the left edge from outside, and wholly outside: nothing
    ([(-20.0, 10.0), (0.0, 10.0), (0.0, 30.0)], []),
    ([(-20.0, -20.0), (-10.0, -20.0), (-10.0, -10.0)], []),
])
def test_clip_ring_window(vertices, expected) -> None:
    assert parts_summary(clip_ring(vertices, W, H)) == expected


def test_clip_ring_in_two_parts_largest_first() -> None:
    # Two prongs reaching down into the image from above, joined outside it:
    # left prong 10..40 x 0..20 (area 600), right prong 80..100 x 0..40 (area 800).
    prongs = [(10.0, -50.0), (100.0, -50.0), (100.0, 40.0), (80.0, 40.0), (80.0, -10.0),
              (40.0, -10.0), (40.0, 20.0), (10.0, 20.0)]
    assert parts_summary(clip_ring(prongs, W, H)) == [
        (Box(left=80.0, top=0.0, width=20.0, height=40.0), 800.0),
        (Box(left=10.0, top=0.0, width=30.0, height=20.0), 600.0),
    ]


def test_repair_ring() -> None:
    triangle = [(0.0, 0.0), (4.0, 0.0), (0.0, 3.0)]
    assert repair_ring(triangle) == [triangle]
    # bow-tie crossing at (20, 20): triangles (0,0) (20,20) (0,40) and (20,20) (40,40) (40,0),
    # each 40 * 20 / 2 = 400
    repaired = repair_ring([(0.0, 0.0), (40.0, 40.0), (40.0, 0.0), (0.0, 40.0)])
    assert sorted((b.left, b.top, b.width, b.height, a) for b, a in parts_summary(repaired)) == [
        (0.0, 0.0, 20.0, 40.0, 400.0), (20.0, 0.0, 20.0, 40.0, 400.0)]


def test_clip_ring_of_a_self_intersecting_polygon() -> None:
    # bow-tie (-10,0) (30,40) (30,0) (-10,40), crossing at (10,20), cut at x = 0:
    # right triangle (10,20) (30,40) (30,0): 40 * 20 / 2 = 400, box 10..30 x 0..40;
    # left triangle cut to (0,10) (10,20) (0,30): 20 * 10 / 2 = 100, box 0..10 x 10..30
    bow_tie = [(-10.0, 0.0), (30.0, 40.0), (30.0, 0.0), (-10.0, 40.0)]
    assert parts_summary(clip_ring(bow_tie, W, H)) == [
        (Box(left=10.0, top=0.0, width=20.0, height=40.0), 400.0),
        (Box(left=0.0, top=10.0, width=10.0, height=20.0), 100.0),
    ]


def test_shoelace_of_nothing_is_zero() -> None:
    assert shoelace([], []) == 0.0
    assert shoelace([3.0], [4.0]) == 0.0


def test_clip_ring_keeps_a_part_smaller_than_a_pixel() -> None:
    # right triangle with legs 1 and 0.5 inside the image: area 0.25, kept as it is
    tiny = [(10.0, 10.0), (11.0, 10.0), (10.0, 10.5)]
    assert parts_summary(clip_ring(tiny, W, H)) == [
        (Box(left=10.0, top=10.0, width=1.0, height=0.5), 0.25)]
    # half of it outside the left edge: (0,10) (0.5,10) (0,10.25), area 0.5 * 0.25 / 2
    half = [(-0.5, 10.0), (0.5, 10.0), (-0.5, 10.5)]
    assert parts_summary(clip_ring(half, W, H)) == [
        (Box(left=0.0, top=10.0, width=0.5, height=0.25), 0.0625)]
