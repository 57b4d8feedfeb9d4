"""Pascal VOC output, parsed with a real XML parser and checked against the export."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import msgspec
import pytest
import shapely
from PIL import Image

import lbconvert
from lbconvert import BoxAnnotation, PolygonAnnotation
from lbconvert.classes import ClassMap
from lbconvert.write.geometry import ring
from lbconvert.options import Options
from lbconvert.write.palette import voc_palette
from lbconvert.report import Report
from lbconvert.select import Selector
from lbconvert.write.voc import file_safe_names, voc_bndbox

from .conftest import FIXTURES
from .inline import (
    box, centre_mask, composite_mask, composite_png, instance_mask, point, polygon, polyline,
    row, tree_files, write_export,
)

MAIN_PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"


def convert(export: Path, out: Path, **options) -> lbconvert.Report:
    report = lbconvert.convert(export, "voc", out, **options)
    assert report.is_balanced(), report.to_dict()
    return report


def parse(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "annotation"
    return root


def xml_objects(root: ET.Element) -> list[dict]:
    found = []
    for element in root.iterfind("object"):
        bndbox = element.find("bndbox")
        found.append({
            "name": element.findtext("name"), "pose": element.findtext("pose"),
            "truncated": int(element.findtext("truncated")),
            "difficult": int(element.findtext("difficult")),
            "box": tuple(int(bndbox.findtext(tag)) for tag in ("xmin", "ymin", "xmax", "ymax")),
        })
    return found


def formula(left: float, top: float, right: float, bottom: float, width: int, height: int
            ) -> tuple[int, int, int, int]:
    """The issue's mapping, restated: 1-based inclusive, clipped to the image."""
    return (max(math.floor(left) + 1, 1), max(math.floor(top) + 1, 1),
            min(math.ceil(right), width), min(math.ceil(bottom), height))


def items_of(export: Path, **options):
    opts = Options.from_kwargs(**options)
    selector = Selector(opts, Report())
    for data_row in lbconvert.read(export):
        yield from selector.items(data_row)


# --- boxes and XML -------------------------------------------------------------

def test_fixture_boxes_follow_the_one_based_formula(tmp_path: Path) -> None:
    out = tmp_path / "voc"
    report = convert(FIXTURES / "v2/images.ndjson", out, project=MAIN_PROJECT)
    checked = 0
    for item in items_of(FIXTURES / "v2/images.ndjson", project=MAIN_PROJECT):
        root = parse(out / "Annotations" / f"{item.stem}.xml")
        assert root.findtext("filename") == item.file_name
        assert root.findtext("folder") == "JPEGImages"
        assert [int(root.findtext(f"size/{t}")) for t in ("width", "height", "depth")] == \
            [item.width, item.height, 3]
        assert root.findtext("segmented") == "0"
        expected = []
        for obj in item.objects:
            if isinstance(obj, BoxAnnotation):
                b = obj.bounding_box
                expected.append((obj.name, formula(b.left, b.top, b.left + b.width,
                                                   b.top + b.height, item.width, item.height)))
            elif isinstance(obj, PolygonAnnotation):
                xs, ys = zip(*ring(obj.polygon))
                expected.append((obj.name, formula(min(xs), min(ys), max(xs), max(ys),
                                                   item.width, item.height)))
        found = xml_objects(root)
        assert [(o["name"], o["box"]) for o in found] == expected
        assert all(o["pose"] == "Unspecified" and o["difficult"] == 0 and o["truncated"] == 0
                   for o in found)
        checked += len(found)
    assert checked == report.annotations_written == 5
    assert report.dropped["point not representable in voc"] == 1
    assert report.dropped["polyline not representable in voc"] == 1
    assert report.dropped["mask not available offline"] == 2


