"""The output directory under attack: failing renames at every step of the
commit, ``-o .``, symbolic links, a full disk, kill -9, concurrent runs.

After every fault ``OUT`` holds the old dataset or the complete new one,
and nothing named ``.OUT.*`` is left beside it (or the error names where
the finished dataset was kept).
"""

from __future__ import annotations

import contextlib
import errno
import json
import multiprocessing
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

import lbconvert
from lbconvert import cli
from lbconvert.errors import OutputError
from lbconvert.options import Options
from lbconvert.write import base, get_writer, outdir, partials, small_files
from lbconvert.write.outdir import Staging
from lbconvert.write.small_files import SmallFiles

from .conftest import ROOT
from .inline import box, row, tree_files, write_export

WRITERS = ["coco", "yolo", "voc", "masks", "jsonl", "geojson"]
LINUX = sys.platform.startswith("linux")

#: What a COCO conversion of one split leaves in OUT.
COCO_FILES = ["annotations.json", "lbconvert-report.json", "manifest.jsonl"]


# --- helpers ---

def geo_row(key: str) -> dict[str, Any]:
    ring = [[5.12, 52.08], [5.12, 52.09], [5.13, 52.09], [5.13, 52.08], [5.12, 52.08]]
    return {"data_row": {"id": f"id-{key}", "global_key": key},
            "media_attributes": {"mime_type": "image/tiff"},
            "projects": {"p": {"labels": [{"id": f"label-{key}", "annotations": {"objects": [
                {"feature_id": f"f-{key}", "name": "building", "annotation_kind": "GeoBoundingBox",
                 "geojson": {"type": "Polygon", "coordinates": [ring]}}]}}]}}}


def export(tmp_path: Path, tag: str, rows: int = 4) -> Path:
    """An export whose file names carry ``tag`` (old and new datasets differ),
    with image rows for the raster writers and geospatial rows for geojson."""
    records = []
    for i in range(rows):
        records.append(row(f"{tag}-{i:05d}", [box("car", 10 + i % 50, 5, 30, 20),
                                              box("person", 60, 40, 20, 30)]))
        records.append(geo_row(f"{tag}-geo-{i:05d}"))
    return write_export(tmp_path / f"{tag}-{rows}.ndjson", records)


def leftovers(parent: Path, name: str = "out") -> list[str]:
    """Everything beside ``parent/name`` that a run made (temporary, kept, aside)."""
    return sorted(p.name for p in parent.iterdir()
                  if p.name.startswith(f".{name}.") or p.name.startswith(f"{name}."))


def one_line(message: str) -> str:
    assert message and "\n" not in message.strip(), message
    return message


def open_fds() -> Optional[int]:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


@pytest.fixture
def old_and_new(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes], dict[str, bytes]]:
    """``out`` holding an old jsonl dataset; the export of a new one and both trees."""
    out = tmp_path / "out"
    new_export = export(tmp_path, "new")
    lbconvert.convert(new_export, "jsonl", tmp_path / "reference", overwrite=True)  # same options
    new = tree_files(tmp_path / "reference")
    lbconvert.convert(export(tmp_path, "old"), "jsonl", out)
    return out, new_export, tree_files(out), new


