"""``--layout coco2017``: annotations/instances_<split>.json and images/<split>/."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

import lbconvert

from .inline import box, polygon, row, write_export

#: What every image dataset carries beside its format's files.
HISTORY = ["lbconvert-report.json", "manifest.jsonl"]


def _export_and_images(tmp_path: Path, count: int = 12) -> tuple[Path, Path]:
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for index in range(count):
        Image.new("RGB", (40, 30), (index, 0, 0)).save(images / f"img{index}.png")
        rows.append(row(f"img{index}.png", [box("car", 1, 2, 10, 8),
                                            polygon("road", [(0, 0), (20, 0), (0, 20)])],
                        width=40, height=30))
    return write_export(tmp_path / "export.ndjson", rows), images


def test_default_layout_is_unchanged(tmp_path: Path) -> None:
    export, _ = _export_and_images(tmp_path, 2)
    lbconvert.convert(export, "coco", tmp_path / "out")
    assert sorted(os.listdir(tmp_path / "out")) == ["annotations.json", *HISTORY]


@pytest.mark.parametrize("mode", ["link", "copy", "hardlink"])
def test_coco2017_layout_loads_in_pycocotools(tmp_path: Path, mode: str) -> None:
    coco_module = pytest.importorskip("pycocotools.coco")
    export, images = _export_and_images(tmp_path)
    out = tmp_path / "out"
    report = lbconvert.convert(export, "coco", out, layout="coco2017", images=images,
                               image_mode=mode, split={"train": 0.75, "val": 0.25})
    assert report.is_balanced() and not report.warnings
    assert sorted(os.listdir(out)) == ["annotations", "images", *HISTORY]
    assert sorted(os.listdir(out / "annotations")) == ["instances_train.json",
                                                       "instances_val.json"]
    total_images = 0
    for split in ("train", "val"):
        coco = coco_module.COCO(str(out / "annotations" / f"instances_{split}.json"))
        names = [image["file_name"] for image in coco.dataset["images"]]
        assert sorted(names) == sorted(os.listdir(out / "images" / split))
        assert len(coco.getAnnIds()) == 2 * len(names) == 2 * report.splits[split]["items"]
        for name in names:
            placed = out / "images" / split / name
            assert placed.is_symlink() == (mode == "link")
            assert placed.read_bytes() == (images / name).read_bytes()
        total_images += len(names)
    assert total_images == 12


def test_coco2017_single_split_and_missing_images(tmp_path: Path) -> None:
    export, images = _export_and_images(tmp_path, 3)
    (images / "img1.png").unlink()
    out = tmp_path / "out"
    report = lbconvert.convert(export, "coco", out, layout="coco2017", images=images,
                               results=True)
    assert sorted(os.listdir(out / "annotations")) == ["instances_train.json",
                                                       "results_train.json"]
    assert report.warnings == {"image file missing": 1}
    assert sorted(os.listdir(out / "images" / "train")) == ["img0.png", "img2.png"]
    data = json.loads((out / "annotations" / "instances_train.json").read_text())
    assert [i["file_name"] for i in data["images"]] == ["img0.png", "img1.png", "img2.png"]


def test_coco2017_without_images_makes_empty_image_folders(tmp_path: Path) -> None:
    export, _ = _export_and_images(tmp_path, 2)
    out = tmp_path / "out"
    lbconvert.convert(export, "coco", out, layout="coco2017")
    assert os.listdir(out / "images" / "train") == []
    assert (out / "annotations" / "instances_train.json").is_file()


def test_layout_value_is_checked(tmp_path: Path) -> None:
    export, _ = _export_and_images(tmp_path, 1)
    with pytest.raises(lbconvert.LbConvertError, match=r"^layout= must be one of default, "
                                                       r"coco2017, not 'coco2014'$"):
        lbconvert.convert(export, "coco", tmp_path / "o", layout="coco2014")  # type: ignore[typeddict-item]
