"""The one-pass plan of the per-image writers (:mod:`lbconvert.plan.onepass`):
parts written at once from a seed, the ones the export's facts contradict
written again, and the same bytes as one process in every case."""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pytest

from lbconvert import convert
from lbconvert.errors import LbConvertError
from lbconvert.plan import ONE_PART_PER_WORKER, PARTS_PER_JOB, onepass
from lbconvert.plan.partition import PartReader, ndjson_ranges
from lbconvert.select.items import split_of

from .inline import box, row, write_export
from .test_jobs import FIXTURES, same_failure_for_every_jobs, tree_hashes

PER_IMAGE = ["voc", "yolo", "masks", "jsonl", "geojson"]
ROWS = 40
SPLITS = {"train": 0.8, "val": 0.2}


def _row_id(index: int, split: str) -> str:
    """A data row id that ``SPLITS`` puts in ``split`` (found by trying)."""
    tries = 0
    while split_of(f"id-{index:03d}-{tries:04d}", SPLITS.items()) != split:
        tries += 1
    return f"id-{index:03d}-{tries:04d}"  # one length: rows of equal length


def _rows(change: Callable[[int, list[dict[str, Any]]], None] = lambda i, rows: None
          ) -> list[dict[str, Any]]:
    """40 image rows of about equal length (so 4 parts hold 10 each, 6 parts
    6 or 7), classes A and B from the first row, every row in ``train``;
    ``change(i, rows)`` may alter row ``i`` (the last of ``rows``)."""
    rows: list[dict[str, Any]] = []
    for i in range(ROWS):
        rows.append(row(f"img-{i:03d}.jpg", [box("A", 10, 5, 30, 20), box("B", 50, 5, 30, 20)],
                        row_id=_row_id(i, "train")))
        change(i, rows)
    return rows


def _late_classes(i: int, rows: list[dict[str, Any]]) -> None:
    """C first seen in row 14, then D before C in row 30, a later part (with
    2, 3, 4 or 6 parts): that part's own ids (D 2, C 3) are not the export's
    (C 2, D 3)."""
    objects = rows[-1]["projects"]["p"]["labels"][0]["annotations"]["objects"]
    if i == 14:
        objects.append(box("C", 1, 1, 5, 5))
    if i == 30:
        objects[:] = [box("D", 1, 1, 5, 5), box("C", 2, 2, 5, 5)]


