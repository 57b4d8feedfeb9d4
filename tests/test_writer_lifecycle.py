"""The writer lifecycle: __init__ makes nothing on disk, open() makes the
temporary directory, close() moves it into place, abort() removes it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lbconvert.classes import ClassMap
from lbconvert.errors import LbConvertError
from lbconvert.options import Options
from lbconvert.write import get_writer

WRITERS = ["coco", "yolo", "voc", "masks", "jsonl", "geojson"]


@pytest.mark.parametrize("name", WRITERS)
def test_init_makes_nothing_and_open_makes_the_temporary_directory(tmp_path: Path,
                                                                   name: str) -> None:
    writer = get_writer(name)(tmp_path / "out", Options(allow_empty=True))
    assert os.listdir(tmp_path) == []
    with writer:
        (partial,) = os.listdir(tmp_path)
        assert partial.endswith(".partial") and writer.out == tmp_path / partial
    assert os.listdir(tmp_path) == ["out"]


@pytest.mark.parametrize("name", WRITERS)
def test_abort_before_open_leaves_nothing(tmp_path: Path, name: str) -> None:
    get_writer(name)(tmp_path / "out", Options()).abort()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name, options", [
    ("yolo", Options(task="pose")),                                     # no keypoint classes
    ("masks", Options(line_width=-1.0)),                                # not positive
    ("masks", Options(classes=ClassMap([f"c{i}" for i in range(255)], fixed=True))),
    ("voc", Options(segmentation=True,
                    classes=ClassMap([f"c{i}" for i in range(255)], fixed=True))),
])
def test_a_refused_option_leaves_nothing(tmp_path: Path, name: str, options: Options) -> None:
    with pytest.raises(LbConvertError):
        get_writer(name)(tmp_path / "out" / "deeper", options)
    assert os.listdir(tmp_path) == []
