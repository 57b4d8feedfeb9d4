"""The Python API as a data-prep script calls it, ``--jobs`` on odd inputs and
odd option combinations (third attack round): a wrong value is one clear
:class:`lbconvert.LbConvertError` naming the option, never an AttributeError
or TypeError from deep inside a writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import lbconvert
from lbconvert.classes import ClassMap
from lbconvert.cli import main

from .inline import box, row, write_export


def small_export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "e.ndjson", [row("img-1.jpg", [box("car", 20, 10, 60, 40)])])


@pytest.mark.parametrize(
    "options, message",
    [
        (
            {"split": {"train": "0.8", "val": "0.2"}},
            "split= must be a mapping of split names to fractions",
        ),
        ({"split": "train=0.8,val=0.2"}, "split= must be a mapping of split names to fractions"),
        ({"split": {1: 1.0}}, "split= must be a mapping of split names to fractions"),
        ({"classes": ["car"]}, "classes= must be a ClassMap (ClassMap.from_file or from_ontology)"),
        ({"status": 1}, "status= must be a string"),
        ({"project": 123}, "project= must be a string"),
        ({"images": 3}, "images= must be a path"),
        ({"line_width": "3"}, "line_width= must be a number"),
        ({"max_pixels": "100"}, "max_pixels= must be a positive number of pixels"),
        ({"max_pixels": 0}, "max_pixels= must be a positive number of pixels"),
        ({"max_pixels": True}, "max_pixels= must be a positive number of pixels"),
        ({"max_record_bytes": True}, "max_record_bytes= must be a positive number of bytes"),
        ({"keypoint_names": "nose"}, "keypoint_names= must be a list of strings"),
        ({"allow": "unlabeled", "strict": True}, "allow= must be a list of strings"),
    ],
)
def test_an_option_of_the_wrong_type_is_named(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    """These reached a writer (AttributeError: 'list' object has no attribute
    'ids_by_name'; '<=' not supported between 'int' and 'str'), or were taken
    letter by letter (keypoint_names="nose", allow="unlabeled")."""
    with pytest.raises(lbconvert.LbConvertError) as error:
        lbconvert.convert(small_export(tmp_path), "masks", tmp_path / "out", **options)
    assert str(error.value) == message
    assert not (tmp_path / "out").exists()


def test_a_path_option_may_be_a_string(tmp_path: Path) -> None:
    """images="/data/imgs" was a TypeError in images.py ('str' / 'str')."""
    (tmp_path / "imgs").mkdir()
    report = lbconvert.convert(
        small_export(tmp_path), "yolo", tmp_path / "out", images=str(tmp_path / "imgs")
    )
    assert report.items == 1
    assert (tmp_path / "out/labels/train/img-1.txt").read_text().startswith("0 ")


@pytest.mark.parametrize("jobs", ["2", 2.0])
def test_jobs_of_the_wrong_type_is_named(tmp_path: Path, jobs: Any) -> None:
    """jobs="2" was "'<' not supported between 'str' and 'int'", jobs=2.0 a
    TypeError from the partitioner."""
    with pytest.raises(lbconvert.LbConvertError) as error:
        lbconvert.convert(small_export(tmp_path), "coco", tmp_path / "out", jobs=jobs)
    assert str(error.value) == f"jobs must be a whole number of processes, not {jobs!r}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["../x", "a/b", "", "."])
def test_a_split_name_that_is_no_file_name_is_refused_from_python(
    tmp_path: Path, name: str
) -> None:
    """The command line refused these (parse_split); from Python coco failed
    with "cannot write the dataset ...: No such file or directory" and voc,
    masks, jsonl wrote the split under a mangled name."""
    for to in ("coco", "voc"):
        with pytest.raises(lbconvert.LbConvertError) as error:
            lbconvert.convert(small_export(tmp_path), to, tmp_path / to, split={name: 1.0})
        assert str(error.value) == f"bad split name {name!r}"
        assert not (tmp_path / to).exists()


def test_a_ready_options_object_is_checked_like_keywords(tmp_path: Path) -> None:
    """options=Options(task="x") went unchecked (the writer then failed or
    chose for itself) and options={...} was an AttributeError."""
    export = small_export(tmp_path)
    with pytest.raises(lbconvert.LbConvertError) as error:
        lbconvert.convert(export, "yolo", tmp_path / "out", options=lbconvert.Options(task="x"))  # type: ignore[arg-type]
    assert str(error.value) == "task= must be one of detect, segment, pose, obb, not 'x'"
    with pytest.raises(lbconvert.LbConvertError) as error:
        lbconvert.convert(export, "yolo", tmp_path / "out", options={"task": "obb"})  # type: ignore[arg-type]
    assert str(error.value) == "options= must be an Options, not dict"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("source", [5, None, b"e.ndjson", b'{"data_row": {}}\n'])
def test_read_refuses_what_is_no_path_or_file(tmp_path: Path, source: Any) -> None:
    """read(5), read(None) and read(bytes) were "AttributeError: 'int' object
    has no attribute 'readable'" (convert() took bytes for a path the same way)."""
    name = type(source).__name__
    with pytest.raises(lbconvert.LbConvertError) as error:
        lbconvert.read(source)
    assert str(error.value) == f"export must be a path or a binary file object, not {name}"
    if isinstance(source, bytes):
        with pytest.raises(lbconvert.LbConvertError) as error:
            lbconvert.convert(source, "coco", tmp_path / "out")
        assert str(error.value) == f"export must be a path or a binary file object, not {name}"
        assert not (tmp_path / "out").exists()


