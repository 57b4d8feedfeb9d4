"""lbconvert to-labelbox: datasets and predictions back to Labelbox import NDJSON."""

from __future__ import annotations

import base64
import io
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lbconvert
from lbconvert.cli import main
from lbconvert.model import BoxAnnotation, PolygonAnnotation
from lbconvert.options import Options
from lbconvert.report import Report
from lbconvert.select import Selector

from .conftest import FIXTURES
from .inline import box, polygon, row, write_export
from .labelbox_schema import check_file

PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]


def checked(path: Path) -> list[dict[str, Any]]:
    found = lines(path)
    assert check_file(found) == len(found)
    return found


def key(line: dict[str, Any]) -> str:
    return line["dataRow"].get("globalKey") or line["dataRow"]["id"]


def expected_objects(export: Path, **options: Any) -> dict[str, list[Any]]:
    """data row key -> the objects selected for writing (the writers' input)."""
    selector = Selector(Options.from_kwargs(**options), Report())
    found: dict[str, list[Any]] = {}
    for data_row in lbconvert.read(export):
        for item in selector.items(data_row):
            found.setdefault(item.global_key or item.data_row_id, []).extend(item.objects)
    return found


def ring_of(obj: PolygonAnnotation) -> list[tuple[float, float]]:
    points = [(p.x, p.y) for p in obj.polygon]
    return points[:-1] if len(points) > 1 and points[0] == points[-1] else points


def box_of(obj: Any) -> tuple[float, float, float, float]:
    if isinstance(obj, BoxAnnotation):
        b = obj.bounding_box
        return b.left, b.top, b.width, b.height
    xs, ys = zip(*ring_of(obj))
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def line_box(line: dict[str, Any]) -> tuple[float, float, float, float]:
    b = line["bbox"]
    return b["left"], b["top"], b["width"], b["height"]


def matches(line: dict[str, Any], obj: Any, tolerance: float, voc: bool = False) -> bool:
    if obj.name != line["name"]:
        return False
    if "bbox" in line:
        if not isinstance(obj, BoxAnnotation) and not voc:
            return False
        got, want = line_box(line), box_of(obj)
        if voc:  # the enclosing whole-pixel box: each edge at most 1 px outside
            left, top, right, bottom = want[0], want[1], want[0] + want[2], want[1] + want[3]
            return (left - 1 < got[0] <= left and top - 1 < got[1] <= top
                    and right <= got[0] + got[2] < right + 1
                    and bottom <= got[1] + got[3] < bottom + 1)
        return all(abs(a - b) <= tolerance for a, b in zip(got, want))
    if "polygon" in line and isinstance(obj, PolygonAnnotation):
        got = [(p["x"], p["y"]) for p in line["polygon"]]
        want = ring_of(obj)
        return len(got) == len(want) and all(
            abs(a - c) <= tolerance and abs(b - d) <= tolerance for (a, b), (c, d) in zip(got, want))
    return False


def assert_round_trip(export: Path, tmp_path: Path, to: str, from_format: str,
                      tolerance_of: Any, voc: bool = False, **options: Any) -> list[dict]:
    out = tmp_path / to
    written = lbconvert.convert(export, to, out, **options).annotations_written
    report = lbconvert.to_labelbox(out, from_format, tmp_path / f"{to}.ndjson")
    found = checked(tmp_path / f"{to}.ndjson")
    assert report.annotations_written == report.objects_read == written == len(found) > 0
    assert report.is_balanced() and not report.dropped
    expected = expected_objects(export, **{k: v for k, v in options.items()
                                          if k in ("project",)})
    sizes = {r["global_key"] or r["data_row_id"]: (r["width"], r["height"])
             for r in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())}
    unmatched = {k: list(v) for k, v in expected.items()}
    for line in found:
        candidates = unmatched[key(line)]
        tolerance = tolerance_of(*sizes[key(line)])
        hit = next((o for o in candidates if matches(line, o, tolerance, voc)), None)
        assert hit is not None, f"{line} matches no exported object of {key(line)}"
        candidates.remove(hit)
    return found


@pytest.mark.parametrize("export", ["v2/images.ndjson", "v2/images.json"])
def test_fixture_round_trips_through_coco_exactly(export: str, tmp_path: Path) -> None:
    found = assert_round_trip(FIXTURES / export, tmp_path, "coco", "coco",
                              lambda w, h: 1e-6, project=PROJECT)
    assert {line["name"] for line in found} == {"car", "person"}
    assert any("polygon" in line for line in found)


def test_fixture_round_trips_through_yolo_detect(tmp_path: Path) -> None:
    assert_round_trip(FIXTURES / "v2/images.ndjson", tmp_path, "yolo", "yolo",
                      lambda w, h: 1e-4 * max(w, h), project=PROJECT)


def test_fixture_round_trips_through_yolo_segment(tmp_path: Path) -> None:
    found = assert_round_trip(FIXTURES / "v2/images.ndjson", tmp_path, "yolo", "yolo",
                              lambda w, h: 1e-4 * max(w, h), project=PROJECT, task="segment")
    assert [line["name"] for line in found] == ["person"]


