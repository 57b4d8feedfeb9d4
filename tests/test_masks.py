"""Mask PNG output (``--to masks``), loaded with Pillow and checked against shapely."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from PIL import Image

import lbconvert
from lbconvert.classes import ClassMap
from lbconvert.write.palette import voc_colormap, voc_palette
from lbconvert.write.polylines import polyline_geometry

from .conftest import FIXTURES
from .inline import (
    box, centre_mask, composite_mask, composite_png, instance_mask, point, polygon, polyline,
    row, tree_files, write_export,
)

MAIN_PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"


def convert(export: Path, out: Path, to: str = "masks", **options) -> lbconvert.Report:
    report = lbconvert.convert(export, to, out, **options)
    assert report.is_balanced(), report.to_dict()
    return report


def semantic(path: Path) -> np.ndarray:
    image = Image.open(path)
    assert image.mode == "P" and image.getpalette()[:768] == voc_palette()
    return np.asarray(image)


def instance(path: Path) -> np.ndarray:
    image = Image.open(path)
    assert image.mode == "I;16"
    return np.asarray(image)


def test_fixture_converts_and_accounts(tmp_path: Path) -> None:
    out = tmp_path / "masks"
    report = convert(FIXTURES / "v2/images.ndjson", out, project=MAIN_PROJECT)
    assert sorted(p.name for p in out.iterdir()) == [
        "classes.json", "lbconvert-report.json", "manifest.jsonl", "semantic"]
    assert len(list((out / "semantic").iterdir())) == report.items == 5
    assert report.annotations_written == 5  # 4 boxes and the polygon
    assert report.dropped["polyline without --line-width"] == 1
    assert report.dropped["point without --line-width"] == 1
    assert report.dropped["mask not available offline"] == 2
    pixels = semantic(out / "semantic" / "street-001.png")
    assert pixels.shape == (480, 640)
    assert set(np.unique(pixels)) == {0, 1, 2}


def test_polygon_pixels_match_shapely(tmp_path: Path) -> None:
    ring = [(12.3, 8.9), (180.6, 20.2), (170.1, 90.7), (90.4, 60.3), (25.8, 95.1)]
    hole_free_concave = [(100, 5), (190, 5), (190, 50), (150, 20), (100, 50)]
    objects = [polygon("field", ring), polygon("roof", hole_free_concave)]
    out = tmp_path / "masks"
    convert(write_export(tmp_path / "e.ndjson", [row("p", objects, 200, 100)]), out)
    pixels = semantic(out / "semantic" / "p.png")
    field = centre_mask(shapely.Polygon(ring), 200, 100)
    roof = centre_mask(shapely.Polygon(hole_free_concave), 200, 100)
    expected = np.where(roof, 2, np.where(field, 1, 0))
    assert field.sum() > 50 * 50
    assert np.count_nonzero(pixels != expected) < 0.01 * field.sum()
    assert abs(np.count_nonzero(pixels == 2) - roof.sum()) < 0.01 * roof.sum()
    # the pixel count is the polygon's area to within the outline
    assert abs(np.count_nonzero(centre_mask(shapely.Polygon(ring), 200, 100))
               - shapely.Polygon(ring).area) < 0.02 * shapely.Polygon(ring).area


def test_boxes_paint_in_export_order(tmp_path: Path) -> None:
    objects = [box("car", 10, 10, 50, 50), box("person", 30.5, 30.5, 50, 50),
               box("car", 0, 0, 5, 5)]
    out = tmp_path / "masks"
    report = convert(write_export(tmp_path / "e.ndjson", [row("b", objects, 100, 100)]), out,
                     instances=True)
    assert report.annotations_written == 3
    pixels = semantic(out / "semantic" / "b.png")
    expected = np.zeros((100, 100), dtype=np.uint8)
    expected[10:60, 10:60] = 1
    expected[30:80, 30:80] = 2      # centres 30.5 .. 79.5 lie in [30.5, 80.5)
    expected[0:5, 0:5] = 1
    assert np.array_equal(pixels, expected)
    numbers = instance(out / "instance" / "b.png")
    expected_numbers = np.zeros((100, 100), dtype=np.uint16)
    expected_numbers[10:60, 10:60] = 1
    expected_numbers[30:80, 30:80] = 2
    expected_numbers[0:5, 0:5] = 3
    assert np.array_equal(numbers, expected_numbers)


def test_overlap_ignore(tmp_path: Path) -> None:
    objects = [box("car", 10, 10, 50, 50), box("person", 30, 30, 50, 50),
               box("car", 50, 50, 20, 20),   # over car and person: the person part stays 255
               box("person", 0, 90, 100, 10), box("person", 50, 90, 10, 10)]  # same class
    out = tmp_path / "masks"
    convert(write_export(tmp_path / "e.ndjson", [row("o", objects, 100, 100)]), out,
            overlap="ignore")
    pixels = semantic(out / "semantic" / "o.png")
    expected = np.zeros((100, 100), dtype=np.uint8)
    expected[10:60, 10:60] = 1
    expected[30:80, 30:80] = 2
    expected[30:60, 30:60] = 255
    expected[50:70, 50:70] = np.where(expected[50:70, 50:70] == 2, 255, expected[50:70, 50:70])
    expected[50:70, 50:70][expected[50:70, 50:70] == 0] = 1
    expected[90:100, :] = 2
    assert np.array_equal(pixels, expected)
    classes = json.loads((out / "classes.json").read_text())
    assert classes[-1] == {"index": 255, "name": "ignore", "color": [224, 224, 192]}


def test_classes_json(tmp_path: Path) -> None:
    objects = [box("car", 1, 1, 5, 5), box("person", 1, 1, 5, 5), box('a<b & "c" ü', 1, 1, 5, 5)]
    out = tmp_path / "masks"
    convert(write_export(tmp_path / "e.ndjson", [row("c", objects)]), out)
    assert json.loads((out / "classes.json").read_text(encoding="utf-8")) == [
        {"index": 0, "name": "background", "color": [0, 0, 0]},
        {"index": 1, "name": "car", "color": [128, 0, 0]},
        {"index": 2, "name": "person", "color": [0, 128, 0]},
        {"index": 3, "name": 'a<b & "c" ü', "color": [128, 128, 0]},
    ]
    assert voc_colormap()[255] == (224, 224, 192)


def test_lines_and_points_need_a_line_width(tmp_path: Path) -> None:
    line = [(10.0, 10.0), (150.0, 20.0), (180.0, 90.0)]
    objects = [polyline("lane", line), point("pole", 40.0, 70.0)]
    export = write_export(tmp_path / "e.ndjson", [row("l", objects, 200, 100)])
    report = convert(export, tmp_path / "none")
    assert report.annotations_written == 0
    assert report.dropped == {"polyline without --line-width": 1, "point without --line-width": 1}
    assert not semantic(tmp_path / "none/semantic/l.png").any()
    report = convert(export, tmp_path / "wide", line_width=6)
    assert report.annotations_written == 2
    pixels = semantic(tmp_path / "wide/semantic/l.png")
    band = centre_mask(polyline_geometry(line, 6), 200, 100)
    disc = centre_mask(shapely.Point(40, 70).buffer(3), 200, 100)
    assert np.count_nonzero((pixels == 1) != band) <= 2
    assert np.count_nonzero((pixels == 2) != disc) <= 2
    assert abs(band.sum() - shapely.LineString(line).buffer(3).area) < 0.03 * band.sum()


def test_drops_are_counted(tmp_path: Path) -> None:
    objects = [box("car", 10, 10, 0, 5), box("car", 300, 10, 5, 5), box("car", 10.6, 10, 0.8, 5),
               polygon("f", [(1, 1), (2, 2), (3, 3)]), polygon("f", [(-9, -9), (-1, -9), (-1, -1)]),
               polyline("l", []),
               {"annotation_kind": "ImageCuboid", "name": "cube", "cuboid": {}}]
    out = tmp_path / "masks"
    report = convert(write_export(tmp_path / "e.ndjson", [row("d", objects)]), out,
                     line_width=2)
    assert report.annotations_written == 0
    assert report.dropped == {"degenerate box": 1, "box outside image": 1,
                              "shape covers no pixel centre": 1, "degenerate polygon": 1,
                              "polygon outside image": 1, "degenerate polyline": 1,
                              "cuboid not representable in masks": 1}


# --- masks from files, in every raster-aware format ------------------------------------

def composite_export(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    """Two objects in one composite PNG (two colours), built here with Pillow."""
    masks = tmp_path / "masks"
    masks.mkdir()
    ys, xs = np.mgrid[0:70, 0:90]
    disc = (xs - 30) ** 2 + (ys - 30) ** 2 < 20 ** 2
    wedge = (ys > xs - 20) & (xs > 45) & ~disc
    composite_png(masks / "cmask.png", [((255, 0, 0), disc), ((0, 0, 255), wedge)])
    objects = [composite_mask("road", "cmask", (255, 0, 0), feature_id="f-road"),
               composite_mask("lane", "cmask", (0, 0, 255), feature_id="f-lane")]
    export = write_export(tmp_path / "e.ndjson", [row("c", objects, 90, 70)])
    return export, masks, disc, wedge


def test_composite_mask_gives_exact_pixels_in_masks_voc_and_coco(tmp_path: Path) -> None:
    from pycocotools import mask as coco_mask

    export, masks, disc, wedge = composite_export(tmp_path)
    convert(export, tmp_path / "png", masks=masks, instances=True)
    assert np.array_equal(semantic(tmp_path / "png/semantic/c.png"),
                          np.select([disc, wedge], [1, 2], 0))
    assert np.array_equal(instance(tmp_path / "png/instance/c.png"),
                          np.select([disc, wedge], [1, 2], 0))
    convert(export, tmp_path / "voc", "voc", masks=masks, segmentation=True)
    voc = np.asarray(Image.open(tmp_path / "voc/SegmentationClass/c.png"))
    assert np.array_equal(voc, np.select([disc, wedge], [1, 2], 0))
    report = convert(export, tmp_path / "coco", "coco", masks=masks)
    assert report.annotations_written == 2
    data = json.loads((tmp_path / "coco/annotations.json").read_text())
    for ann, expected in zip(data["annotations"], (disc, wedge)):
        rle = dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode())
        assert np.array_equal(coco_mask.decode(rle).astype(bool), expected)
        assert ann["area"] == expected.sum()
        rows, cols = np.nonzero(expected)
        assert ann["bbox"] == [cols.min(), rows.min(), cols.max() + 1 - cols.min(),
                               rows.max() + 1 - rows.min()]


def test_instance_mask_files_by_feature_id(tmp_path: Path) -> None:
    masks = tmp_path / "masks"
    masks.mkdir()
    first = np.zeros((40, 60), dtype=np.uint8)
    first[5:20, 10:30] = 255
    Image.fromarray(first).save(masks / "feat-1.png")
    second = np.zeros((40, 60, 4), dtype=np.uint8)  # RGBA: any non-zero colour counts
    second[15:35, 25:50] = (1, 2, 3, 255)
    Image.fromarray(second).save(masks / "feat-2.png")
    objects = [instance_mask("rock", "feat-1"), instance_mask("tree", "feat-2"),
               instance_mask("tree", "feat-3")]
    out = tmp_path / "out"
    report = convert(write_export(tmp_path / "e.ndjson", [row("i", objects, 60, 40)]), out,
                     masks=masks, instances=True)
    assert report.dropped == {"mask not available offline": 1}
    rock, tree = first > 0, second[..., 3] > 0
    assert np.array_equal(semantic(out / "semantic/i.png"), np.select([tree, rock], [2, 1], 0))
    assert np.array_equal(instance(out / "instance/i.png"), np.select([tree, rock], [2, 1], 0))


def test_mask_map_names_the_files(tmp_path: Path) -> None:
    export, masks, disc, wedge = composite_export(tmp_path)
    (masks / "cmask.png").rename(masks / "downloaded composite.png")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"cmask": "downloaded composite.png"}))
    report = convert(export, tmp_path / "out", masks=masks, mask_map=mapping)
    assert report.annotations_written == 2
    assert np.array_equal(semantic(tmp_path / "out/semantic/c.png"),
                          np.select([disc, wedge], [1, 2], 0))
    report = convert(export, tmp_path / "unmapped", masks=masks)
    assert report.dropped == {"mask not available offline": 2}


def test_mask_of_another_size_is_dropped_and_fails_only_strict(tmp_path: Path) -> None:
    masks = tmp_path / "masks"
    masks.mkdir()
    Image.fromarray(np.full((30, 40), 255, dtype=np.uint8)).save(masks / "f1.png")
    export = write_export(tmp_path / "e.ndjson", [row("m", [instance_mask("x", "f1")], 80, 60)])
    report = lbconvert.convert(export, "masks", tmp_path / "out", masks=masks)
    assert report.dropped == {"mask size differs from image": 1} and report.items == 1
    with pytest.raises(lbconvert.LbConvertError, match="mask size differs from image"):
        lbconvert.convert(export, "masks", tmp_path / "strict", masks=masks, strict=True)
    assert not (tmp_path / "strict").exists()


# --- limits ---------------------------------------------------------------------

def test_huge_claimed_image_is_an_error_not_an_allocation(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e.ndjson", [
        row("ok", [box("car", 1, 1, 5, 5)]),
        row("big", [box("car", 1, 1, 5, 5)], 10**6, 10**6, row_id="row-big")])
    with pytest.raises(lbconvert.LbConvertError,
                       match=r"data row row-big \(item big, record 2\): image size "
                             r"1000000x1000000 exceeds the pixel limit 268435456"):
        lbconvert.convert(export, "masks", tmp_path / "out")
    assert list(tmp_path.iterdir()) == [tmp_path / "e.ndjson"]
    with pytest.raises(lbconvert.LbConvertError, match="exceeds the pixel limit 1000"):
        lbconvert.convert(export, "masks", tmp_path / "out", max_pixels=1000)


def test_cli_reports_the_huge_image_in_one_line(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e.ndjson", [row("big", [], 10**6, 10**6)])
    done = subprocess.run([sys.executable, "-m", "lbconvert", "convert", str(export), "--to",
                           "masks", "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "1000000x1000000" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_more_than_254_classes_is_an_error(tmp_path: Path) -> None:
    objects = [box(f"c{i}", 1, 1, 5, 5) for i in range(255)]
    export = write_export(tmp_path / "e.ndjson", [row("x", objects)])
    with pytest.raises(lbconvert.LbConvertError, match=r"255 classes do not fit.*at most 254"):
        lbconvert.convert(export, "masks", tmp_path / "out")
    classes = ClassMap([f"c{i}" for i in range(300)], fixed=True)
    with pytest.raises(lbconvert.LbConvertError, match="300 classes do not fit"):
        lbconvert.convert(export, "masks", tmp_path / "out", classes=classes)
    assert not (tmp_path / "out").exists()
    report = convert(write_export(tmp_path / "ok.ndjson", [row("x", objects[:254])]),
                     tmp_path / "ok")
    assert report.annotations_written == 254


# --- determinism --------------------------------------------------------------------

def test_byte_identical_output(tmp_path: Path) -> None:
    export, masks, _, _ = composite_export(tmp_path)
    options = dict(masks=masks, instances=True, overlap="ignore")
    convert(export, tmp_path / "a", **options)
    convert(export, tmp_path / "b", **options)
    first, second = tree_files(tmp_path / "a"), tree_files(tmp_path / "b")
    assert first == second
    assert sorted(first) == ["classes.json", "instance/c.png", "lbconvert-report.json",
                             "manifest.jsonl", "semantic/c.png"]


def test_grey_alpha_composite_masks_resolve(tmp_path: Path) -> None:
    from lbconvert.write.mask_files import MaskSource

    grey = np.zeros((4, 6, 2), dtype=np.uint8)
    grey[1:3, 2:5] = (200, 255)
    Image.fromarray(grey, "LA").save(tmp_path / "cm1.png")
    source = MaskSource(tmp_path)
    obj = lbconvert.MaskAnnotation(composite_mask=lbconvert.CompositeMaskRef(
        url="https://api.labelbox.com/api/v1/tasks/t/masks/cm1/index/1", color_rgb=(200, 200, 200)))
    item = lbconvert.Item(stem="s", file_name="s.png", width=6, height=4)
    pixels = source.pixels(obj, item)
    assert pixels is not None and int(pixels.sum()) == 6