class Faults:
    """Counts the renames of a commit and fails one (or every one from there on)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int, *, every_after: bool = False,
                 error: Callable[[], BaseException] = lambda: OSError(errno.EIO, "injected I/O error"),
                 exchange: bool = True) -> None:
        self.calls = 0
        self.failed = False
        self.fail_at, self.every_after, self.error = fail_at, every_after, error
        real_rename, real_replace, real_exchange = os.rename, os.replace, outdir.exchange

        def counted(real: Callable[..., None]) -> Callable[..., None]:
            def call(*args: Any, **kwargs: Any) -> None:
                index, self.calls = self.calls, self.calls + 1
                if index == self.fail_at or (self.every_after and index > self.fail_at):
                    self.failed = True
                    raise self.error()
                real(*args, **kwargs)
            return call

        monkeypatch.setattr(os, "rename", counted(real_rename))
        monkeypatch.setattr(os, "replace", counted(real_replace))
        monkeypatch.setattr(outdir, "exchange",
                            counted(real_exchange if exchange else self.unsupported))

    @staticmethod
    def unsupported(*args: Any) -> None:
        raise outdir.ExchangeUnsupported()


# --- 1. the commit ---

@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
@pytest.mark.parametrize("every_after", [False, True], ids=["one-fails", "all-fail-from-there"])
def test_a_failing_rename_at_any_step_leaves_old_or_new(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old_and_new: Any,
        exchange: bool, every_after: bool) -> None:
    out, new_export, old, new = old_and_new
    for step in range(12):
        faults = Faults(monkeypatch, step, every_after=every_after, exchange=exchange)
        try:
            lbconvert.convert(new_export, "jsonl", out, overwrite=True)
        except OutputError as exc:
            message = one_line(str(exc))
            assert faults.failed and str(out) in message
        monkeypatch.undo()
        if not out.exists():  # only when the old dataset cannot even be renamed back
            assert not exchange and every_after and "the old dataset is at" in message
            aside = Path(message.split("the old dataset is at ")[1].split(" (")[0])
            assert tree_files(aside) == old
            os.rename(aside, out)  # what the next run does once this process has ended
        assert tree_files(out) in (old, new), f"step {step}"
        assert leftovers(tmp_path) == [], f"step {step}"
        if not faults.failed:  # every rename of the commit ran: the new dataset is in place
            assert tree_files(out) == new
            break
        assert tree_files(out) == old, f"step {step}"  # a failed commit changes nothing
    else:
        pytest.fail("the commit never succeeded")
    assert step >= 1


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_an_interrupt_at_any_step_of_the_commit_leaves_old_or_new(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old_and_new: Any,
        exchange: bool) -> None:
    out, new_export, old, new = old_and_new
    for step in range(12):
        faults = Faults(monkeypatch, step, error=KeyboardInterrupt, exchange=exchange)
        try:
            lbconvert.convert(new_export, "jsonl", out, overwrite=True)
        except KeyboardInterrupt:
            assert faults.failed
        monkeypatch.undo()
        assert tree_files(out) == (new if not faults.failed else old), f"step {step}"
        assert leftovers(tmp_path) == [], f"step {step}"
        if not faults.failed:
            break


def test_a_failing_rename_into_a_new_directory_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = export(tmp_path, "new")
    Faults(monkeypatch, 0)
    with pytest.raises(OutputError, match=r"cannot move the dataset into .*out: injected I/O "
                                          r"error; nothing was written"):
        lbconvert.convert(source, "coco", tmp_path / "a" / "b" / "out")
    monkeypatch.undo()
    assert not (tmp_path / "a").exists()  # the parents it made are gone too


def test_the_old_dataset_of_a_run_killed_between_the_renames_is_restored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without RENAME_EXCHANGE, a kill between ``OUT -> aside`` and
    ``temporary -> OUT`` leaves no OUT: the next run renames the old one back."""
    out = tmp_path / "out"
    lbconvert.convert(export(tmp_path, "old"), "jsonl", out)
    old = tree_files(out)
    dead = _dead_pid()
    machine = partials.owner_token().split("-")[0]
    aside = tmp_path / f".out.{machine}-{dead}-12345-0123abcd.old"
    partial = tmp_path / f".out.{machine}-{dead}-12345-0123abcd.partial"
    os.rename(out, aside)
    (partial / "labels").mkdir(parents=True)
    with pytest.raises(OutputError, match="is not empty"):  # the old dataset is back first
        lbconvert.convert(export(tmp_path, "new"), "jsonl", out)
    assert tree_files(out) == old
    assert leftovers(tmp_path) == []


