"""The typed Python API: options, keyword errors, rows as input, exports, mypy."""

from __future__ import annotations

import subprocess
import sys

import dataclasses
import io
import json
from pathlib import Path
from typing import get_type_hints

import pytest

import lbconvert
from lbconvert.options import ConvertOptions, Options, UnknownOptionError

from .inline import box, polygon, row, write_export

TYPING = Path(__file__).parent / "typing"


def _export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "export.ndjson", [
        row("a.jpg", [box("car", 10, 10, 20, 20), polygon("road", [(0, 0), (50, 0), (0, 40)])]),
        row("b.jpg", [box("car", 5, 5, 10, 10)]),
        row("c.jpg", []),
    ])


def test_convert_options_lists_every_option_with_its_type() -> None:
    fields = {f.name: f.type for f in dataclasses.fields(Options)}
    assert set(ConvertOptions.__annotations__) == set(fields)
    hints = get_type_hints(ConvertOptions)
    option_hints = get_type_hints(Options)
    assert all(hints[name] == option_hints[name] for name in fields)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"splitt": 0.5}, "unknown option 'splitt' (did you mean 'split'?)"),
    ({"keypoint": True}, "unknown option 'keypoint' (did you mean 'keypoints'?)"),
    ({"zzz": 1}, "unknown option 'zzz'"),
])
def test_misspelt_keyword_is_named(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UnknownOptionError) as caught:
        lbconvert.convert(_export(tmp_path), "coco", tmp_path / "out", **kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == message
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, lbconvert.LbConvertError)
    assert not (tmp_path / "out").exists()


def test_api_errors_name_keywords_cli_errors_name_flags(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(lbconvert.LbConvertError, match=r"^task= must be one of detect, segment, "
                                                       r"pose, obb, not 'detct'$"):
        Options.from_kwargs(task="detct")
    with pytest.raises(lbconvert.LbConvertError, match=r"^every= must be an integer"):
        Options.from_kwargs(every=0)
    with pytest.raises(lbconvert.LbConvertError, match=r"keypoint_names="):
        lbconvert.convert(_export(tmp_path), "yolo", tmp_path / "y", task="pose")
    from lbconvert.cli import main

    assert main(["convert", str(_export(tmp_path)), "--to", "yolo", "-o", str(tmp_path / "c"),
                 "--every", "0"]) == 1
    assert capsys.readouterr().err == "lbconvert: error: --every must be an integer of at least 1\n"
    assert main(["convert", str(_export(tmp_path)), "--to", "yolo", "-o", str(tmp_path / "c"),
                 "--task", "pose"]) == 1
    assert "--keypoints" in capsys.readouterr().err


def test_convert_takes_rows_read_and_filtered(tmp_path: Path) -> None:
    export = _export(tmp_path)
    rows = [r for r in lbconvert.read(export) if r.data_row.global_key != "b.jpg"]
    report = lbconvert.convert(rows, "coco", tmp_path / "rows")
    assert (report.data_rows, report.items, report.annotations_written) == (2, 2, 2)
    assert report.is_balanced()
    coco = json.loads((tmp_path / "rows" / "annotations.json").read_text())
    assert [i["file_name"] for i in coco["images"]] == ["a.jpg", "c.jpg"]
    whole = lbconvert.convert(export, "coco", tmp_path / "file")
    assert whole.items == 3


def test_rows_that_are_not_data_rows_are_refused(tmp_path: Path) -> None:
    with pytest.raises(lbconvert.LbConvertError, match=r"^export\[1\]: expected a DataRow, got dict$"):
        rows = [next(iter(lbconvert.read(_export(tmp_path)))), {"data_row": {}}]
        lbconvert.convert(rows, "coco", tmp_path / "out")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_text_mode_file_is_a_clear_error(tmp_path: Path) -> None:
    export = _export(tmp_path)
    with open(export, encoding="utf-8") as text, \
            pytest.raises(lbconvert.LbConvertError, match=r"text-mode file object; open the "
                                                          r"export in binary mode \('rb'\)"):
        lbconvert.convert(text, "coco", tmp_path / "out")  # type: ignore[arg-type]
    with pytest.raises(lbconvert.LbConvertError, match="text-mode"):
        lbconvert.convert(io.StringIO("{}"), "coco", tmp_path / "out")  # type: ignore[arg-type]
    with open(export, "rb") as binary:
        assert lbconvert.convert(binary, "coco", tmp_path / "out").items == 3


def test_what_users_compose_with_is_exported() -> None:
    from lbconvert.classes import ClassMap
    from lbconvert.select import Selector
    from lbconvert.write.base import Writer

    assert (lbconvert.Selector, lbconvert.ClassMap, lbconvert.Writer) == (Selector, ClassMap, Writer)
    assert {"Selector", "ClassMap", "Writer", "ConvertOptions"} <= set(lbconvert.__all__)
    coco = lbconvert.get_writer("coco")
    assert issubclass(coco, lbconvert.Writer) and coco.name == "coco"


def test_items_filtered_by_hand_keep_the_report_balanced(tmp_path: Path) -> None:
    from lbconvert.write.coco import CocoWriter

    report = lbconvert.Report()
    options = Options()
    selector = lbconvert.Selector(options, report)
    with CocoWriter(tmp_path / "out", options, report=report) as writer:
        for data_row in lbconvert.read(_export(tmp_path)):
            for item in selector.items(data_row):
                if item.stem == "a":
                    report.leave_out(item, "filtered by hand")
                else:
                    writer.add(item)
    assert report.items == 2  # counted by the writer base class
    assert report.dropped == {"filtered by hand": 2}
    assert report.items_skipped == {"filtered by hand": 1}
    assert report.is_balanced()


def test_mypy_strict_passes_on_the_package_and_the_example_but_not_a_misspelt_copy(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """One mypy run (``[tool.mypy]`` of pyproject.toml: strict) over the
    package, the typed example, and the example with two options misspelt:
    the only errors are the misspelt copy's."""
    pytest.importorskip("mypy")
    root = TYPING.parent.parent
    good = (TYPING / "typed_example.py").read_text(encoding="utf-8")
    store = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    cache = store.mkdir("mypy") if store is not None else tmp_path
    misspelt = cache / "misspelt_example.py"  # a stable path: mypy's cache keys on it
    assert 'layout="coco2017", every=2' in good
    misspelt.write_text(good.replace('every=2', 'everyy=2')
                            .replace('"task": "segment"', '"task": "segmnt"'), encoding="utf-8")
    # In a process of its own: mypy raises the interpreter's recursion limit.
    done = subprocess.run([
        sys.executable, "-m", "mypy", "--config-file", str(root / "pyproject.toml"), "--strict",
        "--cache-dir", str(cache / "cache"), "--no-error-summary", str(root / "lbconvert"),
        str(TYPING / "typed_example.py"), str(misspelt)],
        capture_output=True, text=True, timeout=600)
    stdout, stderr, status = done.stdout, done.stderr, done.returncode
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 1, stderr
    assert all(Path(line.split(":")[0]).name == misspelt.name for line in errors), errors
    assert any('"everyy"' in line for line in errors), errors
    task_line = next(number for number, line in enumerate(good.splitlines(), 1)
                     if '"task": "segment"' in line)
    assert any(f"{misspelt.name}:{task_line}: error: Incompatible types" in line
               for line in errors), errors


def test_read_refuses_a_text_mode_file_too(tmp_path: Path) -> None:
    with open(_export(tmp_path), encoding="utf-8") as text, \
            pytest.raises(lbconvert.LbConvertError, match=r"export.ndjson: a text-mode file"):
        lbconvert.read(text)  # type: ignore[arg-type]
