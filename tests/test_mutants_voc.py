"""Pascal VOC: behaviour the mutation runner found untested (``python -m
benchmarks.mutate --module lbconvert/write/voc.py --sample 40 --seed 2``
and ``--only`` on the lines of the survivors issue 16 names).

* a box reaching less than a pixel beyond an edge is clipped and marked
  ``truncated`` on every side (the mapping of ``tests/test_boundaries_voc.py``:
  ``xmin = floor(left) + 1``, ``ymin = floor(top) + 1``, ``xmax =
  ceil(right)``, ``ymax = ceil(bottom)``, clipped to ``1..W`` and ``1..H``);
* under ``clip``, a polygon whose vertices' box overlaps the image while the
  polygon itself does not is dropped as ``polygon outside image``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .inline import box, polygon
from .test_boundaries_voc import only_object


@pytest.mark.parametrize("left, top, width, height, expected", [
    # -0.5..9.5 -> 0..9.5: xmin 1, xmax 10 (unclipped xmin would be floor(-0.5) + 1 = 0)
    (-0.5, 10, 10, 5, ((1, 11, 10, 15), 1)),
    # -0.5..4.5 -> 0..4.5: ymin 1, ymax 5 (unclipped ymin 0)
    (10, -0.5, 5, 5, ((11, 1, 15, 5), 1)),
    # 190..200.5 -> 190..200: xmax 200 (unclipped ceil(200.5) = 201)
    (190, 10, 10.5, 5, ((191, 11, 200, 15), 1)),
    # 90..100.5 -> 90..100: ymax 100 (unclipped 101)
    (10, 90, 5, 10.5, ((11, 91, 15, 100), 1)),
    # all four at once
    (-0.5, -0.5, 201, 101, ((1, 1, 200, 100), 1)),
])
def test_a_box_less_than_a_pixel_beyond_an_edge(tmp_path: Path, left: float, top: float,
                                                width: float, height: float, expected) -> None:
    written, report = only_object(tmp_path, box("car", left, top, width, height))
    assert written == expected
    assert not report.dropped


@pytest.mark.parametrize("clip", [True, False])
def test_a_polygon_beside_a_corner_whose_box_overlaps_the_image(tmp_path: Path,
                                                                 clip: bool) -> None:
    # The triangle (-10, 5) (5, -10) (-10, -10) lies where x + y <= -5, beside
    # the image's top-left corner, but its vertices' box -10..5 x -10..5
    # overlaps the image (0..5 x 0..5).  Cut to the image nothing is left:
    # dropped.  Without clip the box of the vertices is written, clipped to
    # 0..5 x 0..5 -> 1..5 x 1..5, truncated.
    triangle = polygon("lake", [(-10, 5), (5, -10), (-10, -10)])
    written, report = only_object(tmp_path, triangle, clip=clip)
    if clip:
        assert written is None
        assert report.dropped == {"polygon outside image": 1}
    else:
        assert written == ((1, 1, 5, 5), 1)
        assert not report.dropped
