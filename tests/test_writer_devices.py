"""Measured devices of the writer stage against their plain definitions.

Writer.class_id looks names up in the class map's own dict first (a measured
device, see lbconvert/write/base.py): it must give what ClassMap.id_of gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbconvert.classes import ClassMap
from lbconvert.model import Box, BoxAnnotation
from lbconvert.options import Options
from lbconvert.report import Report
from lbconvert.write import get_writer

BOX = Box(1.0, 1.0, 2.0, 2.0)
OBJECTS = [BoxAnnotation(name="car", bounding_box=BOX),
           BoxAnnotation(name="person", value="walker", schema_id="s-person", bounding_box=BOX),
           BoxAnnotation(name=None, value="tree", bounding_box=BOX),
           BoxAnnotation(name="", value="", schema_id="s-sign", bounding_box=BOX),
           BoxAnnotation(name="bike", bounding_box=BOX),  # not in the fixed lists
           BoxAnnotation(bounding_box=BOX)]


@pytest.mark.parametrize("key", ["name", "value", "schema"])
@pytest.mark.parametrize("fixed", [False, True])
def test_class_id_is_the_maps_id_of(tmp_path: Path, key: str, fixed: bool) -> None:
    names = ["car", "person", "walker", "s-person", "tree", "s-sign"]
    plain = ClassMap(names, fixed=True, key=key) if fixed else ClassMap(key=key)
    expected = [plain.id_of(obj) for obj in OBJECTS]  # the plain definition
    classes = ClassMap(names, fixed=True, key=key) if fixed else ClassMap(key=key)
    report = Report()
    writer = get_writer("yolo")(tmp_path / "out", Options(classes=classes), report=report)
    assert [writer.class_id(obj) for obj in OBJECTS] == expected
    assert classes.names == plain.names
    missing = expected.count(None)
    assert dict(report.dropped) == ({classes.missing_reason: missing} if missing else {})


def test_class_id_sees_classes_registered_after_the_writer_was_made(tmp_path: Path) -> None:
    classes = ClassMap()
    writer = get_writer("coco")(tmp_path / "out", Options(classes=classes), report=Report())
    classes.register([BoxAnnotation(name="late", bounding_box=BOX),
                      BoxAnnotation(name="car", bounding_box=BOX)])
    assert writer.class_id(OBJECTS[0]) == 1 == classes.id_of(OBJECTS[0])


def test_a_mask_without_masks_dir_is_dropped_as_mask_files_says(tmp_path: Path) -> None:
    """Shapes.mask drops at once without --masks (no import, no lookup): the
    reason is mask_files' own, as mask_pixels would have counted it."""
    from lbconvert.model import Item, MaskAnnotation
    from lbconvert.write.mask_files import NOT_OFFLINE, mask_pixels
    from lbconvert.write.shapes import MASK_OFFLINE, Shapes

    assert MASK_OFFLINE == NOT_OFFLINE
    mask = MaskAnnotation(name="m")
    item = Item(stem="a", file_name="a.jpg", width=4, height=4, objects=(mask,))
    fast, plain = Report(), Report()
    assert Shapes(fast, Options()).mask(mask, item) is None
    assert mask_pixels(None, mask, item, plain) is None  # the plain definition
    assert fast.dropped == plain.dropped == {NOT_OFFLINE: 1}