def test_escaping_unicode_truncation_and_drops(tmp_path: Path) -> None:
    weird = 'a<b & "c" – Straße 🚗'
    objects = [
        box(weird, 10.2, 20.7, 30.1, 9.3),            # inside: 11,21 .. 41,30
        box("edge", -5.5, 90.0, 20.0, 30.0),          # clipped left and bottom
        box("edge", 190.5, -3.0, 10.0, 10.0),         # clipped top and right
        box("edge", 250.0, 10.0, 5.0, 5.0),           # entirely outside
        box("edge", 10.0, 10.0, 0.0, 5.0),            # degenerate
        polygon("field", [(20.0, 30.5), (80.25, 35.0), (60.0, 70.9), (20.0, 30.5)]),
        polygon("field", [(1, 1), (5, 1), (9, 1)]),   # degenerate
        polygon("field", [(-50, -50), (-10, -50), (-10, -10)]),  # outside
        point("dot", 5, 5),
        polyline("line", [(0, 0), (10, 10)]),
    ]
    export = write_export(tmp_path / "e.ndjson", [row("img<1>&", objects)])
    out = tmp_path / "voc"
    report = convert(export, out)
    assert report.annotations_written == 4
    assert report.dropped == {"box outside image": 1, "degenerate box": 1,
                              "degenerate polygon": 1, "polygon outside image": 1,
                              "point not representable in voc": 1,
                              "polyline not representable in voc": 1}
    (xml_path,) = (out / "Annotations").iterdir()
    raw = xml_path.read_bytes()
    assert raw.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<annotation>\n  <folder>")
    assert b"a_b &amp; _c_" in raw and "Straße 🚗".encode() in raw  # see voc_class_name
    root = parse(xml_path)
    assert root.findtext("filename") == "img_1_&.jpg"
    found = xml_objects(root)
    assert found[0] == {"name": 'a_b & _c_ – Straße 🚗', "pose": "Unspecified", "truncated": 0, "difficult": 0,
                        "box": (11, 21, 41, 30)}
    assert found[1]["box"] == (1, 91, 15, 100) and found[1]["truncated"] == 1
    assert found[2]["box"] == (191, 1, 200, 7) and found[2]["truncated"] == 1
    assert found[3]["box"] == (21, 31, 81, 71) and found[3]["truncated"] == 0
    assert [o["name"] for o in found] == ['a_b & _c_ – Straße 🚗', "edge", "edge", "field"]
    assert report.warnings == {"class name changed for voc (see labelmap.txt)": 1}


@pytest.mark.parametrize("clip, expected", [(False, (1, 1, 50, 100, 1)),
                                             (True, (1, 26, 50, 75, 1))])
def test_polygon_reaching_outside_is_truncated(tmp_path: Path, clip: bool, expected) -> None:
    arrow = polygon("arrow", [(-50, 0), (50, 50), (-50, 100)])
    out = tmp_path / "voc"
    convert(write_export(tmp_path / "e.ndjson", [row("t", [arrow])]), out, clip=clip)
    (found,) = xml_objects(parse(out / "Annotations" / "t.xml"))
    assert (*found["box"], found["truncated"]) == expected


def test_xml_is_what_elementtree_writes(tmp_path: Path) -> None:
    names = ['a<b & "c" > d', "", "bell\x07 tab\t", "ünï – 🚗", "x" * 300]
    objects = [box(name, 1 + i, 2, 3, 4) for i, name in enumerate(names)]
    export = write_export(tmp_path / "e.ndjson", [row("r&d <1>", objects)])
    out = tmp_path / "voc"
    convert(export, out, segmentation=True)
    convert(FIXTURES / "v2/images.ndjson", tmp_path / "fixture", project=MAIN_PROJECT)
    paths = [*(out / "Annotations").iterdir(), *(tmp_path / "fixture/Annotations").iterdir()]
    for path in paths:
        raw = path.read_bytes()
        root = ET.fromstring(raw)
        ET.indent(root)
        assert ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n" == raw
    found = [o["name"] for o in xml_objects(parse(out / "Annotations" / "r&d _1_.xml"))]
    assert found == ["a_b & _c_ _ d", "class1", "bell_ tab_", "ünï – 🚗",
                     "x" * 133 + "_" + found[4][-16:]]


