"""COCO output, loaded and checked with pycocotools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lbconvert
from lbconvert import BoxAnnotation, PolygonAnnotation
from lbconvert.classes import ClassMap
from lbconvert.write.geometry import ring, ring_area
from lbconvert.inspect import inspect_export

from .conftest import FIXTURES

pycocotools = pytest.importorskip("pycocotools")
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

MAIN_PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"


def convert(tmp_path: Path, name: str = "v2/images.ndjson", **options) -> tuple[Path, lbconvert.Report]:
    out = tmp_path / "coco"
    if name == "v2/images.ndjson":
        options.setdefault("project", MAIN_PROJECT)
    report = lbconvert.convert(FIXTURES / name, "coco", out, **options)
    return out, report


def exported_objects(name: str, project: str = MAIN_PROJECT) -> dict[str, object]:
    """feature id -> object, for the chosen label of every row (from the reader)."""
    found = {}
    for row in lbconvert.read(FIXTURES / name):
        chosen = row.projects.get(project)
        if chosen is None:
            continue
        labels = [label for label in chosen.labels if not label.skipped][:1]
        for label in labels:
            for obj in label.annotations.objects:
                found[obj.feature_id] = obj
    return found


def test_loads_in_pycocotools_with_exact_values(tmp_path: Path) -> None:
    out, report = convert(tmp_path)
    coco = COCO(str(out / "annotations.json"))
    objects = exported_objects("v2/images.ndjson")
    assert len(coco.getAnnIds()) == report.annotations_written > 0
    names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    for ann in coco.loadAnns(coco.getAnnIds()):
        obj = objects[ann["feature_id"]]
        assert names[ann["category_id"]] == obj.name
        image = coco.loadImgs(ann["image_id"])[0]
        mask = coco.annToMask(ann)
        assert mask.shape == (image["height"], image["width"])
        assert ann["id"] >= 1 and ann["iscrowd"] == 0
        if isinstance(obj, BoxAnnotation):
            b = obj.bounding_box
            assert ann["bbox"] == [b.left, b.top, b.width, b.height]
            assert ann["area"] == b.width * b.height
        elif isinstance(obj, PolygonAnnotation):
            vertices = ring(obj.polygon)
            assert ann["area"] == pytest.approx(ring_area(vertices))
            xs = [x for x, _ in vertices]
            ys = [y for _, y in vertices]
            assert ann["bbox"] == pytest.approx([min(xs), min(ys), max(xs) - min(xs),
                                                 max(ys) - min(ys)])
            assert len(ann["segmentation"][0]) == 2 * len(vertices)
            # rasterised area agrees with the polygon area to within the outline
            assert abs(mask.sum() - ann["area"]) < 0.1 * ann["area"]


def test_image_records(tmp_path: Path) -> None:
    out, _ = convert(tmp_path)
    coco = COCO(str(out / "annotations.json"))
    rows = {row.id: row for row in lbconvert.read(FIXTURES / "v2/images.ndjson")}
    images = coco.loadImgs(coco.getImgIds())
    assert [img["id"] for img in images] == list(range(1, len(images) + 1))
    for image in images:
        row = rows[image["data_row_id"]]
        assert (image["width"], image["height"]) == row.size
        assert image["global_key"] == row.global_key
    first = next(img for img in images if img["global_key"] == "street-001.jpg")
    assert first["file_name"] == "street-001.jpg"
    assert first["attributes"]  # label-level classifications


def test_hostile_global_key_stays_inside(tmp_path: Path) -> None:
    out, _ = convert(tmp_path)
    data = json.loads((out / "annotations.json").read_text())
    hostile = next(img for img in data["images"] if img["global_key"] == "../../etc/passwd")
    assert "/" not in hostile["file_name"] and ".." not in hostile["file_name"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coco"]


def test_unlabeled_rows_stay_as_negatives(tmp_path: Path) -> None:
    out, _ = convert(tmp_path)
    coco = COCO(str(out / "annotations.json"))
    negatives = [i for i in coco.getImgIds() if not coco.getAnnIds(imgIds=[i])]
    assert negatives
    out2, report = convert(tmp_path / "again", skip_unlabeled=True)
    assert report.items_skipped["unlabeled"] == 1
    assert len(COCO(str(out2 / "annotations.json")).getImgIds()) == len(coco.getImgIds()) - 1


def test_report_accounts_for_every_object(tmp_path: Path) -> None:
    _, report = convert(tmp_path)
    summary = inspect_export(FIXTURES / "v2/images.ndjson")
    assert report.objects_read == sum(summary["objects"].values())
    assert report.annotations_written + report.dropped_total == report.objects_read
    assert report.dropped["label skipped"] == 1
    assert report.dropped["label not selected"] == 1
    assert report.dropped["other project"] == 1
    assert report.dropped["image size unknown"] == 1
    assert report.dropped["mask not available offline"] == 2


def test_self_evaluation_gives_ap_one(tmp_path: Path) -> None:
    out, _ = convert(tmp_path)
    gt = COCO(str(out / "annotations.json"))
    detections = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"],
                   "score": 1.0} for a in gt.loadAnns(gt.getAnnIds())]
    evaluator = COCOeval(gt, gt.loadRes(detections), "bbox")
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    assert evaluator.stats[0] == pytest.approx(1.0)


def test_byte_identical_output(tmp_path: Path) -> None:
    first, _ = convert(tmp_path / "a")
    second, _ = convert(tmp_path / "b")
    assert (first / "annotations.json").read_bytes() == (second / "annotations.json").read_bytes()


def test_splits_write_one_file_each(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    report = lbconvert.convert(FIXTURES / "v2/model_run.ndjson", "coco", out,
                               model_run=_first_run_id())
    files = sorted(p.name for p in out.iterdir())
    assert files == ["annotations_test.json", "annotations_train.json", "annotations_val.json",
                     "lbconvert-report.json", "manifest.jsonl"]
    files = files[:3]
    total = sum(len(COCO(str(out / f)).getAnnIds()) for f in files)
    assert total == report.annotations_written


def test_classes_file_drops_unknown_classes(tmp_path: Path) -> None:
    classes = tmp_path / "classes.txt"
    classes.write_text("person\ncar\n")
    out, report = convert(tmp_path, classes=ClassMap.from_file(classes))
    data = json.loads((out / "annotations.json").read_text())
    assert [(c["id"], c["name"]) for c in data["categories"]] == [(1, "person"), (2, "car")]
    cars = [a for a in data["annotations"] if a["category_id"] == 2]
    assert cars
    classes.write_text("person\n")
    out, report = convert(tmp_path / "only-person", classes=ClassMap.from_file(classes))
    assert report.dropped["class not in classes file"] >= 1
    assert report.annotations_written + report.dropped_total == report.objects_read


def test_clip_and_fix_geometry(tmp_path: Path) -> None:
    row = {"data_row": {"id": "r1", "global_key": "bowtie.png"},
           "media_attributes": {"width": 100, "height": 100},
           "projects": {"p": {"labels": [{"id": "l", "annotations": {"objects": [
               {"annotation_kind": "ImagePolygon", "name": "tie", "feature_id": "f1",
                "polygon": [{"x": 10, "y": 10}, {"x": 50, "y": 50}, {"x": 10, "y": 50},
                            {"x": 50, "y": 10}]},
               {"annotation_kind": "ImageBoundingBox", "name": "edge", "feature_id": "f2",
                "bounding_box": {"left": 80, "top": 80, "width": 40, "height": 40}},
               {"annotation_kind": "ImageBoundingBox", "name": "edge", "feature_id": "f3",
                "bounding_box": {"left": 150, "top": 150, "width": 10, "height": 10}},
               {"annotation_kind": "ImagePolygon", "name": "flat", "feature_id": "f4",
                "polygon": [{"x": 1, "y": 1}, {"x": 5, "y": 1}, {"x": 9, "y": 1}]}]}}]}}}
    export = tmp_path / "geo.ndjson"
    export.write_text(json.dumps(row) + "\n")
    report = lbconvert.convert(export, "coco", tmp_path / "out", clip=True, fix_geometry=True)
    data = json.loads((tmp_path / "out/annotations.json").read_text())
    tie = next(a for a in data["annotations"] if a["feature_id"] == "f1")
    assert len(tie["segmentation"]) == 2  # the bow-tie repaired into two triangles
    assert tie["area"] == pytest.approx(800.0)
    edge = next(a for a in data["annotations"] if a["feature_id"] == "f2")
    assert edge["bbox"] == [80.0, 80.0, 20.0, 20.0]
    assert report.dropped == {"box outside image": 1, "degenerate polygon": 1}
    COCO(str(tmp_path / "out/annotations.json"))


def test_keypoints_attach_to_their_box(tmp_path: Path) -> None:
    objects = [
        {"annotation_kind": "ImageBoundingBox", "name": "person", "feature_id": "b1",
         "bounding_box": {"left": 10, "top": 10, "width": 30, "height": 60}},
        {"annotation_kind": "ImagePoint", "name": "head", "feature_id": "p1",
         "point": {"x": 25, "y": 15}},
        {"annotation_kind": "ImagePoint", "name": "foot", "feature_id": "p2",
         "point": {"x": 20, "y": 65}},
        {"annotation_kind": "ImagePoint", "name": "head", "feature_id": "p3",
         "point": {"x": 90, "y": 90}},
    ]
    row = {"data_row": {"id": "r1"}, "media_attributes": {"width": 100, "height": 100},
           "projects": {"p": {"labels": [{"annotations": {"objects": objects}}]}}}
    export = tmp_path / "kp.ndjson"
    export.write_text(json.dumps(row))
    report = lbconvert.convert(export, "coco", tmp_path / "out", keypoints=True,
                               keypoint_names=("head", "foot"))
    coco = COCO(str(tmp_path / "out/annotations.json"))
    (ann,) = coco.loadAnns(coco.getAnnIds())
    assert ann["keypoints"] == [25.0, 15.0, 2, 20.0, 65.0, 2]
    assert ann["num_keypoints"] == 2
    assert coco.loadCats(ann["category_id"])[0]["keypoints"] == ["head", "foot"]
    assert report.dropped == {"point outside every box": 1}
    assert report.annotations_written == 3


def test_strict_fails_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(lbconvert.StrictError):  # the second run's labels are dropped
        lbconvert.convert(FIXTURES / "v2/model_run.ndjson", "coco", tmp_path / "out",
                          strict=True, model_run=_first_run_id())
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


def _first_run_id() -> str:
    row = next(iter(lbconvert.read(FIXTURES / "v2/model_run.ndjson")))
    return next(iter(next(iter(row.experiments.values())).runs))


def test_refuses_non_empty_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(lbconvert.OutputError):
        lbconvert.convert(FIXTURES / "legacy/array.json", "coco", out)
    assert (out / "keep.txt").read_text() == "mine"
    lbconvert.convert(FIXTURES / "legacy/array.json", "coco", out, overwrite=True)
    assert not (out / "keep.txt").exists()
