"""``lbconvert preview``: datasets read back from disk and drawn (pixels checked)."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import lbconvert
from lbconvert.cli import main
from lbconvert.preview import read_dataset
from lbconvert.preview.draw import CANVAS, FILL_ALPHA, thumbnail_size
from lbconvert.preview.model import class_color

from .conftest import FIXTURES
from .inline import box, composite_mask, composite_png, point, polygon, row, write_export

CAR, PERSON, ROAD = class_color(1), class_color(2), class_color(3)
MAIN_PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"


def thumb(files: list[Path], number: int = 1) -> np.ndarray:
    """The pixels of the number-th thumbnail written."""
    path = [f for f in files if f.parent.name == "thumbs"][number - 1]
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def blend(color: tuple[int, int, int], under: tuple[int, int, int] = CANVAS) -> list[int]:
    return [round(u + FILL_ALPHA * (c - u)) for c, u in zip(color, under)]


def shapes_export(tmp_path: Path) -> Path:
    """200x100: a car box, a person triangle-ish polygon, a traffic light point."""
    objects = [box("car", 20, 10, 60, 40),
               polygon("person", [(120, 20), (180, 20), (180, 80), (120, 80)]),
               point("head", 30, 20)]
    return write_export(tmp_path / "shapes.ndjson", [row("img-1.jpg", objects, 200, 100)])


# --- pixels ----------------------------------------------------------------------------

def test_box_and_polygon_outlines_have_the_class_colour(tmp_path: Path) -> None:
    lbconvert.convert(shapes_export(tmp_path), "coco", tmp_path / "coco")
    files = lbconvert.preview(tmp_path / "coco", tmp_path / "p", thumb_size=200)  # scale 1
    assert files[0] == tmp_path / "p/index.html"
    pixels = thumb(files)
    assert pixels.shape == (100, 200, 3)
    # the box covers columns 20..79 and rows 10..49: its outline is inside that run
    assert pixels[49, 50].tolist() == list(CAR) and pixels[48, 50].tolist() == list(CAR)
    assert pixels[30, 79].tolist() == list(CAR) and pixels[30, 20].tolist() == list(CAR)
    assert pixels[30, 50].tolist() == list(CANVAS)  # inside, not filled
    assert pixels[47, 50].tolist() == list(CANVAS)  # just inside the 2-pixel outline
    assert pixels[50, 50].tolist() == list(CANVAS)  # just outside
    # polygon edge x = 180 runs through pixel centres 179.5 → columns 179/180
    assert list(PERSON) in (pixels[50, 179].tolist(), pixels[50, 180].tolist())
    assert pixels[50, 150].tolist() == list(CANVAS)
    for far in ((95, 5), (95, 100), (60, 110), (5, 195)):
        assert pixels[far].tolist() == list(CANVAS), far


def test_mask_is_a_translucent_fill_with_an_outline(tmp_path: Path) -> None:
    masks = tmp_path / "masks"
    masks.mkdir()
    ys, xs = np.mgrid[0:60, 0:80]
    disc = (xs - 30) ** 2 + (ys - 30) ** 2 < 20 ** 2
    composite_png(masks / "cm.png", [((255, 0, 0), disc)])
    export = write_export(tmp_path / "e.ndjson", [row("m", [
        box("car", 60, 40, 10, 10), composite_mask("road", "cm", (255, 0, 0), "f-road")], 80, 60)])
    lbconvert.convert(export, "coco", tmp_path / "coco", masks=masks)
    pixels = thumb(lbconvert.preview(tmp_path / "coco", tmp_path / "p", thumb_size=80))
    road = class_color(2)  # second class seen
    assert pixels[30, 30].tolist() == blend(road)  # inside
    assert pixels[30, 10].tolist() == list(road) or pixels[30, 11].tolist() == list(road)  # edge
    assert pixels[5, 70].tolist() == list(CANVAS)
    # the same mask through the masks writer: the semantic PNG's class colour, same fill
    lbconvert.convert(export, "masks", tmp_path / "png", masks=masks)
    classes = json.loads((tmp_path / "png/classes.json").read_text())
    assert classes[2]["name"] == "road" and tuple(classes[2]["color"]) == road
    pixels = thumb(lbconvert.preview(tmp_path / "png", tmp_path / "p2", thumb_size=80))
    assert pixels[30, 30].tolist() == blend(road)
    assert pixels[5, 70].tolist() == list(CANVAS)
    # VOC segmentation: class fill too, and the XML box outline
    lbconvert.convert(export, "voc", tmp_path / "voc", masks=masks, segmentation=True)
    pixels = thumb(lbconvert.preview(tmp_path / "voc", tmp_path / "p3", thumb_size=80))
    assert pixels[30, 30].tolist() == blend(road)
    assert pixels[49, 65].tolist() == list(CAR)


def test_keypoints_are_dots_of_the_class_colour(tmp_path: Path) -> None:
    objects = [box("person", 20, 10, 100, 80), point("head", 60, 30)]
    export = write_export(tmp_path / "e.ndjson", [row("k", objects, 200, 100)])
    lbconvert.convert(export, "coco", tmp_path / "coco", keypoints=True, keypoint_names=("head",))
    pixels = thumb(lbconvert.preview(tmp_path / "coco", tmp_path / "p", thumb_size=200))
    assert pixels[29, 59].tolist() == list(class_color(1))  # the dot's centre
    lbconvert.convert(export, "yolo", tmp_path / "yolo", task="pose", keypoint_names=("head",))
    yolo = thumb(lbconvert.preview(tmp_path / "yolo", tmp_path / "q", thumb_size=200))
    assert yolo[29, 59].tolist() == list(class_color(1))


def test_image_pixels_far_from_objects_keep_their_colour(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (200, 100), (10, 90, 160)).save(images / "img-1.jpg", quality=95)
    lbconvert.convert(shapes_export(tmp_path), "yolo", tmp_path / "yolo")
    files = lbconvert.preview(tmp_path / "yolo", tmp_path / "p", images=images, thumb_size=200)
    assert files[1].suffix == ".jpg"
    pixels = thumb(files)
    assert np.abs(pixels[95, 100] - [10, 90, 160]).max() <= 4
    assert np.abs(pixels[49, 50] - CAR).max() <= 12  # JPEG, 4:4:4


@pytest.mark.parametrize("task, coco_options", [
    ("detect", {}), ("segment", {}), ("obb", {})])
def test_yolo_lands_on_the_same_pixels_as_coco(task: str, coco_options: dict,
                                              tmp_path: Path) -> None:
    """Normalised rows mapped back with the manifest's sizes draw exactly COCO's pixels."""
    objects = [box("car", 23.25, 11.5, 61.5, 40.25),
               polygon("person", [(121.3, 20.7), (181.1, 25.2), (170.4, 83.9), (118.6, 70.2)])]
    rows = [row("a", objects, 200, 100), row("b", objects[::-1], 333, 177)]
    export = write_export(tmp_path / "e.ndjson", rows)
    lbconvert.convert(export, "coco", tmp_path / "coco", **coco_options)
    lbconvert.convert(export, "yolo", tmp_path / "yolo", task=task)
    coco = lbconvert.preview(tmp_path / "coco", tmp_path / "pc", thumb_size=300)
    yolo = lbconvert.preview(tmp_path / "yolo", tmp_path / "py", thumb_size=300)
    colors = [{c.name: c.color for c in read_dataset(tmp_path / d).classes} for d in ("coco", "yolo")]
    for number in (1, 2):
        a, b = thumb(coco, number), thumb(yolo, number)
        # YOLO detect keeps the boxes, segment the polygons, obb both (the polygon as its
        # minimum rotated rectangle); class ids follow what each writer kept
        name = "person" if task == "segment" else "car"
        in_a = np.all(a == colors[0][name], axis=-1)
        in_b = np.all(b == colors[1][name], axis=-1)
        assert in_a.sum() > 100
        assert np.array_equal(in_a, in_b)


def test_voc_boxes_cover_the_same_whole_pixels(tmp_path: Path) -> None:
    export = shapes_export(tmp_path)
    lbconvert.convert(export, "voc", tmp_path / "voc")
    lbconvert.convert(export, "coco", tmp_path / "coco")
    voc = thumb(lbconvert.preview(tmp_path / "voc", tmp_path / "pv", thumb_size=200))
    coco = thumb(lbconvert.preview(tmp_path / "coco", tmp_path / "pc", thumb_size=200))
    # integer box: VOC's whole pixels are exactly the box
    assert np.array_equal(np.all(voc == CAR, axis=-1), np.all(coco == CAR, axis=-1))


def test_thumbnails_keep_the_aspect_ratio(tmp_path: Path) -> None:
    assert thumbnail_size(1920, 1080, 480) == (480, 270, 0.25)
    assert thumbnail_size(100, 1000, 480) == (48, 480, 0.48)
    assert thumbnail_size(3, 1, 480) == (480, 160, 160.0)
    rows = [row("wide", [box("car", 1, 1, 5, 5)], 1920, 1080),
            row("tall", [box("car", 1, 1, 5, 5)], 101, 1000)]
    lbconvert.convert(write_export(tmp_path / "e.ndjson", rows), "coco", tmp_path / "coco")
    files = lbconvert.preview(tmp_path / "coco", tmp_path / "p")
    sizes = sorted(Image.open(f).size for f in files[1:])
    assert sizes == [(48, 480), (480, 270)]
    page = files[0].read_text()
    assert 'width="480" height="270"' in page and 'width="48" height="480"' in page


# --- the page ---------------------------------------------------------------------------

def test_page_is_self_contained_and_escapes_names(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>&'
    export = write_export(tmp_path / "e.ndjson", [row("a<b>.jpg", [box(hostile, 1, 1, 9, 9)])])
    lbconvert.convert(export, "coco", tmp_path / "coco")
    files = lbconvert.preview(tmp_path / "coco", tmp_path / "p")
    page = files[0].read_text(encoding="utf-8")
    assert hostile not in page and "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page
    assert not re.search(r"(src|href)=\"(https?:|//)", page)  # nothing fetched
    for src in re.findall(r'<img src="([^"]+)"', page):
        assert (files[0].parent / src).is_file()
    assert "<svg" in page  # the bar chart


def test_summary_and_report_reasons(tmp_path: Path) -> None:
    lbconvert.convert(FIXTURES / "v2/images.ndjson", "coco", tmp_path / "coco",
                      project=MAIN_PROJECT, split={"train": 0.5, "val": 0.5})
    page = lbconvert.preview(tmp_path / "coco", tmp_path / "p")[0].read_text()
    report = json.loads((tmp_path / "coco/lbconvert-report.json").read_text())
    for reason, count in report["dropped"].items():
        assert re.search(rf'<td class="n">{count}</td><td>{re.escape(reason)}</td>', page)
    assert "mask not available offline" in page
    coco = {s: json.loads((tmp_path / f"coco/annotations_{s}.json").read_text())
            for s in ("train", "val")}
    for split, data in coco.items():
        assert (f'<tr><td>{split}</td><td class="n">{len(data["images"])}</td>'
                f'<td class="n">{len(data["annotations"])}</td></tr>') in page


def test_sample_is_deterministic_and_seeded(tmp_path: Path) -> None:
    rows = [row(f"img-{i:02d}", [box("car", 1, 1, 5, 5)] * (i % 3), 64, 48) for i in range(30)]
    lbconvert.convert(write_export(tmp_path / "e.ndjson", rows), "yolo", tmp_path / "yolo",
                      split={"train": 0.7, "val": 0.3})
    first = lbconvert.preview(tmp_path / "yolo", tmp_path / "a", n=5, seed=1)
    again = lbconvert.preview(tmp_path / "yolo", tmp_path / "b", n=5, seed=1)
    other = lbconvert.preview(tmp_path / "yolo", tmp_path / "c", n=5, seed=2)
    assert len(first) == 6
    assert [f.read_bytes() for f in first] == [f.read_bytes() for f in again]  # byte for byte
    assert _stems(first[0]) != _stems(other[0])
    val = lbconvert.preview(tmp_path / "yolo", tmp_path / "d", n=50, splits=["val"])
    stems = _stems(val[0])
    assert stems and len(val) == len(stems) + 1
    assert all(s in _split_stems(tmp_path / "yolo", "val") for s in stems)
    again_val = lbconvert.preview(tmp_path / "yolo", tmp_path / "d", n=50, splits="val",
                                  overwrite=True)
    assert _stems(again_val[0]) \
        == stems  # one name as a string
    with_cars = lbconvert.preview(tmp_path / "yolo", tmp_path / "e", n=50, classes=["car"])
    assert len(_stems(with_cars[0])) == 20  # i % 3 != 0
    # a second run into the same directory leaves no stale thumbnails
    lbconvert.preview(tmp_path / "yolo", tmp_path / "e", n=2, overwrite=True)
    assert len(list((tmp_path / "e/thumbs").iterdir())) == 2


def _stems(index: Path) -> list[str]:
    return re.findall(r'alt="([^"]+)"', index.read_text())


def _split_stems(root: Path, split: str) -> set[str]:
    return {p.stem for p in (root / "labels" / split).glob("*.txt")}


# --- every format, every task, the bundled fixtures ------------------------------------

CONFIGS = {
    "coco": ("coco", {}),
    "coco-keypoints": ("coco", {"keypoints": True, "keypoint_names": ("traffic light",)}),
    "yolo-detect": ("yolo", {"task": "detect", "boxes_from_shapes": True}),
    "yolo-segment": ("yolo", {"task": "segment", "boxes_as_polygons": True}),
    "yolo-pose": ("yolo", {"task": "pose", "keypoint_names": ("traffic light",)}),
    "yolo-obb": ("yolo", {"task": "obb"}),
    "voc": ("voc", {}),
    "voc-segmentation": ("voc", {"segmentation": True, "void_border": True}),
    "masks": ("masks", {"line_width": 3}),
    "masks-instances": ("masks", {"instances": True, "overlap": "ignore"}),
}
FIXTURE_OPTIONS = {
    "v2/images.ndjson": {"project": MAIN_PROJECT, "split": {"train": 0.6, "val": 0.4}},
    "v2/images.json": {"project": MAIN_PROJECT, "labels": "all"},
    "v2/media.ndjson": {"interpolate": True},
    "v2/model_run.ndjson": {"model_run": None},
    "legacy/array.json": {},
    "legacy/single.json": {},
    "legacy/schema2019.json": {},
}


@pytest.mark.parametrize("fixture", sorted(FIXTURE_OPTIONS))
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_every_format_and_task_previews(config: str, fixture: str, tmp_path: Path) -> None:
    fmt, options = CONFIGS[config]
    options = {**options, **FIXTURE_OPTIONS[fixture]}
    if "model_run" in options:
        row0 = next(iter(lbconvert.read(FIXTURES / fixture)))
        options["model_run"] = next(iter(next(iter(row0.experiments.values())).runs))
    images = _images_for(FIXTURES / fixture, tmp_path / "images")
    out = tmp_path / "out"
    lbconvert.convert(FIXTURES / fixture, fmt, out, images=images, **options)
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    files = lbconvert.preview(out, tmp_path / "p", images=images, n=24, thumb_size=160)
    thumbs = files[1:]
    assert len(thumbs) == min(24, len(manifest))  # every image item is drawn
    page = files[0].read_text()
    figures = re.findall(r'<img src="([^"]+)" width="\d+" height="\d+" alt="([^"]+)"', page)
    assert len(figures) == len(thumbs)
    records = {(r["stem"]): r for r in manifest}
    for src, stem in figures:
        width, height = Image.open(files[0].parent / src).size
        record = records[html.unescape(stem)]
        assert max(width, height) == 160
        assert abs(width / height - record["width"] / record["height"]) < 0.02
    # --format forces the same reader
    assert lbconvert.preview(out, tmp_path / "q", format=fmt, n=1)[0].is_file()


def _images_for(export: Path, folder: Path) -> Path:
    """Tiny stand-in images (so sizes missing from the export are known), named by global key."""
    folder.mkdir()
    Image.new("RGB", (320, 240), (40, 120, 60)).save(folder / "street-006.png")
    for name in ("legacy-001.jpg", "legacy-004.jpg", "legacy-single.jpg", "aerial-0001.png",
                 "aerial-0002.png"):
        Image.new("RGB", (300, 200), (90, 90, 140)).save(folder / name)
    return folder


# --- layouts and errors ------------------------------------------------------------------

def test_other_layouts(tmp_path: Path) -> None:
    """semantic/<split>/ mask folders and the COCO 2017 annotations/instances_<split>.json."""
    export = shapes_export(tmp_path)
    lbconvert.convert(export, "masks", tmp_path / "m")
    (tmp_path / "m/semantic/val").mkdir()
    shutil.move(tmp_path / "m/semantic/img-1.png", tmp_path / "m/semantic/val/img-1.png")
    files = lbconvert.preview(tmp_path / "m", tmp_path / "pm", thumb_size=200, splits=["val"])
    assert np.array_equal(thumb(files)[30, 50], blend(CAR))
    lbconvert.convert(export, "coco", tmp_path / "c")
    (tmp_path / "c/annotations").mkdir()
    shutil.move(tmp_path / "c/annotations.json", tmp_path / "c/annotations/instances_val2017.json")
    files = lbconvert.preview(tmp_path / "c", tmp_path / "pc", thumb_size=200)
    assert thumb(files)[49, 50].tolist() == list(CAR)
    assert "val2017" in files[0].read_text()


def test_errors_are_one_line_naming_the_file(tmp_path: Path, capsys) -> None:
    lbconvert.convert(shapes_export(tmp_path), "yolo", tmp_path / "yolo")
    label = tmp_path / "yolo/labels/train/img-1.txt"
    label.write_text(label.read_text() + "0 0.5 0.5\n")
    assert main(["preview", str(tmp_path / "yolo"), "-o", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{label}:2:" in err
    assert main(["preview", str(tmp_path), "-o", str(tmp_path / "p")]) == 1
    assert "not a dataset lbconvert writes" in capsys.readouterr().err
    lbconvert.convert(shapes_export(tmp_path), "coco", tmp_path / "coco")
    assert main(["preview", str(tmp_path / "coco"), "-o", str(tmp_path / "p"),
                 "--class", "bus"]) == 1
    assert "no class 'bus'" in capsys.readouterr().err
    assert main(["preview", str(tmp_path / "coco"), "-o", str(tmp_path / "p"),
                 "--class", "car", "-n", "3", "--seed", "x"]) == 0
    assert "1 thumbnails" in capsys.readouterr().out


def test_a_huge_rle_is_refused_before_it_is_allocated(tmp_path: Path) -> None:
    lbconvert.convert(shapes_export(tmp_path), "coco", tmp_path / "coco")
    path = tmp_path / "coco/annotations.json"
    data = json.loads(path.read_text())
    data["annotations"][0]["segmentation"] = {"size": [100000, 100000], "counts": [0, 10 ** 10]}
    path.write_text(json.dumps(data))
    with pytest.raises(lbconvert.LbConvertError, match="RLE mask's size"):
        lbconvert.preview(tmp_path / "coco", tmp_path / "p")


def test_label_bounds_match_each_value_s_pixels() -> None:
    from lbconvert.preview.masks import label_bounds

    rng = np.random.default_rng(0)
    image = np.zeros((37, 53), dtype=np.uint16)
    for value in (1, 2, 7, 300):
        top, left = rng.integers(0, 30), rng.integers(0, 45)
        image[top:top + rng.integers(1, 8), left:left + rng.integers(1, 9)] = value
    small = np.where(image == 300, 0, image)  # values up to 255: Pillow's path
    for pixels in (image, small, small.astype(np.uint8)):
        bounds = label_bounds(pixels)
        assert sorted(bounds) == sorted(set(np.unique(pixels).tolist()) - {0})
        for value, (x0, y0, x1, y1) in bounds.items():
            rows, cols = np.nonzero(pixels == value)
            assert (x0, y0, x1, y1) == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
    assert label_bounds(np.zeros((4, 4), np.uint8)) == {}


def test_yolo_images_folder_is_used_without_images_option(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (200, 100), (10, 90, 160)).save(images / "img-1.png")
    lbconvert.convert(shapes_export(tmp_path), "yolo", tmp_path / "yolo", images=images)
    assert (tmp_path / "yolo/images/train/img-1.png").exists()
    files = lbconvert.preview(tmp_path / "yolo", tmp_path / "p", thumb_size=200)
    assert files[1].suffix == ".jpg"
    assert np.abs(thumb(files)[95, 100] - [10, 90, 160]).max() <= 4
    assert "img-1.png" in files[0].read_text()