def test_where_rename_refuses_any_existing_directory_an_empty_one_is_still_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows semantics: rename onto an existing directory fails, even an empty one."""
    real_rename = os.rename

    def rename(source: Any, target: Any) -> None:
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "Cannot create a file when that file already "
                                                "exists", os.fspath(source))
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(outdir, "exchange", Faults.unsupported)
    source = export(tmp_path, "new")
    (tmp_path / "out").mkdir()
    lbconvert.convert(source, "jsonl", tmp_path / "out")
    lbconvert.convert(source, "coco", tmp_path / "out", overwrite=True)
    with pytest.raises(OutputError, match="is not empty"):
        lbconvert.convert(source, "jsonl", tmp_path / "out")
    assert sorted(os.listdir(tmp_path / "out")) == COCO_FILES
    assert leftovers(tmp_path) == []


def test_a_mount_point_cannot_be_replaced_and_the_error_says_so(
        tmp_path: Path, small_disk: Path) -> None:
    source = export(tmp_path, "new")
    lbconvert.convert(source, "jsonl", small_disk / "inside")
    with pytest.raises(OutputError, match=r"a mount point cannot be replaced") as failure:
        lbconvert.convert(source, "coco", small_disk, overwrite=True)
    assert str(small_disk) in one_line(str(failure.value))
    assert os.listdir(small_disk) == ["inside"]
    assert leftovers(tmp_path, "disk") == []


# --- 2. -o ., -o dir/.., symbolic links ---

@pytest.mark.parametrize("out", [".", "sub/..", "", "./"])
def test_output_into_the_current_directory_is_refused_in_one_line(
        tmp_path: Path, out: str) -> None:
    source = export(tmp_path, "new")
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "lbconvert", "convert", str(source), "--to",
                           "coco", "-o", out], capture_output=True, text=True, timeout=120,
                          cwd=work)
    assert done.returncode == 1
    message = one_line(done.stderr)
    assert "cannot be the current directory or contain it" in message
    assert "Traceback" not in message
    assert sorted(p.name for p in work.iterdir()) == ["sub"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new-4.ndjson", "work"]


def test_a_directory_holding_the_current_one_is_refused_even_by_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = export(tmp_path, "new")
    (tmp_path / "data" / "work").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "data" / "work")
    for out in (tmp_path / "data", tmp_path / "data" / "work"):
        with pytest.raises(OutputError, match="cannot be the current directory or contain it"):
            lbconvert.convert(source, "jsonl", out, overwrite=True)
    assert os.listdir(tmp_path / "data") == ["work"] and leftovers(tmp_path, "data") == []


@pytest.mark.parametrize("where", ["export", "images", "masks"])
def test_an_input_inside_the_directory_to_replace_is_refused(tmp_path: Path, where: str) -> None:
    out = tmp_path / "out"
    lbconvert.convert(export(tmp_path, "old"), "jsonl", out)
    (out / "images").mkdir()
    source = export(out if where == "export" else tmp_path, "new")
    options = {"images": out / "images"} if where == "images" else \
        {"masks": out / "images"} if where == "masks" else {}
    before = tree_files(out)
    with pytest.raises(OutputError, match=rf"is inside {out}, which the dataset replaces"):
        lbconvert.convert(source, "yolo", out, overwrite=True, **options)
    assert tree_files(out) == before and leftovers(tmp_path) == []


def test_a_path_ending_in_dotdot_is_resolved_to_the_directory_it_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = export(tmp_path, "new")
    (tmp_path / "work").mkdir()
    (tmp_path / "data" / "sub").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(OutputError, match=r"data is not empty"):  # it holds sub
        lbconvert.convert(source, "jsonl", "../data/sub/..")
    report = lbconvert.convert(source, "jsonl", "../data/sub/..", overwrite=True)
    assert report.items == 8
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["items.jsonl", "lbconvert-report.json"]
    assert leftovers(tmp_path, "data") == []


def test_a_dangling_symbolic_link_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    source = export(tmp_path, "new")
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "nowhere" / "data")
    code = cli.main(["convert", str(source), "--to", "yolo", "-o", str(link)])
    assert code == 1
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new-4.ndjson", "out"]


def test_a_dangling_symbolic_link_error_is_one_line(tmp_path: Path, capsys: Any) -> None:
    link = tmp_path / "out"
    link.symlink_to("nowhere")
    assert cli.main(["convert", str(export(tmp_path, "new")), "--to", "coco",
                     "-o", str(link)]) == 1
    message = one_line(capsys.readouterr().err)
    assert message.startswith("lbconvert: error: ") and "symbolic link to nowhere" in message


def test_a_symbolic_link_to_a_directory_is_followed_and_stays(tmp_path: Path) -> None:
    source = export(tmp_path, "new")
    (tmp_path / "real").mkdir()
    link = tmp_path / "out"
    link.symlink_to("real")
    lbconvert.convert(source, "jsonl", link)
    assert link.is_symlink() and (tmp_path / "real" / "items.jsonl").is_file()
    lbconvert.convert(source, "coco", link, overwrite=True)
    assert link.is_symlink() and sorted(os.listdir(tmp_path / "real")) == COCO_FILES
    assert leftovers(tmp_path, "real") == [] and leftovers(tmp_path) == []


def test_a_symbolic_link_to_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "out").symlink_to("file")
    with pytest.raises(OutputError, match="symbolic link to file, which is a file"):
        lbconvert.convert(export(tmp_path, "new"), "jsonl", tmp_path / "out")
    assert (tmp_path / "file").read_text() == "x" and leftovers(tmp_path) == []


# --- 3. a full disk ---

class Disk:
    """A byte budget shared by every file a writer writes; past it, writes
    raise ENOSPC, and so does closing a file (its buffer cannot be flushed)."""

    def __init__(self, budget: float) -> None:
        self.left, self.used, self.full = budget, 0, False

    def take(self, size: int) -> None:
        if size > self.left:
            self.full = True
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.left -= size
        self.used += size


class FullFile:
    def __init__(self, real: Any, disk: Disk) -> None:
        self._real, self._disk = real, disk

    def write(self, data: Any) -> int:
        self._disk.take(len(data))
        return self._real.write(data)

    def close(self) -> None:
        self._real.close()  # CPython closes the descriptor even when the flush fails
        if self._disk.full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self) -> "FullFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class OsWithFullDisk:
    """``os`` for lbconvert.write.base: ``os.write`` draws on the budget."""

    def __init__(self, disk: Disk) -> None:
        self._disk = disk

    def write(self, fd: int, data: bytes) -> int:
        self._disk.take(len(data))
        return os.write(fd, data)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def fill_the_disk(monkeypatch: pytest.MonkeyPatch, disk: Disk) -> None:
    from lbconvert.write import coco, jsonl, masks, voc, yolo

    real_open = open

    def opened(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(path, mode, *args, **kwargs)
        return FullFile(handle, disk) if ("w" in mode or "a" in mode) else handle

    for module in (coco, jsonl, masks, voc, yolo):
        monkeypatch.setattr(module, "open", opened, raising=False)
    monkeypatch.setattr(base, "os", OsWithFullDisk(disk))
    monkeypatch.setattr(small_files, "os", OsWithFullDisk(disk))
    real_write_bytes = pathlib.Path.write_bytes

    def write_bytes(self: Path, data: bytes) -> int:
        disk.take(len(data))
        return real_write_bytes(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", write_bytes)
    for name in ("save_palette_png", "save_png16"):
        real = getattr(masks, name)

        def save(path: Any, array: Any, real: Callable[..., None] = real) -> None:
            disk.take(array.size)
            real(path, array)

        monkeypatch.setattr(masks, name, save)


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("fraction", [0.0, 0.5, 0.999])
def test_a_full_disk_is_one_line_and_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str, fraction: float) -> None:
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", None)
    source = export(tmp_path, "new", rows=30)
    out = tmp_path / "out"
    lbconvert.convert(export(tmp_path, "old", rows=2), writer, out)
    old = tree_files(out)
    measure = Disk(float("inf"))
    fill_the_disk(monkeypatch, measure)
    lbconvert.convert(source, writer, tmp_path / "measured")
    monkeypatch.undo()
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", None)
    assert measure.used > 0

    fds = open_fds()
    fill_the_disk(monkeypatch, Disk(int(measure.used * fraction)))
    with pytest.raises(OutputError) as failure:
        lbconvert.convert(source, writer, out, overwrite=True, segmentation=writer == "voc")
    monkeypatch.undo()
    message = one_line(str(failure.value))
    assert "No space left on device" in message and str(out) in message
    assert tree_files(out) == old
    assert leftovers(tmp_path) == []
    assert open_fds() == fds


def test_a_full_disk_in_the_spool_process_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 0)
    monkeypatch.setattr(SmallFiles, "BATCH_BYTES", 256)
    source = export(tmp_path, "new", rows=30)
    out = tmp_path / "out"
    # the spool writes into a directory it cannot write: as good as a full disk for it
    real_start = SmallFiles._start_spool

    def unwritable(self: SmallFiles) -> Any:
        self.directory.chmod(0o500)
        return real_start(self)

    monkeypatch.setattr(SmallFiles, "_start_spool", unwritable)
    if os.geteuid() == 0:  # root writes anyway: give the spool a name it cannot create
        real_write = SmallFiles.write

        def write(self: SmallFiles, name: str, data: bytes) -> None:
            real_write(self, "missing/" + name, data)

        monkeypatch.setattr(SmallFiles, "write", write)
    with pytest.raises(OutputError) as failure:
        lbconvert.convert(source, "voc", out)
    assert "cannot write" in one_line(str(failure.value))
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    """A 256 KiB tmpfs (root on Linux only)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if not LINUX or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs",
                           str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("writer", WRITERS + ["voc-spooled", "yolo-spooled"])
