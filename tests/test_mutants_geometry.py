"""The geometry layer: behaviour the mutation runner found untested
(``python -m benchmarks.mutate --module lbconvert/write/geometry.py
--sample 40 --seed 2`` and the same for ``write/shapes.py``).

* a ring too tangled to repair (:data:`lbconvert.write.geometry.MAX_TANGLE`)
  is never handed to ``shapely.make_valid`` (whose cost grows with the square
  of the crossings): :func:`repair_ring` keeps it, :func:`clip_ring` cuts it
  to the image as it is (Sutherland-Hodgman) and :func:`is_degenerate_ring`
  takes it for a ring with area;
* :func:`is_degenerate_ring` answers a ring with a positive shoelace area
  without shapely (whose import costs a third of a second).
"""

from __future__ import annotations

import pytest
import shapely

from lbconvert.write.geometry import (
    MAX_TANGLE, clip_ring, is_degenerate_ring, repair_ring, too_tangled,
)

W, H = 200.0, 100.0

# A zigzag between x = 0 and x = 100, rising 1/8 per vertex (150 vertices, the
# last at y = 149/8): 149 strokes of about 100 and a closing edge along x = 0
# that touches every even vertex: a perimeter of about 15,000 around a convex
# hull of about 237, 63 times as long (> MAX_TANGLE = 50).  Every value is a
# multiple of 1/16, so every sum below is exact.
ZIGZAG = [(0.0 if i % 2 == 0 else 100.0, i / 8) for i in range(150)]


def never_called(*args: object, **kwargs: object) -> None:
    raise AssertionError("shapely.make_valid called on a ring too tangled to repair")


def test_the_zigzag_is_too_tangled_and_a_bow_tie_is_not() -> None:
    zigzag = shapely.Polygon(ZIGZAG)
    assert not zigzag.is_valid
    assert zigzag.exterior.length > MAX_TANGLE * zigzag.convex_hull.length
    assert too_tangled(zigzag) is True
    bow_tie = shapely.Polygon([(0.0, 0.0), (40.0, 40.0), (40.0, 0.0), (0.0, 40.0)])
    assert too_tangled(bow_tie) is False


def test_a_too_tangled_ring_is_kept_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shapely, "make_valid", never_called)
    assert repair_ring(ZIGZAG) == [ZIGZAG]
    # wholly inside the image: the cut leaves every vertex, in order
    assert clip_ring(ZIGZAG, W, H) == [ZIGZAG]


def strokes(low: float, high: float, across_x: bool) -> list[tuple[float, float]]:
    """ZIGZAG with its strokes between ``low`` and ``high``, horizontal or
    (``across_x`` False) vertical."""
    return [((low if x == 0.0 else high), y) if across_x else (y, (low if x == 0.0 else high))
            for x, y in ZIGZAG]


@pytest.mark.parametrize("vertices, axis, limit", [
    (strokes(-50.0, 50.0, True), 0, 0.0),      # across the left edge x = 0
    (strokes(150.0, 250.0, True), 0, W),       # across the right edge x = 200
    (strokes(-50.0, 50.0, False), 1, 0.0),     # across the top edge y = 0
    (strokes(50.0, 150.0, False), 1, H),       # across the bottom edge y = 100
])
def test_a_too_tangled_ring_across_an_edge_is_cut_as_it_is(
        monkeypatch: pytest.MonkeyPatch, vertices, axis: int, limit: float) -> None:
    monkeypatch.setattr(shapely, "make_valid", never_called)
    # Sutherland-Hodgman: every edge crosses the image's edge (the closing one
    # from vertex 149 to vertex 0 too) half way, as the strokes reach 50
    # beyond it on both sides; each vertex inside follows the crossing of the
    # edge that reaches it.  The other three edges of the image cut nothing.
    inside = 0 < vertices[1][axis] < (W, H)[axis]  # odd vertices, else even ones
    expected: list[tuple[float, ...]] = []
    for i, vertex in enumerate(vertices):
        previous = vertices[i - 1]
        crossing = [(previous[k] + vertex[k]) / 2 for k in (0, 1)]
        crossing[axis] = limit
        expected.append(tuple(crossing))
        if (i % 2 == 1) == inside:
            expected.append(vertex)
    assert len(expected) == 150 + 75
    assert clip_ring(vertices, W, H) == [expected]


def test_a_too_tangled_ring_without_shoelace_area_is_not_repaired(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the zigzag walked up and back down the same strokes: a signed area of 0
    # (exactly: every value is a multiple of 1/8), too tangled for make_valid
    up = ZIGZAG[:120]
    there_and_back = up + up[-2:0:-1]
    assert too_tangled(shapely.Polygon(there_and_back))
    monkeypatch.setattr(shapely, "make_valid", never_called)
    assert is_degenerate_ring(there_and_back) is False


def test_a_ring_with_area_is_answered_without_shapely(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_polygon(*args: object, **kwargs: object) -> None:
        raise AssertionError("shapely used for a ring with a positive shoelace area")

    monkeypatch.setattr(shapely, "Polygon", no_polygon)
    assert is_degenerate_ring([(0.0, 0.0), (4.0, 0.0), (0.0, 3.0)]) is False
    # a bow-tie crossing at (40/3, 40/3) with halves of different sizes,
    # 20 * (40/3) / 2 and 40 * (80/3) / 2: a shoelace sum of 1600/3 - 400/3 = 400
    assert is_degenerate_ring([(0.0, 0.0), (40.0, 40.0), (40.0, 0.0), (0.0, 20.0)]) is False
    # 2 distinct points: degenerate before any area is computed
    assert is_degenerate_ring([(0.0, 0.0), (4.0, 0.0), (0.0, 0.0)]) is True


def test_a_tiny_tangled_ring_is_too_tangled_too() -> None:
    # ZIGZAG scaled by 1/1024 (exactly): a hull about 0.23 long, the same ratio
    tiny = shapely.Polygon([(x / 1024, y / 1024) for x, y in ZIGZAG])
    assert tiny.convex_hull.length < 1.0
    assert too_tangled(tiny) is True


@pytest.mark.parametrize("vertices", [
    strokes(0.0, 100.0, True),       # strokes from the left edge x = 0
    strokes(100.0, 200.0, True),     # to the right edge x = 200
    strokes(0.0, 50.0, False),       # from the top edge y = 0
    strokes(50.0, 100.0, False),     # to the bottom edge y = 100
])
def test_a_too_tangled_ring_touching_an_edge_from_inside_is_not_cut(
        monkeypatch: pytest.MonkeyPatch, vertices) -> None:
    monkeypatch.setattr(shapely, "make_valid", never_called)
    # a vertex on the edge is inside: no crossing is added, none repeated
    assert clip_ring(vertices, W, H) == [vertices]


def test_a_too_tangled_ring_cut_to_a_triangle_or_to_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shapely, "make_valid", never_called)
    # strokes from x = -450 to x = -50, left of the image, but vertex 1 is
    # moved to (10, 1/8): its two edges cross x = 0, from (-450, 0) at
    # 450/460 of the way and back to (-450, 2/8) at 10/460 of it: a triangle
    # (the hull grows to about 957, the perimeter to about 59,600: still too tangled)
    outside = strokes(-450.0, -50.0, True)
    poking = [outside[0], (10.0, 0.125), *outside[2:]]
    (cut,) = clip_ring(poking, W, H)
    assert cut == [(0.0, pytest.approx(0.125 * 450 / 460)), (10.0, 0.125),
                   (0.0, pytest.approx(0.125 + 0.125 * 10 / 460))]
    # wholly outside: nothing
    assert clip_ring(outside, W, H) == []
