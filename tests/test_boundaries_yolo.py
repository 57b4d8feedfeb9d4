"""YOLO at its boundaries: boxes and polygons crossing or touching every side
of the image (exact label rows), degenerate shapes, keypoints on a box's
edge, and the joining of a shape in three or more parts.

Only the public behaviour is checked (label files written by
``lbconvert.convert``, the report, and :func:`lbconvert.write.yolo.merge_parts`);
every expected row is worked out by hand in a comment: detect rows are
``class cx cy w h`` of the box clipped to the image, divided by the image's
width (x) and height (y), ``%.6f``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import lbconvert
from lbconvert.write.yolo import merge_parts

from .inline import box, point, polygon, row, write_export

W, H = 200, 100  # the image of every case below


def label_rows(tmp_path: Path, objects: list[dict[str, Any]], **options: Any
               ) -> tuple[list[str], lbconvert.Report]:
    tmp_path.mkdir(exist_ok=True)
    export = write_export(tmp_path / "export.ndjson", [row("img", objects, W, H)])
    out = tmp_path / "yolo"
    report = lbconvert.convert(export, "yolo", out, **options)
    assert report.is_balanced(), report.to_dict()
    rows = (out / "labels" / "train" / "img.txt").read_text().splitlines()
    for line in rows:  # whatever the case: every coordinate normalised into [0, 1]
        values = [float(v) for v in line.split()[1:]]
        if options.get("task") == "pose":  # x y visibility per keypoint after the box
            values = values[:4] + [v for i, v in enumerate(values[4:]) if i % 3 != 2]
        assert all(0.0 <= v <= 1.0 for v in values), line
        assert "-0.000000" not in line.split(), line
    return rows, report


# --- detect: boxes on every side ----------------------------------------------------------

@pytest.mark.parametrize("left, top, width, height, expected", [
    # the whole image: centre (100, 50) -> 0.5 0.5, size 1 x 1
    (0, 0, 200, 100, "0 0.500000 0.500000 1.000000 1.000000"),
    # inside: 10..30 x 10..30 -> cx 20/200 = 0.1, cy 20/100 = 0.2, w 20/200 = 0.1, h 0.2
    (10, 10, 20, 20, "0 0.100000 0.200000 0.100000 0.200000"),
    # crossing the left edge: -10..20 -> 0..20: cx 10/200 = 0.05, w 20/200 = 0.1
    (-10, 10, 30, 20, "0 0.050000 0.200000 0.100000 0.200000"),
    # crossing the top edge: -10..20 -> 0..20: cy 10/100 = 0.1, h 20/100 = 0.2
    (10, -10, 20, 30, "0 0.100000 0.100000 0.100000 0.200000"),
    # far over the top: -50..10 -> 0..10: cy 5/100 = 0.05, h 0.1 (unclamped: cy -0.2, h 0.6)
    (10, -50, 20, 60, "0 0.100000 0.050000 0.100000 0.100000"),
    # crossing the right edge: 190..210 -> 190..200: cx 195/200 = 0.975, w 10/200 = 0.05
    (190, 10, 20, 20, "0 0.975000 0.200000 0.050000 0.200000"),
    # crossing the bottom edge: 90..110 -> 90..100: cy 95/100 = 0.95, h 10/100 = 0.1
    (10, 90, 20, 20, "0 0.100000 0.950000 0.100000 0.100000"),
    # larger than the image on every side: the whole image
    (-10, -10, 220, 120, "0 0.500000 0.500000 1.000000 1.000000"),
    # one pixel inside each corner
    (-5, -5, 6, 6, "0 0.002500 0.005000 0.005000 0.010000"),        # 0..1 x 0..1
    (199, 99, 6, 6, "0 0.997500 0.995000 0.005000 0.010000"),       # 199..200 x 99..100
])
def test_detect_box_rows(tmp_path: Path, left, top, width, height, expected: str) -> None:
    rows, report = label_rows(tmp_path, [box("car", left, top, width, height)])
    assert rows == [expected]
    assert not report.dropped


@pytest.mark.parametrize("left, top, width, height", [
    (-20, 10, 20, 20),    # right edge exactly on the image's left edge
    (-21, 10, 20, 20),    # one pixel beyond
    (10, -20, 20, 20),    # bottom edge exactly on the image's top edge
    (10, -21, 20, 20),
    (200, 10, 20, 20),    # left edge exactly on the image's right edge
    (201, 10, 20, 20),
    (10, 100, 20, 20),    # top edge exactly on the image's bottom edge
    (10, 101, 20, 20),
])
@pytest.mark.parametrize("task", ["detect", "obb", "pose"])
def test_box_touching_the_image_from_outside_is_dropped(tmp_path: Path, left, top, width,
                                                        height, task: str) -> None:
    options: dict[str, Any] = {"task": task}
    if task == "pose":
        options["keypoint_names"] = ("nose",)
    rows, report = label_rows(tmp_path, [box("car", left, top, width, height)], **options)
    assert rows == []
    assert report.dropped == {"box outside image": 1}


@pytest.mark.parametrize("width, height", [(0, 20), (20, 0), (0, 0), (-5, 20), (20, -5)])
@pytest.mark.parametrize("task", ["detect", "obb"])
def test_degenerate_boxes_are_dropped(tmp_path: Path, width, height, task: str) -> None:
    rows, report = label_rows(tmp_path, [box("car", 10, 10, width, height)], task=task)
    assert rows == []
    assert report.dropped == {"degenerate box": 1}


@pytest.mark.parametrize("left, top, width, height, expected", [
    # corners top-left, top-right, bottom-right, bottom-left of the clipped box
    # 190..210 x 10..30 -> 190..200: x 0.95, 1.0; y 0.1, 0.3
    (190, 10, 20, 20, "0 0.950000 0.100000 1.000000 0.100000 1.000000 0.300000 "
                      "0.950000 0.300000"),
    # -10..20 x -10..20 -> 0..20 x 0..20: x 0, 0.1; y 0, 0.2
    (-10, -10, 30, 30, "0 0.000000 0.000000 0.100000 0.000000 0.100000 0.200000 "
                       "0.000000 0.200000"),
])
def test_obb_box_corners_are_clipped(tmp_path: Path, left, top, width, height, expected) -> None:
    rows, _ = label_rows(tmp_path, [box("car", left, top, width, height)], task="obb")
    assert rows == [expected]


# --- detect: boxes of shapes --------------------------------------------------------------

def test_box_of_a_polygon_across_the_top_left_corner(tmp_path: Path) -> None:
    # vertices x -20..60, y -10..40 -> clipped 0..60 x 0..40:
    # cx 30/200 = 0.15, cy 20/100 = 0.2, w 60/200 = 0.3, h 40/100 = 0.4
    shape = polygon("field", [(-20.0, -10.0), (60.0, 5.0), (30.0, 40.0)])
    rows, _ = label_rows(tmp_path, [shape], boxes_from_shapes=True)
    assert rows == ["0 0.150000 0.200000 0.300000 0.400000"]


# --- segment: coordinates clamped, polygons on every side ---------------------------------

def test_segment_coordinates_are_clamped_to_the_unit_square(tmp_path: Path) -> None:
    # (-20, 10) (100, -0.0) (250, 50) (100, 120): x / 200, y / 100, then clamped:
    # -0.1 -> 0, 0.1; 0.5, -0.0 -> 0 (never "-0.000000"); 1.25 -> 1, 0.5; 0.5, 1.2 -> 1
    shape = polygon("field", [(-20.0, 10.0), (100.0, -0.0), (250.0, 50.0), (100.0, 120.0)])
    rows, _ = label_rows(tmp_path, [shape], task="segment")
    assert rows == ["0 0.000000 0.100000 0.500000 0.000000 1.000000 0.500000 "
                    "0.500000 1.000000"]


def test_segment_tiny_negative_coordinate_is_zero(tmp_path: Path) -> None:
    # -1e-9 / 200 rounds to "-0.000000" unless clamped first
    shape = polygon("field", [(-1e-9, 10.0), (100.0, 10.0), (100.0, 50.0)])
    rows, _ = label_rows(tmp_path, [shape], task="segment")
    assert rows == ["0 0.000000 0.100000 0.500000 0.100000 0.500000 0.500000"]


@pytest.mark.parametrize("points", [
    [(-20.0, 10.0), (0.0, 10.0), (0.0, 30.0)],        # touching the left edge from outside
    [(10.0, -20.0), (30.0, 0.0), (10.0, 0.0)],        # the top edge
    [(200.0, 10.0), (220.0, 10.0), (200.0, 30.0)],    # the right edge
    [(10.0, 100.0), (30.0, 100.0), (10.0, 120.0)],    # the bottom edge
])
@pytest.mark.parametrize("options", [{"task": "segment"}, {"task": "segment", "clip": True},
                                     {"task": "detect", "boxes_from_shapes": True}])
def test_polygon_touching_the_image_from_outside_is_dropped(tmp_path: Path, points, options
                                                            ) -> None:
    rows, report = label_rows(tmp_path, [polygon("field", points)], **options)
    assert rows == []
    assert report.dropped == {"polygon outside image": 1}


@pytest.mark.parametrize("points", [
    [(10.0, 10.0), (50.0, 50.0), (10.0, 10.0)],       # 2 distinct points
    [(10.0, 10.0), (30.0, 30.0), (50.0, 50.0)],       # collinear
])
def test_segment_degenerate_polygon_is_dropped(tmp_path: Path, points) -> None:
    rows, report = label_rows(tmp_path, [polygon("field", points)], task="segment")
    assert rows == []
    assert report.dropped == {"degenerate polygon": 1}


def test_segment_polygon_inside_is_written_as_exported(tmp_path: Path) -> None:
    # (20, 10) (80, 10) (50, 60): x / 200 = 0.1 0.4 0.25; y / 100 = 0.1 0.1 0.6
    shape = polygon("field", [(20.0, 10.0), (80.0, 10.0), (50.0, 60.0), (20.0, 10.0)])
    rows, _ = label_rows(tmp_path / "plain", [shape], task="segment")
    assert rows == ["0 0.100000 0.100000 0.400000 0.100000 0.250000 0.600000"]
    # clip passes the ring through shapely, which may start it elsewhere: same vertices
    (clipped,), _ = label_rows(tmp_path / "clip", [shape], task="segment", clip=True)
    values = clipped.split()[1:]
    assert sorted(zip(values[::2], values[1::2])) == [
        ("0.100000", "0.100000"), ("0.250000", "0.600000"), ("0.400000", "0.100000")]


# --- pose: keypoints on the edges of a box ------------------------------------------------

@pytest.mark.parametrize("x, y, attached", [
    (10.0, 10.0, True),    # the box's top-left corner (edges belong to the box)
    (50.0, 30.0, True),    # its bottom-right corner
    (50.5, 20.0, False),   # half a pixel right of it
    (30.0, 9.5, False),    # half a pixel above it
])
def test_pose_keypoint_on_the_box_edge(tmp_path: Path, x: float, y: float, attached: bool
                                      ) -> None:
    # box 10..50 x 10..30: cx 30/200 = 0.15, cy 20/100 = 0.2, w 40/200 = 0.2, h 20/100 = 0.2
    rows, report = label_rows(tmp_path, [box("person", 10, 10, 40, 20), point("nose", x, y)],
                              task="pose", keypoint_names=("nose",))
    keypoint = f"{x / W:.6f} {y / H:.6f} 2" if attached else "0 0 0"
    assert rows == [f"0 0.150000 0.200000 0.200000 0.200000 {keypoint}"]
    assert dict(report.dropped) == ({} if attached else {"point outside every box": 1})


# --- joining parts (Ultralytics' merge_multi_segment rule) --------------------------------

def test_merge_three_parts_with_a_reversed_middle_part() -> None:
    first = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]
    middle = [(14.0, 10.0), (14.0, 14.0), (10.0, 14.0), (10.0, 10.0)]
    last = [(20.0, 0.0), (24.0, 0.0), (24.0, 4.0), (20.0, 4.0)]
    # closest pairs: first[2] (4,4) - middle[3] (10,10), 36 + 36 = 72 (every other pair is
    # farther); middle[0] (14,10) - last[3] (20,4), 36 + 36 = 72.
    # The middle part is entered at index 3 and left at 0: 3 > 0, so it is walked reversed,
    # [(10,10) (10,14) (14,14) (14,10)], entered at 3 - 3 = 0 and left at 3 - 0 = 3.
    # first, from its link round to itself: (4,4) (0,4) (0,0) (4,0) (4,4)
    # middle forward, entry to exit: (10,10) (10,14) (14,14) (14,10)
    # last, from its link round to itself: (20,4) (20,0) (24,0) (24,4) (20,4)
    # middle back, exit round to entry: (14,10) (10,10)
    assert merge_parts([first, middle, last]) == [
        (4.0, 4.0), (0.0, 4.0), (0.0, 0.0), (4.0, 0.0), (4.0, 4.0),
        (10.0, 10.0), (10.0, 14.0), (14.0, 14.0), (14.0, 10.0),
        (20.0, 4.0), (20.0, 0.0), (24.0, 0.0), (24.0, 4.0), (20.0, 4.0),
        (14.0, 10.0), (10.0, 10.0),
    ]


def test_merge_three_parts_in_a_row_with_tied_links() -> None:
    # Squares side by side: the pairs (2,0)-(10,0) and (2,2)-(10,2) tie at 64; the first
    # in row-major order wins: first[1] - second[0], and second[1] - third[0] the same way.
    first = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]
    second = [(10.0, 0.0), (12.0, 0.0), (12.0, 2.0), (10.0, 2.0)]
    third = [(20.0, 0.0), (22.0, 0.0), (22.0, 2.0), (20.0, 2.0)]
    # second: entry 0, exit 1 (not reversed, one step); forward (10,0) (12,0);
    # back from the exit round to the entry: (12,0) (12,2) (10,2) (10,0)
    assert merge_parts([first, second, third]) == [
        (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0), (2.0, 0.0),
        (10.0, 0.0), (12.0, 0.0),
        (20.0, 0.0), (22.0, 0.0), (22.0, 2.0), (20.0, 2.0), (20.0, 0.0),
        (12.0, 0.0), (12.0, 2.0), (10.0, 2.0), (10.0, 0.0),
    ]


def test_merge_four_parts_returns_through_the_middle_parts_in_reverse() -> None:
    # Four unit-spaced triangles along x; each links its vertex (x+2, 0) to the next
    # one's (x+10, 0) (distance 8, all others farther), entering the next at index 0
    # and leaving at index 1.
    def part(x: float) -> list[tuple[float, float]]:
        return [(x, 0.0), (x + 2.0, 0.0), (x + 1.0, 2.0)]

    a, b, c, d = part(0.0), part(10.0), part(20.0), part(30.0)
    assert merge_parts([a, b, c, d]) == [
        (2.0, 0.0), (1.0, 2.0), (0.0, 0.0), (2.0, 0.0),      # a from index 1 round
        (10.0, 0.0), (12.0, 0.0),                            # b: entry 0 to exit 1
        (20.0, 0.0), (22.0, 0.0),                            # c: entry 0 to exit 1
        (30.0, 0.0), (32.0, 0.0), (31.0, 2.0), (30.0, 0.0),  # d all round from index 0
        (22.0, 0.0), (21.0, 2.0), (20.0, 0.0),               # back: c from exit round
        (12.0, 0.0), (11.0, 2.0), (10.0, 0.0),               # then b
    ]


def test_merge_of_one_or_two_parts() -> None:
    single = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)]
    assert merge_parts([single]) == single
    assert merge_parts([]) == []
    right = [(10.0, 0.0), (14.0, 0.0), (10.0, 4.0)]
    # closest: single[1] (4,0) - right[0] (10,0), 36; single[1] - right[2] (10,4) is 52
    assert merge_parts([single, right]) == [
        (4.0, 0.0), (0.0, 4.0), (0.0, 0.0), (4.0, 0.0),
        (10.0, 0.0), (14.0, 0.0), (10.0, 4.0), (10.0, 0.0),
    ]


@pytest.mark.parametrize("tie", [False, True])
def test_closest_vertex_search_across_blocks(tie: bool) -> None:
    # A second part of 2**19 + 1 vertices: the search takes one vertex of the first part
    # per block (2**20 // (2**19 + 1) == 1), so the closest pair is found in a later block.
    line = [(1000.0 + i, 0.0) for i in range(2 ** 19 + 1)]
    # (999, 3) is closest to (1000, 0): 1 + 9 = 10; (0, 0) is 10**6 away.  With the tie,
    # (999, -3) at index 0 is as close, and the first pair in row-major order wins.
    first = [(999.0, -3.0) if tie else (0.0, 5.0), (0.0, 0.0), (999.0, 3.0)]
    merged = merge_parts([first, line])
    start = first[0] if tie else first[2]
    assert merged[0] == start and merged[len(first)] == start
    assert merged[len(first) + 1] == (1000.0, 0.0)
    assert len(merged) == len(first) + 1 + len(line) + 1


def test_segment_multi_part_object_is_one_row_or_one_per_part(tmp_path: Path) -> None:
    # A bow-tie repaired into two triangles: one merged row, or two with split_parts.
    bow_tie = polygon("field", [(0.0, 0.0), (40.0, 40.0), (40.0, 0.0), (0.0, 40.0)])
    merged, report = label_rows(tmp_path / "merged", [bow_tie], task="segment",
                                fix_geometry=True)
    parts, _ = label_rows(tmp_path / "parts", [bow_tie], task="segment", fix_geometry=True,
                          split_parts=True)
    assert len(merged) == 1 and len(parts) == 2
    assert report.annotations_written == 1
    # two triangles of 3 vertices each: 3 + 1 + 3 + 1 merged vertices
    assert len(merged[0].split()) == 1 + 2 * 8
    assert sorted(len(p.split()) for p in parts) == [7, 7]


# --- classes missing from a fixed list ----------------------------------------------------

@pytest.mark.parametrize("task, obj, options", [
    ("detect", box("car", 10, 10, 20, 20), {}),
    ("detect", polygon("car", [(10.0, 10.0), (30.0, 10.0), (10.0, 30.0)]),
     {"boxes_from_shapes": True}),
    ("segment", polygon("car", [(10.0, 10.0), (30.0, 10.0), (10.0, 30.0)]),
     {"boxes_as_polygons": True}),
    ("segment", box("car", 10, 10, 20, 20), {"boxes_as_polygons": True}),
    ("obb", box("car", 10, 10, 20, 20), {}),
    ("obb", polygon("car", [(10.0, 10.0), (30.0, 10.0), (10.0, 30.0)]), {}),
    ("pose", box("car", 10, 10, 20, 20), {"keypoint_names": ("nose",)}),
])
def test_class_not_in_the_classes_file_gives_no_row(tmp_path: Path, task: str, obj, options
                                                    ) -> None:
    from lbconvert.classes import ClassMap

    rows, report = label_rows(tmp_path, [obj, box("person", 0, 0, 200, 100)], task=task,
                              classes=ClassMap(["person"], fixed=True), **options)
    assert dict(report.dropped) == {"class not in classes file": 1}
    assert report.annotations_written == 1
    # only the person (class 0), the whole image
    assert len(rows) == 1 and rows[0].startswith("0 0.")


def test_merge_enters_the_last_part_at_its_own_link_vertex() -> None:
    first = [(0.0, 0.0), (2.0, 0.0), (1.0, 2.0)]
    middle = [(10.0, 0.0), (12.0, 0.0), (11.0, 2.0)]
    last = [(21.0, 2.0), (22.0, 0.0), (20.0, 0.0)]
    # links: first[1] (2,0) - middle[0] (10,0), 64; middle[1] (12,0) - last[2] (20,0), 64
    # (middle[1] - last[0] (21,2) is 81 + 4).  The last part starts at its index 2.
    assert merge_parts([first, middle, last]) == [
        (2.0, 0.0), (1.0, 2.0), (0.0, 0.0), (2.0, 0.0),
        (10.0, 0.0), (12.0, 0.0),
        (20.0, 0.0), (21.0, 2.0), (22.0, 0.0), (20.0, 0.0),
        (12.0, 0.0), (11.0, 2.0), (10.0, 0.0),
    ]


@pytest.mark.parametrize("points, expected", [
    # reaching half a pixel in from the left: x -20 -> 0, 0.5 / 200 = 0.0025; y / 100
    ([(-20.0, 10.0), (0.5, 10.0), (0.5, 30.0)],
     "0 0.000000 0.100000 0.002500 0.100000 0.002500 0.300000"),
    # half a pixel in from the top: y -20 -> 0, 0.5 / 100 = 0.005
    ([(10.0, -20.0), (30.0, 0.5), (10.0, 0.5)],
     "0 0.050000 0.000000 0.150000 0.005000 0.050000 0.005000"),
])
def test_segment_polygon_reaching_just_inside_is_kept(tmp_path: Path, points, expected) -> None:
    rows, report = label_rows(tmp_path, [polygon("field", points)], task="segment")
    assert rows == [expected] and not report.dropped


def test_segment_mask_without_its_file_is_dropped(tmp_path: Path) -> None:
    from .inline import instance_mask

    rows, report = label_rows(tmp_path, [instance_mask("blob", "f1")], task="segment")
    assert rows == []
    assert dict(report.dropped) == {"mask not available offline": 1}


def test_segment_mask_without_a_ring_is_dropped_once(tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    import numpy as np
    from PIL import Image

    from .inline import composite_mask

    # a composite mask whose colour covers one pixel and one 1-pixel line: no contour
    # with 3 points and an area, so no ring
    masks = tmp_path / "masks"
    masks.mkdir()
    canvas = np.zeros((H, W, 3), dtype=np.uint8)
    canvas[10, 10] = (5, 6, 7)
    canvas[50, 20:40] = (5, 6, 7)
    Image.fromarray(canvas).save(masks / "cm1.png")
    rows, report = label_rows(tmp_path, [composite_mask("blob", "cm1", (5, 6, 7))],
                              task="segment", masks=masks)
    assert rows == []
    assert dict(report.dropped) == {"degenerate mask": 1}
    assert report.annotations_written == 0


def test_mask_rings_without_opencv_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from lbconvert.write import rings, yolo

    monkeypatch.setattr(rings, "_cv2_module", False)  # as if OpenCV were not installed
    with pytest.raises(lbconvert.LbConvertError, match="mask contours need opencv"):
        yolo.mask_rings(np.ones((4, 4), dtype=bool))


def test_merge_middle_part_walked_the_other_way_from_an_inner_vertex() -> None:
    middle = [(10.0, 10.0), (14.0, 10.0), (14.0, 14.0), (10.0, 14.0)]
    first = [(18.0, 18.0), (20.0, 18.0), (20.0, 20.0), (18.0, 20.0)]
    last = [(18.0, 4.0), (20.0, 4.0), (20.0, 6.0), (18.0, 6.0)]
    # links: first[0] (18,18) - middle[2] (14,14), 32; middle[1] (14,10) - last[3] (18,6), 32.
    # The middle part is entered at 2 and left at 1: reversed, [(10,14) (14,14) (14,10)
    # (10,10)], entered at 3 - 2 = 1 and left at 3 - 1 = 2, one step.
    assert merge_parts([first, middle, last]) == [
        (18.0, 18.0), (20.0, 18.0), (20.0, 20.0), (18.0, 20.0), (18.0, 18.0),
        (14.0, 14.0), (14.0, 10.0),
        (18.0, 6.0), (18.0, 4.0), (20.0, 4.0), (20.0, 6.0), (18.0, 6.0),
        (14.0, 10.0), (10.0, 10.0), (10.0, 14.0), (14.0, 14.0),
    ]


def test_merge_middle_part_entered_and_left_at_one_vertex() -> None:
    middle = [(10.0, 0.0), (12.0, 5.0), (8.0, 5.0)]   # apex (10, 0) up
    first = [(5.0, -5.0), (7.0, -5.0), (6.0, -7.0)]   # up-left: (7,-5) - (10,0), 9 + 25
    last = [(13.0, -5.0), (15.0, -5.0), (14.0, -7.0)]  # up-right: (13,-5) - (10,0), 9 + 25
    # entry = exit = the apex (index 0): not reversed, no step forward; back all round
    assert merge_parts([first, middle, last]) == [
        (7.0, -5.0), (6.0, -7.0), (5.0, -5.0), (7.0, -5.0),
        (10.0, 0.0),
        (13.0, -5.0), (15.0, -5.0), (14.0, -7.0), (13.0, -5.0),
        (10.0, 0.0), (12.0, 5.0), (8.0, 5.0), (10.0, 0.0),
    ]