@pytest.fixture
def small_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A seed of the first 2 rows (the coordinator reads it): C and D come after."""
    monkeypatch.setattr(onepass, "SEED_ROWS", 2)


def _duplicate_stem(i: int, rows: list[dict[str, Any]]) -> None:
    """Row 33 (part 3) is named like row 2 (part 0), in another case."""
    if i == 33:
        rows[-1] = row("IMG-002.jpg", [box("A", 10, 5, 30, 20), box("B", 50, 5, 30, 20)],
                       row_id=_row_id(i, "train"))


def _late_split(i: int, rows: list[dict[str, Any]]) -> None:
    """Row 35 (part 3) is the only one in ``val``."""
    if i == 35:
        rows[-1]["data_row"]["id"] = _row_id(i, "val")


def _renamed_video(i: int, rows: list[dict[str, Any]]) -> None:
    """A video row in part 3 named like an image row of part 0: the video and
    its frames get the export's ``__<hash>`` names, not the part's own."""
    if i == 4:
        rows[-1] = row("intersection-0815.jpg", [box("A", 10, 5, 30, 20)],
                       row_id=_row_id(i, "train"))
    if i == 34:
        video = json.loads((FIXTURES / "v2" / "media.ndjson").read_text().splitlines()[0])
        video["data_row"]["id"] = _row_id(i, "train")
        rows[-1] = video


CASES = {"late classes": _late_classes, "duplicate stem": _duplicate_stem,
         "late split": _late_split, "renamed video": _renamed_video}
#: The writers whose files a case changes (the others keep every part).
MATTERS = {"late classes": {"voc", "yolo", "masks"}, "late split": {"voc", "masks"},
           "duplicate stem": set(PER_IMAGE), "renamed video": set(PER_IMAGE)}


def _parts(to: str, jobs: int) -> int:
    """How many parts ``jobs`` workers get for ``to``."""
    return jobs * (1 if to in ONE_PART_PER_WORKER else PARTS_PER_JOB)


def _written_again(caplog: pytest.LogCaptureFixture) -> list[tuple[int, int]]:
    return [record.args for record in caplog.records  # type: ignore[misc]
            if record.name == onepass.__name__ and "written again" in record.getMessage()]


def _same_for_every_jobs(export: Path, to: str, out: Path, **options: Any) -> None:
    trees, reports = [], []
    for jobs in (1, 2, 3):
        reports.append(convert(export, to, out / f"jobs{jobs}", jobs=jobs, **options).to_dict())
        trees.append(tree_hashes(out / f"jobs{jobs}"))
    assert trees[0] == trees[1] == trees[2]
    for report in reports:
        report.pop("elapsed_seconds", None)
    assert reports[0] == reports[1] == reports[2]


def test_the_exports_are_cut_where_the_cases_need(tmp_path: Path) -> None:
    """Late classes: rows 14 and 30 in different parts (2, 3, 4 and 6 parts)."""
    export = write_export(tmp_path / "export.ndjson", _rows(_late_classes))
    for count, where in ((2, [0, 0, 1]), (3, [0, 1, 2]), (4, [0, 1, 3]), (6, [0, 2, 4])):
        parts = ndjson_ranges(str(export), str(export), count)
        rows = [sum(1 for _ in PartReader(part)) for part in parts]
        starts = [sum(rows[:k]) for k in range(count)]
        assert [max(k for k in range(count) if starts[k] <= i) for i in (4, 14, 30)] == where


@pytest.mark.parametrize("to", PER_IMAGE)
@pytest.mark.parametrize("case", CASES)
def test_a_contradicted_part_is_written_again(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                               small_seed: None, case: str, to: str) -> None:
    export = write_export(tmp_path / "export.ndjson", _rows(CASES[case]))
    caplog.set_level(logging.DEBUG, logger=onepass.__name__)
    _same_for_every_jobs(export, to, tmp_path, split=SPLITS)
    again = _written_again(caplog)
    assert [total for _, total in again] == [_parts(to, 2), _parts(to, 3)]
    if to in MATTERS[case]:
        assert all(0 < stale for stale, _ in again)
    else:
        assert again == [(0, _parts(to, 2)), (0, _parts(to, 3))]


@pytest.mark.parametrize("to", ["yolo", "voc", "masks"])
def test_which_parts_are_written_again(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                       small_seed: None, to: str) -> None:
    """Late classes, ``--jobs 2``: only the last part (D before C) is written
    again; the others hold a start of the export's classes (masks, 4 parts:
    part 1 met C at its export id, part 2 no new class)."""
    export = write_export(tmp_path / "export.ndjson", _rows(_late_classes))
    caplog.set_level(logging.DEBUG, logger=onepass.__name__)
    convert(export, to, tmp_path / "out", jobs=2)
    assert _written_again(caplog) == [(1, _parts(to, 2))]
    if to != "yolo":
        return
    names = (tmp_path / "out" / "data.yaml").read_text().split("names:")[1]
    assert [line.split(": ")[1] for line in names.strip().splitlines()] == \
        ['"A"', '"B"', '"C"', '"D"']
    assert (tmp_path / "out" / "labels" / "train" / "img-030.txt").read_text().startswith("3 ")


@pytest.mark.parametrize("to", PER_IMAGE)
def test_an_export_that_meets_its_facts_early_is_read_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, to: str) -> None:
    export = write_export(tmp_path / "export.ndjson", _rows())
    caplog.set_level(logging.DEBUG, logger=onepass.__name__)
    _same_for_every_jobs(export, to, tmp_path)
    assert _written_again(caplog) == [(0, _parts(to, 2)), (0, _parts(to, 3))]


def test_every_case_at_once_with_options(tmp_path: Path, small_seed: None) -> None:
    """All four cases in one export, with voc segmentation, masks instances
    and yolo segment."""
    def every(i: int, rows: list[dict[str, Any]]) -> None:
        for change in CASES.values():
            change(i, rows)

    export = write_export(tmp_path / "export.ndjson", _rows(every))
    for to, extra in (("voc", {"segmentation": True}), ("masks", {"instances": True}),
                      ("yolo", {"task": "segment"})):
        _same_for_every_jobs(export, to, tmp_path / to, split=SPLITS, **extra)


def test_a_failure_that_may_depend_on_the_seed_runs_two_passes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part failing otherwise than on its input (here: made to) does not
    decide the outcome: the conversion runs the two-pass plan instead."""
    export = write_export(tmp_path / "export.ndjson", _rows(_late_classes))
    convert(export, "voc", tmp_path / "one")
    real = onepass.write_part_at_once

    def failing(part: Any, *args: Any) -> Any:
        if part.index == 1:
            return onepass.run_part(lambda: (_ for _ in ()).throw(LbConvertError("seed-dependent")))
        return real(part, *args)

    monkeypatch.setattr(onepass, "write_part_at_once", failing)
    seen: list[tuple[int, int]] = []
    with ThreadPoolExecutor(2) as pool:
        convert(export, "voc", tmp_path / "two", executor=pool, jobs=2,
                progress=lambda meter: seen.append((meter.bytes_read(), meter.total_bytes)))
    assert tree_hashes(tmp_path / "one") == tree_hashes(tmp_path / "two")
    assert sorted(os.listdir(tmp_path)) == ["export.ndjson", "one", "two"]
    first = ndjson_ranges(str(export), str(export), _parts("voc", 2))[0]
    # part 0 written at once before part 1 failed; then two passes
    assert seen[-1][0] == seen[-1][1] == first.end + 2 * export.stat().st_size
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.parametrize("to", ["yolo", "masks", "jsonl"])
def test_a_bad_line_in_a_late_part(tmp_path: Path, to: str) -> None:
    rows = _rows(_late_classes)
    lines = [json.dumps(r) + "\n" for r in rows]
    lines[36] = "{not json\n"
    export = tmp_path / "bad.ndjson"
    export.write_text("".join(lines))
    message = same_failure_for_every_jobs(export, to, tmp_path, LbConvertError)
    assert "bad.ndjson:37:" in message


