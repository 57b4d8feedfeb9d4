"""Every real export in ../shared/fixtures-public parses with the right counts.

Expected counts are computed independently with the standard json module.
Skipped when ../shared is not beside the checkout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lbconvert
from lbconvert.inspect import inspect_export

WHOLE_EXPORTS = {
    "v2_lightly-labelformat/export-result.ndjson": "v2-ndjson",
    "v2_graz-cc-data-processing/export-result.ndjson": "v2-ndjson",
    "v2_radar_tracker/export-result.ndjson": "v2-ndjson",
    "legacy_real_caseydaly/labelbox_data.json": "legacy-json",
    "legacy_2019_pre_objects/export-2019-02-18T09_39_54.619Z.json": "legacy-json",
    "legacy_v1/image_export.json": "legacy-json",
    "legacy_v1/highly_nested_image.json": "legacy-json",
    "legacy_v1/text_export.json": "legacy-json",
    "legacy_v1/pdf_export.json": "legacy-json",
    "legacy_v1/tiled_image_export.json": "legacy-json",
    "legacy_v1/unkown_media_type_export.json": "legacy-json",
    "legacy_v1/video_export.json": "legacy-json",
}


def _records(path: Path) -> list[dict]:
    text = path.read_text()
    if path.suffix == ".ndjson":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    return data if isinstance(data, list) else [data]


def _count_objects(record: dict) -> int:
    if "data_row" in record:
        return sum(len(label["annotations"].get("objects", []))
                   for project in record.get("projects", {}).values()
                   for label in project["labels"])
    body = record["Label"]
    if isinstance(body, list):  # legacy video, frames inline
        return sum(len(frame.get("objects", [])) for frame in body)
    if not isinstance(body, dict):
        return 0
    if "objects" in body:
        return len(body["objects"])
    return sum(len(v) for v in body.values()  # 2019 schema: {class: [shapes]}
               if isinstance(v, list) and all(isinstance(s, dict) for s in v))


@pytest.mark.parametrize("name, expected_format", sorted(WHOLE_EXPORTS.items()))
def test_public_export_counts(public: Path, name: str, expected_format: str) -> None:
    path = public / name
    records = _records(path)
    summary = inspect_export(path)
    assert summary["format"] == expected_format
    assert summary["data_rows"] == len(records)
    assert sum(summary["objects"].values()) == sum(map(_count_objects, records))
    assert "unknown" not in summary["objects"]


def test_lightly_values(public: Path) -> None:
    rows = list(lbconvert.read(public / "v2_lightly-labelformat/export-result.ndjson"))
    assert [r.size for r in rows] == [(640, 416), (640, 426)]
    first = next(iter(rows[0].projects.values())).labels[0].annotations.objects[0]
    assert (first.name, first.bounding_box.left, first.bounding_box.top) == ("dog", 540.0, 295.0)


def test_every_media_type_shape_reads(public: Path, tmp_path: Path) -> None:
    """The per-media-type annotation shapes, wrapped into full data rows."""
    shapes = json.loads((public / "v2_shapes_by_media_type/export_v2_annotations_by_media_type.json")
                        .read_text())
    video_label = json.loads((public / "v2_shapes_by_media_type/export_v2_video_label.json").read_text())
    lines = []
    expected_objects = 0
    for i, (media, annotations) in enumerate(sorted(shapes.items())):
        label = {"id": f"label-{i}", "label_kind": media, "annotations": annotations}
        lines.append({"data_row": {"id": f"row-{i}"}, "projects": {"p": {"labels": [label]}}})
        expected_objects += len(annotations.get("objects", []))
        for group in annotations.get("groups", {}).values():
            expected_objects += sum(len(f["objects"]) for f in group["frames"].values())
    lines.append({"data_row": {"id": "video"}, "projects": {"p": {"labels": [video_label]}}})
    expected_objects += sum(len(f["objects"]) for f in video_label["annotations"]["frames"].values())
    path = tmp_path / "shapes.ndjson"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    summary = inspect_export(path)
    assert summary["data_rows"] == len(lines)
    assert sum(summary["objects"].values()) == expected_objects
    assert "unknown" not in summary["objects"]
    assert summary["objects"]["document_bbox"] == 1
    assert summary["objects"]["text_entity"] == 1


def test_mask_shapes_read(public: Path, tmp_path: Path) -> None:
    shapes = json.loads((public / "v2_shapes_by_media_type/mask_formats.json").read_text())
    objects = [shapes["image_instance_mask"], shapes["image_composite_mask"]]
    row = {"data_row": {"id": "r"}, "media_attributes": {"width": 10, "height": 10},
           "projects": {"p": {"labels": [{"annotations": {"objects": objects}}]}}}
    path = tmp_path / "masks.ndjson"
    path.write_text(json.dumps(row))
    (read,) = lbconvert.read(path)
    instance, composite = next(read.iter_labels()).annotations.objects
    assert instance.mask.url.endswith("/mask") and instance.composite_mask is None
    assert composite.composite_mask.color_rgb == (123, 103, 152)
