"""Regressions found by attacking the merged code as a user would (issue 11's promises
applied to every subcommand: an output never destroys an input, links and odd
``-o`` values end in one line, failed runs leave nothing behind)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

import lbconvert
from lbconvert.cli import main

from .conftest import FIXTURES

PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"


def coco_dataset(tmp_path: Path) -> Path:
    out = tmp_path / "coco"
    lbconvert.convert(FIXTURES / "v2" / "images.ndjson", "coco", out, project=PROJECT)
    return out


def run_cli(args: list[str], capsys: Any) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err.strip()


@pytest.mark.parametrize("target", ["manifest.jsonl", "annotations.json",
                                    "lbconvert-report.json"])
def test_to_labelbox_never_replaces_a_file_of_its_input_dataset(
        tmp_path: Path, capsys: Any, target: str) -> None:
    ds = coco_dataset(tmp_path)
    before = (ds / target).read_bytes()
    code, err = run_cli(["to-labelbox", str(ds), "--from", "coco", "-o", str(ds / target)],
                        capsys)
    assert code == 1 and "\n" not in err and "would be replaced" in err
    assert (ds / target).read_bytes() == before
    assert sorted(p.name for p in ds.iterdir()) == ["annotations.json",
                                                    "lbconvert-report.json", "manifest.jsonl"]


def test_to_labelbox_never_replaces_its_source_or_manifest_given_by_path(
        tmp_path: Path, capsys: Any) -> None:
    ds = coco_dataset(tmp_path)
    annotations = ds / "annotations.json"
    before = annotations.read_bytes()
    for out in (annotations, ds / "manifest.jsonl"):
        code, err = run_cli(["to-labelbox", str(annotations), "--from", "coco",
                             "--manifest", str(ds / "manifest.jsonl"), "-o", str(out)], capsys)
        assert code == 1 and "is an input of this run" in err
    assert annotations.read_bytes() == before


def test_to_labelbox_writes_an_ndjson_inside_the_dataset_and_reruns(
        tmp_path: Path, capsys: Any) -> None:
    ds = coco_dataset(tmp_path)
    for again in ([], ["--overwrite"]):  # an earlier NDJSON output is ours to replace
        assert main(["to-labelbox", str(ds), "--from", "coco", "-o", str(ds / "p.ndjson"),
                     *again]) == 0
    assert len((ds / "p.ndjson").read_text().splitlines()) == 5


def test_to_labelbox_dangling_link_is_refused_and_kept(tmp_path: Path, capsys: Any) -> None:
    ds = coco_dataset(tmp_path)
    link = tmp_path / "link.ndjson"
    link.symlink_to("nowhere/x.ndjson")
    code, err = run_cli(["to-labelbox", str(ds), "--from", "coco", "-o", str(link)], capsys)
    assert code == 1 and "\n" not in err and "which is nothing" in err
    assert link.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == [
        "coco", "link.ndjson"]


def test_to_labelbox_through_a_link_to_a_file_writes_the_file(tmp_path: Path) -> None:
    ds = coco_dataset(tmp_path)
    target = tmp_path / "real.ndjson"
    target.write_text("old\n")
    link = tmp_path / "link.ndjson"
    link.symlink_to(target.name)
    assert main(["to-labelbox", str(ds), "--from", "coco", "-o", str(link), "--overwrite"]) == 0
    assert link.is_symlink() and len(target.read_text().splitlines()) == 5


# --- preview -o ----------------------------------------------------------------------


def test_preview_into_the_dataset_itself_is_refused(tmp_path: Path, capsys: Any) -> None:
    ds = coco_dataset(tmp_path)
    code, err = run_cli(["preview", str(ds), "-o", str(ds)], capsys)
    assert code == 1 and "\n" not in err and "is the dataset itself" in err
    assert sorted(p.name for p in ds.iterdir()) == ["annotations.json",
                                                    "lbconvert-report.json", "manifest.jsonl"]


def test_preview_dangling_link_is_one_clear_line(tmp_path: Path, capsys: Any) -> None:
    ds = coco_dataset(tmp_path)
    link = tmp_path / "pv"
    link.symlink_to("nowhere")
    code, err = run_cli(["preview", str(ds), "-o", str(link)], capsys)
    assert code == 1 and "\n" not in err and "which is nothing" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coco", "pv"]


def test_preview_that_fails_while_drawing_keeps_the_old_page(
        tmp_path: Path, monkeypatch: Any) -> None:
    ds = coco_dataset(tmp_path)
    dest = tmp_path / "pv"
    lbconvert.preview(ds, dest, n=2, thumb_size=32)
    before = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert len(before) == 3
    from lbconvert.preview import draw

    calls = []
    real = draw.render

    def full_disk(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(draw, "render", full_disk)
    with pytest.raises(lbconvert.LbConvertError, match="No space left on device"):
        lbconvert.preview(ds, dest, n=5, thumb_size=32, seed=3, overwrite=True)
    after = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert after == before and sorted(p.name for p in dest.iterdir()) == ["index.html",
                                                                         "thumbs"]


def test_preview_removes_the_staging_of_a_killed_run(tmp_path: Path) -> None:
    ds = coco_dataset(tmp_path)
    dest = tmp_path / "pv"
    dest.mkdir()
    from lbconvert.write import partials

    machine = partials.owner_token().split("-")[0]
    dead = dest / f".thumbs.{machine}-999999999-1-0123abcd.partial"
    dead.mkdir()
    (dead / "001.png").write_bytes(b"x")
    lbconvert.preview(ds, dest, n=1, thumb_size=32)
    assert sorted(p.name for p in dest.iterdir()) == ["index.html", "thumbs"]


def test_preview_on_a_full_disk_is_one_line_and_leaves_no_directory(
        tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    ds = coco_dataset(tmp_path)
    from lbconvert.preview import draw

    def full_disk(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(draw, "render", full_disk)
    code, err = run_cli(["preview", str(ds), "-o", str(tmp_path / "pv")], capsys)
    assert code == 1 and err == (f"lbconvert: error: cannot write the preview in {tmp_path / 'pv'}"
                                 ": No space left on device; the earlier page is as it was")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coco"]


def test_to_labelbox_on_a_full_disk_names_the_output(
        tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    ds = coco_dataset(tmp_path)
    from lbconvert.reverse.ndjson import NdjsonSink

    def full_disk(self: Any, line: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(NdjsonSink, "_write", full_disk)
    out = tmp_path / "p.ndjson"
    code, err = run_cli(["to-labelbox", str(ds), "--from", "coco", "-o", str(out)], capsys)
    assert code == 1 and err == (f"lbconvert: error: cannot write {out}: No space left on "
                                 f"device; nothing was written, {out} is as it was")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coco"]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="POSIX flock")
def test_two_previews_into_one_place_publish_one_after_the_other(tmp_path: Path) -> None:
    import fcntl
    import os
    import threading

    ds = coco_dataset(tmp_path)
    dest = tmp_path / "pv"
    dest.mkdir()
    handle = os.open(dest, os.O_RDONLY)
    fcntl.flock(handle, fcntl.LOCK_EX)  # another preview publishing
    done = threading.Event()
    thread = threading.Thread(target=lambda: (lbconvert.preview(ds, dest, n=2, thumb_size=32),
                                              done.set()))
    thread.start()
    try:
        assert not done.wait(1.5) and not (dest / "index.html").exists()
    finally:
        os.close(handle)
    thread.join(30)
    assert done.is_set() and len(list((dest / "thumbs").iterdir())) == 2


# --- preview of a damaged dataset: one line naming the file ---------------------------


@pytest.mark.parametrize("damage", ["cut", "junk"])
@pytest.mark.parametrize("folder", ["semantic", "instance"])
def test_preview_of_a_broken_mask_png_names_it(tmp_path: Path, capsys: Any, damage: str,
                                               folder: str) -> None:
    ds = tmp_path / "masks"
    lbconvert.convert(FIXTURES / "v2" / "images.ndjson", "masks", ds, project=PROJECT,
                      instances=True)
    png = sorted((ds / folder).glob("*.png"))[0]
    data = png.read_bytes()
    png.write_bytes(data[: len(data) // 2] if damage == "cut" else b"not a png")
    code, err = run_cli(["preview", str(ds), "-o", str(tmp_path / "pv")], capsys)
    assert code == 1 and "\n" not in err
    assert err.startswith(f"lbconvert: error: {png}: not a readable image (")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["masks"]


def test_preview_with_a_broken_photo_in_images_names_it(tmp_path: Path, capsys: Any) -> None:
    ds = coco_dataset(tmp_path)
    images = tmp_path / "images"
    images.mkdir()
    (images / "street-001.jpg").write_bytes(b"\xff\xd8\xff garbage")
    code, err = run_cli(["preview", str(ds), "-o", str(tmp_path / "pv"), "--images",
                         str(images)], capsys)
    assert code == 1 and "\n" not in err
    assert err.startswith(f"lbconvert: error: {images / 'street-001.jpg'}: not a readable image")


@pytest.fixture
def opener_without_its_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Pillow opener, as another package registers one (Ultralytics' HEIF), whose
    optional module is missing: it raises ImportError for every file it is offered."""
    from PIL import Image

    def accept(prefix: bytes) -> bool:
        return True

    def factory(*args: Any) -> Any:
        raise ImportError("No module named 'pi_heif'")

    monkeypatch.setattr(Image, "ID", ["FAKEHEIF", *Image.ID])
    monkeypatch.setitem(Image.OPEN, "FAKEHEIF", (factory, accept))