def test_fixture_round_trips_through_voc_within_a_pixel(tmp_path: Path) -> None:
    assert_round_trip(FIXTURES / "v2/images.ndjson", tmp_path, "voc", "voc",
                      lambda w, h: 0.0, voc=True, project=PROJECT)


def generated_export(tmp_path: Path, seed: int = 7) -> Path:
    rnd = random.Random(seed)
    rows = []
    for i in range(40):
        width, height = rnd.choice([(640, 480), (1280, 720), (333, 517)])
        objects = []
        for k in range(rnd.randint(0, 6)):
            name = rnd.choice(["car", "person", "sign", "bus stop"])
            left, top = rnd.uniform(0, width - 60), rnd.uniform(0, height - 60)
            w, h = rnd.uniform(1, width - left), rnd.uniform(1, height - top)
            if rnd.random() < 0.5:
                objects.append(box(name, round(left, rnd.choice([0, 2, 5])),
                                   round(top, 3), round(w, 1), round(h, 4)))
            else:
                cx, cy = left + w / 2, top + h / 2
                points = [(cx + w / 2 * np.cos(a) * rnd.uniform(0.5, 1),
                           cy + h / 2 * np.sin(a) * rnd.uniform(0.5, 1))
                          for a in np.linspace(0, 2 * np.pi, rnd.randint(3, 9), endpoint=False)]
                objects.append(polygon(name, [(float(x), float(y)) for x, y in points]))
        data_row = row(f"gen-{i:03d}.jpg", objects, width, height, row_id=f"row{i:03d}")
        if i % 5 == 0:  # no global key: the import must use the data row id
            del data_row["data_row"]["global_key"]
        rows.append(data_row)
    return write_export(tmp_path / "generated.ndjson", rows)


@pytest.mark.parametrize("to, from_format, task, tolerance, voc", [
    ("coco", "coco", None, lambda w, h: 1e-6, False),
    ("yolo", "yolo", "detect", lambda w, h: 1e-4 * max(w, h), False),
    ("yolo", "yolo", "segment", lambda w, h: 1e-4 * max(w, h), False),
    ("voc", "voc", None, lambda w, h: 0.0, True),
])
def test_generated_export_round_trips(to: str, from_format: str, task: Any, tolerance: Any,
                                      voc: bool, tmp_path: Path) -> None:
    export = generated_export(tmp_path)
    options = {"task": task} if task else {}
    found = assert_round_trip(export, tmp_path, to, from_format, tolerance, voc=voc, **options)
    assert any("id" in line["dataRow"] for line in found)
    assert all(line["dataRow"] != {"id": "", "globalKey": ""} for line in found)


def test_voc_boxes_on_whole_pixels_come_back_exactly(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e.ndjson", [
        row("a.jpg", [box("car", 0, 0, 10, 20), box("car", 12, 7, 1, 1),
                      box("car", 190, 90, 10, 10)])])
    lbconvert.convert(export, "voc", tmp_path / "voc")
    lbconvert.to_labelbox(tmp_path / "voc", "voc", tmp_path / "out.ndjson")
    assert [line_box(line) for line in lines(tmp_path / "out.ndjson")] == [
        (0, 0, 10, 20), (12, 7, 1, 1), (190, 90, 10, 10)]


def test_voc_fractional_and_clipped_boxes_come_back_enclosing(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e.ndjson", [
        row("a.jpg", [box("car", 0.5, 1.25, 10, 20), box("car", -5, 90.2, 30, 30)])])
    lbconvert.convert(export, "voc", tmp_path / "voc")
    lbconvert.to_labelbox(tmp_path / "voc", "voc", tmp_path / "out.ndjson")
    # 0.5..10.5 -> pixels 1..11 (1-based) -> 0..11; the clipped box keeps its clip
    assert [line_box(line) for line in lines(tmp_path / "out.ndjson")] == [
        (0, 1, 11, 21), (0, 90, 25, 10)]


def test_coco_results_carry_confidence(tmp_path: Path) -> None:
    out = tmp_path / "coco"
    export = write_export(tmp_path / "e.ndjson", [row("a.jpg", [box("car", 1, 2, 3, 4)]),
                                                  row("b.jpg", [box("bus", 5, 6, 7, 8)])])
    lbconvert.convert(export, "coco", out, results=True)
    results = [{"image_id": 2, "category_id": 2, "bbox": [5.5, 6, 7, 8], "score": 0.25},
               {"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.875,
                "segmentation": [[1, 2, 4, 2, 4, 6]]}]
    (tmp_path / "preds.json").write_text(json.dumps(results))
    report = lbconvert.to_labelbox(tmp_path / "preds.json", "coco-results", tmp_path / "p.ndjson",
                                   gt=out / "annotations.json", manifest=out / "manifest.jsonl")
    found = checked(tmp_path / "p.ndjson")
    assert report.objects_read == report.annotations_written == 2
    assert found[0]["dataRow"] == {"globalKey": "b.jpg"} and found[0]["name"] == "bus"
    assert found[0]["bbox"] == {"top": 6.0, "left": 5.5, "height": 8.0, "width": 7.0}
    assert found[0]["confidence"] == 0.25
    assert found[1]["polygon"] == [{"x": 1.0, "y": 2.0}, {"x": 4.0, "y": 2.0}, {"x": 4.0, "y": 6.0}]
    assert found[1]["confidence"] == 0.875


