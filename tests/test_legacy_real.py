"""Legacy exports as real projects wrote them: the 2018 class-keyed schemas
(bare point lists, WKT), data rows labelled more than once, y-up origins."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import lbconvert
from lbconvert.errors import ExportFormatError, LbConvertError
from lbconvert.model import PointAnnotation, PolygonAnnotation
from lbconvert.select.legacy import HOLES_WARNING, NO_HEIGHT_WARNING, IdTable

PUBLIC = Path(__file__).resolve().parents[2] / "shared" / "fixtures-public"


def _objects(path: Path) -> list[list[Any]]:
    return [[o for label in row.iter_labels() for o in label.annotations.objects]
            for row in lbconvert.read(path)]


def _coco(tmp_path: Path, export: Path | str, **options: Any) -> tuple[dict[str, Any], Any]:
    out = tmp_path / "coco"
    report = lbconvert.convert(export, "coco", out, **options)
    return json.loads((out / "annotations.json").read_text()), report


def _images(directory: Path, sizes: dict[str, tuple[int, int]]) -> Path:
    directory.mkdir()
    for name, size in sizes.items():
        Image.new("RGB", size).save(directory / name)
    return directory


# --- the 2018 schemas ---------------------------------------------------------

def test_bare_point_lists_are_polygons(fixtures: Path) -> None:
    first, second = _objects(fixtures / "legacy/schema2018_xy.json")
    assert [(o.name, len(o.polygon)) for o in first] == [("Car", 4), ("Car", 3), ("Tree", 3)]
    assert all(isinstance(o, PolygonAnnotation) for o in first + second)
    assert first[1].polygon[2].x == 170.5 and first[1].polygon[2].y == 90.75
    rows = list(lbconvert.read(fixtures / "legacy/schema2018_xy.json"))
    (label,) = rows[0].iter_labels()
    (weather,) = label.annotations.classifications
    assert weather.type == "checklist" and [a.name for a in weather.answers] == ["sunny", "dry road"]
    (label,) = rows[1].iter_labels()
    assert [(c.name, c.answers[0].name) for c in label.annotations.classifications] == [
        ("time of day", "night")]


def test_wkt_strings_and_geometry_wkt(fixtures: Path) -> None:
    first, second, skipped = _objects(fixtures / "legacy/schema2018_wkt.json")
    # MULTIPOLYGON: one polygon per part; the closing point is kept as exported
    assert [(o.name, len(o.polygon), len(o.holes)) for o in first] == [
        ("Car", 5, 0), ("Car", 4, 0), ("Lake", 5, 1)]
    assert [(p.x, p.y) for p in first[2].holes[0]][:2] == [(20.0, 120.0), (40.0, 120.0)]
    car, pole = second
    assert isinstance(car, PolygonAnnotation) and (car.polygon[1].x, car.polygon[1].y) == (30, 10)
    assert isinstance(pole, PointAnnotation) and (pole.point.x, pole.point.y) == (12, 34)
    assert skipped == []
    rows = list(lbconvert.read(fixtures / "legacy/schema2018_wkt.json"))
    (label,) = rows[0].iter_labels()
    assert [(c.name, c.type) for c in label.annotations.classifications] == [("time of day", "radio")]


@pytest.mark.parametrize("value, message", [
    ('"POLYGON ((1 2, 3 4"', r"Label\.Car: not valid WKT"),
    ('[{"geometry": "POLYGON ((1 2, nan 4, 5 6, 1 2))"}]', r"Label\.Car\[0\]\.geometry: "),
    ('[[{"x": 1, "y": 2}, {"x": "a", "y": 3}]]', r"Label\.Car\[0\]\[1\]\.x: expected a number"),
    ('[[{"x": 1, "y": 2}], 7]', r"Label\.Car: expected a list of shapes"),
])
def test_bad_2018_shapes_name_the_field(tmp_path: Path, value: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"ID": "l1", "DataRow ID": "r1", "Label": {"Car": %s}}]' % value)
    with pytest.raises(ExportFormatError, match=r"bad\.json\[0\]: data row r1: " + message):
        list(lbconvert.read(bad))


def test_2018_schemas_convert_with_holes_counted(tmp_path: Path, fixtures: Path) -> None:
    images = _images(tmp_path / "images", {"wkt-001.jpg": (200, 200), "wkt-002.jpg": (100, 50),
                                           "wkt-003.jpg": (10, 10)})
    coco, report = _coco(tmp_path, fixtures / "legacy/schema2018_wkt.json", images=images)
    assert [a["segmentation"][0][:4] for a in coco["annotations"]][:2] == [
        [10, 20, 110, 20], [150, 30, 190, 30]]
    assert report.warnings[HOLES_WARNING] == 1
    assert report.items_skipped["all labels skipped"] == 1
    assert report.is_balanced()


# --- origin: y down by default, --legacy-y-up flips ----------------------------

def test_y_up_flips_with_the_image_height(tmp_path: Path, fixtures: Path) -> None:
    images = _images(tmp_path / "images", {"xy-001.jpg": (200, 100), "xy-002.jpg": (50, 60)})
    down, _ = _coco(tmp_path / "down", fixtures / "legacy/schema2018_xy.json", images=images)
    up, report = _coco(tmp_path / "up", fixtures / "legacy/schema2018_xy.json", images=images,
                       legacy_y_up=True)
    assert down["annotations"][0]["segmentation"][0] == [10, 20, 110, 20, 110, 70, 10, 70]
    assert up["annotations"][0]["segmentation"][0] == [10, 80, 110, 80, 110, 30, 10, 30]
    assert up["annotations"][0]["bbox"] == [10, 30, 100, 50]
    assert up["annotations"][3]["bbox"] == [5, 15, 20, 40]  # 60 - 45 .. 60 - 5
    assert report.is_balanced() and not report.warnings


def test_y_up_box_and_point(tmp_path: Path) -> None:
    export = tmp_path / "boxes.json"
    export.write_text(json.dumps([{
        "ID": "l1", "DataRow ID": "r1", "External ID": "a.jpg",
        "Media Attributes": {"width": 100, "height": 80},
        "Label": {"objects": [{"title": "car", "bbox": {"left": 1, "top": 10, "width": 5,
                                                        "height": 20}},
                              {"title": "pin", "point": {"x": 3, "y": 70}}]}}]))
    rows = []
    out = tmp_path / "out"
    lbconvert.convert(export, "jsonl", out, legacy_y_up=True)
    for line in next(out.glob("*.jsonl")).read_text().splitlines():
        rows.append(json.loads(line))
    objects = rows[0]["objects"]
    assert objects[0]["bbox"] == [1, 50, 5, 20] and objects[1]["points"] == [[3, 10]]


def test_y_up_without_height_is_a_warning(tmp_path: Path, fixtures: Path) -> None:
    report = lbconvert.convert(fixtures / "legacy/schema2018_xy.json", "jsonl", tmp_path / "o",
                               legacy_y_up=True)
    assert report.warnings[NO_HEIGHT_WARNING] == 2


def test_cli_flag(tmp_path: Path, fixtures: Path) -> None:
    from lbconvert.cli import main

    images = _images(tmp_path / "images", {"xy-001.jpg": (200, 100), "xy-002.jpg": (50, 60)})
    assert main(["convert", str(fixtures / "legacy/schema2018_xy.json"), "--to", "coco",
                 "-o", str(tmp_path / "out"), "--images", str(images), "--legacy-y-up"]) == 0
    first = json.loads((tmp_path / "out" / "annotations.json").read_text())["annotations"][0]
    assert first["segmentation"][0][:2] == [10, 80]


# --- one data row, several records ----------------------------------------------

def test_relabelled_row_selected(tmp_path: Path, fixtures: Path) -> None:
    coco, report = _coco(tmp_path, fixtures / "legacy/relabelled.json")
    names = [image["file_name"] for image in coco["images"]]
    assert names == ["45.jpg", "46.jpg", "47.jpg", "48.jpg"]  # no 45__<hash>.jpg
    per_image = {image["file_name"]: sum(a["image_id"] == image["id"] for a in coco["annotations"])
                 for image in coco["images"]}
    assert per_image == {"45.jpg": 2, "46.jpg": 1, "47.jpg": 1, "48.jpg": 1}
    assert report.data_rows == 5 and report.items == 4
    assert dict(report.dropped) == {"label not selected": 1, "label skipped": 1}
    assert dict(report.items_skipped) == {"all labels skipped": 1}
    assert not report.warnings and report.objects_read == 7 and report.is_balanced()


def test_relabelled_row_all_merges(tmp_path: Path, fixtures: Path) -> None:
    coco, report = _coco(tmp_path, fixtures / "legacy/relabelled.json", labels="all")
    names = [image["file_name"] for image in coco["images"]]
    assert names == ["47.jpg", "45.jpg", "48.jpg", "46.jpg"]  # each at its last record
    per_image = {image["file_name"]: sum(a["image_id"] == image["id"] for a in coco["annotations"])
                 for image in coco["images"]}
    assert per_image == {"45.jpg": 2, "46.jpg": 2, "47.jpg": 1, "48.jpg": 1}
    assert report.data_rows == 5 and report.items == 4
    assert dict(report.dropped) == {"label skipped": 1}
    assert dict(report.items_skipped) == {"all labels skipped": 1}
    assert report.is_balanced()


def test_skipped_after_chosen_counts_as_skipped(tmp_path: Path) -> None:
    records = [{"ID": f"l{i}", "DataRow ID": "r1", "External ID": "a.jpg", "Label": label,
                "Skipped": skipped, "Media Attributes": {"width": 10, "height": 10}}
               for i, (label, skipped) in enumerate([
                   ({"objects": [{"title": "car", "point": {"x": 1, "y": 1}}]}, False),
                   ({"objects": [{"title": "car", "point": {"x": 2, "y": 2}}]}, True)])]
    export = tmp_path / "twice.json"
    export.write_text(json.dumps(records))
    report = lbconvert.convert(export, "jsonl", tmp_path / "out")
    assert dict(report.dropped) == {"label skipped": 1} and report.items == 1


def test_all_needs_a_path(fixtures: Path, tmp_path: Path) -> None:
    stream = io.BytesIO((fixtures / "legacy/relabelled.json").read_bytes())
    with pytest.raises(LbConvertError, match="needs a file path"):
        lbconvert.convert(stream, "jsonl", tmp_path / "out", labels="all")


def test_v2_rows_are_untouched(tmp_path: Path, fixtures: Path) -> None:
    report = lbconvert.convert(fixtures / "v2/images.ndjson", "jsonl", tmp_path / "out",
                               labels="all", project="cl3vyrz2zafeq76e6zyfvrz89")
    assert report.data_rows == 7


def test_id_table_grows_and_counts() -> None:
    table = IdTable()
    for i in range(5000):
        table.set(f"row-{i}", table.get(f"row-{i}") + 1 + i % 3)
    assert len(table) == 5000
    assert [table.get(f"row-{i}") for i in (0, 1, 2, 4999)] == [1, 2, 3, 1 + 4999 % 3]
    assert table.get("never seen") == 0


# --- real exports, when ../shared/fixtures-public is there ----------------------

@pytest.mark.skipif(not PUBLIC.is_dir(), reason="../shared/fixtures-public is not there")
def test_public_2019_file_reads_every_shape(tmp_path: Path) -> None:
    path = PUBLIC / "legacy_2019_pre_objects" / "export-2019-02-18T09_39_54.619Z.json"
    raw = json.loads(path.read_text())
    expected = sum(len(record["Label"].get("object", [])) for record in raw)
    objects = [o for row in _objects(path) for o in row]
    assert len(objects) == expected > 0
    assert all(isinstance(o, PolygonAnnotation) and o.name == "object" for o in objects)
    report = lbconvert.convert(path, "jsonl", tmp_path / "out", labels="all")
    assert report.data_rows == len(raw) and report.is_balanced()


@pytest.mark.skipif(not PUBLIC.is_dir(), reason="../shared/fixtures-public is not there")
@pytest.mark.parametrize("name", ["legacy_real_caseydaly/labelbox_data.json",
                                  "legacy_v1/image_export.json",
                                  "legacy_v1/unkown_media_type_export.json"])
@pytest.mark.parametrize("labels", ["selected", "all"])
def test_public_legacy_files_select_one_item_per_row(tmp_path: Path, name: str,
                                                     labels: str) -> None:
    path = PUBLIC / name
    raw = json.loads(path.read_text())
    raw = raw if isinstance(raw, list) else [raw]
    report = lbconvert.convert(path, "jsonl", tmp_path / "out", labels=labels)
    assert report.data_rows == len({record["DataRow ID"] for record in raw})
    assert report.is_balanced()


def test_all_merges_three_records_far_apart(tmp_path: Path) -> None:
    def record(i: int, row: str, objects: list[Any]) -> dict[str, Any]:
        return {"ID": f"l{i}", "DataRow ID": row, "External ID": f"{row}.jpg",
                "Media Attributes": {"width": 100, "height": 100},
                "Label": {"objects": objects}}
    car = lambda left: {"title": "car", "bbox": {"left": left, "top": 1, "width": 2,  # noqa: E731
                                                 "height": 2}}
    huge = {"title": "odd", "future": 2 ** 70}  # msgpack cannot hold it: kept in memory
    records = [record(0, "a", [car(1)]), record(1, "b", [huge]), record(2, "c", [car(2)]),
               record(3, "a", [car(3)]), record(4, "b", [car(4)]), record(5, "a", [])]
    export = tmp_path / "three.ndjson"  # legacy rows as NDJSON: ijson refuses the huge integer
    export.write_text("".join(json.dumps(r) + "\n" for r in records))
    coco, report = _coco(tmp_path, export, labels="all")
    assert [image["file_name"] for image in coco["images"]] == ["c.jpg", "b.jpg", "a.jpg"]
    lefts = {image["file_name"]: [a["bbox"][0] for a in coco["annotations"]
                                  if a["image_id"] == image["id"]] for image in coco["images"]}
    assert lefts == {"c.jpg": [2], "b.jpg": [4], "a.jpg": [1, 3]}
    assert report.data_rows == 3 and report.is_balanced()
    assert report.dropped == {"unknown not representable in coco": 1}


def test_y_up_flips_video_frames_too(tmp_path: Path) -> None:
    from lbconvert.select.legacy import _flip_row

    export = tmp_path / "video.json"
    export.write_text(json.dumps([{"ID": "l1", "DataRow ID": "v1", "Label": [
        {"frameNumber": 3, "objects": [{"featureId": "f", "title": "car",
                                        "bbox": {"left": 1, "top": 2, "width": 3, "height": 4}}]}]}]))
    (row,) = lbconvert.read(export)
    (label,) = _flip_row(row, 100).iter_labels()
    assert label.annotations.frames[3].objects["f"].bounding_box.top == 94


@pytest.mark.parametrize("answer", ["Polygon (large)", "POINT of sale", "polygon"])
def test_answers_that_only_look_like_wkt_stay_answers(tmp_path: Path, answer: str) -> None:
    export = tmp_path / "a.json"
    export.write_text(json.dumps([{"ID": "l1", "DataRow ID": "r1", "Label": {"shape": answer}}]))
    (row,) = lbconvert.read(export)
    (label,) = row.iter_labels()
    (question,) = label.annotations.classifications
    assert question.answers[0].name == answer and not label.annotations.objects


def test_wkt_error_is_one_line(tmp_path: Path) -> None:
    export = tmp_path / "w.json"
    export.write_text(json.dumps([{"ID": "l1", "DataRow ID": "r1",
                                   "Label": {"Car": "POLYGON ((1 2, 3 4))"}}]))
    with pytest.raises(ExportFormatError) as caught:
        list(lbconvert.read(export))
    message = str(caught.value)
    assert message.endswith("w.json[0]: data row r1: Label.Car: not valid WKT (IllegalArgument"
                            "Exception: Points of LinearRing do not form a closed linestring)")
    assert "\n" not in message


@pytest.mark.parametrize("labels, per_image", [("selected", [1]), ("all", [2])])
def test_2018_records_without_data_row_id_group_by_image_url(
        tmp_path: Path, labels: str, per_image: list[int]) -> None:
    url = "https://storage.example.com/tesla/model-s.jpg"
    records = [{"ID": f"cje{i}", "Labeled Data": url, "External ID": "",
                "Label": {"Car": [[{"x": 1 + i, "y": 1}, {"x": 9, "y": 1}, {"x": 9, "y": 9}]]}}
               for i in range(2)]
    records.insert(1, {"ID": "cjx", "Labeled Data": "https://storage.example.com/other.jpg",
                       "Label": {"Car": [[{"x": 1, "y": 1}, {"x": 9, "y": 1}, {"x": 9, "y": 9}]]}})
    export = tmp_path / "old.json"
    export.write_text(json.dumps(records))
    images = _images(tmp_path / "images", {"model-s.jpg": (20, 20), "other.jpg": (20, 20)})
    coco, report = _coco(tmp_path, export, images=images, labels=labels)
    first = coco["images"][0 if labels == "selected" else 1]
    assert [sum(a["image_id"] == first["id"] for a in coco["annotations"])] == per_image
    assert len(coco["images"]) == 2 and report.data_rows == 2 and report.is_balanced()


def test_waiting_records_are_on_disk_not_in_memory(fixtures: Path) -> None:
    from lbconvert.select.legacy import _Spill

    rows = list(lbconvert.read(fixtures / "legacy/relabelled.json"))
    with _Spill() as held:
        for row in rows[:3]:
            held.put("k", row)
        assert all(isinstance(where, tuple) for where in held._where["k"])
        assert held.count("k") == 3 and "k" in held
        assert held.pop("k") == rows[:3] and "k" not in held