def test_a_real_full_disk_leaves_the_old_dataset_and_frees_the_space(
        tmp_path: Path, small_disk: Path, writer: str, jobs: str, capsys: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if writer.endswith("-spooled"):  # the label files go through the spool process
        writer = writer.split("-")[0]
        monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 3)
        monkeypatch.setattr(SmallFiles, "BATCH_BYTES", 4096)
    out = small_disk / "out"
    lbconvert.convert(export(tmp_path, "old", rows=2), writer, out)
    old = tree_files(out)
    free = os.statvfs(small_disk).f_bfree
    source = export(tmp_path, "new", rows=1500)
    code = cli.main(["convert", str(source), "--to", writer, "-o", str(out), "--overwrite",
                     "--jobs", jobs])
    message = capsys.readouterr().err
    assert code == 1 and "Traceback" not in message
    assert message == (f"lbconvert: error: cannot write the dataset for {out}: No space left "
                       f"on device (on the file system of {small_disk}); nothing was written, "
                       f"{out} is as it was\n")
    assert tree_files(out) == old
    assert leftovers(small_disk) == []
    assert os.statvfs(small_disk).f_bfree == free


@pytest.mark.parametrize("errno_name", ["ENOSPC", "EDQUOT", "EFBIG", "EROFS"])
def test_errors_only_writing_makes_are_write_failures_wherever_they_name(
        tmp_path: Path, errno_name: str) -> None:
    staging = Staging(tmp_path / "out", overwrite=False)
    code = getattr(errno, errno_name)
    assert staging.failed_writing(OSError(code, os.strerror(code)))
    assert staging.failed_writing(OSError(code, os.strerror(code), "/elsewhere/x"))


