"""The command line's manners: help, --output, -q, --report -, a closed stdout,
the progress bar, exit 4 for nothing written, --strict --allow, the report."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import lbconvert
from lbconvert.cli import Progress, build_parser, main

from .conftest import FIXTURES
from .inline import box, instance_mask, point, polygon, row, write_export

IMAGES = FIXTURES / "v2/images.ndjson"
PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lbconvert", *args],
                          capture_output=True, text=True, timeout=120)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", ["inspect", "convert", "formats"])
def test_every_subcommand_has_examples_and_help_for_every_flag(command: str) -> None:
    parser = _subparsers(build_parser())[command]
    text = parser.format_help()
    assert "examples:\n  lbconvert " + command in text
    for action in parser._actions:
        assert action.help, action.option_strings or action.dest


def test_convert_help_shows_defaults() -> None:
    text = " ".join(_subparsers(build_parser())["convert"].format_help().split())
    for shown in ("keep every N-th frame (default: 1)", "(default: 268,435,456)",
                  "YOLO task (default: detect)", "(default: selected)", "(default: name)",
                  "(default: default)"):
        assert shown in text, shown
    assert "(default: None)" not in text and "(default: False)" not in text
    assert "--output" in text and "-q, --quiet" in text


def test_output_long_form_quiet_and_report_on_stdout(tmp_path: Path) -> None:
    done = run("convert", str(IMAGES), "--to", "coco", "--output", str(tmp_path / "out"),
               "--project", PROJECT, "-q", "--report", "-")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout)
    assert report["lbconvert"] == lbconvert.__version__
    assert report["format"] == "coco"
    assert report["options"]["project"] == PROJECT and report["options"]["task"] == "detect"
    assert report["elapsed_seconds"] >= 0
    assert report["output"] == str(tmp_path / "out")
    assert (tmp_path / "out" / "annotations.json").is_file()
    assert not Path("-").exists()
    quiet = run("convert", str(IMAGES), "--to", "coco", "-o", str(tmp_path / "q"),
                "--project", PROJECT, "--quiet")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def test_summary_goes_to_stderr_when_the_report_takes_stdout(tmp_path: Path) -> None:
    done = run("convert", str(IMAGES), "--to", "coco", "-o", str(tmp_path / "out"),
               "--project", PROJECT, "--report", "-")
    assert json.loads(done.stdout)["items"] == 5
    assert done.stderr.startswith("7 data rows -> 5 items, 5 annotations written")


def test_closed_stdout_does_not_fail_a_finished_conversion(tmp_path: Path) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "lbconvert", "convert", str(IMAGES),
                                "--to", "coco", "-o", str(out), "--project", PROJECT],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -0`: the reader is gone before anything is printed
    status = process.wait(timeout=120)
    stderr = process.stderr.read().decode()
    assert (status, stderr) == (0, "")
    assert (out / "annotations.json").is_file()
    shell = subprocess.run(
        f'set -o pipefail; "{sys.executable}" -m lbconvert inspect "{IMAGES}" | head -1',
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=120)
    assert (shell.returncode, shell.stdout, shell.stderr) == (0, "format:            v2-ndjson\n", "")


def test_progress_line_has_rate_and_eta_and_never_passes_100_percent() -> None:
    progress = Progress(enabled=False)
    progress._start = 0.0
    progress.rows = 500
    line = progress.line(done=2_000_000, total=1_000_000, now=10.0)  # gzip: more read than stored
    assert "100.0% of 1.0 MB" in line and "#" * 30 in line
    assert "50 rows/s" in line and "ETA 00:00" in line
    line = progress.line(done=250_000, total=1_000_000, now=10.0)
    assert " 25.0% of 1.0 MB" in line and "ETA 00:30" in line
    assert progress.line(done=0, total=1_000_000, now=10.0).endswith("ETA --:--")
    assert progress.line(done=3_000_000, total=None, now=10.0) == "3.0 MB read, 50 rows/s"


def test_nothing_written_exits_4_with_what_would_help(tmp_path: Path) -> None:
    export = write_export(tmp_path / "masks.ndjson", [row("a.jpg", [instance_mask("m", "f1")])])
    done = run("convert", str(export), "--to", "coco", "-o", str(tmp_path / "out"))
    assert done.returncode == 4
    assert "0 annotations written, 1 dropped" in done.stdout
    assert "nothing useful was written (exit 4; --allow-empty accepts it)" in done.stderr
    assert "mask not available offline: download the masks, then --masks DIR" in done.stderr
    allowed = run("convert", str(export), "--to", "coco", "-o", str(tmp_path / "ok"),
                  "--allow-empty", "-q")
    assert (allowed.returncode, allowed.stderr) == (0, "")
    unsized = write_export(tmp_path / "unsized.ndjson", [
        {**row("b.jpg", [box("car", 1, 1, 2, 2)]), "media_attributes": {}}])
    done = run("convert", str(unsized), "--to", "yolo", "-o", str(tmp_path / "y"))
    assert done.returncode == 4
    assert "image size unknown: pass --images DIR" in done.stderr


def test_negatives_only_are_not_nothing(tmp_path: Path) -> None:
    export = write_export(tmp_path / "neg.ndjson", [row("a.jpg", []), row("b.jpg", [])])
    assert main(["convert", str(export), "--to", "coco", "-o", str(tmp_path / "c"), "-q"]) == 0
    # YOLO needs a class (Ultralytics refuses nc: 0): one line, unless --allow-empty.
    assert main(["convert", str(export), "--to", "yolo", "-o", str(tmp_path / "y"), "-q"]) == 1
    assert not (tmp_path / "y").exists()
    assert main(["convert", str(export), "--to", "yolo", "-o", str(tmp_path / "y"), "-q",
                 "--allow-empty"]) == 0


def test_strict_allow_accepts_named_reasons_only(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e.ndjson", [
        row("a.jpg", [box("car", 1, 1, 20, 20), point("tip", 3, 3)])])
    reason = "point not representable in yolo detect"
    strict = run("convert", str(export), "--to", "yolo", "-o", str(tmp_path / "s"), "--strict")
    assert strict.returncode == 3 and reason in strict.stderr
    assert not (tmp_path / "s").exists()
    allowed = run("convert", str(export), "--to", "yolo", "-o", str(tmp_path / "a"), "--strict",
                  "--allow", reason, "-q")
    assert (allowed.returncode, allowed.stderr) == (0, "")
    other = run("convert", str(export), "--to", "yolo", "-o", str(tmp_path / "o"), "--strict",
                "--allow", "degenerate box")
    assert other.returncode == 3


def test_report_has_per_split_and_per_class_counts(tmp_path: Path) -> None:
    rows = [row(f"img{i}.jpg", [box("car", 1, 1, 20, 20), box("person", 5, 5, 10, 10),
                                point("tip", 3, 3)]) for i in range(20)]
    export = write_export(tmp_path / "e.ndjson", rows)
    report = lbconvert.convert(export, "yolo", tmp_path / "y", split={"train": 0.7, "val": 0.3})
    data = report.to_dict()
    assert "elapsed_seconds" not in data  # to_dict() is deterministic ...
    assert report.to_dict(timing=True)["elapsed_seconds"] >= 0  # ... unless asked
    assert data["options"]["split"] == {"train": 0.7, "val": 0.3}
    splits = data["splits"]
    assert set(splits) == {"train", "val"}
    assert sum(s["items"] for s in splits.values()) == report.items == 20
    assert sum(s["annotations_written"] for s in splits.values()) == 40
    assert {s["dropped"]["point not representable in yolo detect"] for s in splits.values()} \
        == {splits["train"]["items"], splits["val"]["items"]}
    drop = {"point not representable in yolo detect": 20}
    assert data["classes"] == {
        "car": {"items": 20, "objects": 20, "annotations_written": 20, "dropped": {}},
        "person": {"items": 20, "objects": 20, "annotations_written": 20, "dropped": {}},
        "tip": {"items": 20, "objects": 20, "annotations_written": 0, "dropped": drop}}
    summary = report.summary()
    assert f"  train      {splits['train']['items']:>7}" in summary
    assert "  car                    20       20       20        0" in summary
    assert "  tip                    20       20        0       20" in summary


def test_inspect_prints_the_per_class_table() -> None:
    done = run("inspect", str(IMAGES))
    lines = done.stdout.splitlines()
    start = lines.index("per class:")
    header = lines[start + 1].split()
    assert header[:3] == ["class", "rows", "objects"]
    table = {line[:17].strip(): line[17:].split() for line in lines[start + 2:]}
    car = dict(zip(header[1:], map(int, table["car"])))
    assert car["rows"] == 3 and car["objects"] == 4 and car["bbox"] == 4
    summary = json.loads(run("inspect", str(IMAGES), "--json").stdout)
    assert summary["class_table"]["car"] == {"rows": 3, "objects": 4, "kinds": {"bbox": 4}}
    assert sum(c["objects"] for c in summary["class_table"].values()) \
        == sum(summary["objects"].values())


@pytest.mark.parametrize("to, options", [
    ("coco", {}), ("coco", {"keypoints": True, "keypoint_names": ("tip",)}), ("voc", {}),
    ("yolo", {}), ("yolo", {"task": "segment"}),
    ("yolo", {"task": "pose", "keypoint_names": ("tip",)}), ("masks", {}), ("jsonl", {}),
    ("geojson", {})])
def test_per_class_written_and_dropped_add_up(tmp_path: Path, to: str, options: Any) -> None:
    """Each class: written + dropped = objects; summed over classes, the writer's totals.
    The export mixes classes in every item, with drops of several reasons per writer."""
    rows = [row("a.jpg", [box("car", 1, 1, 20, 20), box("car", 500, 500, 5, 5),  # 2nd outside
                          point("tip", 3, 3), point("tip", 90, 90),               # 2nd: no box
                          polygon("lane", [(1, 1), (2, 2), (3, 3)])]),              # degenerate
            row("b.jpg", [box("person", 5, 5, 10, 10), point("tip", 6, 6)])]
    export = write_export(tmp_path / "e.ndjson", rows)
    report = lbconvert.convert(export, to, tmp_path / "out", clip=True, allow_empty=True,
                               **options)
    classes = report.to_dict()["classes"]
    for counts in classes.values():
        assert counts["annotations_written"] + sum(counts["dropped"].values()) == counts["objects"]
        assert counts["annotations_written"] >= 0
    assert sum(c["annotations_written"] for c in classes.values()) == report.annotations_written
    by_reason: dict[str, int] = {}
    for counts in classes.values():
        for reason, count in counts["dropped"].items():
            by_reason[reason] = by_reason.get(reason, 0) + count
    assert by_reason == dict(report.dropped)


@pytest.mark.parametrize("command, flags", [
    ("convert", ["-o", "--output", "-q", "--quiet", "--debug", "--report", "--strict", "--allow",
                 "--overwrite"]),
    ("to-labelbox", ["-o", "--output", "-q", "--quiet", "--debug", "--report", "--strict",
                     "--allow", "--overwrite"]),
    ("preview", ["-o", "--output", "-q", "--quiet", "--debug", "--overwrite"]),
    ("inspect", ["-q", "--quiet", "--debug"]),
])
def test_every_subcommand_keeps_the_one_contract(command: str, flags: list[str]) -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    known = set(commands.choices[command]._option_string_actions)
    assert set(flags) <= known, set(flags) - known


def _output_commands(tmp_path: Path) -> dict[str, list[str]]:
    """Each subcommand that writes ``-o``, as a user runs it on the bundled fixture."""
    dataset = tmp_path / "dataset"
    lbconvert.convert(FIXTURES / "v2/images.ndjson", "coco", dataset,
                      project="cl3vyrz2zafeq76e6zyfvrz89")
    return {
        "convert": ["convert", str(FIXTURES / "v2/images.ndjson"), "--to", "yolo",
                    "--project", "cl3vyrz2zafeq76e6zyfvrz89", "-q", "-o"],
        "to-labelbox": ["to-labelbox", str(dataset), "--from", "coco", "-q", "-o"],
        "preview": ["preview", str(dataset), "-q", "-o"],
    }


@pytest.mark.parametrize("command", ["convert", "to-labelbox", "preview"])
def test_an_existing_output_needs_overwrite_in_every_subcommand(
        tmp_path: Path, capsys: Any, command: str) -> None:
    args = _output_commands(tmp_path)[command]
    target = tmp_path / ("out.ndjson" if command == "to-labelbox" else "out")
    if command == "to-labelbox":
        target.write_text("mine\n")
    else:
        target.mkdir()
        (target / "index.html").write_text("mine\n")
    mine = (target if command == "to-labelbox" else target / "index.html").read_text()
    capsys.readouterr()
    assert main([*args, str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lbconvert: error: ")
    assert "pass --overwrite to replace it" in err
    assert (target if command == "to-labelbox" else target / "index.html").read_text() == mine
    assert main([*args, str(target), "--overwrite"]) == 0
    if command == "to-labelbox":
        assert target.read_text() != mine and target.read_text().startswith("{")
    elif command == "convert":
        assert not (target / "index.html").exists() and (target / "data.yaml").is_file()
    else:  # preview writes its page and leaves the directory's other files alone
        assert (target / "index.html").read_text() != mine and (target / "thumbs").is_dir()



@pytest.mark.parametrize("command", [["inspect"], ["convert", "--to", "coco", "-o", "OUT"]])
def test_a_file_system_error_names_the_path_without_an_errno(
        tmp_path: Path, capsys: Any, command: list[str]) -> None:
    """``[Errno 21] Is a directory: 'adir'`` read like a traceback's last line."""
    folder, missing = tmp_path / "adir", tmp_path / "missing.ndjson"
    folder.mkdir()
    for given, what in ((folder, "Is a directory"), (missing, "No such file or directory")):
        args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
        assert main([args[0], str(given), *args[1:]]) == 1
        assert capsys.readouterr().err == f"lbconvert: error: {given}: {what}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir"]


def test_a_file_system_error_on_a_descriptor_is_still_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """OSError.filename may be a file descriptor (an int), not a path."""
    import lbconvert.cli as cli

    def fails(args: Any) -> int:
        raise OSError(9, "Bad file descriptor", 999)

    monkeypatch.setattr(cli, "build_parser", lambda: argparse.Namespace(
        parse_args=lambda argv: argparse.Namespace(run=fails)))
    assert main(["inspect", "x"]) == 1
    assert capsys.readouterr().err == "lbconvert: error: 999: Bad file descriptor\n"
