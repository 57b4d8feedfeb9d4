"""Hostile input ends in one line naming file and line (or index), never a traceback."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest

import lbconvert
from lbconvert.cli import main
from lbconvert.errors import ExportFormatError, LbConvertError, one_line
from lbconvert.model import UnknownAnnotation
from lbconvert.options import Options
from lbconvert.read import records
from lbconvert.select import Selector
from lbconvert.write.jsonl import JsonlWriter

from .conftest import FIXTURES
from .inline import box, polygon, polyline, point, row, write_export

WRITERS = ("coco", "yolo", "voc", "masks", "jsonl", "geojson")


def _first_row() -> dict[str, Any]:
    return json.loads((FIXTURES / "v2/images.ndjson").read_text().splitlines()[0])


def _legacy() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "legacy/array.json").read_text())


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


# --- 1. deep nesting ---------------------------------------------------------

@pytest.mark.parametrize("where", ["data_row", "object", "classification", "media"])
def test_ndjson_nested_1000_deep_in_any_field_is_one_line(tmp_path: Path, where: str) -> None:
    record = _first_row()
    label = next(iter(record["projects"].values()))["labels"][0]
    target = {"data_row": record["data_row"], "object": label["annotations"]["objects"][0],
              "classification": label["annotations"]["classifications"][0],
              "media": record["media_attributes"]}[where]
    target["deep"] = "DEEP"
    text = json.dumps(record).replace('"DEEP"', _nested(1000))
    path = tmp_path / "deep.ndjson"
    path.write_text(json.dumps(_first_row()) + "\n" + text + "\n")
    with pytest.raises(ExportFormatError, match=r"deep\.ndjson:2: nested too deeply") as caught:
        list(lbconvert.read(path))
    assert caught.value.line == 2


def test_json_array_nested_100000_deep_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" + json.dumps(_first_row()) + "," + _nested(100_000) + "]")
    with pytest.raises(ExportFormatError, match=r"deep\.json\[1\]: .*nested too deeply"):
        list(lbconvert.read(path))


def test_legacy_value_5000_deep_is_one_line(tmp_path: Path) -> None:
    rows = _legacy()
    rows[0]["Label"]["objects"][0]["extra"] = "DEEP"
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(rows).replace('"DEEP"', _nested(5000)))
    with pytest.raises(ExportFormatError, match=r"legacy\.json\[0\]: .*nested too deeply"):
        list(lbconvert.read(path))


def test_a_first_line_nested_deep_is_sniffed_without_decoding(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    path = tmp_path / "deep.ndjson"
    path.write_text('{"a": ' + _nested(3000) + "}\n")
    code, err = _cli(capsys, "inspect", str(path))
    assert code == 1
    assert err.count("\n") == 1 and "deep.ndjson:1: nested too deeply" in err


# --- 2. integers of 400 digits --------------------------------------------------

def test_legacy_seconds_to_label_of_400_digits_is_accepted(tmp_path: Path) -> None:
    rows = _legacy()
    rows[0]["Seconds to Label"] = int("1" * 400)
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(rows))
    read = list(lbconvert.read(path))
    assert len(read) == 4
    label = next(iter(read[0].projects.values())).labels[0]
    assert label.performance_details.seconds_to_create is None


@pytest.mark.parametrize("field", ["top", "width"])
def test_legacy_coordinate_of_400_digits_is_an_error_naming_the_field(tmp_path: Path,
                                                                      field: str) -> None:
    rows = _legacy()
    rows[3]["Label"]["objects"][0]["bbox"][field] = int("9" * 400)
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(rows))
    with pytest.raises(ExportFormatError,
                       match=rf"legacy\.json\[3\]: .*Label\.objects\[0\]\.bbox\.{field}: "
                             "number out of range"):
        list(lbconvert.read(path))


@pytest.mark.parametrize("field", ["frameNumber", "page"])
def test_legacy_integer_fields_of_400_digits_are_errors(tmp_path: Path, field: str) -> None:
    rows = _legacy()
    if field == "frameNumber":
        rows[0]["Label"] = [{"frameNumber": int("1" * 400), "objects": []}]
    else:
        rows[0]["Label"]["objects"][0]["page"] = int("1" * 400)
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(rows))
    with pytest.raises(ExportFormatError, match=rf"{field}: number out of range"):
        list(lbconvert.read(path))


def test_v2_coordinate_of_400_digits_is_an_error_naming_the_field(tmp_path: Path) -> None:
    path = write_export(tmp_path / "big.ndjson", [row("a", [box("car", 1, 1, 5, 5)])])
    path.write_text(path.read_text().replace('"left": 1', '"left": ' + "7" * 400))
    with pytest.raises(ExportFormatError,
                       match=r"big\.ndjson:1: .*bounding_box\.left: number out of range"):
        list(lbconvert.read(path))


# --- 3. what JSON can hold ------------------------------------------------------

def _unknown_row(raw: str) -> str:
    record = row("a", [{"annotation_kind": "ImageFutureShape", "name": "hull", "geom": "RAW"}])
    return json.dumps(record).replace('"RAW"', raw) + "\n"


def test_jsonl_writes_integers_beyond_64_bits(tmp_path: Path) -> None:
    path = tmp_path / "big.ndjson"
    path.write_text(_unknown_row(str(2 ** 64)))
    report = lbconvert.convert(path, "jsonl", tmp_path / "out")
    assert report.annotations_written == 1 and report.is_balanced()
    line = (tmp_path / "out/items.jsonl").read_text()
    assert json.loads(line)["objects"][0]["raw"]["geom"] == 2 ** 64


def test_jsonl_writes_a_value_deeper_than_orjson_takes(tmp_path: Path) -> None:
    path = tmp_path / "deep.ndjson"
    path.write_text(_unknown_row(_nested(400)))
    with pytest.raises(orjson.JSONEncodeError):  # the reason for the fallback
        orjson.dumps(json.loads(_nested(400)))
    report = lbconvert.convert(path, "jsonl", tmp_path / "out")
    assert report.annotations_written == 1
    value = json.loads((tmp_path / "out/items.jsonl").read_text())["objects"][0]["raw"]["geom"]
    depth = 0
    while value:
        value, depth = value[0], depth + 1
    assert depth == 399


def test_jsonl_drops_an_object_no_encoder_can_write(tmp_path: Path) -> None:
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    item = next(iter(Selector(Options(), lbconvert.Report()).items(
        next(lbconvert.read(write_export(tmp_path / "a.ndjson",
                                         [row("a", [box("car", 1, 1, 5, 5)])]))))))
    hull = UnknownAnnotation(name="hull", original_kind="X", raw={"deep": deep})
    item = msgspec.structs.replace(item, objects=item.objects + (hull,))
    writer = JsonlWriter(tmp_path / "out", Options())
    writer.report.objects_read = 2
    writer.add(item)
    report = writer.close()
    assert report.dropped == {"object nested too deeply for JSON": 1}
    assert report.annotations_written == 1 and report.is_balanced()
    written = json.loads((tmp_path / "out/items.jsonl").read_text())
    assert [o["class"] for o in written["objects"]] == ["car"]


def test_geojson_writes_integers_beyond_64_bits(tmp_path: Path) -> None:
    record = json.loads((FIXTURES / "v2/media.ndjson").read_text().splitlines()[7])
    objects = next(iter(record["projects"].values()))["labels"][0]["annotations"]["objects"]
    well = next(o for o in objects if o["name"] == "well")
    well["geojson"]["coordinates"] = [2 ** 64, 1]
    path = tmp_path / "geo.ndjson"
    path.write_text(json.dumps(record) + "\n")
    report = lbconvert.convert(path, "geojson", tmp_path / "out")
    assert report.is_balanced()
    (written,) = (tmp_path / "out").glob("*.geojson")
    features = json.loads(written.read_text())["features"]
    assert [2 ** 64, 1] in [f["geometry"]["coordinates"] for f in features]


# --- 4. absurd coordinates --------------------------------------------------------

@pytest.mark.parametrize("value", [-1e308, 1e308, 1e16, 2 ** 64])
def test_absurd_coordinates_are_dropped_by_masks_and_crash_no_writer(tmp_path: Path,
                                                                     value: float) -> None:
    objects = [polygon("car", [(value, 1), (50, 1), (50, 50)]), box("car", value, 1, 5, 5),
               box("car", 1, 1, value, 5), polyline("car", [(value, 1), (5, 5)]),
               point("car", value, 3), box("car", 1, 1, 5, 5)]
    path = write_export(tmp_path / "x.ndjson", [row("a", objects)])
    report = lbconvert.convert(path, "masks", tmp_path / "masks", line_width=2.0)
    assert report.is_balanced()
    assert report.dropped["coordinates out of range"] >= 3
    assert report.annotations_written >= 1
    for fmt, options in [("coco", {}), ("yolo", {}), ("yolo", {"task": "segment"}),
                         ("yolo", {"task": "obb"}), ("voc", {"segmentation": True}),
                         ("jsonl", {}), ("geojson", {})]:
        out = tmp_path / f"{fmt}-{options.get('task', '')}"
        report = lbconvert.convert(path, fmt, out, **options)
        assert report.is_balanced()
        if options.get("task") == "obb":
            assert report.dropped["coordinates out of range"] >= 1


# --- 5. one line ---------------------------------------------------------------

def test_every_lbconvert_error_message_is_one_line() -> None:
    error = ExportFormatError("f.json", "parse error: premature EOF\n\n  (right here) ------^",
                              index=1, data_row_id="a\nb")
    assert str(error) == "f.json[1]: data row a / b: parse error: premature EOF / (right here) ------^"
    assert str(LbConvertError("x\r\n\x1b[31my\u2028z")) == "x / \\x1b[31my / z"
    assert one_line("tab\tstays") == "tab\tstays"


@pytest.mark.parametrize("fixture", ["bad/truncated.json", "bad/truncated.ndjson",
                                     "bad/not_json_line.ndjson", "bad/scalar.json",
                                     "bad/empty.ndjson", "bad/unknown_shape.json"])
def test_cli_prints_bad_fixtures_on_one_line(capsys: pytest.CaptureFixture[str], fixture: str,
                                             tmp_path: Path) -> None:
    code, err = _cli(capsys, "convert", str(FIXTURES / fixture), "--to", "coco",
                     "-o", str(tmp_path / "out"))
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("lbconvert: error: ")
    assert Path(fixture).name in err
    assert list(tmp_path.iterdir()) == []


def test_truncated_json_array_names_the_index(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _cli(capsys, "inspect", str(FIXTURES / "bad/truncated.json"))
    assert (code, err) == (1, "lbconvert: error: " + str(FIXTURES / "bad/truncated.json")
                           + "[1]: not valid JSON (the file ends inside this value)\n")


# --- 6. leading blank lines ------------------------------------------------------

def test_ndjson_after_70000_blank_lines_is_read_with_true_line_numbers(tmp_path: Path) -> None:
    good = (FIXTURES / "v2/images.ndjson").read_bytes()
    path = tmp_path / "blank.ndjson"
    path.write_bytes(b"\n" * 70_000 + b" \t\r\n" + good)
    assert [r.position for r in lbconvert.read(path)] == list(range(70_002, 70_009))
    bad = (FIXTURES / "bad/missing_width.ndjson").read_bytes()
    path.write_bytes(b"\n" * 70_000 + bad)
    with pytest.raises(ExportFormatError, match=r"blank\.ndjson:70002: "):
        list(lbconvert.read(path))


def test_gzip_of_blank_lines_then_a_json_array_is_read(tmp_path: Path) -> None:
    path = tmp_path / "blank.gz"
    path.write_bytes(gzip.compress(b"\n" * 200_000 + (FIXTURES / "v2/images.json").read_bytes()))
    assert len(list(lbconvert.read(path))) == 7


@pytest.mark.parametrize("data, message", [(b"", "the file is empty"),
                                           (b"\n" * 100_000, "only white space")])
def test_empty_and_blank_files_are_still_refused(tmp_path: Path, data: bytes,
                                                 message: str) -> None:
    path = tmp_path / "x.ndjson"
    path.write_bytes(data)
    with pytest.raises(ExportFormatError, match=message):
        list(lbconvert.read(path))


# --- 7. names too long for the file system ---------------------------------------

def test_a_300_character_key_with_images_is_a_missing_image(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    path = write_export(tmp_path / "x.ndjson", [row("k" * 300 + ".jpg", [box("car", 1, 1, 5, 5)])])
    for fmt in ("yolo", "coco"):
        report = lbconvert.convert(path, fmt, tmp_path / fmt, images=tmp_path / "images")
        assert report.is_balanced() and report.annotations_written == 1
        if fmt == "yolo":
            assert report.warnings == {"image file missing": 1}


# --- 8. the record-size bound -------------------------------------------------------

def test_a_line_beyond_the_limit_is_an_error_naming_the_line(tmp_path: Path) -> None:
    small = row("a", [box("car", 1, 1, 5, 5)])
    padded = row("b", [box("car", 1, 1, 5, 5)])
    padded["data_row"]["padding"] = "x" * 3000
    path = write_export(tmp_path / "x.ndjson", [small, small, padded, small])
    assert len(json.dumps(small)) < 1024
    with pytest.raises(ExportFormatError, match=r"x\.ndjson:3: line longer than the record "
                       r"limit of 2 KiB"):
        list(lbconvert.read(path, max_record_bytes=2048))
    assert len(list(lbconvert.read(path, max_record_bytes=4096))) == 4


def test_lines_longer_than_a_read_piece(tmp_path: Path) -> None:
    padded = row("b", [box("car", 1, 1, 5, 5)])
    padded["data_row"]["padding"] = "x" * (3 << 20)
    path = tmp_path / "x.ndjson"
    small = json.dumps(row("a", [box("car", 1, 1, 5, 5)]))
    path.write_text(small + "\n" + " " * (5 << 20) + "\n" + json.dumps(padded) + "\n"
                    + " " * (2 << 20) + small + "\n")
    assert [(r.id, r.position) for r in lbconvert.read(path)] == [
        ("id-a", 1), ("id-b", 3), ("id-a", 4)]
    with pytest.raises(ExportFormatError, match=r"x\.ndjson:3: line longer than the record "
                       r"limit of 2 MiB"):
        list(lbconvert.read(path, max_record_bytes=2 << 20))


def test_an_array_element_beyond_the_limit_is_an_error_naming_the_index(tmp_path: Path) -> None:
    rows = [_first_row(), _first_row()]
    assert len(json.dumps(rows[0])) < 8192
    rows[1]["data_row"]["padding"] = "x" * 8192
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    with pytest.raises(ExportFormatError, match=r"x\.json\[1\]: array element longer than the "
                       r"record limit of 8 KiB"):
        list(lbconvert.read(path, max_record_bytes=8192))
    assert len(list(lbconvert.read(path, max_record_bytes=32768))) == 2


def test_a_gigantic_gzip_line_stops_at_the_default_limit_in_bounded_memory(tmp_path: Path
                                                                          ) -> None:
    path = tmp_path / "giant.gz"
    head = b'{"data_row": {"id": "x", "pad": "'
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(head)
        block = b"x" * (1 << 20)
        for _ in range(100):  # 100 MiB in one line
            out.write(block)
        out.write(b'"}}\n')
    tracemalloc.start()
    try:
        with pytest.raises(ExportFormatError, match=r"giant\.gz:1: line longer than the "
                           r"record limit of 64 MiB \(raise it with --max-record-bytes"):
            list(lbconvert.read(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 80 << 20


def test_cli_max_record_bytes_option(capsys: pytest.CaptureFixture[str]) -> None:
    export = str(FIXTURES / "v2/images.ndjson")
    code, err = _cli(capsys, "inspect", export, "--max-record-bytes", "1K")
    assert code == 1 and "images.ndjson:1: line longer than the record limit of 1 KiB" in err
    assert _cli(capsys, "inspect", export, "--max-record-bytes", "1M")[0] == 0
    with pytest.raises(LbConvertError, match="max_record_bytes"):
        lbconvert.convert(export, "coco", "unused", max_record_bytes=0)


# --- 9. JSON array framing -----------------------------------------------------------

@pytest.mark.parametrize("text, count", [
    ("[]", 0), (" [ ] \n", 0), ("[{ROW}]", 1), ("[\n  {ROW} ,\n\n {ROW}\n]\n", 2),
    ("\ufeff[{ROW}]", 1),
])
def test_json_array_framing(tmp_path: Path, text: str, count: int) -> None:
    path = tmp_path / "x.json"
    path.write_text(text.replace("{ROW}", json.dumps(_first_row())), encoding="utf-8")
    assert len(list(lbconvert.read(path))) == count


@pytest.mark.parametrize("text, where", [
    ("[{ROW},]", r"\[1\]: not valid JSON: a trailing ','"),
    ("[{ROW} {ROW}]", r"\[0\]: not valid JSON: expected ',' or ']'"),
    ("[{ROW}] x", r"\[1\]: not valid JSON: 'x' after the end"),
    ("[{ROW}, {ROW}", r"\[2\]: not valid JSON \(the file ends inside the array\)"),
    ("[{ROW}, {\"a\": tru}]", r"\[1\]: not valid JSON \(JSON is malformed"),
])
def test_json_array_framing_faults(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(text.replace("{ROW}", json.dumps(_first_row())))
    with pytest.raises(ExportFormatError, match=r"x\.json" + where):
        list(lbconvert.read(path))


def test_elements_larger_than_the_read_chunk_and_long_strings(tmp_path: Path) -> None:
    rows = [_first_row() for _ in range(3)]
    rows[1]["data_row"]["padding"] = "\\\"" * (3 << 20)  # escapes across chunk edges
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows, indent=2))
    read = list(lbconvert.read(path))
    assert [r.position for r in read] == [0, 1, 2]
    assert read[1].id == rows[1]["data_row"]["id"]


def test_describe_size() -> None:
    assert records.describe_size(64 << 20) == "64 MiB"
    assert records.describe_size(1 << 30) == "1 GiB"
    assert records.describe_size(1000) == "1000 bytes"


# --- 10. the last resort -------------------------------------------------------------

def test_a_bug_is_one_line_with_the_record_and_debug_shows_the_traceback(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lbconvert.write.coco import CocoWriter

    def broken(self: Any, item: Any) -> None:
        raise KeyError("boom\nsecond line")

    monkeypatch.setattr(CocoWriter, "add", broken)
    export = str(FIXTURES / "v2/images.ndjson")
    code, err = _cli(capsys, "convert", export, "--to", "coco", "-o", str(tmp_path / "a"))
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith(f"lbconvert: internal error while converting {export}:1, data row ")
    assert "KeyError" in err and "bug" in err and "Traceback" not in err
    code, err = _cli(capsys, "convert", export, "--to", "coco", "-o", str(tmp_path / "b"),
                     "--debug")
    assert code == 1
    assert "Traceback" in err and err.splitlines()[-1].startswith("lbconvert: internal error")
    assert not any(tmp_path.iterdir())


def test_the_msgspec_messages_the_array_framing_relies_on() -> None:
    with pytest.raises(msgspec.DecodeError, match=r"trailing characters \(byte 9\)"):
        msgspec.json.decode(b'{"a": 1},{', type=msgspec.Raw)
    with pytest.raises(msgspec.DecodeError, match=r"^Input data was truncated"):
        msgspec.json.decode(b'{"a": [1, ', type=msgspec.Raw)


def _media_line(number: int) -> str:
    return (FIXTURES / "v2/media.ndjson").read_text().splitlines()[number]


@pytest.mark.parametrize("field, old, new", [
    ("frames", '"5":', f'"{"1" * 400}":'),
    ("frames", '"5":', f'"{-(2 ** 53) - 1}":'),
    ("page_number", '"page_number": 2', '"page_number": ' + "1" * 400),
    ("start", '"start": 27', '"start": ' + "1" * 400),
])
def test_v2_integers_that_become_names_are_bounded(tmp_path: Path, field: str, old: str,
                                                   new: str) -> None:
    line = {"frames": 0, "page_number": 4, "start": 2}[field]
    text = json.dumps(json.loads(_media_line(line)), indent=None)
    assert old in text
    path = tmp_path / "x.ndjson"
    path.write_text(text.replace(old, new, 1) + "\n")
    with pytest.raises(ExportFormatError, match=rf"x\.ndjson:1: .*{field}.*expected 'int' [<>]= "
                       rf"-?9007199254740992"):
        list(lbconvert.read(path))


def test_frame_number_2_53_is_accepted_by_every_writer(tmp_path: Path) -> None:
    text = json.dumps(json.loads(_media_line(0))).replace('"5":', f'"{2 ** 53}":', 1)
    path = tmp_path / "x.ndjson"
    path.write_text(text + "\n")
    for fmt in WRITERS:
        assert lbconvert.convert(path, fmt, tmp_path / fmt, images=tmp_path).is_balanced()


def test_an_endless_interpolation_segment_is_one_line(tmp_path: Path) -> None:
    record = json.loads(_media_line(0))
    annotations = next(iter(record["projects"].values()))["labels"][0]["annotations"]
    feature = next(iter(annotations["segments"]))
    annotations["segments"][feature] = [[1, 10 ** 12]]
    path = tmp_path / "x.ndjson"
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(LbConvertError, match=rf"\(record 1\): segment \[1, {10 ** 12}\] of "
                       rf"feature {feature} spans more than 1,000,000 frames"):
        lbconvert.convert(path, "coco", tmp_path / "out", interpolate=True)
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_read_refuses_a_record_limit_that_is_not_a_positive_size(bad: Any) -> None:
    with pytest.raises(LbConvertError, match="max_record_bytes must be a positive"):
        lbconvert.read(FIXTURES / "v2/images.ndjson", max_record_bytes=bad)


def test_a_20000_point_tangled_polygon_is_clipped_and_kept_in_linear_time(tmp_path: Path
                                                                         ) -> None:
    """make_valid would take minutes and gigabytes on this ring (found by the fuzz)."""
    import time

    count = 20_000
    ring = [(300 + 400 * ((i * 7919) % count) / count, 300 + (i % 97)) for i in range(count)]
    path = write_export(tmp_path / "x.ndjson", [row("a", [polygon("car", ring)], 640, 350)])
    started = time.process_time()
    report = lbconvert.convert(path, "coco", tmp_path / "coco", clip=True)
    assert report.annotations_written == 1 and report.is_balanced()
    coco = json.loads(next((tmp_path / "coco").rglob("*.json")).read_text())
    (segmentation,) = coco["annotations"][0]["segmentation"]
    assert max(segmentation[0::2]) == 640 and max(segmentation[1::2]) == 350
    for fmt, options in [("yolo", {"task": "segment", "clip": True}),
                         ("voc", {"clip": True, "fix_geometry": True}),
                         ("coco", {"fix_geometry": True})]:
        out = tmp_path / f"{fmt}-{len(options)}"
        assert lbconvert.convert(path, fmt, out, **options).annotations_written == 1
    assert time.process_time() - started < 20


def test_the_format_comes_from_the_first_record_s_keys_not_its_text(tmp_path: Path) -> None:
    rows = _legacy()
    rows[0]["Label"]["objects"][0]["data_row"] = {"id": "a nested key, not a v2 row"}
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(rows))
    reader = lbconvert.ExportReader(path)
    assert len(list(reader)) == 4 and reader.format == "legacy-json"
    path = tmp_path / "v2.json"
    path.write_text(json.dumps([_first_row()]))
    reader = lbconvert.ExportReader(path)
    assert len(list(reader)) == 1 and reader.format == "v2-json"


@pytest.mark.parametrize("size", [2 ** 64, 1e30, -612, 0])
def test_absurd_page_dimensions_are_not_believed(tmp_path: Path, size: float) -> None:
    record = json.loads(_media_line(4))
    objects = next(iter(record["projects"].values()))["labels"][0]["annotations"]["objects"]
    page_box = next(o for o in objects if o.get("page_dimensions"))
    page_box["page_dimensions"]["width"] = size
    path = tmp_path / "x.ndjson"
    path.write_text(json.dumps(record) + "\n")
    for fmt in WRITERS:
        report = lbconvert.convert(path, fmt, tmp_path / fmt, max_pixels=1 << 22)
        assert report.is_balanced()
        if fmt in ("coco", "voc", "masks"):  # the box and the token of that page
            assert report.dropped["page size unknown"] == 2
