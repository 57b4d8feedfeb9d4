"""YOLO output: re-parsed and compared with the export, and checked with
Ultralytics' own dataset checks when ultralytics is installed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import yaml
from PIL import Image

import lbconvert
from lbconvert.cli import main
from lbconvert.errors import LbConvertError
from lbconvert.write.geometry import ring_area
from lbconvert.write import rings
from lbconvert.write.yolo import merge_parts

from .conftest import FIXTURES

MAIN_PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"
TOLERANCE = 1e-4  # of the image size


# --- Ultralytics, offline ---------------------------------------------------------------

@pytest.fixture(scope="session")
def ultralytics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``ultralytics.data.utils``, imported with every network lookup turned off."""
    config = tmp_path_factory.mktemp("ultralytics-config")
    (config / "Ultralytics").mkdir()
    for font in ("Arial.ttf", "Arial.Unicode.ttf"):  # check_font() would download them
        (config / "Ultralytics" / font).touch()
    patch = pytest.MonkeyPatch()
    patch.setenv("YOLO_OFFLINE", "1")
    patch.setenv("YOLO_CONFIG_DIR", str(config))
    patch.setenv("MPLCONFIGDIR", str(config / "mpl"))
    try:
        yield pytest.importorskip("ultralytics.data.utils")
    finally:
        patch.undo()


def ultralytics_check(utils: Any, out: Path, task: str) -> dict[str, Any]:
    """check_det_dataset, then verify_image_label on every image of train/val/test."""
    data = utils.check_det_dataset(str(out / "data.yaml"), autodownload=False)
    nkpt, ndim = data.get("kpt_shape", (0, 0))
    checked = {}
    for key in ("train", "val", "test"):
        if key not in data:
            continue
        images = sorted(str(p) for p in Path(data[key]).iterdir())
        for image, label in zip(images, utils.img2label_paths(images)):
            result = utils.verify_image_label(
                (image, label, "", task == "pose", len(data["names"]), nkpt, ndim, False))
            _, rows, shape, _, _, missing, found, _, corrupt, message = result
            assert (missing, found, corrupt, message) == (0, 1, 0, ""), (image, message)
            checked[image] = (rows, shape)
    assert checked
    return data


# --- building exports, images and masks ----------------------------------------------------

def box(name: str, left: float, top: float, width: float, height: float, fid: str = "") -> dict:
    return {"annotation_kind": "ImageBoundingBox", "name": name, "feature_id": fid or None,
            "bounding_box": {"left": left, "top": top, "width": width, "height": height}}


def polygon(name: str, points: list[tuple[float, float]], fid: str = "") -> dict:
    closed = [*points, points[0]]
    return {"annotation_kind": "ImagePolygon", "name": name, "feature_id": fid or None,
            "polygon": [{"x": x, "y": y} for x, y in closed]}


def point(name: str, x: float, y: float) -> dict:
    return {"annotation_kind": "ImagePoint", "name": name, "point": {"x": x, "y": y}}


def composite(name: str, mask_id: str, color: tuple[int, int, int], fid: str = "") -> dict:
    return {"annotation_kind": "ImageSegmentationMask", "name": name, "feature_id": fid or None,
            "composite_mask": {"url": f"https://api.labelbox.com/api/v1/tasks/t/masks/{mask_id}/index/1",
                               "color_rgb": list(color)}}


def row(key: str, width: int, height: int, objects: list[dict] | None, split: str = "") -> dict:
    labels = [] if objects is None else [{"id": f"l-{key}", "annotations": {"objects": objects}}]
    return {"data_row": {"id": f"id-{key}", "global_key": key,
                         "row_data": f"https://example.com/{key}"},
            "media_attributes": {"width": width, "height": height, "mime_type": "image/png"},
            "projects": {"p": {"labels": labels}}}


