"""OUT/manifest.jsonl and OUT/lbconvert-report.json: what every dataset says about itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lbconvert
from lbconvert.model import Item
from lbconvert.write.manifest import MANIFEST, REPORT, read_manifest

from .conftest import FIXTURES

PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"


@pytest.mark.parametrize("to", ["coco", "yolo", "voc", "masks"])
def test_image_writers_list_every_item_they_wrote(to: str, tmp_path: Path) -> None:
    out = tmp_path / to
    report = lbconvert.convert(FIXTURES / "v2/images.ndjson", to, out, project=PROJECT)
    records = list(read_manifest(out / MANIFEST))
    assert len(records) == report.items > 0
    assert list(records[0]) == ["stem", "file_name", "split", "data_row_id", "global_key",
                                "external_id", "media_type", "frame", "page", "width", "height"]
    assert len({r["stem"] for r in records}) == len(records)
    assert all(r["width"] > 0 and r["height"] > 0 and r["data_row_id"] for r in records)
    rows = {row.id: row for row in lbconvert.read(FIXTURES / "v2/images.ndjson")}
    for record in records:
        assert (record["width"], record["height"]) == rows[record["data_row_id"]].size


def test_yolo_label_files_match_the_manifest_stems(tmp_path: Path) -> None:
    out = tmp_path / "yolo"
    lbconvert.convert(FIXTURES / "v2/images.ndjson", "yolo", out, project=PROJECT)
    stems = sorted(r["stem"] for r in read_manifest(out / MANIFEST))
    assert stems == sorted(p.stem for p in (out / "labels/train").iterdir())


def test_coco_images_match_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "coco"
    lbconvert.convert(FIXTURES / "v2/images.ndjson", "coco", out, project=PROJECT)
    images = json.loads((out / "annotations.json").read_text())["images"]
    records = list(read_manifest(out / MANIFEST))
    assert [(i["file_name"], i["data_row_id"], i["width"], i["height"]) for i in images] == [
        (r["file_name"], r["data_row_id"], r["width"], r["height"]) for r in records]


def test_video_frames_carry_their_frame(tmp_path: Path) -> None:
    out = tmp_path / "yolo"
    report = lbconvert.convert(FIXTURES / "v2/media.ndjson", "yolo", out)
    frames = [r for r in read_manifest(out / MANIFEST) if r["media_type"] == "video"]
    assert frames and all(isinstance(r["frame"], int) and r["frame"] >= 1 for r in frames)
    assert report.items >= len(frames)


@pytest.mark.parametrize("to", ["coco", "yolo", "voc", "masks", "jsonl", "geojson"])
def test_every_writer_keeps_its_report(to: str, tmp_path: Path) -> None:
    out = tmp_path / to
    report = lbconvert.convert(FIXTURES / "v2/images.ndjson", to, out, project=PROJECT)
    assert json.loads((out / REPORT).read_bytes()) == json.loads(json.dumps(report.to_dict()))
    assert (out / MANIFEST).exists() == (to not in ("jsonl", "geojson"))


def test_an_empty_dataset_has_an_empty_manifest(tmp_path: Path) -> None:
    from lbconvert.write.coco import CocoWriter

    with CocoWriter(tmp_path / "out") as writer:
        writer.add(Item(stem="t", file_name="t.txt", width=None, height=None, media_type="text"))
    assert (tmp_path / "out" / MANIFEST).read_bytes() == b""


def test_a_bad_manifest_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / MANIFEST
    path.write_bytes(b'{"stem": "a"}\n\n{"stem": 3}\n')
    with pytest.raises(lbconvert.LbConvertError, match=r"manifest.jsonl:3: .*'stem'"):
        list(read_manifest(path))
