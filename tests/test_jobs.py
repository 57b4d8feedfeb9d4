"""``jobs=N`` / ``executor=``: the same files, bytes and report as one process."""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from lbconvert import convert
from lbconvert.errors import ExportFormatError, LbConvertError
from lbconvert.plan import serial_reason
from lbconvert.options import Options
from lbconvert.plan.partition import PartReader, ndjson_ranges
from lbconvert.report import Report

from .conftest import ROOT
from .inline import box, point, polygon, polyline, row, write_export

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
WRITERS = ["coco", "yolo", "voc", "masks", "jsonl", "geojson"]


def stress_rows() -> list[dict[str, Any]]:
    """Rows that exercise every global fact of the merge: the same name in
    early and late rows (any case), a row named like a renamed one, hostile
    names, classes first seen late, rows without labels, video and
    document rows, several splits."""
    media = [json.loads(line) for line in (FIXTURES / "v2" / "media.ndjson").open()]
    rows: list[dict[str, Any]] = []
    for i in range(60):
        objects = [box("car" if i % 3 else "person", 10 + i % 7, 5, 30.5, 20),
                   polygon("road", [(0, 0), (50, 0), (50, 40 + i % 5), (0, 40)])]
        if i % 11 == 0:
            objects.append(polyline("lane", [(1, 1), (90, 60)]))
        if i >= 50:
            objects.append(box(f"late-{i % 3}", 40, 30, 10, 10))
        if i % 13 == 5:
            objects.append(point("tip", 12, 12))
        key = {3: "dup.jpg", 29: "DUP.jpg", 47: "dup.png", 58: "../../x/dup.jpg", 8: "con",
               17: "a" * 300, 41: "a" * 300}.get(i, f"img-{i:03d}.jpg")
        rows.append(row(key, objects if i % 9 != 4 else [], width=200 + i, height=100))
        if i == 20:
            rows.append(row("dup__renamed-looking.jpg", [box("car", 1, 1, 5, 5)]))
        if i % 12 == 6:
            rows.append(media[(i // 12) % len(media)])
    rows.append(row("unlabeled-last", []))
    rows[-1]["projects"]["p"]["labels"] = []
    rows.extend(media[:3])
    return rows


def tree_hashes(root: Path) -> dict[str, str]:
    found = {}
    for directory, _, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            key = path.relative_to(root).as_posix()
            found[key] = ("link:" + os.readlink(path) if path.is_symlink()
                          else hashlib.sha256(path.read_bytes()).hexdigest())
    for directory, subdirectories, _ in os.walk(root):
        for name in subdirectories:
            found[Path(directory, name).relative_to(root).as_posix() + "/"] = "dir"
    return found


@pytest.fixture(scope="module")
def stress(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_export(tmp_path_factory.mktemp("stress") / "export.ndjson", stress_rows())


OPTIONS = {"split": {"train": 0.6, "val": 0.3, "test": 0.1}}


@pytest.mark.parametrize("to", WRITERS)
def test_jobs_give_the_same_tree(stress: Path, tmp_path: Path, to: str) -> None:
    trees, reports = [], []
    for jobs in (1, 2, 3):
        out = tmp_path / f"out{jobs}"
        reports.append(convert(stress, to, out, jobs=jobs, **OPTIONS).to_dict())
        trees.append(tree_hashes(out))
    assert trees[0] == trees[1] == trees[2]
    assert reports[0] == reports[1] == reports[2]
    assert reports[0]["warnings"].get("duplicate file name, renamed", 0) >= 4
    assert sorted(os.listdir(tmp_path)) == ["out1", "out2", "out3"]  # no leftovers


_START_METHOD_SCRIPT = """
import multiprocessing, sys
import lbconvert
multiprocessing.set_start_method(sys.argv[1], force=True)
if __name__ == "__main__":
    lbconvert.convert(sys.argv[2], sys.argv[3], sys.argv[4], jobs=2, **{OPTIONS!r})
"""


@pytest.mark.parametrize("method", [m for m in ("fork", "spawn", "forkserver")
                                    if m in multiprocessing.get_all_start_methods()])
@pytest.mark.parametrize("to", ["voc", "coco"])
def test_every_start_method_gives_the_same_tree(stress: Path, tmp_path: Path, method: str,
                                                to: str) -> None:
    """A forkserver worker's parent is the fork server: the worker must not
    take that for its converting process being gone (Python 3.14's default)."""
    convert(stress, to, tmp_path / "one", **OPTIONS)
    script = tmp_path / "run.py"
    script.write_text(_START_METHOD_SCRIPT.replace("{OPTIONS!r}", repr(OPTIONS)))
    done = subprocess.run([sys.executable, str(script), method, str(stress), to,
                           str(tmp_path / "two")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert tree_hashes(tmp_path / "two") == tree_hashes(tmp_path / "one")


def test_the_stress_export_really_is_cut(stress: Path) -> None:
    """jobs=2 cuts it into 4 parts, each with rows, and runs partitioned."""
    parts = ndjson_ranges(str(stress), str(stress), 4)
    counts = [sum(1 for _ in PartReader(part)) for part in parts]
    assert len(counts) == 4 and min(counts) >= 5
    assert sum(counts) == len(stress.read_text().splitlines())
    assert serial_reason(stress, "coco", Options()) is None


@pytest.mark.parametrize("to", ["coco", "yolo", "voc", "masks"])
def test_single_split_and_options(stress: Path, tmp_path: Path, to: str) -> None:
    """One split (COCO's annotations.json, masks without split directories),
    with COCO results and VOC segmentation."""
    extra = {"coco": {"results": True}, "voc": {"segmentation": True},
             "masks": {"instances": True}, "yolo": {"task": "segment"}}[to]
    trees = []
    for jobs in (1, 3):
        out = tmp_path / f"out{jobs}"
        convert(stress, to, out, jobs=jobs, **extra)
        trees.append(tree_hashes(out))
    assert trees[0] == trees[1]


def test_coco_ids_run_on_across_parts(stress: Path, tmp_path: Path) -> None:
    convert(stress, "coco", tmp_path / "out", jobs=3, results=True)
    data = json.loads((tmp_path / "out" / "annotations.json").read_text())
    assert [image["id"] for image in data["images"]] == list(range(1, len(data["images"]) + 1))
    assert [a["id"] for a in data["annotations"]] == list(range(1, len(data["annotations"]) + 1))
    names = [c["name"] for c in data["categories"]]
    assert names[:4] == ["person", "road", "lane", "car"]
    assert names.index("car") < names.index("late-2") < names.index("late-0") < names.index("late-1")
    file_names = [image["file_name"] for image in data["images"]]
    assert len(set(n.lower() for n in file_names)) == len(file_names)
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {r["image_id"] for r in results} == {a["image_id"] for a in data["annotations"]}


@pytest.mark.parametrize("shape", ["gzip", "array", "legacy"])
def test_other_input_shapes_run_in_one_process(tmp_path: Path, shape: str) -> None:
    source = {"gzip": FIXTURES / "v2" / "media.ndjson", "array": FIXTURES / "v2" / "images.json",
              "legacy": FIXTURES / "legacy" / "array.json"}[shape]
    if shape == "gzip":
        source = tmp_path / "export.bin"
        source.write_bytes(gzip.compress((FIXTURES / "v2" / "media.ndjson").read_bytes()))
    assert serial_reason(source, "coco", Options()) is not None
    extra = {"project": "cl3vyrz2zafeq76e6zyfvrz89"} if shape == "array" else {}
    for to in ("coco", "jsonl"):
        trees = []
        for jobs in (1, 2):
            out = tmp_path / f"{to}{jobs}"
            convert(source, to, out, jobs=jobs, **extra)
            trees.append(tree_hashes(out))
        assert trees[0] == trees[1]


def late_bad_line(stress: Path, tmp_path: Path, bad: bytes) -> tuple[Path, int]:
    lines = stress.read_bytes().splitlines(keepends=True)
    number = len(lines) - 5
    lines[number - 1] = bad
    path = tmp_path / "bad.ndjson"
    path.write_bytes(b"".join(lines))
    return path, number


@pytest.mark.parametrize("bad", [b"{not json\n", b'{"data_row": 3}\n', b"garbage\n"])
@pytest.mark.parametrize("to", ["coco", "voc"])
def test_a_bad_line_in_a_late_part(stress: Path, tmp_path: Path, bad: bytes, to: str) -> None:
    path, number = late_bad_line(stress, tmp_path, bad)
    message = same_failure_for_every_jobs(path, to, tmp_path, ExportFormatError)
    assert f"bad.ndjson:{number}:" in message


def same_failure_for_every_jobs(export: Path, to: str, tmp_path: Path,
                                error: "type[Exception]") -> str:
    """Convert with jobs 1, 2 and 3 over an old dataset: the same one-line
    error each time, the old dataset untouched, nothing left beside it.
    Returns the message."""
    messages = []
    for jobs in (1, 2, 3):
        out = tmp_path / f"out{jobs}"
        out.mkdir()
        (out / "old.txt").write_text("old dataset")
        with pytest.raises(error) as caught:
            convert(export, to, out, jobs=jobs, overwrite=True)
        messages.append(str(caught.value))
        assert os.listdir(out) == ["old.txt"]
    assert messages[0] == messages[1] == messages[2]
    assert sorted(os.listdir(tmp_path)) == [export.name, "out1", "out2", "out3"]
    return messages[0]


def test_strict_fails_alike(stress: Path, tmp_path: Path) -> None:
    messages = []
    for jobs in (1, 2):
        with pytest.raises(LbConvertError) as caught:
            convert(stress, "yolo", tmp_path / f"out{jobs}", jobs=jobs, strict=True)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and messages[0].startswith("strict:")
    assert os.listdir(tmp_path) == []


def test_any_executor(stress: Path, tmp_path: Path) -> None:
    """executor= takes any concurrent.futures.Executor (threads here)."""
    convert(stress, "voc", tmp_path / "one", **OPTIONS)
    with ThreadPoolExecutor(2) as pool:
        convert(stress, "voc", tmp_path / "pool", executor=pool, jobs=3, **OPTIONS)
    assert tree_hashes(tmp_path / "one") == tree_hashes(tmp_path / "pool")


def test_bad_options_fail_before_reading(stress: Path, tmp_path: Path) -> None:
    with pytest.raises(LbConvertError, match="keypoint"):
        convert(stress, "yolo", tmp_path / "out", jobs=2, task="pose")
    assert os.listdir(tmp_path) == []


def test_jobs_zero_is_every_core_and_negative_is_refused(stress: Path, tmp_path: Path) -> None:
    convert(stress, "jsonl", tmp_path / "out", jobs=0)
    assert (tmp_path / "out" / "items.jsonl").exists()
    with pytest.raises(LbConvertError, match="jobs"):
        convert(stress, "jsonl", tmp_path / "out2", jobs=-1)


def test_report_merge_sums_every_counter() -> None:
    first, second = Report(), Report()
    first.items, second.items = 2, 3
    first.dropped["a"] = 1
    second.dropped.update({"a": 2, "b": 1})
    second.per_split = {"train": {"items": 4}}  # a nested counter another version may add
    first.merge(second)
    assert first.items == 5 and first.dropped == {"a": 3, "b": 1}
    assert first.per_split == {"train": {"items": 4}}


def test_progress_reaches_the_whole_file(stress: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    convert(stress, "coco", tmp_path / "out", jobs=2,
            progress=lambda meter: seen.append((meter.bytes_read(), meter.total_bytes)))
    assert seen and seen[-1][0] == seen[-1][1] > 0
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_rows_given_as_an_iterable_run_in_one_process(stress: Path, tmp_path: Path) -> None:
    from lbconvert import read

    convert(read(stress), "jsonl", tmp_path / "rows", jobs=2)
    convert(stress, "jsonl", tmp_path / "path")
    assert tree_hashes(tmp_path / "rows") == tree_hashes(tmp_path / "path")


@pytest.mark.parametrize("to", ["coco", "yolo"])
def test_a_selection_error_in_a_late_part_names_the_record(stress: Path, tmp_path: Path,
                                                          to: str) -> None:
    """Line numbers in messages of the select stage are those of the whole file too."""
    two_projects = json.loads((FIXTURES / "v2" / "images.ndjson").read_text().splitlines()[6])
    path, number = late_bad_line(stress, tmp_path, json.dumps(two_projects).encode() + b"\n")
    messages = []
    for jobs in (1, 3):
        with pytest.raises(LbConvertError) as caught:
            convert(path, to, tmp_path / f"out{jobs}", jobs=jobs)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and f"(record {number})" in messages[0]
    assert sorted(os.listdir(tmp_path)) == ["bad.ndjson"]