@pytest.mark.parametrize("edges, expected", [
    ((0.0, 0.0, 10.0, 10.0), (1, 1, 10, 10, 0)),          # whole pixels 0..9
    ((0.5, 0.5, 1.5, 1.5), (1, 1, 2, 2, 0)),              # touches pixels 0 and 1
    ((9.0, 9.0, 10.0, 10.0), (10, 10, 10, 10, 0)),        # the last pixel
    ((-0.1, 0.0, 3.0, 3.0), (1, 1, 3, 3, 1)),
    ((5.0, 5.0, 10.01, 12.0), (6, 6, 10, 10, 1)),
    ((10.0, 0.0, 12.0, 5.0), None),                       # starts at the right edge
    ((-3.0, 0.0, 0.0, 5.0), None),                        # ends at the left edge
])
def test_bndbox_mapping(edges, expected) -> None:
    found = voc_bndbox(*edges, 10, 10)
    assert (None if found is None else msgspec.structs.astuple(found)) == expected


def test_classes_file_drops_unknown_classes(tmp_path: Path) -> None:
    classes = tmp_path / "classes.txt"
    classes.write_text("person\n")
    out = tmp_path / "voc"
    report = convert(FIXTURES / "v2/images.ndjson", out, project=MAIN_PROJECT,
                     classes=ClassMap.from_file(classes))
    names = {o["name"] for p in (out / "Annotations").iterdir() for o in xml_objects(parse(p))}
    assert names == {"person"}
    assert report.dropped["class not in classes file"] == 3


# --- image sets and the label map -------------------------------------------------

def test_image_sets_and_class_lists(tmp_path: Path) -> None:
    weird = 'a<b & "c"/ü'
    rows = [row(f"img{i:02d}", [box("car", 1, 1, 5, 5)] if i % 2 else
                [box(weird, 1, 1, 5, 5), box("person", 2, 2, 5, 5)]) for i in range(12)]
    rows.append(row("empty", []))
    export = write_export(tmp_path / "e.ndjson", rows)
    out = tmp_path / "voc"
    convert(export, out, split={"train": 0.5, "val": 0.5})
    main = out / "ImageSets" / "Main"
    splits = {p.stem: p.read_text(encoding="utf-8").splitlines()
              for p in main.iterdir() if "_" not in p.stem}
    assert sorted(splits) == ["train", "trainval", "val"]
    assert sorted(splits["train"] + splits["val"]) == \
        sorted([f"img{i:02d}" for i in range(12)] + ["empty"])
    assert splits["train"] and splits["val"]
    assert splits["trainval"] == [f"img{i:02d}" for i in range(12)] + ["empty"]  # export order
    has = {}
    for xml_path in (out / "Annotations").iterdir():
        has[xml_path.stem] = {o["name"] for o in xml_objects(parse(xml_path))}
    safe = file_safe_names([weird, "person", "car"])  # first seen in img00
    assert safe[0] == "a_b & _c_ü"
    assert [line.split(":")[0] for line in
            (out / "labelmap.txt").read_text(encoding="utf-8").splitlines()[2:]] == safe
    for split, stems in splits.items():
        for safe_name in safe:  # the XML holds the same names
            lines = (main / f"{safe_name}_{split}.txt").read_text(encoding="utf-8").splitlines()
            assert lines == [f"{s} {'1' if safe_name in has[s] else '-1'}" for s in stems]
    assert sorted(p.name for p in out.iterdir()) == [
        "Annotations", "ImageSets", "labelmap.txt", "lbconvert-report.json", "manifest.jsonl"]


def test_file_safe_names_are_unique() -> None:
    assert file_safe_names(["a/b", "a:b", "A/B", "", "..", "a_b_1"]) == \
        ["a_b", "a_b_1", "A_B_2", "class3", "..", "a_b_1_5"]


def test_labelmap(tmp_path: Path) -> None:
    objects = [box("car", 1, 1, 5, 5), box("person", 1, 1, 5, 5), box("traffic light", 1, 1, 5, 5)]
    out = tmp_path / "voc"
    convert(write_export(tmp_path / "e.ndjson", [row("x", objects)]), out)
    assert (out / "labelmap.txt").read_text() == (
        "# label:color_rgb:parts:actions\n"
        "background:0,0,0::\n"
        "car:128,0,0::\n"
        "person:0,128,0::\n"
        "traffic light:128,128,0::\n")