def test_coco_results_written_by_lbconvert_find_their_ground_truth(tmp_path: Path) -> None:
    out = tmp_path / "coco"
    lbconvert.convert(FIXTURES / "v2/images.ndjson", "coco", out, project=PROJECT, results=True)
    report = lbconvert.to_labelbox(out, "coco-results", tmp_path / "p.ndjson")
    found = checked(tmp_path / "p.ndjson")
    assert report.annotations_written == len(found) == 5
    assert {line["confidence"] for line in found} == {1.0}


def test_masks_from_rle_are_binary_pngs(tmp_path: Path) -> None:
    from lbconvert.write.rle import rle_encode

    mask = np.zeros((4, 6), dtype=bool)
    mask[1:3, 2:5] = True
    gt = {"images": [{"id": 1, "file_name": "m.png", "width": 6, "height": 4,
                      "data_row_id": "row-m", "global_key": None}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [2, 1, 3, 2],
                           "segmentation": rle_encode(mask), "iscrowd": 0, "area": 6}],
          "categories": [{"id": 3, "name": "road"}]}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    lbconvert.to_labelbox(tmp_path / "gt.json", "coco", tmp_path / "m.ndjson")
    [line] = checked(tmp_path / "m.ndjson")
    assert line["dataRow"] == {"id": "row-m"} and line["name"] == "road"
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(line["mask"]["png"]))))
    assert pixels.dtype == np.uint8 and (pixels == mask).all()
    lbconvert.to_labelbox(tmp_path / "gt.json", "coco", tmp_path / "h.ndjson",
                          mask_url="https://bucket.example/masks/")
    [hosted] = checked(tmp_path / "h.ndjson")
    assert hosted["mask"] == {"instanceURI": f"https://bucket.example/masks/{hosted['uuid']}.png",
                              "colorRGB": [255, 255, 255]}
    png = tmp_path / "h_masks" / f"{hosted['uuid']}.png"
    assert ((np.asarray(Image.open(png)) == 255) == mask).all()
    gt["images"][0]["width"] = 7
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    report = lbconvert.to_labelbox(tmp_path / "gt.json", "coco", tmp_path / "w.ndjson")
    assert dict(report.dropped) == {"mask size differs from the image": 1}
    assert (tmp_path / "w.ndjson").read_bytes() == b""


def yolo_dataset(tmp_path: Path) -> Path:
    export = write_export(tmp_path / "e.ndjson", [
        row("a.jpg", [box("car", 10, 20, 30, 40)], 200, 100),
        row("b.jpg", [box("person", 0, 0, 50, 50)], 400, 300)])
    lbconvert.convert(export, "yolo", tmp_path / "ds")
    return tmp_path / "ds"


def test_ultralytics_predictions_with_confidence(tmp_path: Path) -> None:
    ds = yolo_dataset(tmp_path)
    predict = tmp_path / "runs/detect/predict/labels"
    predict.mkdir(parents=True)
    (predict / "a.txt").write_text("0 0.5 0.5 0.25 0.5 0.91\n1 0.1 0.2 0.1 0.2 0.5\n")
    (predict / "b.txt").write_text("1 0.5 0.5 0.5 0.5 0.42 0.5 0.5 0.75 0.33\n")
    code = main(["to-labelbox", str(predict), "--from", "yolo", "--manifest",
                 str(ds / "manifest.jsonl"), "--data", str(ds / "data.yaml"),
                 "-o", str(tmp_path / "preds.ndjson"), "--report", str(tmp_path / "r.json")])
    assert code == 0
    found = checked(tmp_path / "preds.ndjson")
    assert [(key(x), x["name"], x.get("confidence")) for x in found] == [
        ("a.jpg", "car", 0.91), ("a.jpg", "person", 0.5), ("b.jpg", "person", 0.33)]
    assert found[0]["bbox"] == {"top": 25.0, "left": 75.0, "height": 50.0, "width": 50.0}
    assert found[2]["polygon"][0] == {"x": 200.0, "y": 150.0}
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["objects_read"] == report["annotations_written"] == 3
    assert report["from"] == "yolo"


def test_yolo_pose_rows_give_box_and_keypoints(tmp_path: Path) -> None:
    ds = yolo_dataset(tmp_path)
    data = ds / "data.yaml"
    data.write_text(data.read_text() + "kpt_shape: [2, 3]\n")
    labels = tmp_path / "pose"
    labels.mkdir()
    (labels / "a.txt").write_text("0 0.5 0.5 0.5 0.5 0.25 0.5 2 0 0 0 0.8\n")
    report = lbconvert.to_labelbox(labels, "yolo", tmp_path / "p.ndjson", data=data,
                                   manifest=ds / "manifest.jsonl", keypoints=["nose", "tail"])
    found = checked(tmp_path / "p.ndjson")
    assert [(x["name"], "bbox" in x, x.get("point")) for x in found] == [
        ("car", True, None), ("nose", False, {"x": 50.0, "y": 50.0})]
    assert report.objects_read == report.annotations_written == 2


