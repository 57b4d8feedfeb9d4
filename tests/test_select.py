"""The select stage: which labels, names, sizes, splits, classes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

import lbconvert
from lbconvert.classes import ClassMap
from lbconvert.options import Options, parse_split
from lbconvert.report import Report
from lbconvert.select import NameSet, Selector, safe_stem, split_of

from .conftest import FIXTURES

MAIN_PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"


def select(rows, **options) -> tuple[list[lbconvert.Item], Report]:
    report = Report()
    selector = Selector(Options.from_kwargs(**options), report)
    return [item for row in rows for item in selector.items(row)], report


def image_rows() -> list[lbconvert.DataRow]:
    return list(lbconvert.read(FIXTURES / "v2/images.ndjson"))


def row(objects=(), labels=None, **fields) -> dict:
    base = {"data_row": {"id": fields.pop("id", "row-1"), **fields.pop("data_row", {})},
            "media_attributes": fields.pop("media", {"width": 100, "height": 80}),
            "projects": {"p": {"name": "P", "labels": labels if labels is not None else [
                {"id": "l1", "annotations": {"objects": list(objects)}}]}}}
    base.update(fields)
    return base


def rows_of(*records: dict, tmp_path: Path) -> list[lbconvert.DataRow]:
    path = tmp_path / "rows.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in records))
    return list(lbconvert.read(path))


BOX = {"annotation_kind": "ImageBoundingBox", "name": "car",
       "bounding_box": {"left": 1, "top": 2, "width": 3, "height": 4}}


@pytest.mark.parametrize("name, stem", [
    ("img-001.jpg", "img-001"),
    ("IMG-001.JPEG", "IMG-001"),
    ("scan.tiff", "scan"),
    ("archive.tar", "archive.tar"),
    ("../../etc/passwd", "____etc_passwd"),
    ("/abs/path.png", "_abs_path"),
    ("C:\\windows\\x.bmp", "C_windows_x"),
    ("tab\there\n.png", "tab_here_"),
    ("...", "_"),
    (". .", ""),
    ("con.jpg", "_con"),
])
def test_stems_are_safe(name: str, stem: str, tmp_path: Path) -> None:
    rows = rows_of(row([BOX], data_row={"global_key": name}, id="fallback-id"),
                   tmp_path=tmp_path)
    items, _ = select(rows)
    expected = stem or "fallback-id"
    assert items[0].stem == expected
    assert "/" not in items[0].file_name and "\\" not in items[0].file_name
    assert not items[0].stem.startswith(".")


def test_long_names_are_bounded_and_distinct() -> None:
    a, b = safe_stem("x" * 500 + "a"), safe_stem("x" * 500 + "b")
    assert len(a) <= 150 and len(b) <= 150 and a != b


def test_collisions_get_a_deterministic_suffix(tmp_path: Path) -> None:
    records = [row([BOX], data_row={"global_key": "same.jpg"}, id="first"),
               row([BOX], data_row={"global_key": "same.png"}, id="second"),
               row([BOX], data_row={"external_id": "same"}, id="third")]
    first, report = select(rows_of(*records, tmp_path=tmp_path))
    again, _ = select(rows_of(*records, tmp_path=tmp_path))
    stems = [item.stem for item in first]
    assert stems[0] == "same" and len(set(stems)) == 3
    assert all(stem.startswith("same__") for stem in stems[1:])
    assert stems == [item.stem for item in again]
    assert report.warnings == {"duplicate file name, renamed": 2}


def test_name_set_remembers_every_name_through_growth() -> None:
    names = NameSet()
    texts = ["", *(f"stem-{i}" for i in range(5000))]  # "" hashes to 0, the empty mark
    assert all(names.add(text) for text in texts)
    assert not any(names.add(text) for text in texts)
    assert names.add("stem-5000")


def test_stems_are_unique_case_insensitively_even_against_renamed_ones(tmp_path: Path) -> None:
    records = [row([BOX], data_row={"global_key": "Scan.jpg"}, id="a"),
               row([BOX], data_row={"global_key": "scan.jpg"}, id="b")]
    items, _ = select(rows_of(*records, tmp_path=tmp_path))
    assert items[0].stem == "Scan" and items[1].stem.startswith("scan__")
    # a hostile row already named what the next duplicate would be renamed to
    records.insert(1, row([BOX], data_row={"global_key": items[1].stem.upper()}, id="x"))
    items, report = select(rows_of(*records, tmp_path=tmp_path))
    assert items[2].stem == items[1].stem.lower() + "_2"
    assert len({item.stem.lower() for item in items}) == 3
    assert report.warnings == {"duplicate file name, renamed": 1}


def test_frames_and_pages_never_take_a_name_twice(tmp_path: Path) -> None:
    video = {"data_row": {"id": "v", "global_key": "clip"},
             "media_attributes": {"width": 10, "height": 10, "mime_type": "video/mp4"},
             "projects": {"p": {"labels": [{"annotations": {"frames": {
                 str(n): {"objects": {}} for n in (1, 2)}}}]}}}
    image = row([BOX], data_row={"global_key": "CLIP_000002"}, id="i")
    items, report = select(rows_of(image, video, tmp_path=tmp_path))
    stems = [item.stem for item in items]
    assert stems[:2] == ["CLIP_000002", "clip_000001"]
    assert stems[2].startswith("clip_000002__") and items[2].frame == 2
    assert report.warnings == {"duplicate file name, renamed": 1}


def test_name_by_chooses_the_field(tmp_path: Path) -> None:
    rows = rows_of(row([BOX], data_row={"global_key": "gk.jpg", "external_id": "ext.png"}),
                   tmp_path=tmp_path)
    assert select(rows)[0][0].stem == "gk"
    assert select(rows, name_by="external_id")[0][0].file_name == "ext.png"
    assert select(rows, name_by="id")[0][0].stem == "row-1"


def test_several_projects_need_a_choice() -> None:
    with pytest.raises(lbconvert.SelectionError) as caught:
        select(image_rows())
    message = str(caught.value)
    assert MAIN_PROJECT in message and "Street scenes 2023" in message and "choose one with project=" in message


def test_labels_selected_skipped_and_all() -> None:
    items, report = select(image_rows(), project=MAIN_PROJECT)
    consensus = next(i for i in items if i.global_key == "street-004.jpg")
    assert len(consensus.objects) == 1
    assert report.dropped["label not selected"] == 1
    assert report.items_skipped["all labels skipped"] == 1
    items, report = select(image_rows(), project=MAIN_PROJECT, labels="all")
    consensus = next(i for i in items if i.global_key == "street-004.jpg")
    assert len(consensus.objects) == 2
    assert "label not selected" not in report.dropped


def test_selected_label_id_wins(tmp_path: Path) -> None:
    labels = [{"id": "a", "annotations": {"objects": [BOX]}},
              {"id": "b", "annotations": {"objects": [BOX, BOX]}}]
    record = row(labels=labels)
    record["projects"]["p"]["project_details"] = {"selected_label_id": "b"}
    items, _ = select(rows_of(record, tmp_path=tmp_path))
    assert len(items[0].objects) == 2


def test_status_filter() -> None:
    items, report = select(image_rows(), project=MAIN_PROJECT, status="done")
    assert report.items_skipped["workflow status filtered"] == 1
    everything, _ = select(image_rows(), project=MAIN_PROJECT)
    assert len(items) == len(everything) - 1


def test_image_size_from_the_image_header(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (64, 48)).save(images / "sized.png")
    record = row([BOX], data_row={"global_key": "sized.png"}, media={"mime_type": "image/png"})
    rows = rows_of(record, tmp_path=tmp_path)
    items, report = select(rows)
    assert items == [] and report.dropped["image size unknown"] == 1
    items, report = select(rows, images=images)
    assert (items[0].width, items[0].height) == (64, 48)


def test_splits_by_hash_are_deterministic_and_proportional() -> None:
    fractions = parse_split("train=0.8,val=0.2")
    picks = Counter(split_of(f"row-{i}", fractions.items()) for i in range(5000))
    assert set(picks) == {"train", "val"}
    assert 0.77 < picks["train"] / 5000 < 0.83
    first = [split_of(f"row-{i}", fractions.items()) for i in range(100)]
    assert first == [split_of(f"row-{i}", fractions.items()) for i in range(100)]


def test_model_run_split_names_map(tmp_path: Path) -> None:
    rows = list(lbconvert.read(FIXTURES / "v2/model_run.ndjson"))
    run_id = next(iter(next(iter(rows[0].experiments.values())).runs))
    items, _ = select(rows, model_run=run_id)
    assert {item.split for item in items} == {"train", "val", "test"}


@pytest.mark.parametrize("text", ["train=0.5,val=0.6", "train=x", "=1", "../x=1",
                                  "train=nan,val=1", "train=nan", "train=inf,val=-inf",
                                  "train=-0.5,val=1.5", "train=1.0000009",
                                  "a=0.33333,b=0.33333,c=0.33333"])
def test_bad_split_options(text: str) -> None:
    with pytest.raises(lbconvert.LbConvertError, match="split"):
        Options.from_kwargs(split=parse_split(text))


@pytest.mark.parametrize("text", ["train=1", "train=0,val=1", "train=-0,val=1",
                                  "train=0.8,val=0.2", "a=0.3333333,b=0.3333333,c=0.3333333"])
def test_split_fractions_on_the_edges_are_taken(text: str) -> None:
    assert Options.from_kwargs(split=parse_split(text)).split == parse_split(text)


def test_class_map_from_ontology_and_keys(tmp_path: Path) -> None:
    ontology = tmp_path / "ontology.json"
    ontology.write_text(json.dumps({"tools": [
        {"name": "Person", "featureSchemaId": "s-person", "tool": "rectangle"},
        {"name": "Car", "featureSchemaId": "s-car", "tool": "polygon"}], "classifications": []}))
    classes = ClassMap.from_ontology(ontology)
    assert classes.names == ["Person", "Car"]
    car = lbconvert.BoxAnnotation(name="Car", value="car", schema_id="s-car",
                                  bounding_box=lbconvert.Box(left=0, top=0, width=1, height=1))
    assert classes.id_of(car) == 1
    by_schema = ClassMap.from_ontology(ontology, key="schema")
    assert by_schema.id_of(car) == 1 and by_schema.names == ["Person", "Car"]
    other = lbconvert.BoxAnnotation(name="Bus", bounding_box=car.bounding_box)
    assert classes.id_of(other) is None
    seen = ClassMap(key="value")
    assert [seen.id_of(car), seen.id_of(other), seen.id_of(car)] == [0, 1, 0]


def test_bad_ontology_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "ontology.json"
    bad.write_text('{"tools": [{"tool": "rectangle"}]}')
    with pytest.raises(lbconvert.LbConvertError, match=r"tools\[0\] has no 'name'"):
        ClassMap.from_ontology(bad)


def test_unknown_option_is_refused() -> None:
    with pytest.raises(lbconvert.LbConvertError, match="unknown option"):
        Options.from_kwargs(colour="red")