# --- segmentation ---------------------------------------------------------------

def load(path: Path) -> np.ndarray:
    image = Image.open(path)
    assert image.mode == "P"
    assert image.getpalette()[:768] == voc_palette()
    return np.asarray(image)


def test_segmentation_pixels_against_shapely(tmp_path: Path) -> None:
    ring_points = [(20.3, 10.7), (170.2, 25.1), (150.6, 95.2), (60.1, 80.4), (35.5, 60.0)]
    objects = [polygon("field", ring_points),
               box("car", 100.4, 40.6, 60.2, 30.3),          # over the polygon: paints last
               box("car", 5.0, 5.0, 10.0, 10.0)]
    export = write_export(tmp_path / "e.ndjson", [row("seg", objects, 200, 100)])
    out = tmp_path / "voc"
    convert(export, out, segmentation=True)
    classes = load(out / "SegmentationClass" / "seg.png")
    instances = load(out / "SegmentationObject" / "seg.png")
    assert classes.shape == (100, 200)
    field = centre_mask(shapely.Polygon(ring_points), 200, 100)
    car = centre_mask(shapely.box(100.4, 40.6, 160.6, 70.9), 200, 100)
    small = np.zeros_like(field)
    small[5:15, 5:15] = True
    expected_class = np.where(car | small, 2, np.where(field, 1, 0))
    differ = np.count_nonzero(classes != expected_class)
    assert differ < 0.01 * field.sum()
    assert np.count_nonzero(classes == 2) == np.count_nonzero(car | small)  # boxes: exact
    expected_object = np.select([small, car, field], [3, 2, 1], 0)
    assert np.count_nonzero(instances != expected_object) < 0.01 * field.sum()
    root = parse(out / "Annotations" / "seg.xml")
    assert root.findtext("segmented") == "1"
    assert [o["name"] for o in xml_objects(root)] == ["field", "car", "car"]
    assert (out / "ImageSets" / "Segmentation" / "train.txt").read_text() == "seg\n"


