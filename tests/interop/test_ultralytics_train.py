"""One epoch of real Ultralytics training on a dataset lbconvert wrote.

The images are drawn here (bright boxes and triangles on a dark ground), the
export is built here, nothing is downloaded: the model comes from its yaml
(no weights), AMP's check is off (``amp=False``), plots are off.
"""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

import lbconvert

from .conftest import need

SIZE = 64


def _dataset(tmp_path: Path, count: int = 6) -> tuple[Path, Path]:
    """``count`` images with one box and one triangle each, and their export."""
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for index in range(count):
        left, top = 4 + 3 * index, 6 + 2 * index
        image = Image.new("RGB", (SIZE, SIZE), (20, 20, 20))
        draw = ImageDraw.Draw(image)
        draw.rectangle((left, top, left + 20, top + 16), fill=(230, 60, 60))
        triangle = [(40, 40 + index), (60, 44 + index), (48, 60)]
        draw.polygon(triangle, fill=(60, 220, 60))
        image.save(images / f"img{index}.jpg", quality=95)
        box = {"annotation_kind": "ImageBoundingBox", "name": "box",
               "bounding_box": {"left": left, "top": top, "width": 20, "height": 16}}
        tri = {"annotation_kind": "ImagePolygon", "name": "triangle",
               "polygon": [{"x": x, "y": y} for x, y in triangle]}
        diamond = [(12, 40), (20, 48), (12, 56), (4, 48)]
        draw.polygon(diamond, fill=(60, 60, 230))
        square = {"annotation_kind": "ImagePolygon", "name": "diamond",
                  "polygon": [{"x": x, "y": y} for x, y in diamond]}
        rows.append({"data_row": {"id": f"row{index}", "global_key": f"img{index}.jpg"},
                     "media_attributes": {"width": SIZE, "height": SIZE},
                     "projects": {"p": {"labels": [{"id": f"l{index}", "annotations": {
                         "objects": [box, tri, square]}}]}}})
    export = tmp_path / "export.ndjson"
    export.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return export, images


class _Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.parametrize(("task", "model", "options"), [
    ("detect", "yolov8n.yaml", {"boxes_from_shapes": True}),
    ("segment", "yolov8n-seg.yaml", {}),
])
def test_one_epoch_of_training(tmp_path: Path, offline_ultralytics: Path, task: str, model: str,
                               options: dict[str, bool], monkeypatch: pytest.MonkeyPatch) -> None:
    need("torch")
    need("torchvision")
    ultralytics = need("ultralytics")
    export, images = _dataset(tmp_path)
    out = tmp_path / task
    report = lbconvert.convert(export, "yolo", out, task=task, images=images,
                               split={"train": 0.5, "val": 0.5}, image_mode="copy", **options)
    assert report.is_balanced()
    expected = {"detect": 18, "segment": 12}[task]  # segment drops the 6 bare boxes
    assert report.annotations_written == expected

    attempts: list[Any] = []  # every network connection tried during the training

    def refuse(self: socket.socket, address: Any, *args: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError("network disabled by the test")
        return original_connect(self, address, *args)

    original_connect = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", refuse)
    messages = _Messages()
    logger = logging.getLogger("ultralytics")
    logger.addHandler(messages)
    try:
        yolo = ultralytics.YOLO(model, task=task)
        yolo.train(data=str(out / "data.yaml"), epochs=1, imgsz=SIZE, batch=2, workers=0,
                   device="cpu", amp=False, optimizer="SGD", lr0=0.01, plots=False, val=True, verbose=False,
                   project=str(tmp_path / "runs"), name=task, exist_ok=True, seed=0,
                   deterministic=True)
    finally:
        logger.removeHandler(messages)
        monkeypatch.setattr(socket.socket, "connect", original_connect)
    assert attempts == [], attempts
    text = "\n".join(messages.lines).lower()
    assert "starting training" in text, text  # the log was seen
    for warning in ("corrupt", "ignoring", "duplicate", "missing", "empty"):
        assert warning not in text.replace(" 0 corrupt", ""), (warning, text)
    from ultralytics.data.utils import load_dataset_cache_file

    for split in ("train", "val"):  # the label scan's own counts and messages
        cache = load_dataset_cache_file(out / "labels" / f"{split}.cache")
        found, missing, empty, corrupt, total = cache["results"]
        assert (found, missing, empty, corrupt) == (total, 0, 0, 0), cache["msgs"]
        assert cache["msgs"] == []
        assert total == report.splits[split]["items"]
    dataset = yolo.trainer.train_loader.dataset
    labels = dataset.labels
    assert len(labels) == report.splits["train"]["items"] > 0
    instances = sum(len(label["cls"]) for label in labels)
    assert instances == report.splits["train"]["annotations_written"]
    if task == "segment":
        assert all(len(label["segments"]) == len(label["cls"]) for label in labels)
    assert (tmp_path / "runs" / task / "weights" / "last.pt").is_file()