def test_reruns_are_byte_identical_and_uuids_unique(tmp_path: Path) -> None:
    export = generated_export(tmp_path)
    lbconvert.convert(export, "coco", tmp_path / "coco")
    lbconvert.to_labelbox(tmp_path / "coco", "coco", tmp_path / "1.ndjson")
    lbconvert.to_labelbox(tmp_path / "coco/annotations.json", "coco", tmp_path / "2.ndjson")
    assert (tmp_path / "1.ndjson").read_bytes() == (tmp_path / "2.ndjson").read_bytes()
    found = lines(tmp_path / "1.ndjson")
    assert len({x["uuid"] for x in found}) == len(found) > 50


def test_video_frames_become_keyframes(tmp_path: Path) -> None:
    lbconvert.convert(FIXTURES / "v2/media.ndjson", "coco", tmp_path / "coco")
    report = lbconvert.to_labelbox(tmp_path / "coco", "coco", tmp_path / "v.ndjson")
    found = checked(tmp_path / "v.ndjson")
    [video] = [x for x in found if "segments" in x]  # one object: the feature_id is kept
    assert video["name"] == "car" and video["dataRow"] == {"globalKey": "intersection-0815.mp4"}
    assert [s["keyframes"][0]["frame"] for s in video["segments"]] == [1, 5, 10]
    assert video["segments"][1]["keyframes"] == [{"frame": 5, "bbox": {
        "top": 224.0, "left": 140.0, "height": 138.0, "width": 232.0}}]
    assert report.is_balanced() and report.annotations_written == 5 == len(found) + 2


def ontology(tmp_path: Path, tools: list[tuple[str, str]]) -> Path:
    path = tmp_path / "ontology.json"
    path.write_text(json.dumps({"tools": [{"name": n, "tool": t} for n, t in tools],
                                "classifications": []}))
    return path


def test_ontology_names_are_checked(tmp_path: Path) -> None:
    out = tmp_path / "coco"
    lbconvert.convert(FIXTURES / "v2/images.ndjson", "coco", out, project=PROJECT)
    onto = ontology(tmp_path, [("car", "rectangle"), ("person", "rectangle")])
    with pytest.raises(lbconvert.LbConvertError,
                       match=r"'person' \(polygon: geometry does not match the ontology tool\) x1"):
        lbconvert.to_labelbox(out, "coco", tmp_path / "o.ndjson", ontology=onto)
    assert not (tmp_path / "o.ndjson").exists()
    assert list(tmp_path.glob(".o.ndjson*")) == []
    report = lbconvert.to_labelbox(out, "coco", tmp_path / "o.ndjson", ontology=onto,
                                   skip_unknown=True)
    assert dict(report.dropped) == {"geometry does not match the ontology tool": 1}
    assert report.annotations_written == 4
    onto = ontology(tmp_path, [("car", "rectangle")])
    report = lbconvert.to_labelbox(out, "coco", tmp_path / "o.ndjson", ontology=onto,
                                   skip_unknown=True, overwrite=True)
    assert dict(report.dropped) == {"class not in ontology": 2}
    assert report.annotations_written == 3 == len(lines(tmp_path / "o.ndjson"))
    assert report.is_balanced()


def test_strict_fails_and_keeps_the_old_output(tmp_path: Path) -> None:
    out = tmp_path / "coco"
    lbconvert.convert(FIXTURES / "v2/images.ndjson", "coco", out, project=PROJECT)
    target = tmp_path / "o.ndjson"
    target.write_bytes(b"old\n")
    onto = ontology(tmp_path, [("car", "rectangle")])
    code = main(["to-labelbox", str(out), "--from", "coco", "-o", str(target), "--ontology",
                 str(onto), "--skip-unknown", "--strict", "--overwrite"])
    assert code == 3 and target.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coco", "o.ndjson", "ontology.json"]


def test_confidence_outside_unit_range_is_dropped(tmp_path: Path) -> None:
    ds = yolo_dataset(tmp_path)
    labels = tmp_path / "preds"
    labels.mkdir()
    (labels / "a.txt").write_text("0 0.5 0.5 0.25 0.5 1.5\n0 0.5 0.5 0.25 0.5 1\n")
    report = lbconvert.to_labelbox(labels, "yolo", tmp_path / "p.ndjson",
                                   manifest=ds / "manifest.jsonl", data=ds / "data.yaml")
    assert dict(report.dropped) == {"confidence outside [0, 1]": 1}
    assert report.annotations_written == 1 and report.is_balanced()


# --- bad inputs: one line naming the file and line (or index) -------------------------


def run_cli(args: list[str], capsys: Any) -> tuple[int, str]:
    code = main(args)
    err = capsys.readouterr().err.strip()
    return code, err