def write_export(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def make_images(directory: Path, sizes: dict[str, tuple[int, int]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, (width, height) in sizes.items():
        Image.new("RGB", (width, height), (90, 120, 150)).save(directory / name)
    return directory


SCENE_SIZE = (200, 100)
SCENE_OBJECTS = [
    box("car", 10, 20, 50, 30, "b-inside"),
    box("car", 180, 80, 40, 40, "b-edge"),             # clipped to 180..200 x 80..100
    box("person", 250, 10, 20, 20, "b-outside"),        # wholly outside: dropped
    polygon("person", [(100, 10), (140, 10), (120, 60)], "p-inside"),
    polygon("person", [(150, 50), (230, 50), (190, 90)], "p-edge"),   # crosses x = 200
    polygon("person", [(300, 10), (320, 10), (310, 30)], "p-outside"),
    polygon("sign", [(70, 60), (85, 75), (70, 90), (55, 75)], "p-diamond"),
    point("head", 30, 25),
    point("foot", 55, 45),
    point("head", 150, 95),                              # in no box
    {"annotation_kind": "ImagePolyline", "name": "lane", "line": [{"x": 0, "y": 0}, {"x": 9, "y": 9}]},
]


def scene_export(tmp_path: Path) -> tuple[Path, Path]:
    """An export of a busy image, an unlabeled one and a bow-tie; and its images."""
    rows = [row("scene-a.png", *SCENE_SIZE, SCENE_OBJECTS),
            row("scene-b.png", 64, 48, None),
            row("bowtie.png", 100, 100, [polygon("tie", [(10, 10), (50, 50), (10, 50), (50, 10)])])]
    images = make_images(tmp_path / "images", {"scene-a.png": SCENE_SIZE, "scene-b.png": (64, 48),
                                               "bowtie.png": (100, 100)})
    return write_export(tmp_path / "scene.ndjson", rows), images


def convert(export: Path, out: Path, **options: Any) -> lbconvert.Report:
    report = lbconvert.convert(export, "yolo", out, **options)
    assert report.is_balanced(), report.to_dict()
    return report


# --- reading a dataset back ----------------------------------------------------------------

def load(out: Path) -> tuple[dict, dict[str, dict[str, list[list[float]]]]]:
    """data.yaml and every label file: {split: {stem: [row, ...]}}."""
    data = yaml.safe_load((out / "data.yaml").read_text(encoding="utf-8"))
    labels: dict[str, dict[str, list[list[float]]]] = {}
    for split_dir in sorted((out / "labels").iterdir()):
        labels[split_dir.name] = {
            f.stem: [[float(v) for v in line.split()] for line in f.read_text().splitlines()]
            for f in sorted(split_dir.iterdir())}
    return data, labels


def pixels(values: list[float], size: tuple[int, int]) -> list[tuple[float, float]]:
    width, height = size
    return [(x * width, y * height) for x, y in zip(values[0::2], values[1::2])]


def assert_close(found: list[tuple[float, float]], expected: list[tuple[float, float]],
                 size: tuple[int, int]) -> None:
    assert len(found) == len(expected), (found, expected)
    for (x, y), (ex, ey) in zip(found, expected):
        assert abs(x - ex) <= TOLERANCE * size[0] and abs(y - ey) <= TOLERANCE * size[1], \
            (found, expected)


def box_of_row(row_values: list[float], size: tuple[int, int]) -> list[tuple[float, float]]:
    """The row's box as its top-left and bottom-right corners in pixels."""
    cx, cy, w, h = row_values[1:5]
    return pixels([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], size)


def tree(out: Path) -> dict[str, bytes]:
    found = {}
    for path in sorted(out.rglob("*")):
        key = str(path.relative_to(out))
        if path.is_symlink():
            found[key] = b"-> " + os.readlink(path).encode()
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = b"<dir>"
    return found


# --- detect ----------------------------------------------------------------------------------

def test_detect_fixture_rows_match_the_export(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert(FIXTURES / "v2/images.ndjson", out, project=MAIN_PROJECT)
    data, labels = load(out)
    names = data["names"]
    assert list(names) == list(range(len(names))) and data["nc"] == len(names)
    rows = {r.global_key or r.external_id: r for r in lbconvert.read(FIXTURES / "v2/images.ndjson")}
    written = 0
    for stem, label_rows in labels["train"].items():
        source = rows.get(stem + ".jpg") or rows["../../etc/passwd"]
        size = tuple(int(v) for v in source.size)
        labels_of_row = source.projects[MAIN_PROJECT].labels[:1]
        boxes = [o for label in labels_of_row for o in label.annotations.objects
                 if isinstance(o, lbconvert.BoxAnnotation)]
        assert len(label_rows) == len(boxes)
        for values, obj in zip(label_rows, boxes):
            b = obj.bounding_box
            assert names[int(values[0])] == obj.name
            assert_close(box_of_row(values, size),
                         [(b.left, b.top), (b.left + b.width, b.top + b.height)], size)
            written += 1
    assert written == report.annotations_written
    assert labels["train"]["dashcam-0042"] == []  # the unlabeled row: an empty file
    assert report.dropped["polygon not representable in yolo detect (see --boxes-from-shapes)"] == 1
    assert report.dropped["mask not available offline"] == 2  # no --masks: the flag cannot help
    assert report.dropped["point not representable in yolo detect"] == 1
    assert report.dropped["polyline not representable in yolo detect"] == 1


def test_detect_clips_and_drops_outside(tmp_path: Path) -> None:
    export, _ = scene_export(tmp_path)
    report = convert(export, tmp_path / "out")
    data, labels = load(tmp_path / "out")
    rows = labels["train"]["scene-a"]
    assert [data["names"][int(r[0])] for r in rows] == ["car", "car"]
    assert_close(box_of_row(rows[1], SCENE_SIZE),
                 [(180, 80), (200, 100)], SCENE_SIZE)
    assert report.dropped["box outside image"] == 1
    assert labels["train"]["scene-b"] == []
    assert report.annotations_written == 2


def test_detect_boxes_from_shapes(tmp_path: Path) -> None:
    export, _ = scene_export(tmp_path)
    report = convert(export, tmp_path / "out", boxes_from_shapes=True)
    _, labels = load(tmp_path / "out")
    boxes = [box_of_row(r, SCENE_SIZE) for r in labels["train"]["scene-a"]]
    assert len(boxes) == 5  # 2 boxes, 3 polygons (one crosses the edge, one is outside)
    assert_close(boxes[2], [(100, 10), (140, 60)], SCENE_SIZE)
    assert_close(boxes[3], [(150, 50), (200, 90)], SCENE_SIZE)
    assert report.dropped["polygon outside image"] == 1
    assert report.dropped["box outside image"] == 1


def test_frames_pages_and_other_media(tmp_path: Path) -> None:
    report = convert(FIXTURES / "v2/media.ndjson", tmp_path / "out")
    _, labels = load(tmp_path / "out")
    stems = sorted(labels["train"])
    assert [s for s in stems if s.endswith(("_000001", "_000005", "_000010"))] == [
        "intersection-0815_000001", "intersection-0815_000005", "intersection-0815_000010"]
    page = next(s for s in stems if s.endswith("_p2"))
    (signature,) = labels["train"][page]  # a document box, on a 612 x 792 page
    assert len(signature) == 5 and 0 < signature[1] < 1
    assert report.dropped["text media not representable in yolo"] == 1
    assert report.annotations_written == 3 + 1 + 1  # video frames, page box, image box


def test_classes_file_drops_unknown_classes(tmp_path: Path) -> None:
    from lbconvert.classes import ClassMap

    export, _ = scene_export(tmp_path)
    classes = tmp_path / "classes.txt"
    classes.write_text("sign\ncar\n")
    report = convert(export, tmp_path / "out", classes=ClassMap.from_file(classes),
                     boxes_from_shapes=True)
    data, labels = load(tmp_path / "out")
    assert data["names"] == {0: "sign", 1: "car"}
    assert [int(r[0]) for r in labels["train"]["scene-a"]] == [1, 1, 0]
    assert report.dropped["class not in classes file"] == 3  # 2 people, 1 tie


# --- segment -----------------------------------------------------------------------------------

def test_segment_polygons_clamped_and_boxes_as_polygons(tmp_path: Path) -> None:
    export, _ = scene_export(tmp_path)
    report = convert(export, tmp_path / "out", task="segment")
    data, labels = load(tmp_path / "out")
    rows = labels["train"]["scene-a"]
    assert [data["names"][int(r[0])] for r in rows] == ["person", "person", "sign"]
    assert_close(pixels(rows[0][1:], SCENE_SIZE), [(100, 10), (140, 10), (120, 60)], SCENE_SIZE)
    # crossing the border: each coordinate clamped into the image
    assert_close(pixels(rows[1][1:], SCENE_SIZE), [(150, 50), (200, 50), (190, 90)], SCENE_SIZE)
    assert report.dropped["polygon outside image"] == 1
    assert report.dropped["bbox not representable in yolo segment (see --boxes-as-polygons)"] == 3
    report = convert(export, tmp_path / "boxes", task="segment", boxes_as_polygons=True)
    _, labels = load(tmp_path / "boxes")
    rows = labels["train"]["scene-a"]
    assert_close(pixels(rows[1][1:], SCENE_SIZE), [(180, 80), (200, 80), (200, 100), (180, 100)],
                 SCENE_SIZE)
    assert report.dropped["box outside image"] == 1


def test_segment_clip_cuts_at_the_border(tmp_path: Path) -> None:
    export, _ = scene_export(tmp_path)
    convert(export, tmp_path / "out", task="segment", clip=True)
    _, labels = load(tmp_path / "out")
    edge = pixels(labels["train"]["scene-a"][1][1:], SCENE_SIZE)
    # the triangle (150,50) (230,50) (190,90) cut at x = 200: 1600 - 450
    assert ring_area(edge) == pytest.approx(1150, rel=1e-4)
    assert max(x for x, _ in edge) == pytest.approx(200)


def test_segment_multi_part_merged_or_split(tmp_path: Path) -> None:
    export, _ = scene_export(tmp_path)
    convert(export, tmp_path / "merged", task="segment", fix_geometry=True)
    convert(export, tmp_path / "split", task="segment", fix_geometry=True, split_parts=True)
    _, merged = load(tmp_path / "merged")
    _, split = load(tmp_path / "split")
    size = (100, 100)
    parts = [pixels(r[1:], size) for r in split["train"]["bowtie"]]
    assert len(parts) == 2 and [len(p) for p in parts] == [3, 3]
    assert [ring_area(p) for p in parts] == [pytest.approx(400), pytest.approx(400)]
    (joined,) = merged["train"]["bowtie"]
    assert_close(pixels(joined[1:], size), merge_parts(parts), size)
    assert len(joined[1:]) == 2 * (3 + 1 + 3 + 1)  # each part closed on itself


def test_merge_parts_matches_ultralytics(ultralytics: Any) -> None:
    from ultralytics.data.converter import merge_multi_segment

    rng = np.random.default_rng(0)
    for count in (2, 3, 4, 6):
        for _ in range(25):
            rings = [[tuple(p) for p in (rng.integers(0, 40, size=(int(rng.integers(3, 9)), 2))
                                         + 50 * i).astype(float).tolist()]
                     for i in range(count)]
            expected = np.concatenate(merge_multi_segment([np.array(r).ravel().tolist()
                                                           for r in rings]), axis=0)
            assert np.array(merge_parts(rings)).tolist() == expected.tolist()


# --- masks -------------------------------------------------------------------------------------

def mask_export(tmp_path: Path) -> tuple[Path, Path]:
    """A composite mask PNG: one square blob, one object of two blobs, and an empty colour."""
    masks = tmp_path / "masks"
    masks.mkdir()
    canvas = np.zeros((80, 100, 3), dtype=np.uint8)
    canvas[20:50, 10:40] = (64, 170, 92)      # x 10..39, y 20..49
    canvas[5:15, 60:70] = (200, 10, 10)
    canvas[60:70, 80:90] = (200, 10, 10)
    Image.fromarray(canvas).save(masks / "cm1.png")
    objects = [composite("sidewalk", "cm1", (64, 170, 92)), composite("puddle", "cm1", (200, 10, 10)),
               composite("ghost", "cm1", (1, 2, 3)), composite("missing", "cm9", (64, 170, 92))]
    return write_export(tmp_path / "masks.ndjson", [row("m.png", 100, 80, objects)]), masks


def test_masks_give_boxes_from_their_pixels(tmp_path: Path) -> None:
    export, masks = mask_export(tmp_path)
    report = convert(export, tmp_path / "out", masks=masks, boxes_from_shapes=True)
    _, labels = load(tmp_path / "out")
    boxes = [box_of_row(r, (100, 80)) for r in labels["train"]["m"]]
    assert_close(boxes[0], [(10, 20), (40, 50)], (100, 80))
    assert_close(boxes[1], [(60, 5), (90, 70)], (100, 80))
    assert report.dropped == {"empty mask": 1, "mask not available offline": 1}


def test_mask_contours(tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    export, masks = mask_export(tmp_path)
    report = convert(export, tmp_path / "out", task="segment", masks=masks)
    _, labels = load(tmp_path / "out")
    size = (100, 80)
    square, puddle = (pixels(r[1:], size) for r in labels["train"]["m"])
    # through the centres of the boundary pixels
    assert sorted(square) == sorted([(10.5, 20.5), (39.5, 20.5), (39.5, 49.5), (10.5, 49.5)])
    assert len(puddle) == 2 * (4 + 1)  # two blobs joined, each closed on itself
    assert report.dropped == {"empty mask": 1, "mask not available offline": 1}
    convert(export, tmp_path / "split", task="segment", masks=masks, split_parts=True)
    _, labels = load(tmp_path / "split")
    rows = labels["train"]["m"]
    assert len(rows) == 3 and [ring_area(pixels(r[1:], size)) for r in rows[1:]] == [81, 81]
    convert(export, tmp_path / "obb", task="obb", masks=masks)
    _, labels = load(tmp_path / "obb")
    corners = pixels(labels["train"]["m"][0][1:], size)
    assert ring_area(corners) == pytest.approx(29 * 29, rel=1e-4)


def test_masks_without_opencv_are_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rings, "_cv2_module", False)
    export, masks = mask_export(tmp_path)
    report = convert(export, tmp_path / "out", task="segment", masks=masks)
    # only masks that have pixels need OpenCV; the others say what they lack
    assert report.dropped == {"mask contours need opencv (pip install lbconvert[masks])": 2,
                              "empty mask": 1, "mask not available offline": 1}


# --- pose and obb ------------------------------------------------------------------------------

def test_pose_keypoints_join_the_first_box_holding_them(tmp_path: Path) -> None:
    export, _ = scene_export(tmp_path)
    report = convert(export, tmp_path / "out", task="pose", keypoint_names=("head", "foot"))
    data, labels = load(tmp_path / "out")
    assert data["kpt_shape"] == [2, 3] and data["flip_idx"] == [0, 1]
    first, second = labels["train"]["scene-a"]
    assert len(first) == 5 + 2 * 3
    assert_close(pixels([first[5], first[6], first[8], first[9]], SCENE_SIZE),
                 [(30, 25), (55, 45)], SCENE_SIZE)
    assert first[7] == first[10] == 2
    assert second[5:] == [0, 0, 0, 0, 0, 0]  # the clipped edge box holds no point
    assert report.dropped["point outside every box"] == 1
    assert report.annotations_written == 2 + 2


def test_pose_needs_keypoints(tmp_path: Path) -> None:
    export, _ = scene_export(tmp_path)
    with pytest.raises(LbConvertError, match="pass keypoint_names= with their names"):
        lbconvert.convert(export, "yolo", tmp_path / "out", task="pose")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "scene.ndjson"]


def test_obb_corners(tmp_path: Path) -> None:
    export, _ = scene_export(tmp_path)
    report = convert(export, tmp_path / "out", task="obb")
    data, labels = load(tmp_path / "out")
    rows = labels["train"]["scene-a"]
    assert [data["names"][int(r[0])] for r in rows] == ["car", "car", "person", "person", "sign"]
    assert_close(pixels(rows[0][1:], SCENE_SIZE), [(10, 20), (60, 20), (60, 50), (10, 50)],
                 SCENE_SIZE)
    diamond = pixels(rows[4][1:], SCENE_SIZE)
    expected = [(70, 60), (85, 75), (70, 90), (55, 75)]
    for corner in expected:  # the diamond is its own minimum rotated rectangle
        assert min(abs(x - corner[0]) + abs(y - corner[1]) for x, y in diamond) < 1e-3
    assert ring_area(diamond) == pytest.approx(450, rel=1e-4)
    assert all(0 <= v <= 1 for r in rows for v in r[1:])
    assert report.dropped["box outside image"] == 1


# --- data.yaml, names, splits --------------------------------------------------------------------

HARD_NAMES = ['a: "b"', "1st", "yes", "null", "1", "0x1F", "- dash", "#hash", "ünïcødé 🚗",
              "it's", "", "tab\there", "a" * 200, "a long name " * 20]


def test_class_names_round_trip(tmp_path: Path) -> None:
    objects = [box(name, 1 + i, 1, 5, 5) for i, name in enumerate(HARD_NAMES)]
    export = write_export(tmp_path / "names.ndjson", [row("n.png", 300, 20, objects)])
    convert(export, tmp_path / "out")
    data, _ = load(tmp_path / "out")
    assert data["names"] == dict(enumerate(HARD_NAMES))
    assert data["nc"] == len(HARD_NAMES)
    assert "path" not in data
    text = (tmp_path / "out" / "data.yaml").read_text(encoding="utf-8")
    names = text.split("names:\n", 1)[1].splitlines()
    assert len(names) == len(HARD_NAMES)  # one line each, however long (no folding)


def test_yaml_paths_and_splits(tmp_path: Path) -> None:
    convert(FIXTURES / "v2/model_run.ndjson", tmp_path / "runs", model_run=_first_run_id())
    data, labels = load(tmp_path / "runs")
    assert (data["train"], data["val"], data["test"]) == ("images/train", "images/val", "images/test")
    assert sorted(labels) == ["test", "train", "val"]
    assert all((tmp_path / "runs" / "images" / s).is_dir() for s in labels)
    export, _ = scene_export(tmp_path)
    convert(export, tmp_path / "abs", absolute=True)
    data, _ = load(tmp_path / "abs")
    assert data["path"] == str((tmp_path / "abs").absolute())
    assert (data["train"], data["val"]) == ("images/train", "images/train")  # one split
    assert "test" not in data


def test_bad_split_names_are_refused(tmp_path: Path) -> None:
    export, _ = scene_export(tmp_path)
    for name in ("../x", "names"):
        with pytest.raises(LbConvertError, match="split name"):
            lbconvert.convert(export, "yolo", tmp_path / "out", split={name: 1.0})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "scene.ndjson"]


def _first_run_id() -> str:
    first = next(iter(lbconvert.read(FIXTURES / "v2/model_run.ndjson")))
    return next(iter(next(iter(first.experiments.values())).runs))


# --- images, hostile names, strictness, determinism ----------------------------------------------

def fixture_images(tmp_path: Path) -> Path:
    """The images of v2/images.ndjson, named like their row_data URLs."""
    sizes = {}
    for r in lbconvert.read(FIXTURES / "v2/images.ndjson"):
        width, height = r.size
        sizes[os.path.basename(r.data_row.row_data)] = (int(width or 320), int(height or 200))
    return make_images(tmp_path / "images", sizes)


@pytest.mark.parametrize("mode", ["link", "copy", "hardlink"])
def test_images_and_hostile_keys_stay_inside(tmp_path: Path, mode: str) -> None:
    images = fixture_images(tmp_path)
    out = tmp_path / "out"
    report = convert(FIXTURES / "v2/images.ndjson", out, project=MAIN_PROJECT, images=images,
                     image_mode=mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "out"]
    placed = sorted((out / "images" / "train").iterdir())
    assert [p.name for p in placed] == sorted(
        ["____etc_passwd.jpg", "dashcam-0042.jpg", "street-001.jpg", "street-004.jpg",
         "street-006.png", "street-007.jpg"])  # street-006: size read from its image
    for path in out.rglob("*"):
        assert os.path.abspath(path).startswith(str(out.absolute()) + os.sep)
    hostile = out / "images" / "train" / "____etc_passwd.jpg"
    source = images / "street-005.jpg"
    if mode == "link":
        assert hostile.is_symlink() and os.readlink(hostile) == str(source.absolute())
    elif mode == "copy":
        assert not hostile.is_symlink() and hostile.read_bytes() == source.read_bytes()
    else:
        assert hostile.stat().st_ino == source.stat().st_ino
    assert not report.warnings
    assert {p.stem for p in placed} == {p.stem for p in (out / "labels" / "train").iterdir()}


def test_missing_image_is_a_warning_and_strict_fails(tmp_path: Path) -> None:
    export, images = scene_export(tmp_path)
    (images / "scene-b.png").unlink()
    report = convert(export, tmp_path / "out", images=images)
    assert report.warnings == {"image file missing": 1}
    assert (tmp_path / "out/labels/train/scene-b.txt").read_text() == ""
    only_boxes = write_export(tmp_path / "ok.ndjson", [row("scene-b.png", 64, 48, None)])
    with pytest.raises(lbconvert.StrictError, match="image file missing"):
        lbconvert.convert(only_boxes, "yolo", tmp_path / "strict", images=images, strict=True)
    assert not (tmp_path / "strict").exists()


def test_duplicate_stems_are_renamed_not_overwritten(tmp_path: Path) -> None:
    video = {"data_row": {"id": "v1", "global_key": "clip"},
             "media_attributes": {"width": 100, "height": 100, "mime_type": "video/mp4"},
             "projects": {"p": {"labels": [{"annotations": {"frames": {"1": {"objects": {
                 "f1": {"annotation_kind": "VideoBoundingBox", "name": "car", "feature_id": "f1",
                        "bounding_box": {"left": 1, "top": 1, "width": 5, "height": 5}}}}}}}]}}}
    export = write_export(tmp_path / "dup.ndjson",
                          [video, row("clip_000001", 100, 100, [box("car", 50, 50, 10, 10)])])
    report = convert(export, tmp_path / "out")
    files = sorted((tmp_path / "out/labels/train").iterdir())
    assert len(files) == 2 and files[0].name == "clip_000001.txt"
    assert files[1].name.startswith("clip_000001__")
    assert report.warnings == {"duplicate file name, renamed": 1}


@pytest.mark.parametrize("task", ["detect", "segment", "pose", "obb"])
def test_byte_identical_output(tmp_path: Path, task: str) -> None:
    export, images = scene_export(tmp_path)
    options = dict(task=task, images=images, fix_geometry=True, boxes_from_shapes=True,
                   keypoint_names=("head", "foot"))
    convert(export, tmp_path / "a", **options)
    convert(export, tmp_path / "b", **options)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_command_line(tmp_path: Path) -> None:
    export, images = scene_export(tmp_path)
    out = tmp_path / "out"
    code = main(["convert", str(export), "--to", "yolo", "-o", str(out), "--task", "segment",
                 "--fix-geometry", "--split-parts", "--images", str(images), "--copy",
                 "--report", str(tmp_path / "report.json")])
    assert code == 0
    assert len((out / "labels/train/bowtie.txt").read_text().splitlines()) == 2
    assert not (out / "images/train/bowtie.png").is_symlink()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["annotations_written"] + sum(report["dropped"].values()) == report["objects_read"]
    assert "yolo" in lbconvert.writer_names()


# --- Ultralytics' own checks ---------------------------------------------------------------------

@pytest.mark.parametrize("task", ["detect", "segment", "pose", "obb"])
def test_ultralytics_accepts_every_task(tmp_path: Path, ultralytics: Any, task: str) -> None:
    export, images = scene_export(tmp_path)
    out = tmp_path / "out"
    convert(export, out, task=task, images=images, fix_geometry=True, boxes_from_shapes=True,
            boxes_as_polygons=True, keypoint_names=("head", "foot"))
    data = ultralytics_check(ultralytics, out, task)
    names = load(out)[0]["names"]
    assert data["names"] == names and data["nc"] == len(names)
    assert data["train"] == data["val"] == str((out / "images/train").resolve())
    if task == "pose":
        assert data["kpt_shape"] == [2, 3]


def test_ultralytics_fixture_and_hard_names(tmp_path: Path, ultralytics: Any) -> None:
    out = tmp_path / "out"
    convert(FIXTURES / "v2/images.ndjson", out, project=MAIN_PROJECT,
            images=fixture_images(tmp_path), absolute=True)
    ultralytics_check(ultralytics, out, "detect")
    objects = [box(name, 1 + i, 1, 5, 5) for i, name in enumerate(HARD_NAMES)]
    export = write_export(tmp_path / "names.ndjson", [row("n.png", 300, 20, objects)])
    images = make_images(tmp_path / "names-images", {"n.png": (300, 20)})
    convert(export, tmp_path / "names", images=images)
    data = ultralytics_check(ultralytics, tmp_path / "names", "detect")
    assert data["names"] == dict(enumerate(HARD_NAMES))


def test_ultralytics_splits(tmp_path: Path, ultralytics: Any) -> None:
    sizes = {"run-001.jpg": (640, 480), "run-002.jpg": (800, 600), "run-003.jpg": (1280, 720)}
    out = tmp_path / "out"
    convert(FIXTURES / "v2/model_run.ndjson", out, model_run=_first_run_id(),
            images=make_images(tmp_path / "images", sizes))
    data = ultralytics_check(ultralytics, out, "detect")
    assert {k: Path(data[k]).name for k in ("train", "val", "test")} == \
        {"train": "train", "val": "val", "test": "test"}