def test_progress_counts_the_parts_written_again(tmp_path: Path, small_seed: None) -> None:
    """The meter ends at the whole file plus the parts written again."""
    export = write_export(tmp_path / "export.ndjson", _rows(_late_classes))
    seen: list[tuple[int, int]] = []
    convert(export, "yolo", tmp_path / "out", jobs=2,
            progress=lambda meter: seen.append((meter.bytes_read(), meter.total_bytes)))
    last = ndjson_ranges(str(export), str(export), _parts("yolo", 2))[-1]
    assert seen[-1][0] == seen[-1][1] == export.stat().st_size + last.end - last.start
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_the_seed_is_the_start_of_the_export(tmp_path: Path) -> None:
    """At most SEED_ROWS rows; classes and splits in first-seen order."""
    rows = [row(f"r{i}", [box(f"c{i}", 1, 1, 5, 5)], row_id=_row_id(i, "val" if i == 3 else
                                                                    "train"))
            for i in range(onepass.SEED_ROWS + 5)]
    export = write_export(tmp_path / "export.ndjson", rows)
    from lbconvert.options import Options

    (part,) = ndjson_ranges(str(export), str(export), 1)
    classes, splits = onepass.seed_facts(part, Options(split=SPLITS), True)
    assert classes.names == [f"c{i}" for i in range(onepass.SEED_ROWS)]
    assert splits == ["train", "val"]


def _spool_after() -> Any:
    from lbconvert.write.small_files import SmallFiles

    return SmallFiles.SPOOL_AFTER


@pytest.mark.parametrize("spool", [False, True])
def test_local_workers_that_fill_the_machine_write_their_small_files(spool: bool) -> None:
    """No spool process per part when the workers take every core."""
    from concurrent.futures import ProcessPoolExecutor

    from lbconvert.plan.workers import init_worker, workers_fill_the_machine

    with ProcessPoolExecutor(1, initializer=init_worker, initargs=(spool,)) as pool:
        assert pool.submit(_spool_after).result() == (2000 if spool else None)
    assert _spool_after() == 2000  # this process is left as it was
    cores = len(os.sched_getaffinity(0))
    assert workers_fill_the_machine(cores) and not workers_fill_the_machine(cores - 1)