def test_a_classes_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    """A classes.txt saved by a Windows editor: the first class was
    '\\ufeffcar', and every car was dropped as "class not in classes file"."""
    (tmp_path / "classes.txt").write_bytes(b"\xef\xbb\xbfcar\r\nperson\r\n")
    classes = lbconvert.ClassMap.from_file(tmp_path / "classes.txt")
    report = lbconvert.convert(small_export(tmp_path), "coco", tmp_path / "out", classes=classes)
    assert report.annotations_written == 1
    data = json.loads((tmp_path / "out/annotations.json").read_text())
    assert [c["name"] for c in data["categories"]] == ["car", "person"]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"car\n\n\xff\xfe\n", "classes.txt:3: not UTF-8 text"),
        (b"car\n\nperson\ncar\n", "classes.txt:4: class 'car' is listed twice"),
    ],
)
def test_a_bad_classes_file_names_the_line(
    tmp_path: Path, capsys: Any, monkeypatch: Any, content: bytes, message: str
) -> None:
    """Bytes that are not UTF-8 were "internal error: UnicodeDecodeError"; a
    duplicate named neither the file nor the line."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "classes.txt").write_bytes(content)
    export = small_export(tmp_path)
    args = ["convert", str(export), "--to", "yolo", "-o", "out", "--classes", "classes.txt"]
    assert main(args) == 1
    assert capsys.readouterr().err == f"lbconvert: error: {message}\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"out": None}, "out must be a path, not NoneType"),
    ({"out": 3}, "out must be a path, not int"),
    ({"progress": 3}, "progress must be a callable, not int"),
])
def test_out_and_progress_of_the_wrong_type_are_named(
        tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    """They were Python's own TypeErrors (from pathlib; 'int' object is not callable)."""
    args = {"out": tmp_path / "out", **kwargs}
    with pytest.raises(lbconvert.LbConvertError) as error:
        lbconvert.convert(small_export(tmp_path), "coco", **args)
    assert str(error.value) == message
    assert sorted(p.name for p in tmp_path.iterdir()) == [small_export(tmp_path).name]


def test_an_ontology_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    ontology = tmp_path / "ontology.json"
    ontology.write_bytes(b"\xef\xbb\xbf" + json.dumps(
        {"tools": [{"name": "car", "tool": "rectangle"}]}).encode())
    assert ClassMap.from_ontology(ontology).names == ["car"]
