"""SmallFiles: one file per image, written here or by the spool process."""

from __future__ import annotations

import errno

import filecmp
from pathlib import Path

import pytest

import lbconvert
from lbconvert.errors import OutputError
from lbconvert.write.small_files import SmallFiles

from .inline import box, row, write_export


def _same_trees(left: Path, right: Path) -> bool:
    compared = filecmp.dircmp(left, right)
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(left, right, compared.common_files, shallow=False)
    return not mismatch and not errors and all(
        _same_trees(left / d, right / d) for d in compared.common_dirs)


def _export(tmp_path: Path, rows: int) -> Path:
    return write_export(tmp_path / "many.ndjson", [
        row(f"img-{i:04d}", [box("car", i % 50, 3, 20 + i % 7, 10)] if i % 3 else [])
        for i in range(rows)])


def _frame_then_image(tmp_path: Path, image_key: str) -> Path:
    """A video ``clip`` whose frame 1 is named ``clip_000001``, then an image row."""
    video = {"data_row": {"id": "v1", "global_key": "clip"},
             "media_attributes": {"width": 100, "height": 100, "mime_type": "video/mp4"},
             "projects": {"p": {"labels": [{"annotations": {"frames": {"1": {"objects": {
                 "f1": {"annotation_kind": "VideoBoundingBox", "name": "car", "feature_id": "f1",
                        "bounding_box": {"left": 1, "top": 1, "width": 5, "height": 5}}}}}}}]}}}
    return write_export(tmp_path / "dup.ndjson",
                        [video, row(image_key, [box("car", 50, 50, 10, 10)])])


def test_spooled_files_are_the_files_written_inline(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 0)
    monkeypatch.setattr(SmallFiles, "BATCH_BYTES", 1000)  # many batches, and one partial
    files = SmallFiles(tmp_path / "spooled")
    payloads = {f"f{i:03d}.txt": bytes([i % 251]) * (i * 37) for i in range(300)}
    payloads["ünï – 🚗.txt"] = "ünï\n".encode()
    for name, data in payloads.items():
        files.write(name, data)
    files.close()
    assert {p.name: p.read_bytes() for p in (tmp_path / "spooled").iterdir()} == payloads


@pytest.mark.parametrize("fmt", ["yolo", "voc"])
def test_conversion_through_the_spool_is_byte_identical(tmp_path: Path, monkeypatch,
                                                        fmt: str) -> None:
    export = _export(tmp_path, 120)
    options = dict(split={"train": 0.7, "val": 0.3})
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", None)
    inline = lbconvert.convert(export, fmt, tmp_path / "inline", **options)
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 10)
    monkeypatch.setattr(SmallFiles, "BATCH_BYTES", 4096)
    spooled = lbconvert.convert(export, fmt, tmp_path / "spooled", **options)
    assert spooled.to_dict() == inline.to_dict()
    assert inline.annotations_written == 80
    assert _same_trees(tmp_path / "inline", tmp_path / "spooled")


def test_a_file_the_spool_cannot_write_is_its_os_error(tmp_path: Path, monkeypatch) -> None:
    """The OSError a write in this process would raise (the writer then
    reports it as any other: one line naming OUT)."""
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 0)
    files = SmallFiles(tmp_path / "out")
    files.write("no-such-dir/a.txt", b"x")
    with pytest.raises(FileNotFoundError) as failure:
        for _ in range(200):  # the failure shows on a later batch at the latest on close
            files.write("b.txt", b"y" * 65536)
        files.close()
    assert failure.value.errno == errno.ENOENT
    assert failure.value.filename == str(tmp_path / "out" / "no-such-dir" / "a.txt")


def test_abort_stops_the_spool(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 0)
    files = SmallFiles(tmp_path / "out")
    files.write("a.txt", b"x")
    spool = files._spool
    files.abort()
    assert spool is not None and spool.returncode is not None


def test_a_failing_spool_leaves_no_dataset(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 5)
    monkeypatch.setattr(SmallFiles, "BATCH_BYTES", 64)
    export = _export(tmp_path, 40)
    original = SmallFiles.write

    def write_one_bad(self: SmallFiles, name: str, data: bytes) -> None:
        original(self, "missing/" + name if name == "img-0020.xml" else name, data)

    monkeypatch.setattr(SmallFiles, "write", write_one_bad)
    with pytest.raises(OutputError) as failure:
        lbconvert.convert(export, "voc", tmp_path / "voc")
    out = tmp_path / "voc"  # as an inline write's failure reads
    assert str(failure.value) == (f"cannot write the dataset for {out}: No such file or "
                                  f"directory; nothing was written, {out} is as it was")
    assert not (tmp_path / "voc").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["many.ndjson"]  # no temporary directory


def test_voc_renames_a_frame_named_like_an_image(tmp_path: Path) -> None:
    export = _frame_then_image(tmp_path, "clip_000001")
    report = lbconvert.convert(export, "voc", tmp_path / "out")
    files = sorted(p.name for p in (tmp_path / "out/Annotations").iterdir())
    assert len(files) == 2 and files[0] == "clip_000001.xml"
    assert files[1].startswith("clip_000001__") and files[1].endswith(".xml")
    stems = (tmp_path / "out/ImageSets/Main/train.txt").read_text().split()
    assert stems == [files[0][:-4], files[1][:-4]]
    assert report.warnings == {"duplicate file name, renamed": 1}


def test_without_an_interpreter_to_start_files_are_written_here(tmp_path: Path,
                                                                monkeypatch) -> None:
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 1)
    monkeypatch.setattr("sys.executable", "")
    files = SmallFiles(tmp_path / "out")
    for name in ("a.txt", "b.txt", "c.txt"):
        files.write(name, name.encode())
    assert files._spool is None
    files.close()
    assert sorted(p.read_text() for p in (tmp_path / "out").iterdir()) == ["a.txt", "b.txt", "c.txt"]


def test_masks_rename_a_frame_named_like_an_image(tmp_path: Path) -> None:
    export = _frame_then_image(tmp_path, "CLIP_000001")
    report = lbconvert.convert(export, "masks", tmp_path / "out")
    files = sorted(p.name for p in (tmp_path / "out/semantic").iterdir())
    assert len(files) == 2 and files[1] == "clip_000001.png"  # the frame came first
    assert files[0].startswith("CLIP_000001__")  # case-insensitively the same name
    assert report.warnings == {"duplicate file name, renamed": 1}


def test_bad_input_with_the_spool_running_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(SmallFiles, "SPOOL_AFTER", 5)
    export = _export(tmp_path, 30)
    with export.open("a", encoding="utf-8") as out:
        out.write('{"data_row": {"id": "x"}, "projects": [1, 2]}\n')
    for fmt in ("yolo", "voc"):
        with pytest.raises(lbconvert.ExportFormatError,
                           match=r"many\.ndjson:31: data row x: projects: expected object"):
            lbconvert.convert(export, fmt, tmp_path / fmt)
        assert not (tmp_path / fmt).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["many.ndjson"]