def test_other_errors_are_write_failures_only_inside_the_dataset(tmp_path: Path) -> None:
    staging = Staging(tmp_path / "out", overwrite=False)
    denied = lambda name: OSError(errno.EACCES, "Permission denied", name)  # noqa: E731
    assert not staging.failed_writing(denied(str(tmp_path / "images" / "a.jpg")))
    assert not staging.failed_writing(denied(str(tmp_path / "out")))  # the target itself
    assert not staging.failed_writing(denied(str(tmp_path / "outside" / "a")))
    assert staging.failed_writing(denied(str(tmp_path / "out" / "labels" / "a.txt")))
    staged = staging.open()
    try:
        assert staging.failed_writing(denied(str(staged / "a.xml")))
        second = OSError(errno.EACCES, "Permission denied", "/elsewhere", None, str(staged / "b"))
        assert staging.failed_writing(second)
        message = str(staging.output_error(denied(str(staged / "a.xml"))))
        assert message == (f"cannot write the dataset for {tmp_path / 'out'}: Permission denied; "
                           f"nothing was written, {tmp_path / 'out'} is as it was")
    finally:
        staging.discard()


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_error_naming_a_file_of_the_dataset_is_one_output_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    """Not a full disk but EACCES on a file being written: still the writer's
    error, recognised after the temporary directory was removed."""
    from lbconvert.write.voc import VocWriter

    def write(self: VocWriter, item: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(self.out / "x.xml"))

    monkeypatch.setattr(VocWriter, "write", write)
    out = tmp_path / "out"
    source = export(tmp_path, "new", rows=30)
    executor = None
    if jobs > 1:
        from concurrent.futures import ThreadPoolExecutor  # the patch reaches threads

        executor = ThreadPoolExecutor(jobs)
    with pytest.raises(OutputError) as failure:
        lbconvert.convert(source, "voc", out, jobs=jobs, executor=executor)
    assert str(failure.value) == (f"cannot write the dataset for {out}: Permission denied; "
                                  f"nothing was written, {out} is as it was")
    assert leftovers(tmp_path) == [] and not out.exists()


# --- 4. kill -9 ---

def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _gone(pid: int) -> bool:
    """No such process, or a zombie (it runs no code any more)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.02)
    return _gone(pid)


def _python(script: str, *args: str, **kwargs: Any) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                            **kwargs)


_SPOOL_SCRIPT = """
    import os, sys, time
    from pathlib import Path
    from lbconvert.write.small_files import SmallFiles
    SmallFiles.SPOOL_AFTER = 0
    files = SmallFiles(Path(sys.argv[1]))
    files.write("first.txt", b"x")
    files._send()
    holder = 0
    if sys.argv[2] == "fork":  # a forked child keeps the pipe open: no end of input
        holder = os.fork()
        if holder == 0:
            time.sleep(60)
            os._exit(0)
    print(files._spool.pid, holder, flush=True)
    sys.stdin.readline()
    for i in range(2000):
        files.write(f"f{i:04d}.txt", b"y" * 100)
    files._send()
    print("sent", flush=True)
    time.sleep(60)