def test_image_missing_from_the_manifest(tmp_path: Path, capsys: Any) -> None:
    ds = yolo_dataset(tmp_path)
    labels = tmp_path / "preds"
    labels.mkdir()
    (labels / "a.txt").write_text("0 0.5 0.5 0.25 0.5 0.9\n")
    (labels / "zzz.txt").write_text("0 0.5 0.5 0.25 0.5 0.9\n")
    code, err = run_cli(["to-labelbox", str(labels), "--from", "yolo", "--manifest",
                         str(ds / "manifest.jsonl"), "--data", str(ds / "data.yaml"),
                         "-o", str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and "\n" not in err
    assert err.startswith(f"lbconvert: error: {labels / 'zzz.txt'}: 'zzz' is not in the manifest")
    assert not (tmp_path / "p.ndjson").exists()


def test_coco_image_missing_from_the_manifest(tmp_path: Path, capsys: Any) -> None:
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"stem": "a", "file_name": "a.jpg", "data_row_id": "r1",
                                    "global_key": None, "width": 10, "height": 10}) + "\n")
    gt = {"images": [{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}],
          "annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]},
                          {"image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1]}],
          "categories": [{"id": 1, "name": "car"}]}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    code, err = run_cli(["to-labelbox", str(tmp_path / "gt.json"), "--from", "coco",
                         "-o", str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and "\n" not in err
    assert err == (f"lbconvert: error: {tmp_path / 'gt.json'}: annotations[1]: image_id 2 "
                   "(b.jpg) is not in the manifest and carries no data_row_id or global_key")


def test_unknown_category_and_image_in_results(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "coco"
    lbconvert.convert(write_export(tmp_path / "e.ndjson", [row("a.jpg", [box("car", 1, 2, 3, 4)])]),
                      "coco", out)
    results = tmp_path / "r.json"
    results.write_text(json.dumps([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4],
                                    "score": 0.5},
                                   {"image_id": 1, "category_id": 9, "bbox": [1, 2, 3, 4],
                                    "score": 0.5}]))
    args = ["to-labelbox", str(results), "--from", "coco-results", "--gt",
            str(out / "annotations.json"), "--manifest", str(out / "manifest.jsonl"),
            "-o", str(tmp_path / "p.ndjson")]
    code, err = run_cli(args, capsys)
    assert code == 1
    assert err == (f"lbconvert: error: {results}[1]: category_id 9 is not among the categories "
                   f"of {out / 'annotations.json'}")
    results.write_text(json.dumps([{"image_id": 7, "category_id": 1, "bbox": [1, 2, 3, 4],
                                    "score": 0.5}]))
    code, err = run_cli(args, capsys)
    assert code == 1
    assert err == (f"lbconvert: error: {results}[0]: image_id 7 is not among the images of "
                   f"{out / 'annotations.json'}")


@pytest.mark.parametrize("text, message", [
    ("0 0.5 0.5 0.25 0.5\n0 0.5 abc 0.25 0.5\n", ":2: 'abc' is not a number"),
    ("0 0.5 0.5 0.25\n", ":1: a YOLO row has at least 5 columns, not 4"),
    ("\n\n7 0.5 0.5 0.25 0.5\n", ":3: class id 7 is not in the names (2 classes)"),
    ("0.5 0.5 0.5 0.25 0.5\n", ":1: class id 0.5 is not in the names (2 classes)"),
])
def test_malformed_prediction_lines(text: str, message: str, tmp_path: Path,
                                    capsys: Any) -> None:
    ds = yolo_dataset(tmp_path)
    labels = tmp_path / "preds"
    labels.mkdir()
    (labels / "a.txt").write_text(text)
    code, err = run_cli(["to-labelbox", str(labels), "--from", "yolo", "--manifest",
                         str(ds / "manifest.jsonl"), "--data", str(ds / "data.yaml"),
                         "-o", str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and err == f"lbconvert: error: {labels / 'a.txt'}{message}"


def test_malformed_coco_results_file(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "coco"
    lbconvert.convert(write_export(tmp_path / "e.ndjson", [row("a.jpg", [box("car", 1, 2, 3, 4)])]),
                      "coco", out)
    results = tmp_path / "r.json"
    results.write_text('[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "score": 1}]')
    code, err = run_cli(["to-labelbox", str(results), "--from", "coco-results", "--gt",
                         str(out / "annotations.json"), "-o", str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and err == (f"lbconvert: error: {results}[0]: bbox must be 4 numbers, "
                                 "not [1, 2, 3]")
    results.write_text('[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "sc')
    code, err = run_cli(["to-labelbox", str(results), "--from", "coco-results", "--gt",
                         str(out / "annotations.json"), "-o", str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and err.startswith(f"lbconvert: error: {results}: not valid JSON")
    assert "\n" not in err
    results.write_bytes(b'[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "x": "\xff"}]')
    code, err = run_cli(["to-labelbox", str(results), "--from", "coco-results", "--gt",
                         str(out / "annotations.json"), "-o", str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and err == (f"lbconvert: error: {results}: not valid JSON "
                                 "(lexical error: invalid bytes in UTF8 string.)")


def test_results_without_ground_truth_say_so(tmp_path: Path, capsys: Any) -> None:
    results = tmp_path / "r.json"
    results.write_text("[]")
    code, err = run_cli(["to-labelbox", str(results), "--from", "coco-results",
                         "-o", str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and "--gt" in err


def test_results_are_streamed_not_loaded(tmp_path: Path, monkeypatch: Any) -> None:
    """The results array is read item by item: the reader yields before the file ends."""
    out = tmp_path / "coco"
    lbconvert.convert(write_export(tmp_path / "e.ndjson", [row("a.jpg", [box("car", 1, 2, 3, 4)])]),
                      "coco", out)
    results = tmp_path / "r.json"
    detection = json.dumps({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5})
    results.write_text("[" + detection + ", {broken")
    from lbconvert.reverse import coco
    from lbconvert.reverse.index import ManifestIndex

    reader = coco.read_coco_results(results, out / "annotations.json", ManifestIndex(
        out / "manifest.jsonl"), Report())
    first = next(reader)
    assert first.name == "car" and first.confidence == 0.5
    with pytest.raises(lbconvert.LbConvertError, match="not valid JSON"):
        next(reader)


# --- the SDK's own annotation-import types, when the labelbox package is installed ----


def test_lines_parse_with_the_labelbox_sdk(tmp_path: Path) -> None:
    pytest.importorskip("labelbox")
    from labelbox.data.serialization.ndjson.objects import (
        NDDocumentRectangle, NDLine, NDMask, NDPoint, NDPolygon, NDRectangle, NDSegments,
    )
    from labelbox.schema.annotation_import import AnnotationImport

    lbconvert.convert(FIXTURES / "v2/media.ndjson", "coco", tmp_path / "media")
    lbconvert.to_labelbox(tmp_path / "media", "coco", tmp_path / "media.ndjson")
    export = generated_export(tmp_path)
    lbconvert.convert(export, "coco", tmp_path / "gen")
    lbconvert.to_labelbox(tmp_path / "gen", "coco", tmp_path / "gen.ndjson")
    test_masks_from_rle_are_binary_pngs(tmp_path)
    found = (lines(tmp_path / "media.ndjson") + lines(tmp_path / "gen.ndjson")
             + lines(tmp_path / "m.ndjson") + lines(tmp_path / "h.ndjson"))
    kinds = set()
    for line in found:
        if "page" in line:
            model = NDDocumentRectangle
        else:
            geometry = next(k for k in ("bbox", "polygon", "line", "point", "mask", "segments")
                            if k in line)
            model = {"bbox": NDRectangle, "polygon": NDPolygon, "line": NDLine,
                     "point": NDPoint, "mask": NDMask, "segments": NDSegments}[geometry]
        parsed = model.model_validate(line)
        kinds.add(model.__name__)
        assert parsed.uuid == line["uuid"] and parsed.name == line["name"]
        if model is not NDSegments:
            parsed.to_common()
        else:
            parsed.to_common(name=line["name"], feature_schema_id=None)
        dumped = parsed.model_dump(by_alias=True, exclude_none=True)
        assert dumped["dataRow"] == line["dataRow"]
    AnnotationImport._validate_data_rows(found)
    assert {"NDRectangle", "NDPolygon", "NDMask", "NDSegments"} <= kinds


GOOD = {"uuid": "b862c586-8614-483c-b5e6-82810f70cac0", "dataRow": {"globalKey": "a.jpg"},
        "name": "car", "bbox": {"top": 1, "left": 2, "height": 3, "width": 4}, "confidence": 0.5}


@pytest.mark.parametrize("change, message", [
    ({"dataRow": {"globalKey": "a.jpg", "id": "r1"}}, "exactly one of id, globalKey"),
    ({"dataRow": {}}, "exactly one of id, globalKey"),
    ({"uuid": "not-a-uuid"}, "badly formed"),
    ({"confidence": 1.5}, "confidence 1.5"),
    ({"bbox": {"top": 1, "left": 2, "height": 3}}, "bbox needs exactly"),
    ({"polygon": [{"x": 1, "y": 2}]}, "exactly one geometry"),
    ({"frame": 3}, "unknown keys"),
    ({"page": 0, "unit": "POINTS"}, "page/unit"),
])
def test_the_schema_checker_refuses_bad_lines(change: dict, message: str) -> None:
    from .labelbox_schema import check_line

    check_line(GOOD)
    with pytest.raises((AssertionError, ValueError), match=message):
        check_line({**GOOD, **change})


def test_uuids_are_uuid5_of_the_namespace_and_files_get_the_usual_mode(tmp_path: Path) -> None:
    import os
    import uuid

    from lbconvert.reverse.ndjson import UUID_NAMESPACE, uuid5

    for name in ["", "a", "street-001.jpg\x00None\x00None\x00a.txt:3", "é" * 100]:
        assert uuid5(name) == str(uuid.uuid5(UUID_NAMESPACE, name))
    ds = yolo_dataset(tmp_path)
    lbconvert.to_labelbox(ds, "yolo", tmp_path / "p.ndjson")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "p.ndjson").stat().st_mode & 0o777 == 0o666 & ~umask


def test_coco_keypoints_come_back_as_named_points(tmp_path: Path) -> None:
    from .inline import point

    export = write_export(tmp_path / "e.ndjson", [row("a.jpg", [
        box("cat", 10, 10, 50, 50), point("nose", 20, 30), point("tail", 55, 58)])])
    written = lbconvert.convert(export, "coco", tmp_path / "coco", keypoints=True,
                                keypoint_names=("nose", "ear", "tail")).annotations_written
    report = lbconvert.to_labelbox(tmp_path / "coco", "coco", tmp_path / "k.ndjson")
    found = checked(tmp_path / "k.ndjson")
    assert [(x["name"], x.get("point")) for x in found] == [
        ("cat", None), ("nose", {"x": 20.0, "y": 30.0}), ("tail", {"x": 55.0, "y": 58.0})]
    assert report.objects_read == report.annotations_written == written == 3


def test_yolo_video_frames_become_keyframes(tmp_path: Path) -> None:
    lbconvert.convert(FIXTURES / "v2/media.ndjson", "yolo", tmp_path / "yolo")
    lbconvert.to_labelbox(tmp_path / "yolo", "yolo", tmp_path / "v.ndjson")
    found = checked(tmp_path / "v.ndjson")
    frames = sorted(x["segments"][0]["keyframes"][0]["frame"] for x in found if "segments" in x)
    assert frames == [1, 5, 10]
    assert {key(x) for x in found if "segments" in x} == {"intersection-0815.mp4"}


def test_video_predictions_keep_what_import_takes(tmp_path: Path) -> None:
    (tmp_path / "manifest.jsonl").write_text(json.dumps({
        "stem": "clip_000003", "file_name": "clip_000003.jpg", "data_row_id": "v1",
        "global_key": "clip.mp4", "media_type": "video", "frame": 3, "width": 100,
        "height": 50}) + "\n")
    (tmp_path / "data.yaml").write_text('names: ["car"]\n')
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "clip_000003.txt").write_text("0 0.5 0.5 0.2 0.2 0.9\n0 0.1 0.1 0.2 0.1 0.3 0.3\n")
    report = lbconvert.to_labelbox(labels, "yolo", tmp_path / "v.ndjson")
    [line] = checked(tmp_path / "v.ndjson")
    assert line["segments"] == [{"keyframes": [{"frame": 3, "bbox": {
        "top": 20.0, "left": 40.0, "height": 10.0, "width": 20.0}}]}]
    assert dict(report.dropped) == {"polygon not importable on video frames": 1}
    assert dict(report.warnings) == {"confidence not importable on video frames (left out)": 1}
    with pytest.raises(lbconvert.StrictError):
        lbconvert.to_labelbox(labels, "yolo", tmp_path / "s.ndjson", strict=True)
    assert not (tmp_path / "s.ndjson").exists()


@pytest.mark.parametrize("name", ["v2_lightly-labelformat/export-result.ndjson",
                                  "v2_radar_tracker/export-result.ndjson"])
@pytest.mark.parametrize("to, tolerance, voc", [
    ("coco", lambda w, h: 1e-6, False),
    ("yolo", lambda w, h: 1e-4 * max(w, h), False),
    ("voc", lambda w, h: 0.0, True),
])
def test_public_exports_round_trip(public: Path, name: str, to: str, tolerance: Any, voc: bool,
                                   tmp_path: Path) -> None:
    assert_round_trip(public / name, tmp_path, to, to, tolerance, voc=voc)


@pytest.mark.parametrize("to", ["yolo", "voc", "coco"])
def test_a_dataset_of_no_items_gives_an_empty_file(to: str, tmp_path: Path) -> None:
    export = write_export(tmp_path / "e.ndjson", [{"data_row": {"id": "t1"},
                                                  "media_attributes": {"mime_type": "text/plain"},
                                                  "projects": {}}])
    lbconvert.convert(export, to, tmp_path / "ds", allow_empty=True)
    report = lbconvert.to_labelbox(tmp_path / "ds", to, tmp_path / "p.ndjson")
    assert (tmp_path / "p.ndjson").read_bytes() == b"" and report.objects_read == 0


@pytest.mark.parametrize("content, message", [
    (b"0 0.5 nan 0.25 0.5\n", ":1: 'nan' is not a number"),
    (b"nan 0.5 0.5 0.25 0.5\n", ":1: 'nan' is not a number"),
    (b"0 0.5 0.5 0.25 inf\n", ":1: 'inf' is not a number"),
    (b"0 0.5 0.5 0.25 0.5\n\xff\xfe 1\n", ":2: not UTF-8 text"),
])
def test_unusable_bytes_in_label_files(content: bytes, message: str, tmp_path: Path,
                                       capsys: Any) -> None:
    ds = yolo_dataset(tmp_path)
    labels = tmp_path / "preds"
    labels.mkdir()
    (labels / "a.txt").write_bytes(content)
    code, err = run_cli(["to-labelbox", str(labels), "--from", "yolo", "--manifest",
                         str(ds / "manifest.jsonl"), "--data", str(ds / "data.yaml"),
                         "-o", str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and err == f"lbconvert: error: {labels / 'a.txt'}{message}"


def test_wrong_shapes_of_input_are_one_line(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "coco"
    lbconvert.convert(write_export(tmp_path / "e.ndjson", [row("a.jpg", [box("car", 1, 2, 3, 4)])]),
                      "coco", out, results=True)
    code, err = run_cli(["to-labelbox", str(out / "results.json"), "--from", "coco",
                         "-o", str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and err == (f"lbconvert: error: {out / 'results.json'}: a COCO ground truth "
                                 "must be a JSON object with 'images' and 'categories'")
    code, err = run_cli(["to-labelbox", str(out / "annotations.json"), "--from", "coco-results",
                         "--gt", str(out / "annotations.json"), "-o", str(tmp_path / "p.ndjson")],
                        capsys)
    assert code == 1 and err.endswith("COCO results must be a JSON array of detections")
    code, err = run_cli(["to-labelbox", str(out), "--from", "coco", "-o", str(tmp_path)], capsys)
    assert code == 1 and "is a directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coco", "e.ndjson"]


def test_tracks_group_per_video(tmp_path: Path) -> None:
    images = [{"id": 1, "file_name": "a1.jpg", "data_row_id": "A", "frame_index": 1},
              {"id": 2, "file_name": "a2.jpg", "data_row_id": "A", "frame_index": 2},
              {"id": 3, "file_name": "b1.jpg", "data_row_id": "B", "frame_index": 1}]
    annotations = [(1, "t1", 0), (1, "t2", 10), (2, "t1", 1), (3, "t1", 5), (3, None, 6)]
    gt = {"images": images, "categories": [{"id": 1, "name": "car"}],
          "annotations": [{"image_id": i, "category_id": 1, "bbox": [x, 0, 1, 1],
                           **({"feature_id": t} if t else {})} for i, t, x in annotations]}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    report = lbconvert.to_labelbox(tmp_path / "gt.json", "coco", tmp_path / "t.ndjson")
    found = checked(tmp_path / "t.ndjson")
    assert [(x["dataRow"]["id"], [(s["keyframes"][0]["frame"], s["keyframes"][0]["bbox"]["left"])
                                  for s in x["segments"]]) for x in found] == [
        ("A", [(1, 0.0), (2, 1.0)]), ("A", [(1, 10.0)]), ("B", [(1, 6.0)]), ("B", [(1, 5.0)])]
    assert report.annotations_written == 5 and report.is_balanced()


@pytest.mark.parametrize("to", ["coco", "yolo"])
def test_model_run_predictions_round_trip_with_their_confidence(to: str, tmp_path: Path) -> None:
    run = "f8ced22c-68eb-57bb-90af-3c23141a323c"  # iteration 1: rows 1-3
    export = FIXTURES / "v2/model_run.ndjson"
    lbconvert.convert(export, to, tmp_path / to, source="predictions", model_run=run)
    lbconvert.to_labelbox(tmp_path / to, to, tmp_path / "p.ndjson")
    found = checked(tmp_path / "p.ndjson")
    expected = expected_objects(export, source="predictions", model_run=run)
    got = sorted((key(x), x["name"], x.get("confidence")) for x in found)
    want = sorted((k, o.name, o.confidence if to == "coco" else None)
                  for k, objects in expected.items() for o in objects)
    assert got == want and len(got) == 4
    if to == "coco":
        assert {c for _, _, c in got} == {0.87, 0.42, 0.93, 0.76}


def test_a_killed_run_leaves_nothing_a_later_run_does_not_clean(tmp_path: Path) -> None:
    import os

    dead = 4194303
    try:
        os.kill(dead, 0)
        pytest.skip("a process has the pid this test takes for dead")
    except ProcessLookupError:
        pass
    ds = yolo_dataset(tmp_path)
    orphan = tmp_path / f".p.ndjson.{dead}.0a1b2c3d.tmp"
    orphan.write_bytes(b"half")
    masks = tmp_path / f".p_masks.{dead}.0a1b2c3d.tmp"
    masks.mkdir()
    alive = tmp_path / f".p.ndjson.{os.getppid()}.0a1b2c3d.tmp"
    alive.write_bytes(b"someone else's, still running")
    lbconvert.to_labelbox(ds, "yolo", tmp_path / "p.ndjson")
    assert not orphan.exists() and not masks.exists() and alive.exists()


@pytest.mark.parametrize("yaml_text", ['names: ["car", "person"]\n',
                                       'names:\n  0: car\n  1: person\n',
                                       'names:\n  "0": car\n  "1": person\n'])
def test_data_yaml_names_in_every_spelling(yaml_text: str, tmp_path: Path) -> None:
    ds = yolo_dataset(tmp_path)
    (tmp_path / "data.yaml").write_text(yaml_text)
    lbconvert.to_labelbox(ds / "labels", "yolo", tmp_path / "p.ndjson", data=tmp_path / "data.yaml")
    assert [x["name"] for x in lines(tmp_path / "p.ndjson")] == ["car", "person"]


def test_strict_allow_accepts_named_reasons_only(tmp_path: Path) -> None:
    """The same strict contract as convert: --allow REASON accepts that reason only."""
    out = tmp_path / "coco"
    lbconvert.convert(FIXTURES / "v2/images.ndjson", "coco", out, project=PROJECT)
    onto = ontology(tmp_path, [("car", "rectangle"), ("person", "rectangle")])
    reason = "geometry does not match the ontology tool"
    options = dict(ontology=onto, skip_unknown=True, strict=True)
    with pytest.raises(lbconvert.StrictError, match=reason):
        lbconvert.to_labelbox(out, "coco", tmp_path / "o.ndjson", **options)
    assert not (tmp_path / "o.ndjson").exists()
    with pytest.raises(lbconvert.StrictError):
        lbconvert.to_labelbox(out, "coco", tmp_path / "o.ndjson", allow=("other reason",),
                              **options)
    report = lbconvert.to_labelbox(out, "coco", tmp_path / "o.ndjson", allow=(reason,), **options)
    assert dict(report.dropped) == {reason: 1} and (tmp_path / "o.ndjson").exists()
