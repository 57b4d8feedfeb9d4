"""COCO: behaviour the mutation runner found untested (``python -m
benchmarks.mutate --module lbconvert/write/coco.py --sample 40 --seed 2``).

* ``--layout coco2017`` places images only when told where they are
  (``--images`` or ``--frames-dir``): without either, nothing is looked up
  and no ``image file missing`` warning is counted; with ``--frames-dir``
  alone, each video frame's image is placed in ``images/<split>/`` and named
  in ``file_name``;
* keypoints go to the first box that holds them, edges included, tested on
  both axes (a point beside a box on one axis only stays out of it), and a
  second point of a keypoint in one box is dropped for every keypoint, the
  fourth too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PIL import Image

import lbconvert

from .inline import box, row, write_export

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_coco2017_without_images_looks_nothing_up(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export.ndjson",
                          [row("img0.png", [box("car", 1, 2, 10, 8)], width=40, height=30)])
    out = tmp_path / "out"
    report = lbconvert.convert(export, "coco", out, layout="coco2017")
    assert report.is_balanced() and not report.warnings
    assert os.listdir(out / "images" / "train") == []
    data = json.loads((out / "annotations" / "instances_train.json").read_text())
    assert [i["file_name"] for i in data["images"]] == ["img0.png"]


def test_coco2017_with_frames_dir_places_the_frames(tmp_path: Path) -> None:
    line = next(l for l in (FIXTURES / "v2/media.ndjson").read_text().splitlines()
                if '"frames"' in l and '"Video"' in l)
    record = json.loads(line)
    record["media_attributes"] = {"mime_type": "video/mp4"}  # no size: read from the frames
    export = tmp_path / "video.ndjson"
    export.write_text(json.dumps(record))
    frames = tmp_path / "frames" / "intersection-0815"
    frames.mkdir(parents=True)
    for number in (1, 5, 10):
        Image.new("RGB", (64, 48)).save(frames / f"{number}.jpg")
    out = tmp_path / "out"
    report = lbconvert.convert(export, "coco", out, layout="coco2017",
                               frames_dir=tmp_path / "frames", image_mode="copy")
    assert report.is_balanced() and not report.warnings
    placed = sorted(os.listdir(out / "images" / "train"))
    assert placed == ["intersection-0815_000001.jpg", "intersection-0815_000005.jpg",
                      "intersection-0815_000010.jpg"]
    assert (out / "images" / "train" / placed[0]).read_bytes() == \
        (frames / "1.jpg").read_bytes()
    data = json.loads((out / "annotations" / "instances_train.json").read_text())
    assert [(i["file_name"], i["frame_index"], i["width"], i["height"])
            for i in data["images"]] == [(name, number, 64, 48)
                                         for name, number in zip(placed, (1, 5, 10))]


def point(name: str, x: float, y: float) -> dict:
    return {"annotation_kind": "ImagePoint", "name": name, "point": {"x": x, "y": y}}


def test_keypoints_on_both_axes_and_every_slot(tmp_path: Path) -> None:
    from .inline import box as inline_box

    objects = [
        inline_box("person", 50, 20, 10, 30),   # x 50..60, y 20..50
        point("a", 55, 10),     # x inside, y above: in no box
        point("a", 55, 60),     # x inside, y below (60 > 20 + 30): in no box
        point("b", 10, 30),     # y inside, x left of it: in no box
        point("c", 60, 50),     # the bottom-right corner: inside
        point("d", 50, 20),     # the top-left corner: inside
        point("d", 55, 30),     # a second d in the box: dropped
        point("c", 56, 31),     # a second c: dropped
    ]
    export = write_export(tmp_path / "kp.ndjson", [row("img", objects, 100, 100)])
    report = lbconvert.convert(export, "coco", tmp_path / "out", keypoints=True,
                               keypoint_names=("a", "b", "c", "d"))
    data = json.loads((tmp_path / "out" / "annotations.json").read_text())
    (ann,) = data["annotations"]
    assert ann["bbox"] == [50, 20, 10, 30]
    assert ann["keypoints"] == [0, 0, 0, 0, 0, 0, 60, 50, 2, 50, 20, 2]
    assert ann["num_keypoints"] == 2
    assert report.dropped == {"point outside every box": 3,
                              "second point of the same keypoint in one box": 2}
    assert report.annotations_written == 3 and report.is_balanced()