def test_an_opener_missing_its_module_is_an_unreadable_image(
        tmp_path: Path, capsys: Any, opener_without_its_module: None) -> None:
    from lbconvert.images import read_image_size

    test_preview_with_a_broken_photo_in_images_names_it(tmp_path, capsys)
    photo = tmp_path / "images" / "street-001.jpg"
    assert read_image_size(photo) == (None, None)


@pytest.mark.parametrize("mime", [["image/jpeg"], {"a": 1}, 5])
def test_legacy_mime_type_that_is_not_a_string_is_ignored(tmp_path: Path, mime: Any) -> None:
    import json

    record = json.loads((FIXTURES / "legacy" / "single.json").read_text())
    record["Media Attributes"] = {"width": 640, "height": 480, "mimeType": mime}
    export = tmp_path / "e.json"
    export.write_text(json.dumps(record))
    report = lbconvert.convert(export, "coco", tmp_path / "out")
    assert report.is_balanced() and report.items == 1


def yolo_dataset(tmp_path: Path) -> Path:
    out = tmp_path / "yolo"
    lbconvert.convert(FIXTURES / "v2" / "images.ndjson", "yolo", out, project=PROJECT)
    return out


def test_preview_of_a_yolo_label_file_that_is_not_utf8_names_file_and_line(
        tmp_path: Path, capsys: Any) -> None:
    ds = yolo_dataset(tmp_path)
    label = sorted((ds / "labels").rglob("*.txt"))[0]
    label.write_bytes(b"0 0.5 0.5 0.1 0.1\n0 0.5 \xff 0.1 0.1\n")
    code, err = run_cli(["preview", str(ds), "-o", str(tmp_path / "pv")], capsys)
    assert (code, err) == (1, f"lbconvert: error: {label}:2: not UTF-8 text (byte 0xff)")


