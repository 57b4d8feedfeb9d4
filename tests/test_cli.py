"""The console script, run as users run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import lbconvert

from .conftest import FIXTURES


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lbconvert", *args],
                          capture_output=True, text=True, timeout=120)


def test_inspect_json() -> None:
    done = run("inspect", str(FIXTURES / "v2/images.ndjson"), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["format"] == "v2-ndjson"
    assert summary["data_rows"] == 7
    assert summary["objects"]["bbox"] == 8
    assert summary["classes"]["car"] == 4
    assert summary["media"] == {"image": 7}


def test_inspect_human_summary() -> None:
    done = run("inspect", str(FIXTURES / "legacy/array.json"))
    assert done.returncode == 0, done.stderr
    assert "legacy-json" in done.stdout
    assert "data rows:         4" in done.stdout


def test_bad_input_is_one_line_not_a_traceback() -> None:
    done = run("inspect", str(FIXTURES / "bad/missing_width.ndjson"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "missing_width.ndjson:2:" in lines[0] and "missing 'width'" in lines[0]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    done = run("inspect", str(tmp_path / "nope.ndjson"))
    assert done.returncode == 1
    assert "nope.ndjson" in done.stderr and "Traceback" not in done.stderr


def test_formats_lists_every_registered_writer() -> None:
    done = run("formats")
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert names == ["coco", "geojson", "jsonl", "masks", "voc", "yolo"]


def test_third_party_writers_come_from_entry_points(monkeypatch, tmp_path: Path) -> None:
    from importlib.metadata import EntryPoint

    import lbconvert.write as registry

    class CountingWriter(registry.Writer):
        name = "counting"
        needs_image_size = False  # legacy rows carry no size

        def write(self, item) -> None:
            self.report.annotations_written += len(item.objects)

    monkeypatch.setattr(registry, "entry_points", lambda group: [EntryPoint(
        name="counting", value="tests.test_cli:CountingWriter", group=group)]
        if group == "lbconvert.writers" else [])
    monkeypatch.setattr(sys.modules[__name__], "CountingWriter", CountingWriter, raising=False)
    registry._loaded.pop("counting", None)
    assert "counting" in registry.writer_names()
    report = lbconvert.convert(FIXTURES / "legacy/array.json", "counting", tmp_path / "out")
    assert report.annotations_written == report.objects_read > 0