"""


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_the_spool_writes_nothing_more_once_its_writer_is_killed(tmp_path: Path) -> None:
    directory = tmp_path / "files"
    writer = _python(_SPOOL_SCRIPT, str(directory), "plain")
    spool = int(writer.stdout.readline().split()[0])
    try:
        deadline = time.monotonic() + 10
        while not (directory / "first.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.01)  # the spool runs its loop
        os.kill(spool, signal.SIGSTOP)  # the records pile up in the pipe
        writer.stdin.write("go\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "sent"
        writer.kill()
        writer.wait()
        os.kill(spool, signal.SIGCONT)
        assert _wait_gone(spool)
    finally:
        writer.kill()
        if not _gone(spool):
            os.kill(spool, signal.SIGKILL)
    assert len(os.listdir(directory)) <= 2  # "first", and at most the record in hand


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_the_spool_stops_when_its_writer_dies_even_if_the_pipe_stays_open(
        tmp_path: Path) -> None:
    writer = _python(_SPOOL_SCRIPT, str(tmp_path / "files"), "fork")
    spool, holder = map(int, writer.stdout.readline().split())
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "files" / "first.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.01)  # the spool runs its loop
        writer.kill()
        writer.wait()
        assert _wait_gone(spool)
    finally:
        os.kill(holder, signal.SIGKILL)
        if not _gone(spool):
            os.kill(spool, signal.SIGKILL)


_CONVERT_SCRIPT = """
    import sys, time
    import lbconvert
    from lbconvert.write.small_files import SmallFiles
    from lbconvert.write.voc import VocWriter
    SmallFiles.SPOOL_AFTER = 5
    SmallFiles.BATCH_BYTES = 512
    real_write, count = VocWriter.write, [0]

    def write(self, item):
        real_write(self, item)
        count[0] += 1
        if count[0] == 40:
            self._annotations._send()
            print(self._annotations._spool.pid, flush=True)
            time.sleep(60)

    VocWriter.write = write
    lbconvert.convert(sys.argv[1], "voc", sys.argv[2])
"""


@pytest.mark.skipif(not LINUX, reason="reads /proc")
@pytest.mark.parametrize("kill_spool", [False, True], ids=["writer", "writer-and-spool"])
def test_a_later_run_removes_what_a_killed_run_left(tmp_path: Path, kill_spool: bool) -> None:
    source = export(tmp_path, "new", rows=60)
    out = tmp_path / "out"
    run = _python(_CONVERT_SCRIPT, str(source), str(out), start_new_session=True)
    try:
        spool = int(run.stdout.readline())
        if kill_spool:
            os.killpg(run.pid, signal.SIGKILL)
        else:
            run.kill()
        run.wait()
        assert _wait_gone(spool)
    finally:
        try:
            os.killpg(run.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    left = leftovers(tmp_path)
    assert len(left) == 1 and left[0].endswith(".partial")
    assert len(os.listdir(tmp_path / left[0] / "Annotations")) >= 5  # those written inline
    report = lbconvert.convert(source, "voc", out)
    assert report.items == 60
    assert leftovers(tmp_path) == []


_JOBS_SCRIPT = """
    import os, sys, time
    import lbconvert
    from lbconvert.write.voc import VocWriter

    def write(self, item):  # each worker stops at its first item
        os.write(1, b"%d\\n" % os.getpid())  # one write: the workers' lines do not mix
        time.sleep(60)

    VocWriter.write = write
    lbconvert.convert(sys.argv[1], "voc", sys.argv[2], jobs=2)