def test_xml_only_conversion_does_not_load_numpy(tmp_path: Path) -> None:
    """numpy costs a tenth of a second to import; only PNGs and masks need it."""
    export = write_export(tmp_path / "e.ndjson", [row("n", [box("car", 1, 1, 5, 5)])])
    script = ("import sys, lbconvert; "
              f"lbconvert.convert({str(export)!r}, 'voc', {str(tmp_path / 'out')!r}); "
              "print('numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
    assert (tmp_path / "out" / "Annotations" / "n.xml").is_file()


def test_numbers_of_a_small_and_a_very_wide_image(tmp_path: Path) -> None:
    rows = [row("small", [box("car", 2.5, 3.5, 4, 5)], 20, 10),
            row("wide", [box("car", 69990.2, 1, 100, 5)], 70_000, 10),  # past the listed numbers
            row("small2", [box("car", 0, 0, 20, 10)], 20, 10)]
    out = tmp_path / "voc"
    convert(write_export(tmp_path / "e.ndjson", rows), out)
    found = {}
    for stem in ("small", "wide", "small2"):
        root = parse(out / "Annotations" / f"{stem}.xml")
        found[stem] = (root.findtext("size/width"), xml_objects(root)[0]["box"],
                       xml_objects(root)[0]["truncated"])
    assert found == {"small": ("20", (3, 4, 7, 9), 0), "wide": ("70000", (69991, 2, 70000, 6), 1),
                     "small2": ("20", (1, 1, 20, 10), 0)}


def test_identical_objects_are_two_objects(tmp_path: Path) -> None:
    objects = [box("car", 10, 10, 20, 20), box("car", 10, 10, 20, 20)]  # a duplicated feature
    out = tmp_path / "voc"
    convert(write_export(tmp_path / "e.ndjson", [row("d", objects, 50, 50)]), out,
            segmentation=True)
    assert [o["box"] for o in xml_objects(parse(out / "Annotations" / "d.xml"))] == \
        [(11, 11, 30, 30)] * 2
    instances = load(out / "SegmentationObject" / "d.png")
    assert np.count_nonzero(instances == 2) == 400 and np.count_nonzero(instances == 1) == 0


def test_void_border(tmp_path: Path) -> None:
    objects = [box("car", 10, 10, 40, 20), box("car", 0, 60, 30, 40)]  # the second at the edge
    out = tmp_path / "voc"
    convert(write_export(tmp_path / "e.ndjson", [row("v", objects, 100, 100)]), out,
            segmentation=True, void_border=True)
    for sub, value in (("SegmentationClass", 1), ("SegmentationObject", None)):
        pixels = load(out / sub / "v.png")
        first = pixels[10:30, 10:50]
        assert (first[0] == 255).all() and (first[-1] == 255).all()
        assert (first[:, 0] == 255).all() and (first[:, -1] == 255).all()
        assert (first[1:-1, 1:-1] == (value or 1)).all()
        second = pixels[60:100, 0:30]
        # the image's left and bottom edges are not borders
        assert (second[0] == 255).all() and (second[:, -1] == 255).all()
        assert (second[1:, :-1] == (value or 2)).all()
        assert np.count_nonzero(pixels == 255) == (2 * 40 + 2 * 18) + (30 + 39)
    assert (out / "labelmap.txt").read_text().endswith("ignored:224,224,192::\n")


def test_too_many_classes_for_segmentation_is_an_error(tmp_path: Path) -> None:
    objects = [box(f"c{i}", 1, 1, 5, 5) for i in range(255)]
    export = write_export(tmp_path / "e.ndjson", [row("x", objects)])
    convert(export, tmp_path / "xml-only")  # without PNGs any number of classes is fine
    main = tmp_path / "xml-only" / "ImageSets" / "Main"
    assert [(main / f"c{i}_train.txt").read_text() for i in (0, 63, 64, 254)] == ["x 1\n"] * 4
    with pytest.raises(lbconvert.LbConvertError, match="at most 254"):
        lbconvert.convert(export, "voc", tmp_path / "seg", segmentation=True)
    assert not (tmp_path / "seg").exists()


# --- masks ------------------------------------------------------------------------

def test_masks_from_composite_and_instance_files(tmp_path: Path) -> None:
    masks = tmp_path / "masks"
    masks.mkdir()
    height, width = 60, 80
    ys, xs = np.mgrid[0:height, 0:width]
    disc = (xs - 30) ** 2 + (ys - 25) ** 2 < 15 ** 2
    strip = (ys >= 40) & (ys < 50) & (xs >= 5)
    composite_png(masks / "cm1.png", [((64, 170, 92), disc), ((200, 10, 10), strip)])
    blob = np.zeros((height, width), dtype=np.uint8)
    blob[3:9, 60:75] = 255
    Image.fromarray(blob).save(masks / "feat-3.png")
    objects = [composite_mask("road", "cm1", (64, 170, 92)),
               composite_mask("lane", "cm1", (200, 10, 10)),
               instance_mask("sign", "feat-3"),
               instance_mask("missing", "feat-404")]
    export = write_export(tmp_path / "e.ndjson", [row("m", objects, width, height)])
    out = tmp_path / "voc"
    report = convert(export, out, masks=masks, segmentation=True)
    assert report.dropped == {"mask not available offline": 1}
    found = xml_objects(parse(out / "Annotations" / "m.xml"))
    assert [(o["name"], o["box"], o["truncated"]) for o in found] == [
        ("road", (17, 12, 45, 40), 0), ("lane", (6, 41, 80, 50), 0), ("sign", (61, 4, 75, 9), 0)]
    classes = load(out / "SegmentationClass" / "m.png")
    assert np.array_equal(classes, np.select([blob > 0, strip, disc], [3, 2, 1], 0))
    objects_png = load(out / "SegmentationObject" / "m.png")
    assert np.array_equal(objects_png, classes)  # one object per class here


def test_mask_of_another_size_is_dropped_and_fails_only_strict(tmp_path: Path) -> None:
    masks = tmp_path / "masks"
    masks.mkdir()
    Image.fromarray(np.full((30, 40), 255, dtype=np.uint8)).save(masks / "f1.png")
    export = write_export(tmp_path / "e.ndjson", [row("m", [instance_mask("x", "f1")], 80, 60)])
    report = lbconvert.convert(export, "voc", tmp_path / "out", masks=masks)
    assert report.dropped == {"mask size differs from image": 1} and report.items == 1
    with pytest.raises(lbconvert.LbConvertError, match="mask size differs from image"):
        lbconvert.convert(export, "voc", tmp_path / "strict", masks=masks, strict=True)
    assert not (tmp_path / "strict").exists()


def test_huge_claimed_image_is_an_error_not_an_allocation(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e.ndjson", [row("big", [box("car", 1, 1, 5, 5)],
                                                      10**6, 10**6, row_id="row-big")])
    with pytest.raises(lbconvert.LbConvertError, match=r"row-big.*1000000x1000000.*max_pixels="):
        lbconvert.convert(export, "voc", tmp_path / "out", segmentation=True)
    assert not (tmp_path / "out").exists()
    # boxes alone need no raster: the XML is written
    convert(export, tmp_path / "xml")
    assert parse(tmp_path / "xml/Annotations/big.xml").findtext("size/width") == "1000000"


