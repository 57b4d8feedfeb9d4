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


def test_a_too_tangled_ring_across_an_edge_is_cut_as_it_is(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shapely, "make_valid", never_called)
    shifted = [(x - 50.0, y) for x, y in ZIGZAG]  # even vertices at x = -50, odd at 50
    # Sutherland-Hodgman at x = 0: every edge crosses it (the closing one from
    # vertex 149 to vertex 0 too), at the middle of its two y; each odd vertex
    # (inside) follows the crossing of the edge that reaches it.
    expected = []
    for i, (x, y) in enumerate(shifted):
        previous_y = shifted[i - 1][1]
        expected.append((0.0, (previous_y + y) / 2))
        if x > 0:
            expected.append((x, y))
    assert clip_ring(shifted, W, H) == [expected]
    assert len(expected) == 150 + 75


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
