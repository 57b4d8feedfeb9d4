"""Readers: every input shape parses to the right model; bad input names file and line."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

import lbconvert
from lbconvert import (
    BoxAnnotation, ExportFormatError, MaskAnnotation, PolygonAnnotation, PolylineAnnotation,
    PointAnnotation, UnknownAnnotation,
)
from lbconvert.inspect import inspect_export

from .conftest import FIXTURES, gzipped


def kinds(rows) -> Counter:
    return Counter(obj.kind for row in rows for label in row.iter_labels()
                   for _, obj in label.iter_objects())


def test_ndjson_and_json_array_give_equal_models(fixtures: Path) -> None:
    from_ndjson = list(lbconvert.read(fixtures / "v2/images.ndjson"))
    from_array = list(lbconvert.read(fixtures / "v2/images.json"))
    assert len(from_ndjson) == 7
    for a, b in zip(from_ndjson, from_array):
        assert a.data_row == b.data_row
        assert a.media_attributes == b.media_attributes
        assert a.projects == b.projects
    # positions: 1-based lines vs 0-based indices
    assert [r.position for r in from_ndjson] == list(range(1, 8))
    assert [r.position for r in from_array] == list(range(0, 7))


def test_json_array_of_every_media_type_equals_ndjson(fixtures: Path, tmp_path: Path) -> None:
    lines = (fixtures / "v2/media.ndjson").read_text().splitlines()
    array = tmp_path / "media.json"
    array.write_text("[\n" + ",\n".join(lines) + "\n]\n")
    from_ndjson = list(lbconvert.read(fixtures / "v2/media.ndjson"))
    from_array = list(lbconvert.read(array))
    assert [r.projects for r in from_array] == [r.projects for r in from_ndjson]


def test_image_row_values(fixtures: Path) -> None:
    row = next(iter(lbconvert.read(fixtures / "v2/images.ndjson")))
    assert row.global_key == "street-001.jpg"
    assert row.size == (640, 480)
    assert row.media_type == "image"
    (project,) = row.projects.values()
    label = project.labels[0]
    by_kind = {obj.kind: obj for obj in label.annotations.objects}
    box = by_kind["bbox"]
    assert isinstance(box, BoxAnnotation)
    raw = json.loads((fixtures / "v2/images.ndjson").read_text().splitlines()[0])
    raw_label = next(iter(raw["projects"].values()))["labels"][0]
    raw_box = next(o for o in raw_label["annotations"]["objects"]
                   if o["annotation_kind"] == "ImageBoundingBox")
    assert (box.bounding_box.left, box.bounding_box.top, box.bounding_box.width,
            box.bounding_box.height) == tuple(raw_box["bounding_box"][k]
                                              for k in ("left", "top", "width", "height"))
    assert box.feature_id == raw_box["feature_id"]
    polygon = by_kind["polygon"]
    assert isinstance(polygon, PolygonAnnotation)
    raw_polygon = next(o for o in raw_label["annotations"]["objects"]
                       if o["annotation_kind"] == "ImagePolygon")
    assert [(p.x, p.y) for p in polygon.polygon] == [(p["x"], p["y"]) for p in raw_polygon["polygon"]]
    masks = [o for o in label.annotations.objects if isinstance(o, MaskAnnotation)]
    assert sum(m.mask is not None for m in masks) == 1
    composite = next(m.composite_mask for m in masks if m.composite_mask is not None)
    assert len(composite.color_rgb) == 3
    assert isinstance(by_kind["polyline"], PolylineAnnotation)
    assert isinstance(by_kind["point"], PointAnnotation)
    assert len(label.annotations.relationships) == 1
    assert label.annotations.relationships[0].ends is not None


def test_classification_tree(fixtures: Path) -> None:
    row = next(iter(lbconvert.read(fixtures / "v2/images.ndjson")))
    label = next(iter(row.projects.values())).labels[0]
    types = Counter(c.type for c in label.annotations.classifications)
    assert types == {"radio": 1, "checklist": 1, "text": 1}
    checklist = next(c for c in label.annotations.classifications if c.type == "checklist")
    assert len(checklist.answers) == 2
    nested = [o for o in label.annotations.objects if o.classifications]
    radio = nested[0].classifications[0]
    assert radio.type == "radio"
    assert radio.answers[0].classifications[0].type == "checklist"


def test_unknown_kind_is_kept_with_its_raw_dict(fixtures: Path) -> None:
    rows = list(lbconvert.read(fixtures / "v2/media.ndjson"))
    unknown = [obj for row in rows for label in row.iter_labels()
               for _, obj in label.iter_objects() if isinstance(obj, UnknownAnnotation)]
    assert len(unknown) == 1
    assert unknown[0].original_kind == "ImageFutureShape"
    assert "future_geometry" in unknown[0].raw


def test_media_types_and_video_frames(fixtures: Path) -> None:
    rows = list(lbconvert.read(fixtures / "v2/media.ndjson"))
    media = Counter(row.media_type for row in rows)
    for expected in ("video", "dicom", "text", "conversational", "document", "audio", "html"):
        assert media[expected] >= 1, expected
    video = next(row for row in rows if row.media_type == "video")
    label = next(video.iter_labels())
    assert sorted(label.annotations.frames) == [1, 5, 10]
    frames = [frame for frame, _ in label.iter_objects()]
    assert frames == [1, 5, 10]


def test_model_run_rows(fixtures: Path) -> None:
    rows = list(lbconvert.read(fixtures / "v2/model_run.ndjson"))
    splits = [run.split for row in rows for exp in row.experiments.values()
              for run in exp.runs.values()]
    assert {"Training", "Validation", "Test"} <= set(splits)
    predictions = [obj for row in rows for exp in row.experiments.values()
                   for run in exp.runs.values() for p in run.predictions
                   for _, obj in p.iter_objects()]
    assert predictions and all(obj.confidence is not None for obj in predictions)


def test_legacy_shapes(fixtures: Path) -> None:
    rows = list(lbconvert.read(fixtures / "legacy/array.json"))
    assert len(rows) == 4
    skipped = [label.skipped for row in rows for label in row.iter_labels()]
    assert skipped == [False, True, True, False]
    assert kinds(rows) == {"bbox": 2, "polygon": 1, "point": 1, "polyline": 1}
    checklists = [c for row in rows for label in row.iter_labels()
                  for _, obj in label.iter_objects()
                  for c in obj.classifications if c.type == "checklist"]
    # one spelled "answers", one spelled "answer": [...] (2020 files)
    assert len(checklists) == 2 and all(len(c.answers) >= 2 for c in checklists)
    single = list(lbconvert.read(fixtures / "legacy/single.json"))
    assert len(single) == 1 and kinds(single) == {"bbox": 1, "polygon": 1}
    old = list(lbconvert.read(fixtures / "legacy/schema2019.json"))
    assert kinds(old) == {"polygon": 4}
    classes = Counter(obj.name for row in old for label in row.iter_labels()
                      for _, obj in label.iter_objects())
    assert classes == {"tree": 3, "house": 1}


@pytest.mark.parametrize("name", ["v2/images.ndjson", "v2/images.json", "legacy/array.json",
                                  "legacy/single.json", "v2/media.ndjson"])
def test_gzip_is_sniffed_not_named(name: str, tmp_path: Path) -> None:
    plain = list(lbconvert.read(FIXTURES / name))
    packed = list(lbconvert.read(gzipped(FIXTURES / name, tmp_path)))
    assert [r.projects for r in packed] == [r.projects for r in plain]


def test_reads_binary_file_objects(fixtures: Path) -> None:
    data = (fixtures / "v2/images.ndjson").read_bytes()
    rows = list(lbconvert.read(io.BytesIO(data)))
    assert len(rows) == 7


@pytest.mark.parametrize("size", [5_000, 9_000, 70_000, 300_000])
def test_long_first_lines_are_ndjson(size: int, tmp_path: Path, fixtures: Path) -> None:
    record = json.loads((fixtures / "v2/images.ndjson").read_text().splitlines()[0])
    record["data_row"]["details"] = {"notes": "x" * size, "tail": [1, 2, 3]}
    line = json.dumps(record, separators=(",", ":"))
    path = tmp_path / "long.ndjson"
    path.write_text(line + "\n" + line + "\n")
    assert [r.position for r in lbconvert.read(path)] == [1, 2]


def test_blank_lines_are_allowed(tmp_path: Path, fixtures: Path) -> None:
    lines = (fixtures / "v2/images.ndjson").read_bytes().splitlines()
    path = tmp_path / "blank.ndjson"
    path.write_bytes(b"\n".join([lines[0], b"", b"   ", lines[1]]) + b"\n\n")
    rows = list(lbconvert.read(path))
    assert [r.position for r in rows] == [1, 4]


@pytest.mark.parametrize("name, expected", [
    ("v2/images.ndjson", {"format": "v2-ndjson", "data_rows": 7, "labels": 8,
                          "objects": {"bbox": 8, "mask": 2, "point": 1, "polygon": 1,
                                      "polyline": 1}}),
    ("v2/images.json", {"format": "v2-json", "data_rows": 7}),
    ("v2/model_run.ndjson", {"data_rows": 3, "labels": 4, "objects": {"bbox": 5},
                             "predictions": {"bbox": 6}}),
    ("legacy/array.json", {"format": "legacy-json", "data_rows": 4, "labels": 4}),
    ("legacy/single.json", {"format": "legacy-json", "data_rows": 1}),
    ("v2/media.ndjson", {"data_rows": 10, "labels": 10}),
])
def test_inspect_counts(name: str, expected: dict) -> None:
    summary = inspect_export(FIXTURES / name)
    for key, value in expected.items():
        assert summary[key] == value, key


def test_inspect_classes_and_rows_without_size(fixtures: Path) -> None:
    summary = inspect_export(fixtures / "v2/images.ndjson")
    assert summary["classes"]["car"] == 4
    assert summary["rows_without_size"] == 1
    assert summary["media"] == {"image": 7}


# --- malformed input: the error names file, line or index, and the field ---

@pytest.mark.parametrize("name, where, words", [
    ("bad/truncated.ndjson", "truncated.ndjson:3", "truncated"),
    ("bad/not_json_line.ndjson", "not_json_line.ndjson:2", "not valid JSON"),
    ("bad/missing_width.ndjson", "missing_width.ndjson:2",
     ".labels[0].annotations.objects[1].bounding_box: missing 'width'"),
    ("bad/wrong_type.ndjson", "wrong_type.ndjson:3",
     ".labels[0].annotations.objects[0].polygon[0].x: expected float, got str"),
    ("bad/truncated.json", "truncated.json[1]", "not valid JSON"),
    ("bad/unknown_shape.json", "unknown_shape.json[0]", "not a Labelbox record"),
    ("bad/scalar.json", "scalar.json:1", "not a Labelbox export"),
    ("bad/empty.ndjson", "empty.ndjson", "the file is empty"),
    ("bad/no_data_row.ndjson", "no_data_row.ndjson:1", "no 'data_row'"),
])
def test_malformed_input_names_the_place(name: str, where: str, words: str) -> None:
    with pytest.raises(ExportFormatError) as caught:
        list(lbconvert.read(FIXTURES / name))
    message = str(caught.value)
    assert where in message
    assert words in message


def test_error_path_names_the_project_and_chains_the_cause(fixtures: Path) -> None:
    with pytest.raises(ExportFormatError) as caught:
        list(lbconvert.read(fixtures / "bad/missing_width.ndjson"))
    line = (fixtures / "bad/missing_width.ndjson").read_text().splitlines()[1]
    project_id = next(iter(json.loads(line)["projects"]))
    assert f"projects.{project_id}.labels[0]" in str(caught.value)
    assert caught.value.line == 2
    assert caught.value.__cause__ is not None


def _valid_line(fixtures: Path) -> dict:
    return json.loads((fixtures / "v2/images.ndjson").read_text().splitlines()[0])


@pytest.mark.parametrize("mutate, path, reason", [
    (lambda r: r["data_row"].pop("id"), "data_row", "missing 'id'"),
    (lambda r: r.__setitem__("media_attributes", "wide"), "media_attributes", "expected object | null, got str"),
    (lambda r: _first_box(r).pop("top"), "bounding_box", "missing 'top'"),
    (lambda r: _first_box(r).__setitem__("left", None), "bounding_box.left", "expected float, got null"),
    (lambda r: _label(r).__setitem__("annotations", []), "labels[0].annotations", "expected object, got array"),
])
def test_each_required_field(mutate, path: str, reason: str, tmp_path: Path, fixtures: Path) -> None:
    record = _valid_line(fixtures)
    mutate(record)
    bad = tmp_path / "one.ndjson"
    bad.write_text(json.dumps(_valid_line(fixtures)) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(ExportFormatError) as caught:
        list(lbconvert.read(bad))
    message = str(caught.value)
    assert message.startswith(f"{bad}:2: ")
    assert f"{path}: {reason}" in message


def _label(record: dict) -> dict:
    return next(iter(record["projects"].values()))["labels"][0]


def _first_box(record: dict) -> dict:
    return next(o["bounding_box"] for o in _label(record)["annotations"]["objects"]
                if "bounding_box" in o)


def test_legacy_error_names_index_and_field(tmp_path: Path, fixtures: Path) -> None:
    records = json.loads((fixtures / "legacy/array.json").read_text())
    box = next(o for o in records[0]["Label"]["objects"] if "bbox" in o)
    del box["bbox"]["width"]
    bad = tmp_path / "legacy.json"
    bad.write_text(json.dumps(records))
    with pytest.raises(ExportFormatError, match=r"legacy\.json\[0\]: .*Label\.objects\[\d\]\.bbox: missing 'width'"):
        list(lbconvert.read(bad))
