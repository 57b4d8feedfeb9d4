"""The messages of checks that several readers share (legacy JSON arrays and
objects, the reverse readers' manifest checks, one project or run per row,
the preview's JSON files), pinned word for word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lbconvert.errors import ExportFormatError, LbConvertError, SelectionError
from lbconvert.model import (
    DataRow, DataRowInfo, Experiment, Label, LabelAnnotations, Project, Run,
)
from lbconvert.options import Options
from lbconvert.preview.common import PreviewError, read_json_object
from lbconvert.preview.masks import _classes
from lbconvert.read.legacy import from_dict
from lbconvert.report import Report
from lbconvert.reverse.index import ManifestIndex
from lbconvert.reverse.voc import read_voc
from lbconvert.reverse.yolo import YoloNames, read_yolo
from lbconvert.select import Selector


def legacy_error(objects: list[Any]) -> str:
    with pytest.raises(ExportFormatError) as caught:
        from_dict({"DataRow ID": "d1", "Label": {"objects": objects}}, "export.json", line=7)
    return str(caught.value)


@pytest.mark.parametrize("objects, where, reason", [
    ([{"polygon": "1,2"}], "Label.objects[0].polygon", "expected a list of points, got string"),
    ([{"line": [{"x": 1, "y": 2}, 3]}], "Label.objects[0].line[1]", "expected an object, got number"),
    ([7], "Label.objects[0]", "expected an object, got number"),
    ([{"point": [1, 2]}], "Label.objects[0].point", "expected an object, got array"),
    ([{"bbox": None}], "Label.objects[0].bbox", "expected an object, got null"),
    ([{"polygon": [], "classifications": [{"answers": {}}]}],
     "Label.objects[0].classifications[0].answers", "expected a list, got object"),
    ([{"polygon": [], "classifications": [{"answer": [{"title": "a"}, "b"]}]}],
     "Label.objects[0].classifications[0].answer[1]", "expected an object, got string"),
    ([{"polygon": [], "classifications": ["yes"]}],
     "Label.objects[0].classifications[0]", "expected an object, got string"),
])
def test_legacy_arrays_and_objects_are_refused_at_their_path(objects: list[Any], where: str,
                                                             reason: str) -> None:
    message = legacy_error(objects)
    assert where in message and message.endswith(reason)


def test_legacy_feature_fields_are_read_in_order() -> None:
    """featureId is checked before title: the first bad field is the one named."""
    message = legacy_error([{"polygon": [], "featureId": [], "title": {}}])
    assert "Label.objects[0].featureId" in message and "title" not in message
    row = from_dict({"DataRow ID": "d1", "Label": {"objects": [
        {"polygon": [{"x": 1, "y": 2}], "featureId": "f", "schemaId": "s", "title": "car",
         "value": "car_v", "classifications": [{"title": "q", "answer": "free"}]}]}},
        "export.json", line=1)
    (label,) = row.projects[""].labels
    (obj,) = label.annotations.objects
    assert (obj.feature_id, obj.schema_id, obj.name, obj.value) == ("f", "s", "car", "car_v")
    assert obj.classifications[0].text_answer.content == "free"


def write_manifest(folder: Path, *lines: str) -> ManifestIndex:
    path = folder / "manifest.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    return ManifestIndex(path)


def test_voc_and_yolo_need_the_manifest(tmp_path: Path) -> None:
    with pytest.raises(LbConvertError) as voc:
        list(read_voc(tmp_path, ManifestIndex(), Report()))
    assert str(voc.value) == ("VOC files do not name their data rows: give the dataset's "
                              "manifest (--manifest OUT/manifest.jsonl)")
    with pytest.raises(LbConvertError) as yolo:
        list(read_yolo(tmp_path, YoloNames({0: "car"}), ManifestIndex(), Report()))
    assert str(yolo.value) == ("YOLO coordinates are normalised: the manifest of the dataset is "
                               "needed for the image sizes (--manifest OUT/manifest.jsonl)")


def test_no_input_files_is_an_error_unless_the_dataset_is_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    index = write_manifest(tmp_path, '{"stem": "a", "data_row_id": "d1"}')
    with pytest.raises(LbConvertError, match=r"empty: no VOC XML files \(\.xml\) here$"):
        list(read_voc(empty, index, Report()))
    with pytest.raises(LbConvertError, match=r"empty: no YOLO label files \(\.txt\) here$"):
        list(read_yolo(empty, YoloNames({0: "car"}), index, Report()))
    nothing = write_manifest(empty)
    assert list(read_voc(empty, nothing, Report())) == []
    assert list(read_yolo(empty, YoloNames({0: "car"}), nothing, Report())) == []


def test_voc_file_found_by_its_filename_else_refused(tmp_path: Path) -> None:
    index = write_manifest(tmp_path, '{"stem": "street", "data_row_id": "d1", '
                                     '"file_name": "street.jpg"}')
    xml = tmp_path / "renamed.xml"
    xml.write_text("<annotation><filename> street.jpg </filename><object><name>car</name>"
                   "<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>5</ymax>"
                   "</bndbox></object></annotation>")
    (found,) = read_voc(xml, index, Report())
    assert found.item.data_row_id == "d1" and found.geometry == (0, 1, 3, 4)
    xml.write_text("<annotation><filename>other.jpg</filename></annotation>")
    with pytest.raises(ExportFormatError) as caught:
        list(read_voc(xml, index, Report()))
    assert str(caught.value) == f"{xml}: 'renamed' is not in the manifest {index.path}"


def test_yolo_file_needs_a_manifest_item_with_a_size(tmp_path: Path) -> None:
    index = write_manifest(tmp_path, '{"stem": "nosize", "data_row_id": "d1"}')
    labels = tmp_path / "nosize.txt"
    labels.write_text("0 0.5 0.5 0.2 0.2\n")
    with pytest.raises(ExportFormatError) as caught:
        list(read_yolo(labels, YoloNames({0: "car"}), index, Report()))
    assert str(caught.value) == f"{labels}: the manifest has no image size for 'nosize'"
    stranger = tmp_path / "stranger.txt"
    stranger.write_text("0 0.5 0.5 0.2 0.2\n")
    with pytest.raises(ExportFormatError, match="'stranger' is not in the manifest"):
        list(read_yolo(stranger, YoloNames({0: "car"}), index, Report()))


def run_row(runs: dict[str, Run], projects: dict[str, Project]) -> DataRow:
    return DataRow(data_row=DataRowInfo(id="row1"), projects=projects,
                   experiments={"e1": Experiment(runs=runs)})


def test_several_model_runs_need_a_choice_and_one_needs_none() -> None:
    label = Label(id="l1", annotations=LabelAnnotations())
    runs = {"r1": Run(name="first", labels=(label,)), "r2": Run(name=None, labels=(label,))}
    with pytest.raises(SelectionError) as caught:
        Selector(Options(), Report(), require_size=False).items(run_row(runs, {}))
    assert str(caught.value) == ("data row row1 (record 0) is in 2 model runs: r1 (first), "
                                 "r2 (); choose one with model_run=")
    items = Selector(Options(), Report(), require_size=False).items(
        run_row({"r2": runs["r2"]}, {}))
    assert [item.data_row_id for item in items] == ["row1"]


def test_several_projects_need_a_choice_listed_by_title() -> None:
    label = Label(id="l1", annotations=LabelAnnotations())
    projects = {"p1": Project(name="Streets", labels=(label,)),
                "p2": Project(name="Audit", labels=(label,))}
    row = DataRow(data_row=DataRowInfo(id="row1"), projects=projects)
    with pytest.raises(SelectionError) as caught:
        Selector(Options(), Report(), require_size=False).items(row)
    assert str(caught.value) == ("data row row1 (record 0) has labels from 2 projects: "
                                 "p1 (Streets), p2 (Audit); choose one with project=")


def test_preview_json_files(tmp_path: Path) -> None:
    bad = tmp_path / "classes.json"
    bad.write_text("[{")
    for read in (_classes, read_json_object):
        with pytest.raises(PreviewError, match=r"classes\.json: not valid JSON \("):
            read(bad)
    bad.write_text('{"index": 1}')
    with pytest.raises(PreviewError, match=r"classes\.json: expected a list of classes$"):
        _classes(bad)
    bad.write_text("[]")
    with pytest.raises(PreviewError, match=r"classes\.json: a COCO file is a JSON object$"):
        read_json_object(bad, "a COCO file is a JSON object")
