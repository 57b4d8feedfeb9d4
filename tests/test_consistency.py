"""One export, every writer: the same class ids, truthful drop reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lbconvert
from lbconvert.classes import ClassMap
from lbconvert.model import Item
from lbconvert.options import Options
from lbconvert.report import Report
from lbconvert.select import Selector

from .inline import box, instance_mask, point, polygon, polyline, row, write_export

yaml = pytest.importorskip("yaml")

SQUARE = [(10, 10), (60, 10), (60, 60), (10, 60)]
#: In export order; no writer keeps the first three, and each writer keeps a
#: different subset of the rest (detect: boxes; segment: polygons; ...).
FIRST_SEEN = ["head", "sky", "lane", "person", "car", "bus", "tree"]


def _export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "order.ndjson", [
        row("a.png", [point("head", 5, 5), instance_mask("sky", "f-sky"),
                      polyline("lane", [(0, 0), (50, 50)]), polygon("person", SQUARE),
                      box("car", 20, 20, 30, 30)]),
        row("b.png", [box("bus", 10, 10, 50, 50), polygon("tree", SQUARE),
                      box("car", 5, 5, 10, 10)]),
    ])


def _yolo_names(out: Path) -> list[str]:
    names = yaml.safe_load((out / "data.yaml").read_text(encoding="utf-8"))["names"]
    assert list(names) == list(range(len(names)))
    return list(names.values())


def _labelmap_names(out: Path) -> list[str]:
    lines = (out / "labelmap.txt").read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["# label:color_rgb:parts:actions", "background:0,0,0::"]
    return [line.split(":")[0] for line in lines[2:]]


def test_every_writer_gives_the_same_class_order(tmp_path: Path) -> None:
    export = _export(tmp_path)
    found: dict[str, list[str]] = {}
    for task in ("detect", "segment", "obb"):
        lbconvert.convert(export, "yolo", tmp_path / task, task=task)
        found[f"yolo {task}"] = _yolo_names(tmp_path / task)
    lbconvert.convert(export, "yolo", tmp_path / "pose", task="pose",
                      keypoint_names=("head",))
    found["yolo pose"] = _yolo_names(tmp_path / "pose")
    lbconvert.convert(export, "coco", tmp_path / "coco")
    coco = json.loads((tmp_path / "coco/annotations.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in coco["categories"]] == list(range(1, len(FIRST_SEEN) + 1))
    found["coco"] = [c["name"] for c in coco["categories"]]
    lbconvert.convert(export, "voc", tmp_path / "voc")
    found["voc"] = _labelmap_names(tmp_path / "voc")
    lbconvert.convert(export, "masks", tmp_path / "masks")
    entries = json.loads((tmp_path / "masks/classes.json").read_text(encoding="utf-8"))
    assert [e["index"] for e in entries] == list(range(len(FIRST_SEEN) + 1))
    found["masks"] = [e["name"] for e in entries[1:]]
    assert found == {writer: FIRST_SEEN for writer in found}


def test_written_rows_use_the_export_ids(tmp_path: Path) -> None:
    """Ids in the rows follow the shared order: car is 4 in detect, tree 6 in segment."""
    export = _export(tmp_path)
    lbconvert.convert(export, "yolo", tmp_path / "detect")
    lbconvert.convert(export, "yolo", tmp_path / "segment", task="segment")
    detect = (tmp_path / "detect/labels/train/b.txt").read_text().splitlines()
    assert [line.split()[0] for line in detect] == ["5", "4"]  # bus, car
    segment = (tmp_path / "segment/labels/train/b.txt").read_text().splitlines()
    assert [line.split()[0] for line in segment] == ["6"]  # tree
    lbconvert.convert(export, "coco", tmp_path / "coco")
    coco = json.loads((tmp_path / "coco/annotations.json").read_text(encoding="utf-8"))
    assert [a["category_id"] for a in coco["annotations"]] == [4, 5, 6, 7, 5]


def test_fixed_class_list_never_grows(tmp_path: Path) -> None:
    export = _export(tmp_path)
    classes = tmp_path / "classes.txt"
    classes.write_text("car\nperson\n", encoding="utf-8")
    report = lbconvert.convert(export, "yolo", tmp_path / "out",
                               classes=ClassMap.from_file(classes))
    assert _yolo_names(tmp_path / "out") == ["car", "person"]
    assert report.dropped["class not in classes file"] == 1  # the bus box


def test_class_key_value_orders_by_value(tmp_path: Path) -> None:
    objects = [dict(point("Head", 5, 5), value="head"), dict(box("Car", 1, 1, 5, 5), value="car"),
               dict(box("Car (old)", 1, 1, 5, 5), value="car")]
    export = write_export(tmp_path / "v.ndjson", [row("a.png", objects)])
    lbconvert.convert(export, "yolo", tmp_path / "out", class_key="value")
    assert _yolo_names(tmp_path / "out") == ["Head", "Car"]
    rows = (tmp_path / "out/labels/train/a.txt").read_text().splitlines()
    assert [r.split()[0] for r in rows] == ["1", "1"]


def test_labels_left_out_give_no_class_dropped_items_do(tmp_path: Path) -> None:
    """A skipped label's objects register nothing; an image of unknown size
    (dropped by the select stage after choosing its label) registers its
    classes, so ids do not change when ``--images`` finds its size."""
    skipped = row("s.png", [box("ghost", 1, 1, 5, 5)])
    skipped["projects"]["p"]["labels"][0]["performance_details"] = {"skipped": True}
    unsized = row("u.png", [box("unsized", 1, 1, 5, 5)])
    del unsized["media_attributes"]["width"]
    export = write_export(tmp_path / "s.ndjson", [skipped, unsized,
                                                  row("a.png", [box("car", 1, 1, 5, 5)])])
    report = lbconvert.convert(export, "coco", tmp_path / "out")
    assert report.dropped["image size unknown"] == 1 and report.dropped["label skipped"] == 1
    coco = json.loads((tmp_path / "out/annotations.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in coco["categories"]] == ["unsized", "car"]
    assert [a["category_id"] for a in coco["annotations"]] == [2]


def test_video_frames_register_in_frame_order_even_when_not_kept(tmp_path: Path) -> None:
    def frame_box(name: str) -> dict:
        return {"feature_id": f"f-{name}", "name": name, "annotation_kind": "VideoBoundingBox",
                "bounding_box": {"top": 1, "left": 1, "height": 5, "width": 5}}

    video = row("clip.mp4", [])
    video["media_attributes"]["mime_type"] = "video/mp4"
    video["projects"]["p"]["labels"][0]["annotations"] = {
        "frames": {"3": {"objects": {"f-c": frame_box("c")}},
                   "1": {"objects": {"f-a": frame_box("a")}},
                   "2": {"objects": {"f-b": frame_box("b")}}}}
    export = write_export(tmp_path / "v.ndjson", [video])
    report = lbconvert.convert(export, "yolo", tmp_path / "out", every=2)
    assert report.dropped["frame not kept (--every)"] == 1
    assert _yolo_names(tmp_path / "out") == ["a", "b", "c"]
    rows = (tmp_path / "out/labels/train/clip_000003.txt").read_text().split()
    assert rows[0] == "2"


def test_partitions_merged_in_order_give_the_whole_map(tmp_path: Path) -> None:
    """What a partitioned run (--jobs) needs: each part registers its own
    items, the maps merged in part order equal the one-pass map."""
    export = _export(tmp_path)
    rows = list(lbconvert.read(export))

    def registered(part: list) -> ClassMap:
        options = Options()
        selector = Selector(options, Report())
        for data_row in part:
            selector.items(data_row)
        return options.class_map()

    whole = registered(rows)
    merged = ClassMap()
    for part in ([rows[1]], [rows[0]])[::-1]:  # part 1 holds row 0, part 2 row 1
        merged.merge(registered(part))
    assert merged.names == whole.names == FIRST_SEEN
    assert registered([rows[1]]).names == ["bus", "tree", "car"]


def test_hand_driven_writer_registers_on_lookup(tmp_path: Path) -> None:
    """Items that skip the select stage still get ids (in lookup order)."""
    from lbconvert.model import BoxAnnotation, Box

    writer = lbconvert.get_writer("yolo")(tmp_path / "out", Options())
    obj = BoxAnnotation(name="car", bounding_box=Box(left=1, top=1, width=5, height=5))
    writer.add(Item(stem="a", file_name="a.png", width=10, height=10, split="train",
                    objects=(obj,)))
    writer.close()
    assert _yolo_names(tmp_path / "out") == ["car"]


# --- YOLO without classes -----------------------------------------------------------------------

def test_yolo_keeps_classes_it_wrote_no_row_of(tmp_path: Path) -> None:
    """Only points and polylines: detect writes no row, but lists the classes."""
    export = write_export(tmp_path / "p.ndjson", [
        row("a.png", [point("head", 5, 5), polyline("lane", [(0, 0), (5, 5)])])])
    report = lbconvert.convert(export, "yolo", tmp_path / "out")
    assert report.annotations_written == 0
    data = yaml.safe_load((tmp_path / "out/data.yaml").read_text(encoding="utf-8"))
    assert data["names"] == {0: "head", 1: "lane"} and data["nc"] == 2


def test_yolo_without_any_class_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture
                                                  ) -> None:
    from lbconvert.cli import main
    from lbconvert.errors import LbConvertError

    export = write_export(tmp_path / "e.ndjson", [row("a.png", []), row("b.png", [])])
    with pytest.raises(LbConvertError, match="no classes.*--allow-empty"):
        lbconvert.convert(export, "yolo", tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".*partial"))
    assert main(["convert", str(export), "--to", "yolo", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lbconvert: error: yolo: no classes")
    assert main(["convert", str(export), "--to", "yolo", "-o", str(tmp_path / "out"),
                 "--allow-empty"]) == 0
    data = yaml.safe_load((tmp_path / "out/data.yaml").read_text(encoding="utf-8"))
    assert data["nc"] == 0 and data["names"] == {}
    assert sorted(p.name for p in (tmp_path / "out/labels/train").iterdir()) == ["a.txt", "b.txt"]


def test_yolo_empty_class_file_fails_too(tmp_path: Path) -> None:
    from lbconvert.errors import LbConvertError

    export = write_export(tmp_path / "e.ndjson", [row("a.png", [box("car", 1, 1, 5, 5)])])
    with pytest.raises(LbConvertError, match="no classes"):
        lbconvert.convert(export, "yolo", tmp_path / "out", classes=ClassMap([], fixed=True))


# --- VOC: one name in every file; trainval -------------------------------------------------------

def _voc_object_names(out: Path) -> dict[str, list[str]]:
    import xml.etree.ElementTree as ET

    return {p.stem: [o.findtext("name") for o in ET.parse(p).getroot().iter("object")]
            for p in sorted((out / "Annotations").iterdir())}


HOSTILE = ["bell\x07ring", "two\nlines", "tab\there", "cr\rlf", " padded ", "#hash", "a:b",
           "background", "Car", "car", "nel\x85x", "sep\u2028x"]


def test_voc_names_agree_in_xml_labelmap_and_class_lists(tmp_path: Path) -> None:
    export = write_export(tmp_path / "h.ndjson", [
        row("a.png", [box(name, 1, 1, 5, 5) for name in HOSTILE])])
    report = lbconvert.convert(export, "voc", tmp_path / "out")
    out = tmp_path / "out"
    labelmap = _labelmap_names(out)
    assert labelmap == ["bell_ring", "two_lines", "tab_here", "cr_lf", "padded", "_hash", "a_b",
                        "background_7", "Car", "car_9", "nel_x", "sep_x"]
    assert _voc_object_names(out) == {"a": labelmap}
    for name in labelmap:
        assert (out / "ImageSets/Main" / f"{name}_train.txt").read_text() == "a 1\n"
    assert report.warnings["class name changed for voc (see labelmap.txt)"] == 11


def test_voc_renamed_class_is_a_strict_failure(tmp_path: Path) -> None:
    export = write_export(tmp_path / "h.ndjson", [row("a.png", [box("a:b", 1, 1, 5, 5)])])
    with pytest.raises(lbconvert.LbConvertError, match="class name changed for voc"):
        lbconvert.convert(export, "voc", tmp_path / "out", strict=True)


def test_datumaro_reads_hostile_class_names(tmp_path: Path) -> None:
    dm = pytest.importorskip("datumaro")
    from datumaro.components.annotation import AnnotationType

    rows = [row(f"img{i}", [box(HOSTILE[i % len(HOSTILE)], 1, 1, 5, 5)]) for i in range(24)]
    export = write_export(tmp_path / "h.ndjson", rows)
    out = tmp_path / "out"
    lbconvert.convert(export, "voc", out, split={"train": 0.5, "val": 0.5}, segmentation=True)
    dataset = dm.Dataset.import_from(str(out), "voc", coordinate_mode="voc-one-based")
    labels = [label.name for label in dataset.categories()[AnnotationType.label]]
    assert labels == ["background", *_labelmap_names(out)]
    assert sorted(dataset.subsets()) == ["train", "trainval", "val"]
    for item in dataset:
        (bbox,) = [a for a in item.annotations if a.type == AnnotationType.bbox]
        (image_label,) = [a for a in item.annotations if a.type == AnnotationType.label]
        assert bbox.label == image_label.label != 0  # the class list found by the same name


def test_voc_trainval_is_train_and_val_in_export_order(tmp_path: Path) -> None:
    rows = [row(f"r{i:02d}", [box("car", 1, 1, 5, 5)] if i % 3 else []) for i in range(30)]
    export = write_export(tmp_path / "t.ndjson", rows)
    out = tmp_path / "out"
    lbconvert.convert(export, "voc", out, split={"train": 0.4, "val": 0.3, "test": 0.3},
                      segmentation=True)
    main = out / "ImageSets/Main"
    lists = {name: (main / f"{name}.txt").read_text().split() for name in ("train", "val", "test")}
    assert all(lists.values())
    trainval = (main / "trainval.txt").read_text().split()
    assert trainval == [s for s in (f"r{i:02d}" for i in range(30))
                        if s in lists["train"] or s in lists["val"]]
    assert (out / "ImageSets/Segmentation/trainval.txt").read_text().split() == trainval
    assert (main / "car_trainval.txt").read_text().splitlines() == [
        f"{s} {'1' if int(s[1:]) % 3 else '-1'}" for s in trainval]
    assert not list(out.rglob(".*"))  # no part file left


@pytest.mark.parametrize("split, expected", [
    ({"train": 1.0}, ["train.txt"]),
    ({"val": 0.5, "test": 0.5}, ["test.txt", "val.txt"]),
])
def test_voc_no_trainval_without_both(tmp_path: Path, split: dict, expected: list) -> None:
    rows = [row(f"r{i:02d}", []) for i in range(20)]
    out = tmp_path / "out"
    lbconvert.convert(write_export(tmp_path / "t.ndjson", rows), "voc", out, split=split)
    assert sorted(p.name for p in (out / "ImageSets/Main").iterdir()) == expected


def test_voc_exported_trainval_split_wins(tmp_path: Path) -> None:
    """Model-run splits are train/val/test, but --split may name one trainval."""
    rows = [row(f"r{i:02d}", []) for i in range(40)]
    out = tmp_path / "out"
    lbconvert.convert(write_export(tmp_path / "t.ndjson", rows), "voc", out,
                      split={"train": 0.3, "val": 0.3, "trainval": 0.4})
    main = out / "ImageSets/Main"
    lists = {p.stem: p.read_text().split() for p in main.iterdir()}
    assert sorted(lists) == ["train", "trainval", "val"]
    assert not set(lists["trainval"]) & set(lists["train"] + lists["val"])
    assert sorted(lists["train"] + lists["val"] + lists["trainval"]) == \
        [f"r{i:02d}" for i in range(40)]
    assert not list(out.rglob(".*"))


# --- COCO attribute keys ---------------------------------------------------------------------------

def _radio(question: str, answer: str, nested: list | None = None) -> dict:
    return {"name": question, "value": question,
            "radio_answer": {"name": answer, "value": answer, "classifications": nested or []}}


@pytest.mark.parametrize("name, key", [
    ("plain name", "plain name"),
    ("v1.2", "v1%2E2"),
    ("$set", "%24set"),
    ("_id", "%5Fid"),
    ("a_b", "a_b"),
    ("50% off", "50%25 off"),
    ("a/b", "a%2Fb"),
    ("nul\x00", "nul%00"),
    ("ünï.", "ünï%2E"),
])
def test_safe_key_part(name: str, key: str) -> None:
    from urllib.parse import unquote

    from lbconvert.write.attributes import safe_key_part

    assert safe_key_part(name) == key
    assert unquote(key) == name


def test_coco_attribute_keys_are_accepted_by_document_stores(tmp_path: Path) -> None:
    from pycocotools.coco import COCO

    car = box("car", 1, 1, 5, 5)
    car["classifications"] = [
        _radio("Dr. Who", "yes.", [_radio("$where", "x")]),
        _radio("Dr_ Who", "no"),  # would collide with "Dr. Who" if dots became "_"
        {"name": "_private", "value": "_private", "text_answer": {"content": "a.b"}},
        {"name": "parts/kind", "value": "parts/kind",
         "checklist_answers": [{"name": "front.left", "value": "front.left",
                                "classifications": [_radio("sub", "y")]}]},
    ]
    image_row = row("a.png", [car])
    image_row["projects"]["p"]["labels"][0]["annotations"]["classifications"] = [
        _radio("time.of.day", "day")]
    lbconvert.convert(write_export(tmp_path / "a.ndjson", [image_row]), "coco", tmp_path / "out")
    coco = COCO(str(tmp_path / "out/annotations.json"))
    (annotation,) = coco.loadAnns(coco.getAnnIds())
    assert annotation["attributes"] == {
        "Dr%2E Who": "yes.", "Dr%2E Who/yes%2E/%24where": "x", "Dr_ Who": "no",
        "%5Fprivate": "a.b", "parts%2Fkind": ["front.left"], "parts%2Fkind/front%2Eleft/sub": "y"}
    (image,) = coco.loadImgs(coco.getImgIds())
    assert image["attributes"] == {"time%2Eof%2Eday": "day"}
    for key in [*annotation["attributes"], *image["attributes"]]:
        assert "." not in key and "$" not in key and not key.startswith("_")


# --- masks: one directory per split --------------------------------------------------------------

def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_masks_with_several_splits_write_a_directory_per_split(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    rows = [row(f"r{i:02d}", [box("car", 0, 0, 10 + i, 10)]) for i in range(20)]
    export = write_export(tmp_path / "m.ndjson", rows)
    out = tmp_path / "out"
    lbconvert.convert(export, "masks", out, split={"train": 0.5, "val": 0.3, "test": 0.2},
                      instances=True)
    files = _tree(out)
    splits = {name.split("/")[1] for name in files if name.startswith("semantic/")}
    assert splits == {"train", "val", "test"}
    stems = sorted(name.rsplit("/", 1)[1] for name in files if name.startswith("semantic/"))
    assert stems == [f"r{i:02d}.png" for i in range(20)]
    assert {n.replace("semantic/", "instance/", 1) for n in files if n.startswith("semantic/")} \
        == {n for n in files if n.startswith("instance/")}
    assert "classes.json" in files and not [n for n in files if "/." in n or n.startswith(".")]
    for name in files:
        if name.startswith("semantic/"):
            i = int(name.rsplit("/", 1)[1][1:3])
            assert int((np.asarray(Image.open(out / name)) == 1).sum()) == (10 + i) * 10


def test_masks_with_one_split_stay_flat(tmp_path: Path) -> None:
    rows = [row(f"r{i:02d}", [box("car", 0, 0, 10, 10)]) for i in range(5)]
    out = tmp_path / "out"
    lbconvert.convert(write_export(tmp_path / "m.ndjson", rows), "masks", out,
                      split={"val": 1.0})
    assert _tree(out) == ["classes.json", "lbconvert-report.json", "manifest.jsonl",
                          *(f"semantic/r{i:02d}.png" for i in range(5))]


# --- drop reasons tell the truth --------------------------------------------------------------------

#: One object of each kind the image writers meet, no mask file anywhere.
MIXED = [box("car", 10, 10, 20, 20), polygon("person", SQUARE), point("head", 15, 15),
         polyline("lane", [(0, 0), (50, 50)]), instance_mask("sky", "f-sky")]

OFFLINE = "mask not available offline"
EXPECTED_DROPS = {
    ("yolo", "detect"): {"polygon not representable in yolo detect (see --boxes-from-shapes)": 1,
                         "point not representable in yolo detect": 1,
                         "polyline not representable in yolo detect": 1, OFFLINE: 1},
    ("yolo", "segment"): {"bbox not representable in yolo segment (see --boxes-as-polygons)": 1,
                          "point not representable in yolo segment": 1,
                          "polyline not representable in yolo segment": 1, OFFLINE: 1},
    ("yolo", "obb"): {"point not representable in yolo obb": 1,
                      "polyline not representable in yolo obb": 1, OFFLINE: 1},
    ("yolo", "pose"): {"polygon not representable in yolo pose (see --boxes-from-shapes)": 1,
                       "polyline not representable in yolo pose": 1, OFFLINE: 1},
    ("coco", None): {"point not representable in coco (see --keypoints)": 1,
                     "polyline not representable in coco": 1, OFFLINE: 1},
    ("voc", None): {"point not representable in voc": 1, "polyline not representable in voc": 1,
                    OFFLINE: 1},
    ("masks", None): {"point without --line-width": 1, "polyline without --line-width": 1,
                      OFFLINE: 1},
}


@pytest.mark.parametrize("opencv", [True, False])
@pytest.mark.parametrize("fmt, task", sorted(EXPECTED_DROPS, key=str))
def test_drop_reasons_per_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str,
                                 task: str | None, opencv: bool) -> None:
    """Masks without files say so, with or without OpenCV; hints only where the
    option would help (no --boxes-from-shapes for a mask without a file)."""
    from lbconvert.write import rings

    if not opencv:
        monkeypatch.setattr(rings, "_cv2_module", False)
    options: dict = {"task": task, "keypoint_names": ("head",)} if task else {}
    export = write_export(tmp_path / "x.ndjson", [row("a.png", MIXED)])
    report = lbconvert.convert(export, fmt, tmp_path / "out", **options)
    assert dict(report.dropped) == EXPECTED_DROPS[fmt, task]
    assert report.is_balanced()


def test_yolo_detect_points_to_boxes_from_shapes_only_when_it_helps(tmp_path: Path) -> None:
    """With --masks DIR a mask could become a box: then the hint is right."""
    masks = tmp_path / "masks"
    masks.mkdir()
    export = write_export(tmp_path / "x.ndjson", [row("a.png", MIXED)])
    report = lbconvert.convert(export, "yolo", tmp_path / "out", masks=masks)
    assert report.dropped["mask not representable in yolo detect (see --boxes-from-shapes)"] == 1
    report = lbconvert.convert(export, "yolo", tmp_path / "out2", masks=masks,
                               boxes_from_shapes=True)
    assert report.dropped[OFFLINE] == 1  # the flag given, the file still missing


def test_coco_with_every_object_dropped_lists_the_categories(tmp_path: Path) -> None:
    from pycocotools.coco import COCO

    objects = [point("head", 5, 5), polyline("lane", [(0, 0), (5, 5)]),
               instance_mask("sky", "f-sky"), box("flat", 1, 1, 0, 5)]
    export = write_export(tmp_path / "x.ndjson", [row("a.png", objects)])
    report = lbconvert.convert(export, "coco", tmp_path / "out")
    assert report.annotations_written == 0 and sum(report.dropped.values()) == 4
    coco = COCO(str(tmp_path / "out/annotations.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["head", "lane", "sky", "flat"]
    assert coco.getAnnIds() == []


def test_ontology_drop_reason_names_the_ontology(tmp_path: Path) -> None:
    ontology = tmp_path / "ontology.json"
    ontology.write_text(json.dumps({"tools": [{"name": "car"}]}), encoding="utf-8")
    export = write_export(tmp_path / "x.ndjson", [row("a.png", [box("car", 1, 1, 5, 5),
                                                                box("bus", 1, 1, 5, 5)])])
    report = lbconvert.convert(export, "coco", tmp_path / "out",
                               classes=ClassMap.from_ontology(ontology))
    assert dict(report.dropped) == {"class not in ontology": 1}


def test_masks_refuse_more_classes_than_the_png_holds(tmp_path: Path) -> None:
    """Points are not drawn, but their classes take indices in classes.json."""
    objects = [point(f"p{i}", 1, 1) for i in range(254)] + [polygon("field", SQUARE)]
    export = write_export(tmp_path / "x.ndjson", [row("a.png", objects)])
    with pytest.raises(lbconvert.LbConvertError, match="255 classes do not fit an 8-bit PNG"):
        lbconvert.convert(export, "masks", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ndjson"]
    objects = objects[1:]  # 254 classes: they fit, the polygon is index 254
    export = write_export(tmp_path / "y.ndjson", [row("a.png", objects)])
    lbconvert.convert(export, "masks", tmp_path / "out")
    entries = json.loads((tmp_path / "out/classes.json").read_text(encoding="utf-8"))
    assert entries[-1] == {"index": 254, "name": "field", "color": entries[-1]["color"]}
