"""YOLO: behaviour the mutation runner found untested (``python -m
benchmarks.mutate --module lbconvert/write/yolo.py --sample 40 --seed 2``).

* a split name YOLO cannot use, given with ``split`` fractions, is refused
  when the writer is built (before any row is read, nothing on disk), not
  only once an item of that split comes;
* ``open_splits`` (the partitioned run's hook) starts every split named, in
  that order, as if items of each had come: its directories exist and
  ``data.yaml`` points at them although no item of the split was written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from lbconvert.errors import LbConvertError
from lbconvert.model import Box, BoxAnnotation, Item
from lbconvert.options import Options
from lbconvert.write import get_writer


@pytest.mark.parametrize("bad", ["names", "nc", "..", "a/b"])
def test_a_bad_split_name_is_refused_when_the_writer_is_built(tmp_path: Path, bad: str) -> None:
    options = Options(split={"train": 0.5, bad: 0.5})
    with pytest.raises(LbConvertError, match="cannot be used for yolo"):
        get_writer("yolo")(tmp_path / "out", options)
    assert os.listdir(tmp_path) == []


def test_good_split_names_are_accepted_when_the_writer_is_built(tmp_path: Path) -> None:
    get_writer("yolo")(tmp_path / "out", Options(split={"train": 0.5, "holdout": 0.5})).abort()
    assert os.listdir(tmp_path) == []


def car(left: float, top: float, width: float, height: float) -> BoxAnnotation:
    return BoxAnnotation(name="car", bounding_box=Box(left=left, top=top, width=width,
                                                      height=height))


def test_open_splits_starts_splits_that_get_no_item(tmp_path: Path) -> None:
    out = tmp_path / "out"
    writer = get_writer("yolo")(out, Options())
    with writer:
        writer.open_splits(["train", "val", "test"])
        writer.open_splits(["val"])  # a split already started is left as it is
        writer.add(Item(stem="a", file_name="a.png", width=200, height=100, split="train",
                        objects=(car(10, 10, 20, 20),)))
    for split in ("train", "val", "test"):
        assert (out / "images" / split).is_dir()
        assert (out / "labels" / split).is_dir()
    assert os.listdir(out / "labels" / "val") == []
    assert os.listdir(out / "labels" / "test") == []
    # 10..30 x 10..30 in 200 x 100: cx 0.1, cy 0.2, w 0.1, h 0.2
    assert (out / "labels" / "train" / "a.txt").read_text() == \
        "0 0.100000 0.200000 0.100000 0.200000\n"
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert (data["train"], data["val"], data["test"]) == ("images/train", "images/val",
                                                           "images/test")
    assert data["names"] == {0: "car"}


def test_without_open_splits_only_the_splits_of_items_exist(tmp_path: Path) -> None:
    out = tmp_path / "out"
    writer = get_writer("yolo")(out, Options())
    with writer:
        writer.add(Item(stem="a", file_name="a.png", width=200, height=100, split="val",
                        objects=(car(10, 10, 20, 20),)))
    assert sorted(os.listdir(out / "labels")) == ["val"]
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert (data["train"], data["val"]) == ("images/val", "images/val")
    assert "test" not in data
