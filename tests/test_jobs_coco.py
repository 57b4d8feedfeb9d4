"""COCO with ``jobs=N``: ids, classes and renamed stems fixed on the workers,
in pieces; the coordinator only concatenates (lbconvert.plan.coco, .coco_fix,
.coco_merge)."""

from __future__ import annotations

import errno
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pytest

from lbconvert import OutputError, convert
from lbconvert.plan import coco as plan_coco
from lbconvert.plan import coco_fix, coco_merge
from lbconvert.plan.partition import PartReader, ndjson_ranges

from .inline import box, point, row, write_export
from .test_jobs import stress_rows, tree_hashes

#: The class of a box, told by its left edge (checked after the merge).
LEFT = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "tip": 6}
SPLITS = {"train": 0.5, "val": 0.5}


def late_rows() -> list[dict[str, Any]]:
    """30 rows of one size, cut in 3 parts of 10 by jobs=3: the last two parts
    start with classes the parts before never saw and use the old ones in
    another order; names repeat within a part and across parts (any case)."""
    rows = []
    for i in range(30):
        names = ["a", "b"] if i < 10 else ["c", "b"] if i < 20 else ["d", "a", "e"]
        objects = [box(name, LEFT[name], 10, 20 + i % 3, 20) for name in names]
        if i % 4 == 1:
            objects.append(point("tip", LEFT[names[0]] + 2, 12))
        key = {12: "img-03.jpg", 15: "IMG-05.JPG", 21: "img-20.jpg", 25: "img-03.jpg",
               27: "img-13.jpg"}.get(i, f"img-{i:02d}.jpg")
        rows.append(row(key, objects, width=300, height=200, row_id=f"row-{i:02d}"))
    return rows


def write_even(path: Path, rows: list[dict[str, Any]]) -> Path:
    """An export whose lines have one length (blanks after the JSON), so
    that jobs=N cuts it into parts of as many rows."""
    lines = [json.dumps(r) for r in rows]
    width = max(len(line) for line in lines)
    path.write_text("".join(line.ljust(width) + "\n" for line in lines))
    return path


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_even(tmp_path_factory.mktemp("late") / "export.ndjson", late_rows())


class RecordingPool(ThreadPoolExecutor):
    """A thread pool that counts the functions it was given, by name."""

    def __init__(self) -> None:
        super().__init__(2)
        self.calls: dict[str, int] = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "Future[Any]":
        self.calls[fn.__name__] = self.calls.get(fn.__name__, 0) + 1
        return super().submit(fn, *args, **kwargs)


def test_the_late_export_is_cut_where_the_classes_change(late: Path) -> None:
    parts = ndjson_ranges(str(late), str(late), 3)
    ids = [[r.id for r in PartReader(part)] for part in parts]
    assert ids == [[f"row-{i:02d}" for i in range(k, k + 10)] for k in (0, 10, 20)]


@pytest.mark.parametrize("options", [
    {"split": SPLITS, "results": True},
    {"results": True, "keypoints": True, "keypoint_names": ["tip"]},
], ids=["splits-results", "keypoints-results"])
def test_late_classes_and_renames_give_the_same_tree(late: Path, tmp_path: Path,
                                                     options: dict[str, Any]) -> None:
    trees = []
    for jobs in (1, 2, 3):
        convert(late, "coco", tmp_path / f"out{jobs}", jobs=jobs, **options)
        trees.append(tree_hashes(tmp_path / f"out{jobs}"))
    assert trees[0] == trees[1] == trees[2]
    out = tmp_path / "out3"
    names = sorted(p.name for p in out.glob("*.json") if p.name != "lbconvert-report.json")
    expected = (["annotations_train.json", "annotations_val.json", "results_train.json",
                 "results_val.json"] if "split" in options else ["annotations.json",
                                                                 "results.json"])
    assert names == expected
    check_late_dataset(out, keypoints="keypoints" in options)


