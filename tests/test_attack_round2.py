"""Damaged datasets fed to ``preview`` and ``to-labelbox`` (second attack round):
each ends in a written result or a one-line error naming the file, never an
internal error, and nothing is silently dropped or misplaced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import lbconvert
from lbconvert.cli import main

from .inline import box, polygon, row, write_export


def shapes_export(tmp_path: Path) -> Path:
    """200x100: a car box and a person polygon."""
    objects = [box("car", 20, 10, 60, 40),
               polygon("person", [(120, 20), (180, 20), (180, 80), (120, 80)])]
    return write_export(tmp_path / "shapes.ndjson", [row("img-1.jpg", objects, 200, 100)])


def coco_dataset(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    lbconvert.convert(shapes_export(tmp_path), "coco", tmp_path / "coco")
    return tmp_path / "coco", json.loads((tmp_path / "coco/annotations.json").read_text())


def test_preview_draws_coordinates_far_beyond_the_image(tmp_path: Path, capsys) -> None:
    """A box or polygon at 1e300 (finite JSON; 1e308 + 1e308 overflows to inf)
    was an internal error (OverflowError, SystemError from Pillow)."""
    out, data = coco_dataset(tmp_path)
    data["annotations"][0].update(bbox=[1e308, 1, 1e308, 3], segmentation=[])
    data["annotations"][1]["segmentation"] = [[1e300, 1, 20, 20, 30, -1e300]]
    (out / "annotations.json").write_text(json.dumps(data))
    assert main(["preview", str(out), "-o", str(tmp_path / "p"), "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert (tmp_path / "p/index.html").is_file()


def test_preview_voc_infinite_coordinate_is_one_line(tmp_path: Path, capsys) -> None:
    lbconvert.convert(shapes_export(tmp_path), "voc", tmp_path / "voc")
    xml = tmp_path / "voc/Annotations/img-1.xml"
    text = xml.read_text()
    xml.write_text(text.replace("<xmin>21</xmin>", "<xmin>-inf</xmin>", 1))
    assert main(["preview", str(tmp_path / "voc"), "-o", str(tmp_path / "p"), "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"lbconvert: error: {xml}: object 1: <bndbox/xmin> is not a number: '-inf'"
    xml.write_text(text.replace("<xmax>80</xmax>", "<xmax>1e300</xmax>", 1))
    assert main(["preview", str(tmp_path / "voc"), "-o", str(tmp_path / "p"), "-q"]) == 0


def test_to_labelbox_coco_image_width_that_is_not_a_number(tmp_path: Path, capsys) -> None:
    """An image found by its data_row_id (not the manifest) whose width is
    text was compared with the box's numbers: an internal TypeError."""
    out, data = coco_dataset(tmp_path)
    data["images"][0].update(file_name="elsewhere.jpg", width="200")
    (out / "annotations.json").write_text(json.dumps(data))
    result = tmp_path / "r.ndjson"
    assert main(["to-labelbox", str(out), "--from", "coco", "-o", str(result), "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert len(result.read_text().splitlines()) == 2


def test_preview_yolo_manifest_width_that_is_not_a_number(tmp_path: Path, capsys) -> None:
    """``int("abc")`` of a manifest's width was an internal ValueError; such a
    width is unknown, as a missing one: the label file is left out and noted."""
    lbconvert.convert(shapes_export(tmp_path), "yolo", tmp_path / "yolo")
    manifest = tmp_path / "yolo/manifest.jsonl"
    record = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**record, "width": "abc"}) + "\n")
    assert main(["preview", str(tmp_path / "yolo"), "-o", str(tmp_path / "p"), "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert "label file without image size" in (tmp_path / "p/index.html").read_text()


def test_to_labelbox_yolo_rows_ended_by_a_lone_carriage_return(tmp_path: Path, capsys) -> None:
    """Two rows ended by ``\\r`` (classic Mac) were one line of 10 numbers:
    silently a polygon with the second box's last value as its confidence.
    Ultralytics (``splitlines``) and the preview read two boxes."""
    lbconvert.convert(shapes_export(tmp_path), "yolo", tmp_path / "yolo")
    label = tmp_path / "yolo/labels/train/img-1.txt"
    label.write_bytes(b"0 0.25 0.3 0.3 0.4\r1 0.75 0.5 0.3 0.6\r")
    result = tmp_path / "r.ndjson"
    assert main(["to-labelbox", str(tmp_path / "yolo"), "--from", "yolo",
                 "-o", str(result), "-q"]) == 0
    lines = [json.loads(line) for line in result.read_text().splitlines()]
    assert [(line["name"], sorted(line)) for line in lines] == [
        ("car", ["bbox", "dataRow", "name", "uuid"]),
        ("person", ["bbox", "dataRow", "name", "uuid"]),
    ]
    assert lines[1]["bbox"] == {"top": 20.0, "left": 120.0, "height": 60.0, "width": 60.0}
    label.write_bytes(b"0 0.25 0.3 0.3 0.4\rcar 0.5 0.5 0.1 0.1\r\n")
    assert main(["to-labelbox", str(tmp_path / "yolo"), "--from", "yolo",
                 "-o", str(result), "--overwrite", "-q"]) == 1
    assert capsys.readouterr().err.strip() == f"lbconvert: error: {label}:2: 'car' is not a number"


def test_coco_image_id_twice_is_one_line(tmp_path: Path, capsys) -> None:
    """Two images with one id: the second replaced the first, and the first
    image's annotations were imported onto the second's data row."""
    out, data = coco_dataset(tmp_path)
    data["images"].append({**data["images"][0], "file_name": "other.jpg",
                           "data_row_id": "other", "global_key": "other.jpg"})
    (out / "annotations.json").write_text(json.dumps(data))
    path = out / "annotations.json"
    assert main(["to-labelbox", str(out), "--from", "coco", "-o", str(tmp_path / "r.ndjson"),
                 "-q"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"lbconvert: error: {path}: images[1]: image id 1 appears twice")
    assert not (tmp_path / "r.ndjson").exists()
    assert main(["preview", str(out), "-o", str(tmp_path / "p"), "-q"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"lbconvert: error: {path}: images[1]: image id 1 appears twice")


def _to_labelbox(source: Path, fmt: str, result: Path) -> tuple[list[dict[str, Any]], Any]:
    report = lbconvert.to_labelbox(source, fmt, result)
    return [json.loads(line) for line in result.read_text().splitlines()], report


def test_to_labelbox_drops_coco_boxes_without_area(tmp_path: Path) -> None:
    """A bbox of width or height 0 or less went to Labelbox as it was."""
    out, data = coco_dataset(tmp_path)
    good = data["annotations"][0]
    data["annotations"] = [{**good, "id": i + 1, "bbox": bbox, "segmentation": []}
                           for i, bbox in enumerate([[20, 10, 60, 40], [20, 10, 0, 40],
                                                     [20, 10, 60, 0], [20, 10, -5, -5],
                                                     [20, 10, 0.001, 0.001]])]
    (out / "annotations.json").write_text(json.dumps(data))
    lines, report = _to_labelbox(out, "coco", tmp_path / "r.ndjson")
    assert [line["bbox"] for line in lines] == [
        {"top": 10.0, "left": 20.0, "height": 40.0, "width": 60.0},
        {"top": 10.0, "left": 20.0, "height": 0.001, "width": 0.001}]
    assert dict(report.dropped) == {"degenerate box": 3} and report.objects_read == 5


def test_to_labelbox_drops_yolo_boxes_without_area(tmp_path: Path) -> None:
    lbconvert.convert(shapes_export(tmp_path), "yolo", tmp_path / "yolo")
    labels = tmp_path / "yolo/labels/train/img-1.txt"
    labels.write_text("0 0.25 0.3 0.3 0.4\n0 0.25 0.3 0 0.4\n0 0.25 0.3 0.3 -0.4\n"
                      "0 0.25 0.3 0.000001 0.000001\n")
    lines, report = _to_labelbox(tmp_path / "yolo", "yolo", tmp_path / "r.ndjson")
    assert [round(line["bbox"]["width"], 6) for line in lines] == [60.0, 0.0002]
    assert dict(report.dropped) == {"degenerate box": 2} and report.objects_read == 4


@pytest.mark.parametrize("key", ["annotations", "images", "categories"])
@pytest.mark.parametrize("value, kind", [({"0": {}}, "an object"), (None, "null"),
                                         (3, "a number"), ("x", "a string")])
def test_to_labelbox_coco_section_that_is_not_a_list_is_one_line(
        tmp_path: Path, capsys: Any, key: str, value: Any, kind: str) -> None:
    """``"annotations": {…}`` was read as no annotations: 0 written, exit 0."""
    out, data = coco_dataset(tmp_path)
    data[key] = value
    (out / "annotations.json").write_text(json.dumps(data))
    code = main(["to-labelbox", str(out), "--from", "coco", "-o", str(tmp_path / "r.ndjson")])
    err = capsys.readouterr().err.strip()
    assert (code, err) == (1, f"lbconvert: error: {out / 'annotations.json'}: {key}: "
                              f"must be a list, not {kind}")
    assert not (tmp_path / "r.ndjson").exists()


def test_to_labelbox_coco_without_annotations_or_with_none_writes_nothing(
        tmp_path: Path) -> None:
    out, data = coco_dataset(tmp_path)
    for annotations in ([], "missing"):
        if annotations == "missing":
            del data["annotations"]
        else:
            data["annotations"] = annotations
        (out / "annotations.json").write_text(json.dumps(data))
        lines, report = _to_labelbox(out, "coco", tmp_path / f"r{len(data)}.ndjson")
        assert lines == [] and report.objects_read == 0 and report.items == 1


@pytest.mark.parametrize("xml, message", [
    ("<score>high</score>", "<score> is not a number: 'high'"),
    ("<confidence>0,9</confidence>", "<confidence> is not a number: '0,9'"),
])
def test_to_labelbox_voc_score_that_is_not_a_number_is_one_line(
        tmp_path: Path, capsys: Any, xml: str, message: str) -> None:
    """A ``<score>high</score>`` was taken for no score: the object went to
    Labelbox without its confidence, without a word."""
    lbconvert.convert(shapes_export(tmp_path), "voc", tmp_path / "voc")
    path = tmp_path / "voc/Annotations/img-1.xml"
    path.write_text(path.read_text().replace("</bndbox>", "</bndbox>" + xml, 1))
    code = main(["to-labelbox", str(tmp_path / "voc"), "--from", "voc", "-o",
                 str(tmp_path / "r.ndjson")])
    assert (code, capsys.readouterr().err.strip()) == (
        1, f"lbconvert: error: {path}: object[0]: {message}")
    assert not (tmp_path / "r.ndjson").exists()


def test_to_labelbox_voc_scores_and_empty_tags(tmp_path: Path) -> None:
    lbconvert.convert(shapes_export(tmp_path), "voc", tmp_path / "voc")
    path = tmp_path / "voc/Annotations/img-1.xml"
    first, second, rest = path.read_text().split("</bndbox>")
    path.write_text(first + "</bndbox><score> </score><confidence>0.25</confidence>"  # empty: none
                    + second + "</bndbox><score>0.5</score>" + rest)
    lines, report = _to_labelbox(tmp_path / "voc", "voc", tmp_path / "r.ndjson")
    assert [line.get("confidence") for line in lines] == [0.25, 0.5]
    assert report.objects_read == 2 and not report.dropped


def test_preview_yolo_class_id_beyond_the_names_is_noted(tmp_path: Path, capsys: Any) -> None:
    """A row of class 17 of 2 was drawn as "17" without a word."""
    lbconvert.convert(shapes_export(tmp_path), "yolo", tmp_path / "yolo")
    label = next((tmp_path / "yolo/labels").rglob("*.txt"))
    label.write_text(label.read_text() + "17 0.5 0.5 0.1 0.1\n2 0.5 0.5 0.2 0.2\n")
    assert main(["preview", str(tmp_path / "yolo"), "-o", str(tmp_path / "p"), "-q"]) == 0
    page = (tmp_path / "p/index.html").read_text()
    assert "row whose class id is not in data.yaml" in page
    label.write_text("1 0.5 0.5 0.1 0.1\n")  # the last class: no note
    assert main(["preview", str(tmp_path / "yolo"), "-o", str(tmp_path / "p3"), "-q"]) == 0
    assert "not in data.yaml" not in (tmp_path / "p3/index.html").read_text()
