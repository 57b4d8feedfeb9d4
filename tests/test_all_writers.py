"""Every writer on every fixture: balanced reports; the formats agree with each other."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import lbconvert

from .conftest import FIXTURES

MAIN_PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"


def _first_run() -> str:
    row = next(iter(lbconvert.read(FIXTURES / "v2/model_run.ndjson")))
    return next(iter(next(iter(row.experiments.values())).runs))


CASES = {
    "v2/images.ndjson": {"project": MAIN_PROJECT},
    "v2/images.json": {"project": MAIN_PROJECT, "labels": "all"},
    "v2/media.ndjson": {"interpolate": True},
    "v2/model_run.ndjson": {"model_run": _first_run()},
    "legacy/array.json": {},
    "legacy/single.json": {},
    "legacy/schema2019.json": {},
}


@pytest.mark.parametrize("fixture", sorted(CASES))
@pytest.mark.parametrize("fmt", lbconvert.writer_names())
def test_every_writer_accounts_for_every_object(fmt: str, fixture: str, tmp_path: Path) -> None:
    options = dict(CASES[fixture])
    if fmt == "yolo":
        options["task"] = "segment"
    out = tmp_path / "out"
    report = lbconvert.convert(FIXTURES / fixture, fmt, out, **options)
    assert report.is_balanced(), report.to_dict()
    assert out.is_dir() and not list(tmp_path.glob(".*partial"))


def test_formats_agree_on_boxes(tmp_path: Path) -> None:
    """The same export as COCO, YOLO detect and VOC gives the same boxes."""
    export = FIXTURES / "v2/images.ndjson"
    options = {"project": MAIN_PROJECT}
    for fmt in ("coco", "yolo", "voc"):
        lbconvert.convert(export, fmt, tmp_path / fmt, **options)
    coco = json.loads((tmp_path / "coco/annotations.json").read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    images = {img["id"]: img for img in coco["images"]}
    boxes = [a for a in coco["annotations"]
             if a["segmentation"][0] == _box_polygon(a["bbox"])]  # boxes only
    assert boxes
    yolo_names = _yolo_names(tmp_path / "yolo/data.yaml")
    for ann in boxes:
        image = images[ann["image_id"]]
        stem = image["file_name"].rsplit(".", 1)[0]
        left, top, width, height = ann["bbox"]
        W, H = image["width"], image["height"]
        rows = [line.split() for line in
                (tmp_path / f"yolo/labels/train/{stem}.txt").read_text().splitlines()]
        matches = [r for r in rows if yolo_names[int(r[0])] == names[ann["category_id"]]
                   and abs(float(r[1]) * W - (left + width / 2)) < 1e-3
                   and abs(float(r[2]) * H - (top + height / 2)) < 1e-3
                   and abs(float(r[3]) * W - width) < 1e-3 and abs(float(r[4]) * H - height) < 1e-3]
        assert matches, (stem, ann["bbox"])
        xml = ET.parse(tmp_path / f"voc/Annotations/{stem}.xml").getroot()
        expected = [math.floor(left) + 1, math.floor(top) + 1, math.ceil(left + width),
                    math.ceil(top + height)]
        found = [[int(o.find(f"bndbox/{k}").text) for k in ("xmin", "ymin", "xmax", "ymax")]
                 for o in xml.findall("object") if o.find("name").text == names[ann["category_id"]]]
        assert expected in found, (stem, expected, found)
    # the same number of objects per image in every format
    for image in images.values():
        stem = image["file_name"].rsplit(".", 1)[0]
        in_coco = sum(1 for a in coco["annotations"] if a["image_id"] == image["id"]
                      and a in boxes)
        in_yolo = len((tmp_path / f"yolo/labels/train/{stem}.txt").read_text().splitlines())
        in_voc = len(ET.parse(tmp_path / f"voc/Annotations/{stem}.xml").getroot()
                     .findall("object"))
        assert in_yolo == in_coco
        assert in_voc >= in_coco  # VOC also keeps polygons as boxes


def _box_polygon(bbox: list[float]) -> list[float]:
    left, top, width, height = bbox
    return [left, top, left + width, top, left + width, top + height, left, top + height]


def _yolo_names(path: Path) -> dict[int, str]:
    yaml = pytest.importorskip("yaml")
    return {int(k): v for k, v in yaml.safe_load(path.read_text())["names"].items()}