def check_late_dataset(out: Path, keypoints: bool) -> None:
    """Ids from 1 per file, every category_id the object's class, the
    renamed stems in images and manifest alike."""
    from pycocotools.coco import COCO

    file_names: list[str] = []
    for path in sorted(out.glob("annotations*.json")):
        coco = COCO(str(path))
        data = coco.dataset
        assert [c["name"] for c in data["categories"]] == ["a", "b", "tip", "c", "d", "e"]
        assert [i["id"] for i in data["images"]] == list(range(1, len(data["images"]) + 1))
        assert [a["id"] for a in data["annotations"]] \
            == list(range(1, len(data["annotations"]) + 1))
        for annotation in data["annotations"]:
            name = coco.cats[annotation["category_id"]]["name"]
            assert annotation["bbox"][0] == LEFT[name]
            image = coco.imgs[annotation["image_id"]]
            assert image["width"] == 300
        if keypoints:
            assert sum(a.get("num_keypoints", 0) for a in data["annotations"]) == 8
        file_names += [i["file_name"] for i in data["images"]]
        results = out / path.name.replace("annotations", "results")
        listed = json.loads(results.read_text())
        assert [(r["image_id"], r["category_id"], r["bbox"]) for r in listed] \
            == [(a["image_id"], a["category_id"], a["bbox"]) for a in data["annotations"]]
    assert len(file_names) == 30
    renamed = sorted(n for n in file_names if "__" in n)
    assert [n.split("__")[0] for n in renamed] == ["IMG-05", "img-03", "img-03", "img-13",
                                                   "img-20"]
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(m["file_name"] for m in manifest) == sorted(file_names)