def test_preview_of_a_voc_image_set_that_is_not_utf8_names_it(
        tmp_path: Path, capsys: Any) -> None:
    ds = tmp_path / "voc"
    lbconvert.convert(FIXTURES / "v2" / "images.ndjson", "voc", ds, project=PROJECT)
    image_set = sorted((ds / "ImageSets" / "Main").glob("*.txt"))[0]
    image_set.write_bytes(b"\xc0\n")
    code, err = run_cli(["preview", str(ds), "-o", str(tmp_path / "pv")], capsys)
    assert (code, err) == (1, f"lbconvert: error: {image_set}:1: not UTF-8 text (byte 0xc0)")


def test_a_data_yaml_nested_too_deeply_is_one_line(tmp_path: Path, capsys: Any) -> None:
    ds = yolo_dataset(tmp_path)
    (ds / "data.yaml").write_text("names: " + "[" * 20000 + "]" * 20000 + "\n")
    code, err = run_cli(["preview", str(ds), "-o", str(tmp_path / "pv")], capsys)
    assert (code, err) == (1, f"lbconvert: error: {ds / 'data.yaml'}: nested too deeply")
    code, err = run_cli(["to-labelbox", str(ds), "--from", "yolo", "-o",
                         str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and err.endswith("data.yaml: nested too deeply") and "\n" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["yolo"]


def test_legacy_wkt_of_a_curved_type_is_a_one_line_error(tmp_path: Path) -> None:
    import json

    record = {"ID": "l1", "DataRow ID": "r1", "Labeled Data": "https://x/a.jpg",
              "Label": {"Car": [{"geometry": "CIRCULARSTRING (0 0, 1 1, 2 0)"}]}}
    export = tmp_path / "e.json"
    export.write_text(json.dumps([record]))
    with pytest.raises(lbconvert.LbConvertError, match=r"Label\.Car\[0\]\.geometry: not valid WKT"
                       ) as caught:
        lbconvert.convert(export, "coco", tmp_path / "out")
    assert "\n" not in str(caught.value) and sorted(p.name for p in tmp_path.iterdir()) == [
        "e.json"]


@pytest.mark.parametrize("command", ["convert", "to-labelbox"])
def test_report_dash_is_json_on_stdout_and_no_file_named_dash(
        tmp_path: Path, capsys: Any, monkeypatch: Any, command: str) -> None:
    import json

    monkeypatch.chdir(tmp_path)
    if command == "convert":
        args = ["convert", str(FIXTURES / "v2" / "images.ndjson"), "--to", "coco", "-o", "out",
                "--project", PROJECT, "--report", "-"]
    else:
        coco_dataset(tmp_path)
        capsys.readouterr()
        args = ["to-labelbox", "coco", "--from", "coco", "-o", "p.ndjson", "--report", "-"]
    assert main(args) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["annotations_written"] + sum(report["dropped"].values()) == \
        report["objects_read"]
    assert " annotations written" in captured.err and not (tmp_path / "-").exists()


@pytest.mark.parametrize("size", ["15", "4097", "100000"])
def test_preview_thumbnail_size_is_bounded(tmp_path: Path, capsys: Any, size: str) -> None:
    ds = coco_dataset(tmp_path)
    code, err = run_cli(["preview", str(ds), "-o", str(tmp_path / "pv"), "--thumb-size", size],
                        capsys)
    assert (code, err) == (1, "lbconvert: error: the thumbnail size must be 16 to 4096 pixels, "
                              f"not {size}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coco"]


def test_to_labelbox_masks_folder_survives_a_failed_swap(tmp_path: Path,
                                                         monkeypatch: Any) -> None:
    import json
    import os

    import numpy as np

    from lbconvert.write.rle import rle_encode

    mask = np.zeros((4, 6), dtype=bool)
    mask[1:3, 2:5] = True
    gt = {"images": [{"id": 1, "file_name": "m.png", "width": 6, "height": 4,
                      "data_row_id": "row-m", "global_key": None}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [2, 1, 3, 2],
                           "segmentation": rle_encode(mask), "iscrowd": 0, "area": 6}],
          "categories": [{"id": 3, "name": "road"}]}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    lbconvert.to_labelbox(tmp_path / "gt.json", "coco", tmp_path / "h.ndjson",
                          mask_url="https://bucket.example/masks/")
    before = sorted(p.name for p in (tmp_path / "h_masks").iterdir())
    real = os.replace

    def failing(src: Any, dst: Any) -> None:
        if Path(dst) == tmp_path / "h_masks" and Path(src).name.endswith(".tmp"):
            raise OSError(5, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises((OSError, lbconvert.LbConvertError)):
        lbconvert.to_labelbox(tmp_path / "gt.json", "coco", tmp_path / "h.ndjson",
                              mask_url="https://other.example/")
    assert sorted(p.name for p in (tmp_path / "h_masks").iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gt.json", "h.ndjson", "h_masks"]


# --- --report never replaces an input and fails before any work ----------------------


def test_convert_report_that_is_the_export_is_refused(tmp_path: Path, capsys: Any) -> None:
    export = tmp_path / "e.ndjson"
    export.write_bytes((FIXTURES / "v2" / "images.ndjson").read_bytes())
    before = export.read_bytes()
    code, err = run_cli(["convert", str(export), "--to", "coco", "-o", str(tmp_path / "out"),
                         "--project", PROJECT, "--report", str(export)], capsys)
    assert (code, err) == (1, f"lbconvert: error: --report {export} is an input of this run "
                              "(it would be replaced); name another file")
    assert export.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [
        "e.ndjson"]


def test_report_into_a_missing_folder_fails_before_writing_the_dataset(
        tmp_path: Path, capsys: Any) -> None:
    report = tmp_path / "nodir" / "r.json"
    code, err = run_cli(["convert", str(FIXTURES / "v2" / "images.ndjson"), "--to", "coco",
                         "-o", str(tmp_path / "out"), "--project", PROJECT,
                         "--report", str(report)], capsys)
    assert (code, err) == (1, f"lbconvert: error: --report {report}: no such directory "
                              f"{tmp_path / 'nodir'}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["out", "out/r.json", "out/sub/r.json", "link/r.json"])
@pytest.mark.parametrize("exists", [False, True])
def test_convert_report_inside_the_output_directory_is_refused_before_any_work(
        tmp_path: Path, capsys: Any, where: str, exists: bool) -> None:
    """The dataset replaces OUT as a whole: a report in it would be lost or
    mixed into the dataset (and ``--report OUT`` failed after the work)."""
    out = tmp_path / "out"
    if exists:
        (out / "sub").mkdir(parents=True)
        (out / "sub" / "keep.txt").write_text("old")
    (tmp_path / "link").symlink_to(out)
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    report = tmp_path / where
    code, err = run_cli(["convert", str(FIXTURES / "v2" / "images.ndjson"), "--to", "yolo",
                         "-o", str(out), "--project", PROJECT, "--overwrite",
                         "--report", str(report)], capsys)
    assert (code, err) == (1, f"lbconvert: error: --report {report} is inside the output "
                              f"directory {out}, which the dataset replaces as a whole; "
                              "name a file outside it")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


def test_convert_report_beside_the_output_directory_is_written(
        tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out"
    for report in (tmp_path / "out.json", tmp_path / "outer" / ".." / "out-report.json"):
        (tmp_path / "outer").mkdir(exist_ok=True)
        code, _ = run_cli(["convert", str(FIXTURES / "v2" / "images.ndjson"), "--to", "yolo",
                           "-o", str(out), "--project", PROJECT, "--overwrite", "-q",
                           "--report", str(report)], capsys)
        assert code == 0 and orjson.loads(report.read_bytes())["output"] == str(out)


def test_to_labelbox_report_over_a_dataset_file_is_refused(tmp_path: Path, capsys: Any) -> None:
    ds = coco_dataset(tmp_path)
    before = (ds / "lbconvert-report.json").read_bytes()
    code, err = run_cli(["to-labelbox", str(ds), "--from", "coco", "-o",
                         str(tmp_path / "p.ndjson"), "--report",
                         str(ds / "lbconvert-report.json")], capsys)
    assert code == 1 and "is an input of this run" in err
    assert (ds / "lbconvert-report.json").read_bytes() == before
    assert not (tmp_path / "p.ndjson").exists()


# --- a tangled polyline (found by the fuzz: 16 GB in GEOS's buffer) -------------------


def test_tangled_polyline_is_painted_in_linear_time_and_as_the_band() -> None:
    import time

    import numpy as np

    from lbconvert.write import polylines

    rng = np.random.default_rng(0)
    small = np.column_stack([100 + 80 * rng.random(1200), 100 + 60 * rng.random(1200)])
    assert polylines._tangled_line(small)
    fast = np.zeros((300, 300), bool)
    polylines.fill_polyline(fast, small, True, 3.0)
    whole = np.zeros((300, 300), bool)
    polylines.fill_geometry(whole, polylines.polyline_geometry(small, 3.0), True)
    assert whole.sum() > 4000 and (fast != whole).sum() <= whole.sum() // 1000
    zigzag = np.array([[500 + 400 * ((i * 7919) % 20000) / 20000, 300 + (i % 97)]
                       for i in range(20000)])
    canvas = np.zeros((480, 1000), bool)
    started = time.process_time()
    polylines.fill_polyline(canvas, zigzag, True, 3.0)
    assert time.process_time() - started < 10
    rows, cols = np.nonzero(canvas)
    assert rows.min() >= 298 and rows.max() <= 398 and cols.min() >= 498 and cols.max() <= 902


def test_a_straight_long_polyline_keeps_the_whole_line_buffer() -> None:
    import numpy as np

    from lbconvert.write import polylines

    line = np.column_stack([np.linspace(0, 999, 5000), np.full(5000, 10.0)])
    assert not polylines._tangled_line(line)


@pytest.mark.parametrize("row", ["0 0.5 0.5 nan 1", "inf 0.5 0.5 0.1 0.1", "0 1e300 0.5 0.1 0.1",
                                 "nan 0.5 0.5 0.1 0.1"])
def test_preview_of_a_yolo_row_with_a_number_out_of_range_names_file_and_line(
        tmp_path: Path, capsys: Any, row: str) -> None:
    ds = yolo_dataset(tmp_path)
    label = sorted((ds / "labels").rglob("*.txt"))[0]
    label.write_text("0 0.5 0.5 0.1 0.1\n" + row + "\n")
    code, err = run_cli(["preview", str(ds), "-o", str(tmp_path / "pv"), "-n", "99"], capsys)
    assert (code, err) == (1, f"lbconvert: error: {label}:2: a number that is not finite or "
                              "beyond +-1e+06")


def test_to_labelbox_drops_a_yolo_box_entirely_outside_the_image(tmp_path: Path) -> None:
    import json

    ds = yolo_dataset(tmp_path)
    label = sorted((ds / "labels").rglob("*.txt"))[0]
    label.write_text("0 1e300 0.5 0.1 0.1\n0 -5 0.5 0.1 0.1\n0 0.5 0.5 0.2 0.2\n")
    out = tmp_path / "p.ndjson"
    report = lbconvert.to_labelbox(ds, "yolo", out)
    assert report.is_balanced() and dict(report.dropped) == {"entirely outside the image": 2}
    lefts = [json.loads(line)["bbox"]["left"] for line in out.read_text().splitlines()
             if "bbox" in line]
    assert max(lefts) < 10_000 and min(lefts) > -1


def test_to_labelbox_failure_removes_the_folders_it_made(tmp_path: Path, capsys: Any) -> None:
    ds = yolo_dataset(tmp_path)
    label = sorted((ds / "labels").rglob("*.txt"))[-1]
    label.write_text("zz\n")
    code, err = run_cli(["to-labelbox", str(ds), "--from", "yolo", "-o",
                         str(tmp_path / "new" / "sub" / "p.ndjson")], capsys)
    assert code == 1 and err.endswith("'zz' is not a number")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["yolo"]


@pytest.mark.parametrize("color", [[[1], 2, 3], [1, 2], [300, 0, 0], "red", [True, 0, 0]])
def test_preview_of_classes_json_with_a_bad_color_names_the_entry(
        tmp_path: Path, capsys: Any, color: Any) -> None:
    import json

    ds = tmp_path / "masks"
    lbconvert.convert(FIXTURES / "v2" / "images.ndjson", "masks", ds, project=PROJECT)
    classes = json.loads((ds / "classes.json").read_text())
    classes[1]["color"] = color
    (ds / "classes.json").write_text(json.dumps(classes))
    code, err = run_cli(["preview", str(ds), "-o", str(tmp_path / "pv")], capsys)
    assert (code, err) == (1, f"lbconvert: error: {ds / 'classes.json'}: [1]: 'color' must be "
                              "three integers 0-255")


def test_voc_xml_with_an_unknown_encoding_is_one_line(tmp_path: Path, capsys: Any) -> None:
    ds = tmp_path / "voc"
    lbconvert.convert(FIXTURES / "v2" / "images.ndjson", "voc", ds, project=PROJECT)
    xml = sorted((ds / "Annotations").glob("*.xml"))[0]
    xml.write_bytes(xml.read_bytes().replace(b"utf-8", b"gtf-8", 1).replace(b"UTF-8", b"gtf-8", 1))
    assert b"gtf-8" in xml.read_bytes()
    code, err = run_cli(["preview", str(ds), "-o", str(tmp_path / "pv")], capsys)
    assert code == 1 and err.startswith(f"lbconvert: error: {xml}: not valid XML (")
    code, err = run_cli(["to-labelbox", str(ds), "--from", "voc", "-o",
                         str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and err.startswith(f"lbconvert: error: {xml}: not valid XML (")


@pytest.mark.parametrize("field", ["bbox", "image_id", "category_id", "score"])
def test_coco_results_with_a_deeply_nested_value_is_one_line(
        tmp_path: Path, capsys: Any, field: str) -> None:
    import json

    ds = tmp_path / "coco"
    lbconvert.convert(FIXTURES / "v2" / "images.ndjson", "coco", ds, project=PROJECT,
                      results=True)
    deep: Any = 1
    for _ in range(900):
        deep = [deep]
    result = {"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}
    result[field] = deep
    (ds / "results.json").write_text(json.dumps([result]))
    code, err = run_cli(["to-labelbox", str(ds), "--from", "coco-results", "-o",
                         str(tmp_path / "p.ndjson")], capsys)
    assert code == 1 and "\n" not in err and "internal error" not in err and len(err) < 400
    assert err.startswith(f"lbconvert: error: {ds / 'results.json'}")


def test_preview_of_a_missing_dataset_says_so(tmp_path: Path, capsys: Any) -> None:
    code, err = run_cli(["preview", str(tmp_path / "nope"), "-o", str(tmp_path / "pv")], capsys)
    assert (code, err) == (1, f"lbconvert: error: {tmp_path / 'nope'}: no such directory")
    (tmp_path / "file").write_text("x")
    code, err = run_cli(["preview", str(tmp_path / "file"), "-o", str(tmp_path / "pv")], capsys)
    assert (code, err) == (1, f"lbconvert: error: {tmp_path / 'file'}: not a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_to_labelbox_never_signals_a_pid_on_windows(monkeypatch: Any) -> None:
    import os

    from lbconvert.reverse import ndjson

    signalled = []
    monkeypatch.setattr(ndjson.os, "name", "nt")
    monkeypatch.setattr(ndjson.os, "kill", lambda *args: signalled.append(args))
    assert not ndjson._owner_is_gone(f".p.ndjson.{os.getpid() + 1}.0123abcd.tmp")
    assert signalled == []