@pytest.mark.parametrize("to", PER_IMAGE)
def test_a_first_part_without_images_and_no_train_split(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, to: str) -> None:
    """The seed starts no split; every image is in ``val``: a part that
    started none would add ``train`` (yolo, voc), so it is written again."""
    rows = _rows()
    for i, found in enumerate(rows):
        found["data_row"]["id"] = _row_id(i, "val")
        if i < 20:  # the first part has no image (with 2, 3, 4 or 6 parts)
            found["media_attributes"]["mime_type"] = "text/plain"
    export = write_export(tmp_path / "export.ndjson", rows)
    caplog.set_level(logging.DEBUG, logger=onepass.__name__)
    _same_for_every_jobs(export, to, tmp_path, split=SPLITS)
    listed = {"yolo": "labels", "voc": "ImageSets/Main", "masks": "semantic"}.get(to)
    if listed:
        names = os.listdir(tmp_path / "jobs2" / listed)
        assert names and not [name for name in names if name.startswith("train")]
    stale = [count for count, _ in _written_again(caplog)]
    assert all(stale) if to in ("yolo", "voc") else not any(stale)


@pytest.mark.parametrize(("to", "started", "export", "agree"), [
    ("yolo", set(), {"val"}, False), ("yolo", set(), {"val", "train"}, True),
    ("yolo", set(), set(), True), ("yolo", {"val"}, {"val", "test"}, True),
    ("voc", set(), {"val"}, False), ("voc", {"train"}, {"train", "test"}, True),
    ("voc", {"train"}, {"train", "val"}, False), ("voc", {"train", "val"}, {"train", "val"}, True),
    ("voc", {"train", "val"}, {"train", "val", "trainval"}, False),
    ("masks", set(), {"val"}, True), ("masks", {"train"}, {"train"}, True),
    ("masks", {"train"}, {"train", "val"}, False), ("masks", {"a", "b"}, {"a", "b", "c"}, True),
    ("jsonl", set(), {"val"}, True), ("geojson", {"a"}, {"a", "b"}, True),
])
def test_what_started_splits_change(to: str, started: set[str], export: set[str],
                                    agree: bool) -> None:
    assert onepass.splits_agree(to, started, export) is agree


def _one_late_class(i: int, rows: list[dict[str, Any]]) -> None:
    """Row 24 (part 2) meets the export's only late class, ``ignored``."""
    if i == 24:
        rows[-1]["projects"]["p"]["labels"][0]["annotations"]["objects"].append(
            box("ignored", 1, 1, 5, 5))


@pytest.mark.parametrize(("to", "extra"), [
    ("voc", {}), ("voc", {"segmentation": True, "void_border": True}), ("yolo", {}),
    ("masks", {})])
def test_one_late_class_costs_no_part(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                      to: str, extra: dict[str, Any]) -> None:
    """Every part is a start of the export's classes: none is written again;
    VOC's lists of the late class are completed in the parts that lack it
    (its name is ``ignored_2`` beside the void border's ``ignored``)."""
    export = write_export(tmp_path / "export.ndjson", _rows(_one_late_class))
    caplog.set_level(logging.DEBUG, logger=onepass.__name__)
    _same_for_every_jobs(export, to, tmp_path, **extra)
    assert _written_again(caplog) == [(0, _parts(to, 2)), (0, _parts(to, 3))]
    if to == "voc":
        name = "ignored_2" if extra else "ignored"
        lines = (tmp_path / "jobs2" / "ImageSets" / "Main" / f"{name}_train.txt").read_text()
        assert lines.splitlines() == [f"img-{i:03d} {1 if i == 24 else -1}" for i in range(ROWS)]
        report = json.loads((tmp_path / "jobs2" / "lbconvert-report.json").read_text())
        assert report["warnings"].get("class name changed for voc (see labelmap.txt)", 0) == \
            (1 if extra else 0)
