"""A third-party writer installed as an ``lbconvert.writers`` entry point: the
README's example plugin (tests/plugin/lbconvert_csv.py), made an installed
distribution by a dist-info directory on PYTHONPATH, run through the CLI."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lbconvert
from lbconvert.write.base import Writer

from .conftest import FIXTURES, ROOT
from .inline import box, point, row, write_export

PLUGIN = Path(__file__).parent / "plugin" / "lbconvert_csv.py"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory that looks like site-packages with the plugin installed."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(PLUGIN, site / "lbconvert_csv.py")
    info = site / "lbconvert_csv-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lbconvert-csv\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lbconvert.writers]\ncsv = lbconvert_csv:CsvWriter\n")
    return site


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    return subprocess.run([sys.executable, "-m", "lbconvert", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_the_readme_shows_the_tested_plugin() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert PLUGIN.read_text(encoding="utf-8") in readme


def test_formats_lists_the_plugin_with_its_description_and_options(site: Path) -> None:
    done = run(site, "formats")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "csv        one CSV row per box: image, class, left, top, width, height" in lines
    assert any("--writer-option delimiter=<str>, default ',': field separator" in line
               for line in lines)
    assert any("--writer-option header=<bool>, default True: write a header row" in line
               for line in lines)
    assert any(line.startswith("coco       ") for line in lines)


def test_plugin_converts_with_typed_writer_options(site: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "e.ndjson", [
        row("a.jpg", [box("car", 1, 2, 3, 4), point("tip", 1, 1)]),
        row("b.jpg", [box("bus", 5, 6, 7, 8)])])
    out = tmp_path / "out"
    done = run(site, "convert", str(export), "--to", "csv", "-o", str(out),
               "--writer-option", "delimiter=;", "--writer-option", "header=no")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 data rows -> 2 items, 2 annotations written, 1 dropped")
    with open(out / "boxes.csv", newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle, delimiter=";")) == [
            ["a.jpg", "car", "1.0", "2.0", "3.0", "4.0"], ["b.jpg", "bus", "5.0", "6.0", "7.0", "8.0"]]
    bad = run(site, "convert", str(export), "--to", "csv", "-o", str(tmp_path / "bad"),
              "--writer-option", "header=maybe")
    assert (bad.returncode, bad.stderr) == (1, "lbconvert: error: --writer-option header=maybe: "
                                               "expected true or false\n")
    unknown = run(site, "convert", str(export), "--to", "csv", "-o", str(tmp_path / "bad"),
                  "--writer-option", "quote=all")
    assert unknown.returncode == 1
    assert unknown.stderr == ("lbconvert: error: --writer-option quote: not an option of the csv "
                              "writer (its options: delimiter, header)\n")
    assert not (tmp_path / "bad").exists()


def test_items_are_counted_once_by_the_base_class(tmp_path: Path) -> None:
    """A writer that counts nothing, and one whose write() calls its parent's."""
    sys.path.insert(0, str(PLUGIN.parent))
    try:
        from lbconvert_csv import CsvWriter
    finally:
        sys.path.remove(str(PLUGIN.parent))

    class Wrapped(CsvWriter):
        def write(self, item: lbconvert.Item) -> None:
            super().write(item)

    for cls in (CsvWriter, Wrapped):
        report = lbconvert.Report()
        options = lbconvert.Options(extra={"header": False}, project="cl3vyrz2zafeq76e6zyfvrz89")
        selector = lbconvert.Selector(options, report)
        with cls(tmp_path / cls.__name__, options, report=report) as writer:
            for data_row in lbconvert.read(FIXTURES / "v2/images.ndjson"):
                for item in selector.items(data_row):
                    writer.add(item)
        assert report.items == sum(s["items"] for s in report.splits.values()) == 5
        assert isinstance(writer, Writer)


def test_a_writer_overriding_add_is_refused_at_class_creation() -> None:
    with pytest.raises(TypeError, match="implements write"):
        class Old(Writer):
            def add(self, item: lbconvert.Item) -> None:
                pass