"""


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rpartition(")")[2].split()[1]) == pid:
                    found.add(int(entry))
        except (OSError, ValueError):
            continue
    return found


@pytest.mark.skipif(not LINUX, reason="reads /proc")
@pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                    reason="the workers get the script's patch by fork")
def test_the_workers_of_jobs_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    source = export(tmp_path, "new", rows=60)
    run = _python(_JOBS_SCRIPT, str(source), str(tmp_path / "out"))
    workers: set[int] = set()
    try:
        working = int(run.stdout.readline())
        workers = _children(run.pid)
        assert working in workers
        run.kill()  # kill -9: no finally, no atexit, no pool shutdown
        run.wait()
        assert all(_wait_gone(worker, seconds=5) for worker in workers)
    finally:
        run.kill()
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signal.SIGKILL)


@pytest.mark.skipif(not LINUX, reason="reads /proc")
@pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                    reason="the workers get the script's patch by fork")
def test_ctrl_c_ends_the_workers_of_jobs_at_once_and_leaves_nothing(tmp_path: Path) -> None:
    """SIGINT to the parent alone: the pool's exit waited for the parts in
    progress (here 60 s; a long part of a real export); now it ends them."""
    source = export(tmp_path, "new", rows=60)
    # as from a terminal: a job started in the background (CI) ignores SIGINT
    run = _python(_JOBS_SCRIPT, str(source), str(tmp_path / "out"),
                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    workers: set[int] = set()
    try:
        run.stdout.readline()
        workers = _children(run.pid)
        started = time.monotonic()
        run.send_signal(signal.SIGINT)
        run.wait(timeout=30)
        assert time.monotonic() - started < 10 and run.returncode != 0
        assert all(_wait_gone(worker, seconds=5) for worker in workers)
        assert leftovers(tmp_path) == []
    finally:
        run.kill()
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signal.SIGKILL)


def test_a_worker_whose_parent_is_already_gone_exits_at_once() -> None:
    from lbconvert.plan import workers

    with pytest.raises(SystemExit):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(workers.os, "_exit", sys.exit)
            workers._exit_without(_dead_pid())


def test_directories_whose_owner_may_live_are_left_alone(tmp_path: Path) -> None:
    source = export(tmp_path, "new")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = partials.owner_token()  # this very process
        machine, pid, start = alive.split("-")
        with open(f"/proc/{sleeper.pid}/stat") if LINUX else open(os.devnull) as stat:
            fields = stat.read().rpartition(")")[2].split()
        sleeper_start = fields[19] if fields else ""
        dead = _dead_pid()
        names = {
            "mine": f".out.{alive}-0000000a.partial",
            "alive": f".out.{machine}-{sleeper.pid}-{sleeper_start}-0000000b.partial",
            "other machine": f".out.0123456789-{dead}-{start}-0000000c.partial",
            "old style": ".out.abcd1234.partial",
            "another target": f".out.x.{machine}-{dead}-{start}-0000000d.partial",
            "dead": f".out.{machine}-{dead}-{start}-0000000e.partial",
        }
        if LINUX:
            names["pid reused"] = f".out.{machine}-{sleeper.pid}-1-0000000f.partial"
        for name in names.values():
            (tmp_path / name / "x").mkdir(parents=True)
        lbconvert.convert(source, "jsonl", tmp_path / "out")
        remaining = set(os.listdir(tmp_path))
        assert names["dead"] not in remaining
        if LINUX:
            assert names["pid reused"] not in remaining
        for kept in ("mine", "alive", "other machine", "old style", "another target"):
            assert names[kept] in remaining, kept
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_temporary_directory_names_its_owner(tmp_path: Path) -> None:
    writer = get_writer("jsonl")(tmp_path / "out", Options())
    assert leftovers(tmp_path) == []  # nothing on disk before open()
    writer.open()
    try:
        name = writer.out.name
        assert name.startswith(".out." + partials.owner_token() + "-")
        assert name.endswith(".partial")
    finally:
        writer.abort()
    assert leftovers(tmp_path) == []


# --- 5. concurrent runs ---

def test_two_interleaved_writers_the_second_keeps_its_dataset_aside(tmp_path: Path) -> None:
    first_export, second_export = export(tmp_path, "first"), export(tmp_path, "second")
    out = tmp_path / "out"
    first = get_writer("jsonl")(out, Options())
    second = get_writer("jsonl")(out, Options())
    expected = {}
    for name, source in (("first", first_export), ("second", second_export)):
        reference = tmp_path / f"ref-{name}"
        lbconvert.convert(source, "jsonl", reference)
        expected[name] = (reference / "items.jsonl").read_bytes()
    _fill(first, first_export)
    _fill(second, second_export)
    first.close()
    with pytest.raises(OutputError) as failure:
        second.close()
    message = one_line(str(failure.value))
    assert f"{out} was filled by another run meanwhile" in message
    kept = Path(message.split("kept at ")[1].split(" (")[0])
    assert kept.name == f"out.lbconvert-{os.getpid()}"
    assert (out / "items.jsonl").read_bytes() == expected["first"]
    assert (kept / "items.jsonl").read_bytes() == expected["second"]
    assert [n for n in leftovers(tmp_path) if n.startswith(".")] == []


def test_with_overwrite_the_last_run_to_finish_wins(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = get_writer("jsonl")(out, Options(overwrite=True))
    second = get_writer("jsonl")(out, Options(overwrite=True))
    _fill(first, export(tmp_path, "first"))
    _fill(second, export(tmp_path, "second"))
    second.close()
    first.close()
    assert b"first-00000" in (out / "items.jsonl").read_bytes()
    assert leftovers(tmp_path) == []


def _fill(writer: Any, source: Path) -> None:
    from lbconvert.read import ExportReader
    from lbconvert.report import Report
    from lbconvert.select import Selector

    selector = Selector(writer.options, Report(), require_size=False)
    with ExportReader(source) as reader:
        for data_row in reader:
            for item in selector.items(data_row):
                writer.add(item)


_CONCURRENT_SCRIPT = """
    import sys
    import lbconvert
    from lbconvert.errors import OutputError
    from lbconvert.write.jsonl import JsonlWriter
    real_finish = JsonlWriter.finish

    def finish(self):
        real_finish(self)
        print("ready", flush=True)
        sys.stdin.readline()  # both runs are finished before either commits

    JsonlWriter.finish = finish
    try:
        lbconvert.convert(sys.argv[1], "jsonl", sys.argv[2])
    except OutputError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
