"""A user's typed script: mypy --strict must accept it (tests/test_typing.py).
The test also checks it with one option misspelt, which mypy must refuse."""

from __future__ import annotations

from pathlib import Path

import lbconvert
from lbconvert import ClassMap, ConvertOptions, DataRow, Options, Report, Selector, Writer


def only_labelled(rows: list[DataRow]) -> list[DataRow]:
    return [row for row in rows if row.projects]


def run(export: Path, out: Path) -> Report:
    rows = only_labelled(list(lbconvert.read(export)))
    options: ConvertOptions = {"task": "segment", "clip": True,
                               "split": {"train": 0.8, "val": 0.2}}
    report = lbconvert.convert(rows, "yolo", out / "yolo", **options)
    writer: type[Writer] = lbconvert.get_writer("coco")
    assert writer.name == "coco"
    selector = Selector(Options(task="detect", classes=ClassMap(["car"])), report)
    assert selector.options.task == "detect"
    return lbconvert.convert(export, "coco", out / "coco", layout="coco2017", every=2)
