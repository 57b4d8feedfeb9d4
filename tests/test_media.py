"""Video frames, interpolation, DICOM, documents, model runs: select and COCO end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lbconvert
from lbconvert.inspect import inspect_export
from lbconvert.select import interpolate

from .conftest import FIXTURES


def video_row() -> lbconvert.DataRow:
    return next(r for r in lbconvert.read(FIXTURES / "v2/media.ndjson") if r.media_type == "video")


def test_interpolated_boxes_match_hand_computed_values() -> None:
    label = next(video_row().iter_labels())
    filled = {n: obj.bounding_box for n, obj in
              interpolate(label.annotations.frames, label.annotations.segments)}
    # keyframes 1 (100, 220, 230, 140), 5 (140, 224, 232, 138), 10 (190, 231, 236, 135)
    assert sorted(filled) == [2, 3, 4, 6, 7, 8, 9]
    b = filled[2]  # a quarter of the way from frame 1 to frame 5
    assert (b.left, b.top, b.width, b.height) == (110.0, 221.0, 230.5, 139.5)
    b = filled[8]  # three fifths of the way from frame 5 to frame 10
    assert (b.left, b.top, b.width, b.height) == pytest.approx((170.0, 228.2, 234.4, 136.2))


def test_segment_without_a_later_keyframe_holds_the_last_one() -> None:
    frames = {3: lbconvert.Frame(objects={"f": lbconvert.BoxAnnotation(
        feature_id="f", name="car", bounding_box=lbconvert.Box(left=1, top=2, width=3, height=4))})}
    filled = list(interpolate(frames, {"f": [[3, 5]]}))
    assert [n for n, _ in filled] == [4, 5]
    assert all(obj.bounding_box == frames[3].objects["f"].bounding_box for _, obj in filled)


def test_video_frames_become_coco_images(tmp_path: Path) -> None:
    report = lbconvert.convert(FIXTURES / "v2/media.ndjson", "coco", tmp_path / "k")
    data = json.loads((tmp_path / "k/annotations.json").read_text())
    video = [img for img in data["images"] if "video_id" in img]
    assert [img["frame_index"] for img in video] == [1, 5, 10]
    assert [img["file_name"] for img in video] == [
        "intersection-0815_000001.jpg", "intersection-0815_000005.jpg",
        "intersection-0815_000010.jpg"]
    assert report.annotations_interpolated == 0
    assert report.is_balanced()


def test_interpolation_is_counted_separately(tmp_path: Path) -> None:
    report = lbconvert.convert(FIXTURES / "v2/media.ndjson", "coco", tmp_path / "i",
                               interpolate=True)
    data = json.loads((tmp_path / "i/annotations.json").read_text())
    frames = sorted(img["frame_index"] for img in data["images"] if "video_id" in img)
    assert frames == list(range(1, 11))
    assert report.annotations_interpolated == 7
    objects = sum(inspect_export(FIXTURES / "v2/media.ndjson")["objects"].values())
    assert (report.annotations_written - report.annotations_interpolated
            + report.dropped_total) == objects
    by_frame = {img["frame_index"]: img["id"] for img in data["images"] if "video_id" in img}
    frame2 = [a for a in data["annotations"] if a["image_id"] == by_frame[2]]
    assert frame2[0]["bbox"] == [110.0, 221.0, 230.5, 139.5]


def test_every_nth_frame(tmp_path: Path) -> None:
    report = lbconvert.convert(FIXTURES / "v2/media.ndjson", "coco", tmp_path / "e",
                               interpolate=True, every=3)
    data = json.loads((tmp_path / "e/annotations.json").read_text())
    frames = sorted(img["frame_index"] for img in data["images"] if "video_id" in img)
    assert frames == [1, 4, 7, 10]
    # frames 2, 3, 5, 6, 8, 9 go; frame 5 also holds a second feature's box
    assert report.dropped["frame not kept (--every)"] == 7
    assert report.is_balanced()


def test_document_boxes_become_page_images(tmp_path: Path) -> None:
    row = {"data_row": {"id": "doc", "global_key": "invoice.pdf"},
           "media_attributes": {"mime_type": "application/pdf"},
           "projects": {"p": {"labels": [{"annotations": {"objects": [
               {"annotation_kind": "DocumentBoundingBox", "name": "total", "page_number": 2,
                "bounding_box": {"top": 10, "left": 20, "height": 30, "width": 40},
                "page_dimensions": {"height": 792.0, "width": 612.0}},
               {"annotation_kind": "DocumentEntityToken", "name": "word",
                "location": {"groups": [{"id": "g", "page_number": 2, "tokens": ["t"],
                                         "text": "Total"}]}}]}}]}}}
    export = tmp_path / "doc.ndjson"
    export.write_text(json.dumps(row))
    report = lbconvert.convert(export, "coco", tmp_path / "out")
    data = json.loads((tmp_path / "out/annotations.json").read_text())
    (image,) = data["images"]
    assert (image["file_name"], image["width"], image["height"]) == ("invoice_p2.jpg", 612, 792)
    (ann,) = data["annotations"]
    assert ann["bbox"] == [20.0, 10.0, 40.0, 30.0]
    assert report.dropped == {"document_entity not representable in coco": 1}


def test_dicom_groups_become_frames(tmp_path: Path) -> None:
    line = next(l for l in (FIXTURES / "v2/media.ndjson").read_text().splitlines()
                if '"groups"' in l)
    row = json.loads(line)
    row["media_attributes"] = {"width": 512, "height": 512, "mime_type": "application/dicom"}
    export = tmp_path / "dicom.ndjson"
    export.write_text(json.dumps(row))
    report = lbconvert.convert(export, "coco", tmp_path / "out")
    data = json.loads((tmp_path / "out/annotations.json").read_text())
    assert data["images"] and all("_Axial_" in img["file_name"] for img in data["images"])
    assert report.dropped == {"polyline not representable in coco": report.objects_read}


def test_model_run_predictions_carry_scores(tmp_path: Path) -> None:
    row = next(iter(lbconvert.read(FIXTURES / "v2/model_run.ndjson")))
    run_id = next(iter(next(iter(row.experiments.values())).runs))
    report = lbconvert.convert(FIXTURES / "v2/model_run.ndjson", "coco", tmp_path / "p",
                               source="predictions", model_run=run_id)
    files = sorted(p.name for p in (tmp_path / "p").glob("annotations*.json"))
    scores = [a["score"] for f in files
              for a in json.loads((tmp_path / "p" / f).read_text())["annotations"]]
    assert scores and all(0 < s <= 1 for s in scores)
    assert report.is_balanced()


def test_several_model_runs_need_a_choice(tmp_path: Path) -> None:
    with pytest.raises(lbconvert.SelectionError, match="choose one with model_run=$"):
        lbconvert.convert(FIXTURES / "v2/model_run.ndjson", "coco", tmp_path / "x",
                          source="predictions")
    assert not (tmp_path / "x").exists()


def test_legacy_video_converts_with_its_frames(public: Path, tmp_path: Path) -> None:
    report = lbconvert.convert(public / "legacy_v1/video_export.json", "coco", tmp_path / "v")
    # the legacy file carries no frame size: every box is accounted for as such
    assert report.objects_read == 500
    assert report.dropped == {"image size unknown": 500}


def test_coco_results_load_against_their_images(tmp_path: Path) -> None:
    pytest.importorskip("pycocotools")
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    row = next(iter(lbconvert.read(FIXTURES / "v2/model_run.ndjson")))
    run_id = next(iter(next(iter(row.experiments.values())).runs))
    out = tmp_path / "gt"
    lbconvert.convert(FIXTURES / "v2/model_run.ndjson", "coco", out, model_run=run_id,
                      results=True)
    gt = COCO(str(out / "annotations_train.json"))
    results = json.loads((out / "results_train.json").read_text())
    assert len(results) == len(gt.getAnnIds())
    evaluator = COCOeval(gt, gt.loadRes(str(out / "results_train.json")), "bbox")
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    assert evaluator.stats[0] == pytest.approx(1.0)


def test_jsonl_keeps_every_object_of_every_media(tmp_path: Path) -> None:
    report = lbconvert.convert(FIXTURES / "v2/media.ndjson", "jsonl", tmp_path / "j")
    lines = [json.loads(line) for line in (tmp_path / "j/items.jsonl").read_text().splitlines()]
    summary = inspect_export(FIXTURES / "v2/media.ndjson")
    assert report.dropped_total == 0
    assert report.annotations_written == sum(summary["objects"].values())
    assert sum(len(line["objects"]) for line in lines) == report.annotations_written
    media = {line["media_type"] for line in lines}
    assert {"video", "text", "conversational", "audio", "html"} <= media
    text = next(line for line in lines if line["media_type"] == "text")
    entity = text["objects"][0]
    assert entity["kind"] == "text_entity" and entity["end"] > entity["start"]
    unknown = [o for line in lines for o in line["objects"] if o["kind"] == "unknown"]
    assert unknown[0]["annotation_kind"] == "ImageFutureShape" and unknown[0]["raw"]
    assert set(lines[0]) == {"data_row_id", "global_key", "external_id", "row_data", "stem",
                             "file_name", "split", "media_type", "width", "height", "frame",
                             "page", "classifications", "objects", "relationships"}


def test_geojson_feature_collections(tmp_path: Path) -> None:
    pytest.importorskip("shapely")
    from shapely.geometry import shape

    report = lbconvert.convert(FIXTURES / "v2/media.ndjson", "geojson", tmp_path / "g")
    files = list((tmp_path / "g").glob("*.geojson"))
    assert len(files) == 1
    collection = json.loads(files[0].read_text())
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == report.annotations_written == 4
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid
        lng, lat = geometry.representative_point().coords[0]
        assert -180 <= lng <= 180 and -90 <= lat <= 90
        assert feature["properties"]["class"]
    assert report.is_balanced()


def test_frames_dir_gives_frame_size_and_images(tmp_path: Path) -> None:
    from PIL import Image

    line = next(l for l in (FIXTURES / "v2/media.ndjson").read_text().splitlines()
                if '"frames"' in l and '"Video"' in l)
    row = json.loads(line)
    row["media_attributes"] = {"mime_type": "video/mp4"}  # no size: read from the frames
    export = tmp_path / "video.ndjson"
    export.write_text(json.dumps(row))
    frames = tmp_path / "frames" / "intersection-0815"
    frames.mkdir(parents=True)
    for number in (1, 5, 10):
        Image.new("RGB", (1280, 720)).save(frames / f"{number}.jpg")
    report = lbconvert.convert(export, "yolo", tmp_path / "out", frames_dir=tmp_path / "frames")
    images = sorted(p.name for p in (tmp_path / "out/images/train").iterdir())
    assert images == ["intersection-0815_000001.jpg", "intersection-0815_000005.jpg",
                      "intersection-0815_000010.jpg"]
    assert (tmp_path / "out/images/train" / images[0]).resolve() == (frames / "1.jpg").resolve()
    assert report.items == 3 and report.is_balanced()
    labels = (tmp_path / "out/labels/train/intersection-0815_000001.txt").read_text().split()
    # frame 1's box (left 100, top 220, 230 x 140) in the 1280x720 frame the images give
    assert [float(v) for v in labels[1:]] == pytest.approx(
        [215 / 1280, 290 / 720, 230 / 1280, 140 / 720], abs=1e-6)
