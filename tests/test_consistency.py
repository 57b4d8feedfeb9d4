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


def test_items_not_selected_give_no_class(tmp_path: Path) -> None:
    """A skipped label's objects and an image of unknown size register nothing."""
    skipped = row("s.png", [box("ghost", 1, 1, 5, 5)])
    skipped["projects"]["p"]["labels"][0]["performance_details"] = {"skipped": True}
    unsized = row("u.png", [box("unsized", 1, 1, 5, 5)])
    del unsized["media_attributes"]["width"]
    export = write_export(tmp_path / "s.ndjson", [skipped, unsized,
                                                  row("a.png", [box("car", 1, 1, 5, 5)])])
    lbconvert.convert(export, "coco", tmp_path / "out")
    coco = json.loads((tmp_path / "out/annotations.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in coco["categories"]] == ["car"]


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
