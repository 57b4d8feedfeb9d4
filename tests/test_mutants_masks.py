"""Mask PNGs: behaviour the mutation runner found untested (``python -m
benchmarks.mutate --module lbconvert/write/masks.py --sample 40 --seed 2``).

* splits: with a second split the first one's PNGs move into their own
  directory; ``open_splits`` starts splits that get no item;
* drops: a shape lying exactly beside an edge is ``<kind> outside image``; a
  stroke reaching into the image without covering a pixel centre is ``shape
  covers no pixel centre``; a class missing from a fixed list is dropped;
* limits: more instances than the 16-bit PNG holds, and a 255th class met
  while a hand-driven writer draws, are one-line errors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import lbconvert
from lbconvert.classes import ClassMap
from lbconvert.errors import LbConvertError
from lbconvert.model import Box, BoxAnnotation, Item
from lbconvert.options import Options
from lbconvert.write import get_writer, masks as masks_module

from .inline import box, polyline, row, write_export

W, H = 200, 100


def car(left: float = 10, top: float = 10, name: str = "car") -> BoxAnnotation:
    return BoxAnnotation(name=name, bounding_box=Box(left=left, top=top, width=4, height=2))


def item(stem: str, split: str = "train", objects: tuple = ()) -> Item:
    return Item(stem=stem, file_name=f"{stem}.png", width=W, height=H, split=split,
                objects=objects)


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_a_second_split_moves_the_first_ones_pngs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with get_writer("masks")(out, Options(instances=True)) as writer:
        writer.add(item("a", "train", (car(),)))
        writer.add(item("b", "val", (car(20, 20),)))
        writer.add(item("c", "train", (car(30, 30),)))
    for kind in ("semantic", "instance"):
        assert sorted(os.listdir(out / kind)) == ["train", "val"]
        assert sorted(os.listdir(out / kind / "train")) == ["a.png", "c.png"]
        assert os.listdir(out / kind / "val") == ["b.png"]
    # a's box 10..14 x 10..12 covers 4 x 2 pixel centres, class index 1
    semantic = pixels(out / "semantic" / "train" / "a.png")
    assert semantic.shape == (H, W) and int((semantic == 1).sum()) == 8
    assert int((semantic[10:12, 10:14] == 1).sum()) == 8


def test_open_splits_starts_splits_that_get_no_item(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with get_writer("masks")(out, Options()) as writer:
        writer.open_splits(["train", "val"])
        writer.open_splits(["val"])
        writer.add(item("a", "train", (car(),)))
    assert sorted(os.listdir(out / "semantic")) == ["train", "val"]
    assert os.listdir(out / "semantic" / "train") == ["a.png"]
    assert os.listdir(out / "semantic" / "val") == []


def convert(tmp_path: Path, objects: list[dict[str, Any]], **options: Any) -> lbconvert.Report:
    tmp_path.mkdir(exist_ok=True)
    export = write_export(tmp_path / "export.ndjson", [row("img", objects, W, H)])
    report = lbconvert.convert(export, "masks", tmp_path / "out", **options)
    assert report.is_balanced(), report.to_dict()
    return report


@pytest.mark.parametrize("left, top, width, height", [
    (-10, 10, 10, 5),     # right edge on x = 0
    (10, -10, 5, 10),     # bottom edge on y = 0
    (200, 10, 5, 5),      # left edge on x = 200
    (10, 100, 5, 5),      # top edge on y = 100
])
def test_a_box_exactly_beside_an_edge_is_outside(tmp_path: Path, left, top, width,
                                                height) -> None:
    report = convert(tmp_path, [box("car", left, top, width, height)])
    assert report.dropped == {"box outside image": 1}


@pytest.mark.parametrize("x", [200.25, -0.25])
def test_a_stroke_reaching_in_without_a_pixel_centre(tmp_path: Path, x: float) -> None:
    # a vertical line 1 wide at x = 200.25 covers 199.75..200.75: into the
    # image, short of the last column's centre 199.5 (at -0.25: -0.75..0.25,
    # short of 0.5); at 201 (200.5..201.5) it lies wholly outside
    report = convert(tmp_path, [polyline("lane", [(x, 10), (x, 20)])], line_width=1.0)
    assert report.dropped == {"shape covers no pixel centre": 1}
    report = convert(tmp_path / "beyond", [polyline("lane", [(201, 10), (201, 20)])],
                     line_width=1.0)
    assert report.dropped == {"polyline outside image": 1}


def test_a_class_missing_from_a_fixed_list_is_dropped(tmp_path: Path) -> None:
    report = convert(tmp_path, [box("car", 10, 10, 4, 2), box("bus", 20, 20, 4, 2)],
                     classes=ClassMap(["car"], fixed=True))
    assert report.dropped == {"class not in classes file": 1}
    assert report.annotations_written == 1
    semantic = pixels(tmp_path / "out" / "semantic" / "img.png")
    assert int((semantic == 1).sum()) == 8 and int((semantic > 1).sum()) == 0


def test_more_instances_than_the_png_holds(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(masks_module, "MAX_INSTANCES", 2)  # 65535 in the module
    writer = get_writer("masks")(tmp_path / "out", Options(instances=True))
    with pytest.raises(LbConvertError, match="more than 2 instances do not fit a 16-bit PNG"):
        with writer:
            writer.add(item("a", "train", (car(10), car(20), car(30))))
    assert os.listdir(tmp_path) == []
    with get_writer("masks")(tmp_path / "two", Options(instances=True)) as writer:
        writer.add(item("a", "train", (car(10), car(20))))
    instances = pixels(tmp_path / "two" / "instance" / "a.png")
    assert sorted(np.unique(instances).tolist()) == [0, 1, 2]


def test_a_255th_class_met_while_drawing_is_refused(tmp_path: Path) -> None:
    objects = tuple(car(name=f"c{i}") for i in range(255))
    writer = get_writer("masks")(tmp_path / "out", Options())
    with pytest.raises(LbConvertError, match="class 'c254' would be index 255"):
        with writer:
            writer.add(item("a", "train", objects))
    assert os.listdir(tmp_path) == []


def test_a_sliver_between_pixel_centres_is_dropped(tmp_path: Path) -> None:
    # a sliver along y = x + 0.2 from (10, 10.2) to about (20, 20.2): the
    # centres (k + 0.5, k + 0.5) lie 0.2 below it, none inside
    from .inline import polygon

    report = convert(tmp_path, [polygon("crack", [(10, 10.2), (20, 20.2), (20.1, 20.25)])])
    assert report.dropped == {"shape covers no pixel centre": 1}
    assert report.annotations_written == 0


@pytest.mark.parametrize("right, reason", [
    # within a pixel of MAX_COORDINATE (1e15): not rasterized
    (1e15 - 0.5, "coordinates out of range"),
    (1e15 + 0.5, "coordinates out of range"),
    # two pixels short of it: an ordinary box, outside the image
    (1e15 - 2.0, "box outside image"),
])
def test_coordinates_near_the_largest_are_out_of_range(tmp_path: Path, right: float,
                                                       reason: str) -> None:
    report = convert(tmp_path, [box("car", right - 9.5, 1, 9.5, 5)])
    assert report.dropped == {reason: 1}