# --- determinism and interoperability ------------------------------------------

def test_byte_identical_output(tmp_path: Path) -> None:
    options = dict(project=MAIN_PROJECT, segmentation=True, void_border=True)
    convert(FIXTURES / "v2/images.ndjson", tmp_path / "a", **options)
    convert(FIXTURES / "v2/images.ndjson", tmp_path / "b", **options)
    first, second = tree_files(tmp_path / "a"), tree_files(tmp_path / "b")
    assert first == second and len(first) > 10
    assert not [name for name in first if name.startswith(".") or "/." in name]


def test_datumaro_imports_the_dataset(tmp_path: Path) -> None:
    dm = pytest.importorskip("datumaro")
    from datumaro.components.annotation import AnnotationType

    objects = [box("car", 10.0, 20.0, 30.0, 15.0), box("dog & cat", 50.5, 5.5, 20.0, 30.0),
               polygon("car", [(100, 10), (150, 20), (120, 60)])]
    rows = [row("one", objects), row("two", [box("dog & cat", 0, 0, 10, 10)]), row("three", [])]
    out = tmp_path / "voc"
    convert(write_export(tmp_path / "e.ndjson", rows), out, segmentation=True)
    dataset = dm.Dataset.import_from(str(out), "voc", coordinate_mode="voc-one-based")
    labels = [label.name for label in dataset.categories()[AnnotationType.label]]
    assert labels == ["background", "car", "dog & cat"]
    assert sorted(item.id for item in dataset) == ["one", "three", "two"]
    one = dataset.get("one", "train")
    boxes = [(labels[a.label], a.get_bbox()) for a in one.annotations
             if a.type == AnnotationType.bbox]
    # voc-one-based: xmin - 1, so whole-pixel boxes come back exactly
    assert boxes == [("car", [10.0, 20.0, 30.0, 15.0]), ("dog & cat", [50.0, 5.0, 21.0, 31.0]),
                     ("car", [100.0, 10.0, 50.0, 50.0])]
    masks = sorted((a.group, labels[a.label], int(a.image.sum())) for a in one.annotations
                   if a.type == AnnotationType.mask)  # group = the SegmentationObject index
    assert [(group, name) for group, name, _ in masks] == [(1, "car"), (2, "dog & cat"),
                                                           (3, "car")]
    assert masks[0][2] == 30 * 15 and masks[1][2] == 20 * 30
    classes = {labels[a.label] for a in one.annotations if a.type == AnnotationType.label}
    assert classes == {"car", "dog & cat"}


def test_refused_options_leave_no_partial_directory(tmp_path: Path) -> None:
    classes = tmp_path / "classes.txt"
    classes.write_text("\n".join(f"class{i}" for i in range(300)) + "\n")
    with pytest.raises(lbconvert.LbConvertError, match="8-bit PNG"):
        lbconvert.convert(FIXTURES / "legacy/array.json", "voc", tmp_path / "out",
                          segmentation=True, classes=ClassMap.from_file(classes))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classes.txt"]