"""


def test_two_processes_into_one_directory_one_wins_the_other_says_where_its_went(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    runs = [_python(_CONCURRENT_SCRIPT, str(export(tmp_path, tag)), str(out),
                    stderr=subprocess.PIPE) for tag in ("first", "second")]
    try:
        for run in runs:
            assert run.stdout.readline().strip() == "ready"
        for run in runs:
            run.stdin.write("\n")
            run.stdin.flush()
        results = [(run.wait(timeout=60), run.stderr.read()) for run in runs]
    finally:
        for run in runs:
            run.kill()
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1]
    loser = next(i for i, (code, _) in enumerate(results) if code == 1)
    message = one_line(results[loser][1])
    kept = Path(message.split("kept at ")[1].split(" (")[0])
    winner_tag, loser_tag = ("first", "second") if loser == 1 else ("second", "first")
    assert f"{winner_tag}-00000".encode() in (out / "items.jsonl").read_bytes()
    assert f"{loser_tag}-00000".encode() in (kept / "items.jsonl").read_bytes()
    assert [n for n in leftovers(tmp_path) if n.startswith(".")] == []


# --- 6. failure paths of __init__ and SmallFiles ---

@pytest.mark.parametrize("writer, options", [
    ("voc", {"segmentation": True, "classes": list(map(str, range(300)))}),
    ("masks", {"line_width": -1}),
    ("yolo", {"task": "pose"}),
])
def test_a_refused_option_leaves_no_directory_and_no_parents(
        tmp_path: Path, writer: str, options: dict[str, Any]) -> None:
    if "classes" in options:
        from lbconvert.classes import ClassMap

        classes = tmp_path / "classes.txt"
        classes.write_text("\n".join(options.pop("classes")) + "\n")
        options["classes"] = ClassMap.from_file(classes)
    with pytest.raises(lbconvert.LbConvertError):
        lbconvert.convert(export(tmp_path, "new"), writer, tmp_path / "a" / "b" / "out",
                          **options)
    assert not (tmp_path / "a").exists()


def test_bad_input_midway_leaves_no_directory_no_parents_and_no_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 2)
    source = export(tmp_path, "new", rows=20)
    with open(source, "a") as handle:
        handle.write('{"data_row": 5}\n')
    fds = open_fds()
    started: list[Any] = []
    real_start = SmallFiles._start_spool

    def start(self: SmallFiles) -> Any:
        spool = real_start(self)
        started.append(spool)
        return spool

    monkeypatch.setattr(SmallFiles, "_start_spool", start)
    with pytest.raises(lbconvert.LbConvertError):
        lbconvert.convert(source, "yolo", tmp_path / "a" / "out")
    assert not (tmp_path / "a").exists()
    assert started and all(spool.returncode is not None for spool in started)
    assert open_fds() == fds


def test_an_interrupted_close_of_small_files_stops_the_spool(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 0)
    files = SmallFiles(tmp_path / "files")
    files.write("a.txt", b"x")
    spool = files._spool
    assert spool is not None

    def interrupted(*args: Any, **kwargs: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_send", interrupted)  # before the end record went out
    with pytest.raises(KeyboardInterrupt):
        files.close()
    assert spool.wait(timeout=5) == -signal.SIGKILL  # killed, not left waiting for input
    assert files._fd is None


def test_the_output_error_of_the_spool_is_one_line(tmp_path: Path) -> None:
    error = SmallFiles(tmp_path / "x")._failure.__func__  # type: ignore[attr-defined]

    class Fake:
        returncode = 1

        class stderr:
            @staticmethod
            def read() -> bytes:
                return b"cannot write a\nsecond line\n"

            @staticmethod
            def close() -> None:
                pass

        class stdin:
            @staticmethod
            def close() -> None:
                pass

    files = SmallFiles(tmp_path / "y")
    assert str(error(files, Fake())) == "cannot write a second line"
    Fake.stderr.read = staticmethod(lambda: b"28\tNo space left on device\t/o/.p/a.xml\n")
    found = error(files, Fake())
    assert type(found) is OSError and (found.errno, found.strerror, found.filename) == (
        28, "No space left on device", "/o/.p/a.xml")
    files.close()


def test_the_report_json_of_a_run_lists_no_temporary_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    assert cli.main(["convert", str(export(tmp_path, "new")), "--to", "jsonl", "-o", str(out),
                     "--report", str(report)]) == 0
    assert ".partial" not in report.read_text()
    assert json.loads(report.read_text())["output"] == str(out)
