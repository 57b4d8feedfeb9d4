"""Hostile and damaged exports: a clear error or a balanced report, never a traceback."""

from __future__ import annotations

import copy
import gzip
import json
import random
from pathlib import Path

import pytest

import lbconvert

from .conftest import FIXTURES

WRITERS = ("coco", "yolo", "voc", "masks", "jsonl", "geojson")


def test_truncated_gzip_is_an_error_naming_the_file(tmp_path: Path) -> None:
    data = gzip.compress((FIXTURES / "v2/images.ndjson").read_bytes())
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(lbconvert.ExportFormatError, match=r"cut\.gz: cannot read"):
        list(lbconvert.read(path))


def test_invalid_utf8_is_an_error_naming_the_line(tmp_path: Path) -> None:
    lines = (FIXTURES / "v2/images.ndjson").read_bytes().splitlines()
    lines[1] = lines[1].replace(b'"id":"', b'"id":"\xff\xfe', 1)
    assert b"\xff" in lines[1]
    path = tmp_path / "bytes.ndjson"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(lbconvert.ExportFormatError, match=r"bytes\.ndjson:2: not valid JSON"):
        list(lbconvert.read(path))


def test_absurd_image_size_is_not_believed(tmp_path: Path) -> None:
    row = {"data_row": {"id": "r"}, "media_attributes": {"width": 10 ** 30, "height": 1e6},
           "projects": {"p": {"labels": [{"annotations": {"objects": [
               {"annotation_kind": "ImageBoundingBox", "name": "a",
                "bounding_box": {"left": 1, "top": 1, "width": 2, "height": 2}}]}}]}}}
    path = tmp_path / "huge.ndjson"
    path.write_text(json.dumps(row))
    for fmt in WRITERS:
        report = lbconvert.convert(path, fmt, tmp_path / fmt)
        assert report.is_balanced()
        if fmt not in ("jsonl", "geojson"):
            assert report.dropped["image size unknown"] == 1


def test_a_claimed_huge_raster_is_refused_not_allocated(tmp_path: Path) -> None:
    row = {"data_row": {"id": "r"}, "media_attributes": {"width": 1_000_000, "height": 1_000_000},
           "projects": {"p": {"labels": [{"annotations": {"objects": [
               {"annotation_kind": "ImagePolygon", "name": "a",
                "polygon": [{"x": 1, "y": 1}, {"x": 9, "y": 1}, {"x": 5, "y": 9}]}]}}]}}}
    path = tmp_path / "huge.ndjson"
    path.write_text(json.dumps(row))
    with pytest.raises(lbconvert.LbConvertError, match="pixel limit"):
        lbconvert.convert(path, "masks", tmp_path / "out")
    assert not (tmp_path / "out").exists()


VALUES = [None, 0, -1, 1e308, "", "../../x", [], {}, [1], {"a": 1}, True, 10 ** 30, "\u0000"]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, path + (index,))


def _mutate(record: dict, rng: random.Random) -> dict:
    record = copy.deepcopy(record)
    paths = [p for p in _paths(record) if p]
    for _ in range(rng.randint(1, 3)):
        *parents, key = rng.choice(paths)
        target = record
        try:
            for step in parents:
                target = target[step]
            if isinstance(target, dict) and rng.random() < 0.3:
                del target[key]
            else:
                target[key] = copy.deepcopy(rng.choice(VALUES))
        except (KeyError, IndexError, TypeError):
            pass
    return record


@pytest.mark.parametrize("seed", range(4))
def test_mutated_exports_never_crash(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    rows = [json.loads(line) for name in ("images.ndjson", "media.ndjson", "model_run.ndjson")
            for line in (FIXTURES / "v2" / name).read_text().splitlines()]
    legacy = json.loads((FIXTURES / "legacy/array.json").read_text())
    for case in range(25):
        path = tmp_path / f"case{case}.json"
        if rng.random() < 0.25:
            path.write_text(json.dumps([_mutate(rng.choice(legacy), rng) for _ in range(2)]))
        else:
            path.write_text("\n".join(json.dumps(_mutate(rng.choice(rows), rng))
                                      for _ in range(2)))
        for fmt in WRITERS:
            try:
                report = lbconvert.convert(path, fmt, tmp_path / f"{case}-{fmt}",
                                           max_pixels=1 << 22)
            except lbconvert.LbConvertError as exc:
                assert str(exc)
            else:
                assert report.is_balanced(), (case, fmt, report.to_dict())