@pytest.mark.parametrize("piece", [97, 4096])
def test_sections_fixed_in_many_pieces(late: Path, tmp_path: Path, piece: int,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces cut anywhere (inside records, inside a line) tile the section."""
    convert(late, "coco", tmp_path / "one", split=SPLITS, results=True)
    monkeypatch.setattr(coco_merge, "PIECE_BYTES", piece)
    with RecordingPool() as pool:
        convert(late, "coco", tmp_path / "pieces", executor=pool, jobs=3, split=SPLITS,
                results=True)
    assert tree_hashes(tmp_path / "one") == tree_hashes(tmp_path / "pieces")
    assert pool.calls["write_coco_part"] == 3
    assert pool.calls["fix_manifest"] == 2  # the parts with a renamed stem: 2 and 3
    # images, annotations, results of both splits in part 2, of train in part 3
    # (its rows all fall in train): 9 sections, each cut in pieces
    assert pool.calls["fix_piece"] >= (9 if piece == 4096 else 100)
    assert not [n for n in os.listdir(tmp_path / "pieces") if n.startswith((".", "part-"))]


def test_the_stress_export_in_small_pieces(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Video frames, documents, rows without labels, hostile names, 3 splits."""
    export = write_export(tmp_path / "stress.ndjson", stress_rows())
    options = {"split": {"train": 0.6, "val": 0.3, "test": 0.1}, "results": True}
    convert(export, "coco", tmp_path / "one", **options)
    monkeypatch.setattr(coco_merge, "PIECE_BYTES", 1000)
    convert(export, "coco", tmp_path / "three", jobs=3, **options)
    assert tree_hashes(tmp_path / "one") == tree_hashes(tmp_path / "three")


def test_a_part_without_images(tmp_path: Path) -> None:
    """The middle part draws nothing (its rows have no size): its empty file
    is left out; a whole export without images gives the empty train file."""
    rows = late_rows()
    for number in range(10, 20):
        del rows[number]["media_attributes"]
    export = write_even(tmp_path / "export.ndjson", rows)
    nothing = write_even(tmp_path / "nothing.ndjson", rows[10:20])
    for source in (export, nothing):
        trees = []
        for jobs in (1, 3):
            out = tmp_path / f"{source.stem}{jobs}"
            convert(source, "coco", out, jobs=jobs, results=True)
            trees.append(tree_hashes(out))
        assert trees[0] == trees[1]
    empty = json.loads((tmp_path / "nothing3" / "annotations.json").read_text())
    assert empty["images"] == [] and empty["annotations"] == []
    assert [c["name"] for c in empty["categories"]] == ["c", "b", "tip"]


@pytest.mark.parametrize("block", [5, 1 << 20])
def test_fixing_a_section_piece_by_piece_equals_fixing_it_whole(
        tmp_path: Path, block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """fix_piece on every cut of a real part file (pieces of 1 to 64 bytes
    and the whole section) gives the same bytes, with the shifts applied;
    files read in blocks shorter than a line or a marker, or in one."""
    export = write_export(tmp_path / "export.ndjson", late_rows())
    convert(export, "coco", tmp_path / "out", results=True)
    monkeypatch.setattr(coco_fix, "BLOCK_BYTES", block)
    described = plan_coco._describe(str(tmp_path / "out"), "", True)  # noqa: SLF001
    assert (described.image_count, described.annotation_count) == (30, 70)  # 2 + 2 + 3 boxes per row
    categories = {b"1": b"4", b"2": b"2", b"3": b"1", b"4": b"3", b"5": b"6", b"6": b"5"}
    fixes = [coco_fix.Fix("images", described.path, *described.images, image_shift=7,
                           file_names={2: ("img-01", "renamed")}),
             coco_fix.Fix("annotations", described.path, *described.annotations,
                           image_shift=7, annotation_shift=1000, categories=categories),
             coco_fix.Fix("results", str(described.results), *described.result_records,
                           image_shift=7, categories=categories)]
    for fix in fixes:
        whole = fixed(fix, fix.last - fix.first, tmp_path)
        for size in (1, 2, 7, 64):
            assert fixed(fix, size, tmp_path) == whole, (fix.kind, size)
        original = json.loads(b"[" + read_range(fix.path, fix.first, fix.last) + b"]")
        changed = json.loads(b"[" + whole + b"]")
        assert len(changed) == len(original) > 0
        for before, after in zip(original, changed):
            expected = dict(before)
            if "id" in before:
                expected["id"] += 1000 if fix.kind == "annotations" else 7
            if "image_id" in before:
                expected["image_id"] += 7
            if "category_id" in before:
                expected["category_id"] = int(categories[b"%d" % before["category_id"]])
            if before.get("file_name") == "img-01.jpg":
                expected["file_name"] = "renamed.jpg"
            assert after == expected
            assert list(after) == list(before)  # the keys in the same order


def fixed(fix: coco_fix.Fix, size: int, tmp_path: Path) -> bytes:
    out = b""
    for number, start in enumerate(range(fix.first, fix.last, size)):
        target = str(tmp_path / f"piece-{number}")
        out += Path(coco_fix.fix_piece(coco_fix.Fix(**{
            **vars(fix), "start": start, "end": min(start + size, fix.last),
            "target": target}))).read_bytes()
        os.remove(target)
    return out


def read_range(path: str, start: int, end: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(start)
        return handle.read(end - start)


@pytest.mark.parametrize("failure", ["unsupported", "missing"])
def test_copies_without_copy_file_range(late: Path, tmp_path: Path, failure: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Across file systems (EXDEV) or where the call does not exist, the
    coordinator copies through a buffer: the same bytes."""
    convert(late, "coco", tmp_path / "one", split=SPLITS)
    if failure == "missing":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    else:
        def refuse(*args: Any) -> int:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    with ThreadPoolExecutor(2) as pool:
        convert(late, "coco", tmp_path / "two", executor=pool, jobs=2, split=SPLITS)
    assert tree_hashes(tmp_path / "one") == tree_hashes(tmp_path / "two")


def test_a_failed_fix_leaves_out_untouched(late: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fix: coco_fix.Fix) -> str:
        raise OSError(errno.ENOSPC, "No space left on device", fix.target)
    monkeypatch.setattr(coco_merge, "fix_piece", no_space)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old dataset")
    with ThreadPoolExecutor(2) as pool, pytest.raises(OutputError) as failure:
        convert(late, "coco", out, executor=pool, jobs=3, overwrite=True)
    assert str(failure.value).startswith(
        f"cannot write the dataset for {out}: No space left on device")
    assert os.listdir(out) == ["old.txt"]
    assert os.listdir(tmp_path) == ["out"]
