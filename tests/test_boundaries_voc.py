"""Pascal VOC at its boundaries: boxes on every side of the image, exactly at
the edge and one pixel beyond, degenerate boxes and polygons, the
``truncated`` flag under ``clip``, and the 254-class / 254-object limits of
the segmentation PNGs.

Only the public behaviour is checked (the files ``lbconvert.convert`` writes
and its report); every expected value is worked out by hand in a comment
from the documented mapping ``xmin = floor(left) + 1``, ``ymin = floor(top) +
1``, ``xmax = ceil(right)``, ``ymax = ceil(bottom)``, clipped to ``1..W`` and
``1..H``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest
from PIL import Image

import lbconvert
from lbconvert.classes import ClassMap

from .inline import box, polygon, row, write_export

W, H = 200, 100  # the image of every case below (inline.row's default size)


def convert_objects(tmp_path: Path, objects: list[dict[str, Any]], width: int = W,
                    height: int = H, **options: Any) -> tuple[list[dict], lbconvert.Report]:
    """Convert one image with these objects; its ``<object>`` entries and the report."""
    export = write_export(tmp_path / "export.ndjson", [row("img", objects, width, height)])
    out = tmp_path / "voc"
    report = lbconvert.convert(export, "voc", out, **options)
    assert report.is_balanced(), report.to_dict()
    root = ET.parse(out / "Annotations" / "img.xml").getroot()
    found = []
    for element in root.iterfind("object"):
        bndbox = element.find("bndbox")
        corners = tuple(int(bndbox.findtext(t)) for t in ("xmin", "ymin", "xmax", "ymax"))
        found.append({"name": element.findtext("name"),
                      "truncated": int(element.findtext("truncated")), "box": corners})
    assert report.annotations_written == len(found)
    return found, report


def only_object(tmp_path: Path, obj: dict[str, Any], **options: Any
                ) -> tuple[Optional[tuple[tuple[int, int, int, int], int]], lbconvert.Report]:
    found, report = convert_objects(tmp_path, [obj], **options)
    assert len(found) <= 1
    return ((found[0]["box"], found[0]["truncated"]) if found else None), report


# --- boxes on every side ------------------------------------------------------------

@pytest.mark.parametrize("left, top, width, height, expected", [
    # the whole image: 0..200 x 0..100 -> 1..200, 1..100, nothing clipped
    (0, 0, 200, 100, ((1, 1, 200, 100), 0)),
    # integer edges inside: left 10 -> 11, right 10+20=30 -> 30; top 5 -> 6, bottom 5+7=12 -> 12
    (10, 5, 20, 7, ((11, 6, 30, 12), 0)),
    # fractional edges: floor(10.5)+1 = 11, ceil(30.25) = 31; floor(5.75)+1 = 6, ceil(12.5) = 13
    (10.5, 5.75, 19.75, 6.75, ((11, 6, 31, 13), 0)),
    # one pixel wide and high at the top-left corner: 0..1 -> 1..1
    (0, 0, 1, 1, ((1, 1, 1, 1), 0)),
    # one pixel at the bottom-right corner: 199..200 -> 200..200, 99..100 -> 100..100
    (199, 99, 1, 1, ((200, 100, 200, 100), 0)),
    # left side: lying exactly left of the image (right == 0) and one pixel beyond: dropped
    (-10, 10, 10, 5, None),
    (-11, 10, 10, 5, None),
    # reaching one pixel in from the left: -10..1 clipped to 0..1 -> xmin 1, xmax 1, truncated
    (-10, 10, 11, 5, ((1, 11, 1, 15), 1)),
    # half a pixel left of the image: -0.5 -> clipped to 0 -> xmin 1; right 9.5 -> 10
    (-0.5, 10, 10, 5, ((1, 11, 10, 15), 1)),
    # top side: exactly above (bottom == 0), one pixel beyond: dropped
    (10, -10, 5, 10, None),
    (10, -11, 5, 10, None),
    # reaching one pixel in from the top: -10..1 -> ymin 1, ymax 1, truncated
    (10, -10, 5, 11, ((11, 1, 15, 1), 1)),
    # right side: starting exactly at the right edge (left == 200), one beyond: dropped
    (200, 10, 5, 5, None),
    (201, 10, 5, 5, None),
    # one pixel in from the right: 199..204 clipped to 199..200 -> 200..200, truncated
    (199, 10, 5, 5, ((200, 11, 200, 15), 1)),
    # ending exactly at the right edge is not clipped: 190..200 -> 191..200, truncated 0
    (190, 10, 10, 5, ((191, 11, 200, 15), 0)),
    # bottom side: starting exactly at the bottom edge (top == 100), one beyond: dropped
    (10, 100, 5, 5, None),
    (10, 101, 5, 5, None),
    # one pixel in from the bottom: 99..104 -> 100..100, truncated
    (10, 99, 5, 5, ((11, 100, 15, 100), 1)),
    # ending exactly at the bottom edge: 90..100 -> 91..100, truncated 0
    (10, 90, 5, 10, ((11, 91, 15, 100), 0)),
    # larger than the image on every side: clipped to the whole image, truncated
    (-5, -5, 210, 110, ((1, 1, 200, 100), 1)),
])
def test_box_on_every_side(tmp_path: Path, left: float, top: float, width: float,
                           height: float, expected) -> None:
    written, report = only_object(tmp_path, box("car", left, top, width, height))
    assert written == expected
    if expected is None:
        assert report.dropped == {"box outside image": 1}
    else:
        assert not report.dropped


@pytest.mark.parametrize("width, height", [
    (0, 5),     # zero width
    (5, 0),     # zero height: would give ymin 11 > ymax 10 if written
    (0, 0),
    (-3, 5),    # negative sides
    (5, -3),
])
def test_degenerate_boxes_are_dropped(tmp_path: Path, width: float, height: float) -> None:
    written, report = only_object(tmp_path, box("car", 10, 10, width, height))
    assert written is None
    assert report.dropped == {"degenerate box": 1}


def test_zero_sized_boxes_on_the_edges_are_dropped_not_inverted(tmp_path: Path) -> None:
    # A zero-height box on the top edge and a zero-width one on the left edge:
    # neither may become an <object> (ymin 1 > ymax 0 / xmin 1 > xmax 0).
    found, report = convert_objects(tmp_path, [box("a", 10, 0, 5, 0), box("b", 0, 10, 0, 5),
                                               box("c", 10, 10, 5, 5)])
    assert [o["box"] for o in found] == [(11, 11, 15, 15)]
    assert report.dropped == {"degenerate box": 2}
    for obj in found:
        xmin, ymin, xmax, ymax = obj["box"]
        assert 1 <= xmin <= xmax <= W and 1 <= ymin <= ymax <= H


# --- polygons -------------------------------------------------------------------------

TRIANGLE_INSIDE = [(20.0, 10.0), (80.5, 30.0), (40.0, 60.25)]
# xs 20 .. 80.5 -> xmin 21, xmax ceil(80.5) = 81; ys 10 .. 60.25 -> ymin 11, ymax 61

# A triangle poking out of the left edge: A(-40, 10), B(20, 20), C(20, 30).
# Without clip: its vertices' box, clipped: x -40 -> 0 -> 1, 20 -> 20; y 10 -> 11, 30 -> 30.
# With clip the part inside x >= 0: edge AB at x = 0 is at y = 10 + 40 * 10/60 = 16.67,
# edge AC at y = 10 + 40 * 20/60 = 23.33; the part is (0, 16.67) (20, 20) (20, 30)
# (0, 23.33): x 0..20 -> 1..20, y 16.67..30 -> floor(16.67)+1 = 17 .. 30.
TRIANGLE_LEFT = [(-40.0, 10.0), (20.0, 20.0), (20.0, 30.0)]


@pytest.mark.parametrize("clip", [False, True])
def test_polygon_wholly_inside_is_not_truncated(tmp_path: Path, clip: bool) -> None:
    written, report = only_object(tmp_path, polygon("field", TRIANGLE_INSIDE), clip=clip)
    assert written == ((21, 11, 81, 61), 0)
    assert not report.dropped


@pytest.mark.parametrize("clip, expected", [
    (False, ((1, 11, 20, 30), 1)),
    (True, ((1, 17, 20, 30), 1)),
])
def test_polygon_across_the_left_edge(tmp_path: Path, clip: bool, expected) -> None:
    written, _ = only_object(tmp_path, polygon("field", TRIANGLE_LEFT), clip=clip)
    assert written == expected


@pytest.mark.parametrize("clip", [False, True])
def test_polygon_filling_the_image_exactly_is_not_truncated(tmp_path: Path, clip: bool) -> None:
    corners = [(0.0, 0.0), (200.0, 0.0), (200.0, 100.0), (0.0, 100.0)]
    written, _ = only_object(tmp_path, polygon("field", corners), clip=clip)
    assert written == ((1, 1, 200, 100), 0)


@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("points", [
    [(-20.0, 10.0), (0.0, 10.0), (0.0, 30.0)],        # touching the left edge from outside
    [(10.0, -20.0), (30.0, 0.0), (10.0, 0.0)],        # touching the top edge
    [(200.0, 10.0), (220.0, 10.0), (200.0, 30.0)],    # touching the right edge
    [(10.0, 100.0), (30.0, 100.0), (10.0, 120.0)],    # touching the bottom edge
])
def test_polygon_touching_the_image_from_outside_is_dropped(tmp_path: Path, points, clip: bool
                                                            ) -> None:
    written, report = only_object(tmp_path, polygon("field", points), clip=clip)
    assert written is None
    assert report.dropped == {"polygon outside image": 1}


@pytest.mark.parametrize("points", [
    [(10.0, 10.0), (50.0, 50.0), (10.0, 10.0)],                # 2 distinct points (closed)
    [(10.0, 10.0), (50.0, 50.0)],                              # 2 points
    [(10.0, 10.0), (30.0, 30.0), (50.0, 50.0)],                # 3 collinear points
    [(10.0, 10.0), (10.0, 10.0), (10.0, 10.0), (10.0, 10.0)],  # one point 4 times
])
def test_degenerate_polygons_are_dropped(tmp_path: Path, points) -> None:
    written, report = only_object(tmp_path, polygon("field", points))
    assert written is None
    assert report.dropped == {"degenerate polygon": 1}


def test_bow_tie_has_area_and_is_written(tmp_path: Path) -> None:
    # (0,0) (40,40) (40,0) (0,40): the shoelace sums of its two halves cancel,
    # but each triangle has area 400.  Box: 0..40 -> 1..40 on both axes.
    written, report = only_object(tmp_path, polygon("field", [(0.0, 0.0), (40.0, 40.0),
                                                              (40.0, 0.0), (0.0, 40.0)]))
    assert written == ((1, 1, 40, 40), 0)
    assert not report.dropped


# --- the 8-bit segmentation limits ------------------------------------------------------

def one_box_per_class(count: int) -> list[dict[str, Any]]:
    return [box(f"c{i}", 0, 0, 2, 2) for i in range(count)]


@pytest.mark.parametrize("count, fits", [(253, True), (254, True), (255, False)])
def test_fixed_class_list_limit(tmp_path: Path, count: int, fits: bool) -> None:
    classes = ClassMap([f"c{i}" for i in range(count)], fixed=True)
    export = write_export(tmp_path / "e.ndjson", [row("img", [box("c0", 0, 0, 2, 2)])])
    out = tmp_path / "voc"
    if fits:
        report = lbconvert.convert(export, "voc", out, segmentation=True, classes=classes)
        assert report.annotations_written == 1
        assert len((out / "labelmap.txt").read_text().splitlines()) == 2 + count
    else:
        with pytest.raises(lbconvert.LbConvertError, match="255 classes do not fit"):
            lbconvert.convert(export, "voc", out, segmentation=True, classes=classes)
        assert not out.exists()


@pytest.mark.parametrize("count, fits", [(253, True), (254, True), (255, False)])
def test_first_seen_class_limit(tmp_path: Path, count: int, fits: bool) -> None:
    export = write_export(tmp_path / "e.ndjson", [row("img", one_box_per_class(count))])
    out = tmp_path / "voc"
    if fits:
        lbconvert.convert(export, "voc", out, segmentation=True)
        classes = np.asarray(Image.open(out / "SegmentationClass" / "img.png"))
        # every box paints 0..2 x 0..2; the last one (class id count-1, index count) wins
        assert classes[0, 0] == count and classes[2, 2] == 0
    else:
        # class id 254 would be index 255, the void value
        with pytest.raises(lbconvert.LbConvertError, match="'c254' would be index 255"):
            lbconvert.convert(export, "voc", out, segmentation=True)
        assert not out.exists()


@pytest.mark.parametrize("count", [254, 255])
def test_objects_beyond_the_254th_are_not_painted_as_instances(tmp_path: Path, count: int
                                                              ) -> None:
    # One class, `count` boxes of one pixel each in a row: box k (0-based) covers
    # pixel column k, so SegmentationObject holds k + 1 there up to the 254th object.
    objects = [box("c", k, 0, 1, 1) for k in range(count)]
    export = write_export(tmp_path / "e.ndjson", [row("img", objects, 256, 1)])
    out = tmp_path / "voc"
    report = lbconvert.convert(export, "voc", out, segmentation=True)
    assert report.annotations_written == count
    instances = np.asarray(Image.open(out / "SegmentationObject" / "img.png"))[0]
    classes = np.asarray(Image.open(out / "SegmentationClass" / "img.png"))[0]
    assert instances[:254].tolist() == list(range(1, 255))
    assert instances[254:].tolist() == [0, 0]  # the 255th (if any) and the empty last column
    assert classes.tolist() == [1] * count + [0] * (256 - count)
    warnings = dict(report.warnings)
    if count == 254:
        assert warnings == {}
    else:
        assert warnings == {"object beyond the 254th of an image not painted in "
                            "SegmentationObject": 1}


# --- label map name clashes ---------------------------------------------------------------

@pytest.mark.parametrize("name, options, clash", [
    ("background", {}, True),                                          # always defined
    ("background", {"segmentation": True, "void_border": True}, True),
    ("ignored", {}, False),                                            # only the void's name
    ("ignored", {"segmentation": True}, False),
    ("ignored", {"segmentation": True, "void_border": True}, True),
    ("car", {"segmentation": True, "void_border": True}, False),
])
def test_labelmap_name_clashes_are_warned(tmp_path: Path, name: str, options, clash: bool
                                          ) -> None:
    _, report = convert_objects(tmp_path, [box(name, 1, 1, 5, 5)], **options)
    expected = {"class name changed for voc (see labelmap.txt)": 1} if clash else {}
    assert dict(report.warnings) == expected


def test_labelmap_name_with_a_colon_or_line_break_is_warned(tmp_path: Path) -> None:
    _, report = convert_objects(tmp_path, [box("a:b", 1, 1, 5, 5), box("c\nd", 1, 1, 5, 5),
                                           box("plain", 1, 1, 5, 5)])
    assert dict(report.warnings) == {"class name changed for voc (see labelmap.txt)": 2}
    lines = (tmp_path / "voc" / "labelmap.txt").read_text().splitlines()
    assert [line.split(":")[0] for line in lines[2:]] == ["a_b", "c_d", "plain"]


def test_nothing_drawable_still_gives_an_empty_train_set(tmp_path: Path) -> None:
    # one text row: no image item, its object dropped; the dataset is valid and empty
    text_row = {"data_row": {"id": "t", "global_key": "t"},
                "media_attributes": {"mime_type": "text/plain"},
                "projects": {"p": {"labels": [{"id": "l", "annotations": {"objects": [
                    {"annotation_kind": "TextEntity", "name": "person",
                     "location": {"start": 0, "end": 3}}]}}]}}}
    export = write_export(tmp_path / "e.ndjson", [text_row])
    out = tmp_path / "voc"
    report = lbconvert.convert(export, "voc", out)
    assert report.annotations_written == 0 and report.is_balanced()
    assert (out / "ImageSets" / "Main" / "train.txt").read_text() == ""
    assert not list((out / "Annotations").iterdir())
