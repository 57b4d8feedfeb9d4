"""The select stage, each rule both ways: which project, which labels
(selected / all / skipped), workflow status, model runs (labels or
predictions, which run), unlabeled rows, every N-th video frame, stable
hash splits, and interpolated video annotations with exact values.

Rows are written as v2 NDJSON and read back, so only the public behaviour
(:class:`lbconvert.select.Selector` items and the report) is checked.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Optional

import pytest

import lbconvert
from lbconvert.model import BoxAnnotation, PointAnnotation, PolygonAnnotation
from lbconvert.options import Options
from lbconvert.report import Report
from lbconvert.select import Selector, split_of


def box(left: float = 1, top: float = 2, width: float = 3, height: float = 4,
        name: str = "car", kind: str = "ImageBoundingBox", fid: Optional[str] = None
        ) -> dict[str, Any]:
    return {"annotation_kind": kind, "name": name, "feature_id": fid,
            "bounding_box": {"left": left, "top": top, "width": width, "height": height}}


def label(label_id: str, count: int, skipped: bool = False) -> dict[str, Any]:
    return {"id": label_id, "annotations": {"objects": [box() for _ in range(count)]},
            "performance_details": {"skipped": skipped}}


def project(*labels: dict[str, Any], name: str = "", status: Optional[str] = None,
            selected: Optional[str] = None) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name, "labels": list(labels)}
    details = {k: v for k, v in (("workflow_status", status), ("selected_label_id", selected))
               if v is not None}
    if details:
        found["project_details"] = details
    return found


def image_row(row_id: str, projects: Optional[dict[str, Any]] = None,
              experiments: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    record: dict[str, Any] = {"data_row": {"id": row_id, "global_key": f"{row_id}.jpg"},
                              "media_attributes": {"width": 100, "height": 80,
                                                   "mime_type": "image/jpeg"},
                              "projects": projects or {}}
    if experiments is not None:
        record["experiments"] = experiments
    return record


def run(labels: int, predictions: int, split: Optional[str] = None) -> dict[str, Any]:
    found: dict[str, Any] = {"name": "run", "labels": [label("gt", labels)] if labels else [],
                             "predictions": [label("pred", predictions)] if predictions else []}
    if split:
        found["split"] = split
    return found


def select(tmp_path: Path, records: list[dict[str, Any]], **options: Any
           ) -> tuple[list[lbconvert.Item], Report]:
    path = tmp_path / "rows.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = Report()
    selector = Selector(Options.from_kwargs(**options), report)
    items = [item for row in lbconvert.read(path) for item in selector.items(row)]
    assert report.annotations_written == 0
    # every object read is in an item or dropped with a reason
    kept = sum(len(i.objects) for i in items) - report.annotations_interpolated
    assert kept + report.dropped_total == report.objects_read, report.to_dict()
    return items, report


def counts(items: list[lbconvert.Item]) -> dict[str, int]:
    return {item.data_row_id: len(item.objects) for item in items}


# --- which project ------------------------------------------------------------------------

TWO_PROJECTS = {"p1": project(label("a", 1), name="First"),
                "p2": project(label("b", 2), name="Second")}


@pytest.mark.parametrize("choice, objects, other", [
    ("p1", 1, 2), ("p2", 2, 1), ("First", 1, 2), ("Second", 2, 1),
])
def test_project_chooses_among_several(tmp_path: Path, choice: str, objects: int, other: int
                                       ) -> None:
    items, report = select(tmp_path, [image_row("r", TWO_PROJECTS)], project=choice)
    assert counts(items) == {"r": objects}
    assert report.objects_read == 3
    assert dict(report.dropped) == {"other project": other}


def test_project_drops_rows_of_other_projects(tmp_path: Path) -> None:
    rows = [image_row("in-p1", {"p1": project(label("a", 1))}),
            image_row("in-p2", {"p2": project(label("b", 2))}),
            image_row("in-p2-too", {"p2": project(label("c", 1))})]
    items, report = select(tmp_path, rows, project="p1")
    assert counts(items) == {"in-p1": 1}
    assert dict(report.dropped) == {"other project": 3}
    assert dict(report.items_skipped) == {"not in the chosen project": 2}
    # without --project every row of one project is kept
    items, report = select(tmp_path, rows)
    assert counts(items) == {"in-p1": 1, "in-p2": 2, "in-p2-too": 1}
    assert not report.dropped and not report.items_skipped


def test_several_projects_without_a_choice_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(lbconvert.SelectionError, match="2 projects: p1 \\(First\\), "
                                                       "p2 \\(Second\\); choose one"):
        select(tmp_path, [image_row("r", TWO_PROJECTS)])


#: Rows of one project, no model run (the device's rows) and their neighbours.
ONE_PROJECT_ROWS = [
    image_row("one", {"p1": project(label("a", 2))}),
    image_row("selected", {"p1": project(label("a", 1), label("b", 3), selected="b")}),
    image_row("skipped", {"p1": project(label("a", 1, skipped=True), label("b", 2))}),
    image_row("all-skipped", {"p1": project(label("a", 1, skipped=True))}),
    image_row("unlabeled", {"p1": project()}),
    image_row("status", {"p1": project(label("a", 1), status="DONE")}),
    image_row("other", {"p2": project(label("c", 4))}),
    image_row("nowhere", {}),
    image_row("run", {"p1": project(label("a", 1))},
              experiments={"e": {"runs": {"r1": run(labels=1, predictions=2)}}}),
]


@pytest.mark.parametrize("options", [{}, {"project": "p1"}, {"source": "predictions"},
                                     {"labels": "all"}, {"skip_unlabeled": True}])
def test_the_usual_row_device_chooses_as_the_general_rules(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]) -> None:
    """``LabelChooser._usual_row`` against the plain definition (the general rules)."""
    from lbconvert.select.labels import LabelChooser

    real = LabelChooser._usual_row
    taken = []

    def usual_row(self: LabelChooser, row: Any) -> Any:
        choice = real(self, row)
        taken.append(choice is not None)
        return choice

    monkeypatch.setattr(LabelChooser, "_usual_row", usual_row)
    items, report = select(tmp_path, ONE_PROJECT_ROWS, **options)
    monkeypatch.setattr(LabelChooser, "_usual_row", lambda self, row: None)
    plain_items, plain_report = select(tmp_path, ONE_PROJECT_ROWS, **options)
    assert items == plain_items and report.to_dict() == plain_report.to_dict()
    assert sum(taken) == (7 if not options or "labels" in options or "skip_unlabeled" in options
                          else 0)


# --- which labels -------------------------------------------------------------------------

@pytest.mark.parametrize("labels, selected, mode, objects, dropped, skipped", [
    # one label: used as it is
    ([("a", 2, False)], None, "selected", 2, {}, {}),
    # one skipped label: nothing left
    ([("a", 2, True)], None, "selected", None, {"label skipped": 2}, {"all labels skipped": 1}),
    # first usable label wins, the others are not selected
    ([("a", 1, False), ("b", 2, False)], None, "selected", 1, {"label not selected": 2}, {}),
    # the project's selected label wins
    ([("a", 1, False), ("b", 2, False)], "b", "selected", 2, {"label not selected": 1}, {}),
    # a selected label id that matches nothing: the first usable one
    ([("a", 1, False), ("b", 2, False)], "zz", "selected", 1, {"label not selected": 2}, {}),
    # skipped labels never win, even first
    ([("a", 1, True), ("b", 2, False)], None, "selected", 2, {"label skipped": 1}, {}),
    # all: every label that is not skipped, merged
    ([("a", 1, False), ("b", 2, False)], None, "all", 3, {}, {}),
    ([("a", 1, False), ("b", 2, True), ("c", 4, False)], None, "all", 5,
     {"label skipped": 2}, {}),
    ([("a", 1, True), ("b", 2, True)], None, "all", None, {"label skipped": 3},
     {"all labels skipped": 1}),
])
def test_label_rules(tmp_path: Path, labels, selected, mode: str, objects, dropped, skipped
                     ) -> None:
    chosen = project(*(label(i, n, s) for i, n, s in labels), selected=selected)
    items, report = select(tmp_path, [image_row("r", {"p": chosen})], labels=mode)
    assert counts(items) == ({} if objects is None else {"r": objects})
    assert dict(report.dropped) == dropped
    assert dict(report.items_skipped) == skipped


def test_merged_labels_keep_export_order(tmp_path: Path) -> None:
    labels = [{"id": "a", "annotations": {"objects": [box(1, 1, 1, 1)]}},
              {"id": "b", "annotations": {"objects": [box(2, 2, 2, 2), box(3, 3, 3, 3)]}}]
    items, _ = select(tmp_path, [image_row("r", {"p": {"labels": labels}})], labels="all")
    assert [o.bounding_box.left for o in items[0].objects] == [1, 2, 3]


# --- workflow status ----------------------------------------------------------------------

@pytest.mark.parametrize("status, wanted, kept", [
    ("DONE", "done", True),          # compared case-insensitively
    ("DONE", "DONE", True),
    ("TO_LABEL", "done", False),
    (None, "done", False),           # no status at all: filtered when one is asked for
    ("TO_LABEL", None, True),        # no filter
])
def test_status_filter_both_ways(tmp_path: Path, status, wanted, kept: bool) -> None:
    options = {"status": wanted} if wanted else {}
    rows = [image_row("r", {"p": project(label("a", 2), status=status)})]
    items, report = select(tmp_path, rows, **options)
    if kept:
        assert counts(items) == {"r": 2} and not report.dropped
    else:
        assert items == []
        assert dict(report.dropped) == {"workflow status filtered": 2}
        assert dict(report.items_skipped) == {"workflow status filtered": 1}


# --- model runs ---------------------------------------------------------------------------

def test_model_run_labels_or_predictions(tmp_path: Path) -> None:
    experiments = {"e": {"runs": {"r1": run(labels=1, predictions=2, split="Validation")}}}
    rows = [image_row("r", experiments=experiments)]
    items, report = select(tmp_path, rows)
    assert counts(items) == {"r": 1} and items[0].split == "val"
    assert report.objects_read == 1
    items, report = select(tmp_path, rows, source="predictions")
    assert counts(items) == {"r": 2} and items[0].split == "val"
    assert report.objects_read == 2


def test_a_row_of_a_project_and_a_run(tmp_path: Path) -> None:
    experiments = {"e": {"runs": {"r1": run(labels=1, predictions=2, split="Test")}}}
    rows = [image_row("r", {"p": project(label("a", 4))}, experiments)]
    # labels: the project's, the run's ground truth dropped; no run split
    items, report = select(tmp_path, rows)
    assert counts(items) == {"r": 4} and items[0].split == "train"
    assert dict(report.dropped) == {"other source (model run)": 1}
    # predictions: the run's, the project's labels not read
    items, report = select(tmp_path, rows, source="predictions")
    assert counts(items) == {"r": 2} and items[0].split == "test"
    # asking for the run by id: its ground truth
    items, report = select(tmp_path, rows, model_run="r1")
    assert counts(items) == {"r": 1} and items[0].split == "test"


def test_predictions_of_a_row_of_several_projects_without_runs(tmp_path: Path) -> None:
    items, report = select(tmp_path, [image_row("r", TWO_PROJECTS)], source="predictions",
                           project="p1")
    assert items == [] and dict(report.items_skipped) == {"no model run": 1}


def test_predictions_of_a_row_of_one_project_without_runs(tmp_path: Path) -> None:
    rows = [image_row("r", {"p": project(label("a", 1))})]
    items, report = select(tmp_path, rows, source="predictions")
    assert items == [] and dict(report.items_skipped) == {"no model run": 1}


def test_choosing_among_model_runs(tmp_path: Path) -> None:
    experiments = {"e": {"runs": {"r1": run(labels=1, predictions=0, split="Training"),
                                  "r2": run(labels=2, predictions=0, split="Validation")}}}
    rows = [image_row("r", experiments=experiments)]
    with pytest.raises(lbconvert.SelectionError, match="2 model runs"):
        select(tmp_path, rows)
    items, report = select(tmp_path, rows, model_run="r2")
    assert counts(items) == {"r": 2} and items[0].split == "val"
    assert dict(report.dropped) == {"other model run": 1}
    items, report = select(tmp_path, rows, model_run="r1")
    assert counts(items) == {"r": 1} and items[0].split == "train"
    assert dict(report.dropped) == {"other model run": 2}
    items, report = select(tmp_path, rows, model_run="nope")
    assert items == [] and dict(report.items_skipped) == {"not in the chosen model run": 1}
    assert dict(report.dropped) == {"other model run": 3}


# --- unlabeled rows -----------------------------------------------------------------------

@pytest.mark.parametrize("projects", [{}, {"p": project()}])
def test_skip_unlabeled_both_ways(tmp_path: Path, projects) -> None:
    rows = [image_row("empty", projects), image_row("full", {"p": project(label("a", 1))})]
    items, report = select(tmp_path, rows)
    assert counts(items) == {"empty": 0, "full": 1} and not report.items_skipped
    items, report = select(tmp_path, rows, skip_unlabeled=True)
    assert counts(items) == {"full": 1}
    assert dict(report.items_skipped) == {"unlabeled": 1}


# --- splits -------------------------------------------------------------------------------

def position(row_id: str) -> float:
    """The documented rule: the first 8 bytes of BLAKE2b of the id, as a fraction of 2**64."""
    return int.from_bytes(hashlib.blake2b(row_id.encode(), digest_size=8).digest(), "big") / 2 ** 64


# Positions (from position() above): row-1 0.361, row-2 0.0723, row-3 0.604, row-4 0.0727,
# row-5 0.665, row-6 0.555.  With train 0.5, val 0.1, test 0.4 the bounds are 0.5 and 0.6.
PINNED = {"row-1": "train", "row-2": "train", "row-3": "test", "row-4": "train",
          "row-5": "test", "row-6": "val"}
FRACTIONS = {"train": 0.5, "val": 0.1, "test": 0.4}


def test_split_hash_values_are_stable(tmp_path: Path) -> None:
    assert round(position("row-1"), 6) == 0.361056 and round(position("row-6"), 6) == 0.55512
    assert {r: split_of(r, FRACTIONS.items()) for r in PINNED} == PINNED
    rows = [image_row(r, {"p": project(label("a", 1))}) for r in PINNED]
    items, _ = select(tmp_path, rows, split=FRACTIONS)
    assert {item.data_row_id: item.split for item in items} == PINNED
    items, _ = select(tmp_path, rows)
    assert {item.split for item in items} == {"train"}


def test_split_edges() -> None:
    assert split_of("row-1", [("train", 1.0)]) == "train"
    assert split_of("row-1", [("train", 0.0), ("val", 1.0)]) == "val"
    # fractions that do not reach the position: the last split, not a default
    assert split_of("row-5", [("a", 0.3), ("b", 0.3)]) == "b"
    assert split_of("row-1", [("a", 0.0), ("b", 0.0)]) == "b"


def test_run_split_wins_over_fractions(tmp_path: Path) -> None:
    experiments = {"e": {"runs": {"r1": run(labels=1, predictions=0, split="Test")}}}
    items, _ = select(tmp_path, [image_row("row-1", experiments=experiments)],
                      split={"train": 1.0})
    assert items[0].split == "test"


# --- video: every N-th frame, interpolation -----------------------------------------------

def video_row(frames: dict[int, dict[str, dict[str, Any]]], segments: dict[str, list]
              ) -> dict[str, Any]:
    annotations = {"frames": {str(n): {"objects": objects, "classifications": []}
                              for n, objects in frames.items()},
                   "segments": segments}
    return {"data_row": {"id": "v", "global_key": "clip.mp4"},
            "media_attributes": {"width": 640, "height": 480, "mime_type": "video/mp4"},
            "projects": {"p": {"labels": [{"id": "l", "annotations": annotations}]}}}


def video_box(fid: str, left: float, top: float, width: float, height: float) -> dict[str, Any]:
    return box(left, top, width, height, name="car", kind="VideoBoundingBox", fid=fid)


def video_point(fid: str, x: float, y: float) -> dict[str, Any]:
    return {"annotation_kind": "VideoPoint", "name": "dot", "feature_id": fid,
            "point": {"x": x, "y": y}}


def video_polygon(fid: str, vertices: list[tuple[float, float]]) -> dict[str, Any]:
    return {"annotation_kind": "VideoPolygon", "name": "zone", "feature_id": fid,
            "polygon": [{"x": x, "y": y} for x, y in vertices]}


FIVE_FRAMES = video_row({n: {"b": video_box("b", n, 0, 1, 1)} for n in range(1, 6)}, {})


@pytest.mark.parametrize("every, kept", [(1, [1, 2, 3, 4, 5]), (2, [1, 3, 5]), (3, [1, 4]),
                                         (5, [1]), (6, [1])])
def test_every_nth_frame(tmp_path: Path, every: int, kept: list[int]) -> None:
    items, report = select(tmp_path, [FIVE_FRAMES], every=every)
    assert [item.frame for item in items] == kept
    assert [item.stem for item in items] == [f"clip_{n:06d}" for n in kept]
    # frame n holds the box at left n
    assert [item.objects[0].bounding_box.left for item in items] == kept
    assert dict(report.dropped) == ({"frame not kept (--every)": 5 - len(kept)}
                                    if len(kept) < 5 else {})


def test_interpolated_boxes_and_points(tmp_path: Path) -> None:
    row = video_row(
        {1: {"b": video_box("b", 0, 10, 20, 40), "p": video_point("p", 10, 20)},
         3: {"p": video_point("p", 30, 60)},
         5: {"b": video_box("b", 40, 30, 60, 20)}},
        {"b": [[1, 7]], "p": [[1, 4]]})
    items, report = select(tmp_path, [row])
    assert [item.frame for item in items] == [1, 3, 5]  # only keyframes without interpolate
    items, report = select(tmp_path, [row], interpolate=True)
    by_frame = {item.frame: item.objects for item in items}
    assert sorted(by_frame) == [1, 2, 3, 4, 5, 6, 7]

    def boxes(frame: int) -> list[tuple[float, float, float, float]]:
        return [(o.bounding_box.left, o.bounding_box.top, o.bounding_box.width,
                 o.bounding_box.height) for o in by_frame[frame] if isinstance(o, BoxAnnotation)]

    def dots(frame: int) -> list[tuple[float, float]]:
        return [(o.point.x, o.point.y) for o in by_frame[frame]
                if isinstance(o, PointAnnotation)]

    # box: frame 1 (0, 10, 20, 40) to frame 5 (40, 30, 60, 20), a quarter per frame:
    # left +10, top +5, width +10, height -5
    assert boxes(2) == [(10.0, 15.0, 30.0, 35.0)]
    assert boxes(3) == [(20.0, 20.0, 40.0, 30.0)]
    assert boxes(4) == [(30.0, 25.0, 50.0, 25.0)]
    # after the last keyframe, up to the segment's end (7): held
    assert boxes(6) == boxes(7) == [(40.0, 30.0, 60.0, 20.0)]
    # point: frame 1 (10, 20) to frame 3 (30, 60): halfway at frame 2; held at 4 (end 4)
    assert dots(2) == [(20.0, 40.0)]
    assert dots(3) == [(30.0, 60.0)]
    assert dots(4) == [(30.0, 60.0)]
    assert dots(5) == dots(6) == dots(7) == []
    # added: box at 2, 3, 4, 6, 7 and point at 2, 4
    assert report.annotations_interpolated == 7


def test_interpolated_polygons(tmp_path: Path) -> None:
    row = video_row(
        {1: {"z": video_polygon("z", [(0, 0), (10, 0), (0, 10)]),
             "w": video_polygon("w", [(0, 0), (10, 0), (0, 10)])},
         3: {"z": video_polygon("z", [(20, 0), (30, 0), (20, 10)]),
             "w": video_polygon("w", [(50, 50), (60, 50), (60, 60), (50, 60)])}},
        {"z": [[1, 3]], "w": [[1, 3]]})
    items, report = select(tmp_path, [row], interpolate=True)
    second = {o.feature_id: [(p.x, p.y) for p in o.polygon] for o in items[1].objects
              if isinstance(o, PolygonAnnotation)}
    assert items[1].frame == 2
    # same point count: halfway, x + 10
    assert second["z"] == [(10.0, 0.0), (20.0, 0.0), (10.0, 10.0)]
    # 3 points then 4: the earlier polygon is held
    assert second["w"] == [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)]
    assert report.annotations_interpolated == 2


def test_interpolation_stays_inside_each_segment(tmp_path: Path) -> None:
    # keyframes 1, 4 and 8; segments [1, 4] and [8, 9]: frames 5-7 lie between segments
    row = video_row({1: {"b": video_box("b", 0, 0, 10, 10)},
                     4: {"b": video_box("b", 30, 0, 10, 10)},
                     8: {"b": video_box("b", 80, 0, 10, 10)}},
                    {"b": [[1, 4], [8, 9]]})
    items, report = select(tmp_path, [row], interpolate=True)
    lefts = {item.frame: item.objects[0].bounding_box.left for item in items}
    # frames 2, 3: 0 + 30 * 1/3, 0 + 30 * 2/3; frame 9 holds frame 8
    assert lefts == {1: 0.0, 2: 10.0, 3: 20.0, 4: 30.0, 8: 80.0, 9: 80.0}
    assert report.annotations_interpolated == 3


# --- names --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, stem", [
    ("com1", "_com1"), ("com9", "_com9"), ("lpt9", "_lpt9"), ("LPT1.txt", "_LPT1.txt"),
    ("nul", "_nul"), ("com10", "com10"), ("lpt", "lpt"), ("computer", "computer"),
])
def test_reserved_device_names(name: str, stem: str) -> None:
    from lbconvert.select import safe_stem

    assert safe_stem(name) == stem


def test_name_set_answers_true_then_false() -> None:
    from lbconvert.select import NameSet

    names = NameSet()
    assert names.add("a") is True
    assert names.add("b") is True
    assert names.add("a") is False


def test_double_dots_inside_a_plain_name_are_replaced() -> None:
    from lbconvert.select import safe_stem

    assert safe_stem("a..b") == "a_b"
    assert safe_stem("a.b") == "a.b"


@pytest.mark.parametrize("row_data, file_name", [
    ("https://storage.example.com/photos/shot.PNG?sig=1", "k.PNG"),  # the URL's extension
    ("https://storage.example.com/photos/shot", "k.jpg"),            # none: .jpg
    (None, "k.jpg"),
    ("http://[invalid", "k.jpg"),                                     # urlparse refuses it
])
def test_file_name_extension_from_the_row_data(tmp_path: Path, row_data, file_name: str) -> None:
    record = image_row("r", {"p": project(label("a", 1))})
    record["data_row"] = {"id": "r", "global_key": "k", "row_data": row_data}
    items, _ = select(tmp_path, [record])
    assert (items[0].stem, items[0].file_name) == ("k", file_name)


# --- image sizes --------------------------------------------------------------------------

@pytest.mark.parametrize("width, height, known", [
    (2 ** 20, 10, True), (10, 2 ** 20, True),          # the largest side believed
    (2 ** 20 + 1, 10, False), (10, 2 ** 20 + 1, False),
    (0, 10, False), (10, 0, False), (-5, 10, False),
    (99.6, 10.4, True),                                  # rounded: 100 x 10
])
def test_claimed_image_size_limits(tmp_path: Path, width, height, known: bool) -> None:
    record = image_row("r", {"p": project(label("a", 2))})
    record["media_attributes"] = {"width": width, "height": height, "mime_type": "image/jpeg"}
    items, report = select(tmp_path, [record])
    if known:
        assert [(i.width, i.height) for i in items] == [(round(width), round(height))]
        assert not report.dropped
    else:
        assert items == []
        assert dict(report.dropped) == {"image size unknown": 2}
        assert dict(report.items_skipped) == {"image size unknown": 1}


def test_video_without_a_size(tmp_path: Path) -> None:
    from PIL import Image

    record = video_row({1: {"b": video_box("b", 0, 0, 1, 1)}, 2: {"b": video_box("b", 1, 0, 1, 1)}},
                       {})
    record["media_attributes"] = {"mime_type": "video/mp4"}
    frames = tmp_path / "frames"
    frames.mkdir()
    # no size, and no frame directory for this video: every frame skipped
    for options in ({}, {"frames_dir": frames}):
        items, report = select(tmp_path, [record], **options)
        assert items == []
        assert dict(report.dropped) == {"image size unknown": 2}
        assert dict(report.items_skipped) == {"image size unknown": 2}
    # the first extracted frame gives the size
    (frames / "clip").mkdir()
    Image.new("RGB", (32, 24)).save(frames / "clip" / "000001.jpg")
    items, report = select(tmp_path, [record], frames_dir=frames)
    assert [(i.frame, i.width, i.height) for i in items] == [(1, 32, 24), (2, 32, 24)]


def video_line(fid: str, vertices: list[tuple[float, float]]) -> dict[str, Any]:
    return {"annotation_kind": "VideoPolyline", "name": "lane", "feature_id": fid,
            "line": [{"x": x, "y": y} for x, y in vertices]}


def test_interpolated_polylines(tmp_path: Path) -> None:
    from lbconvert.model import PolylineAnnotation

    row = video_row(
        {1: {"l": video_line("l", [(0, 0), (10, 10)]), "m": video_line("m", [(0, 0), (10, 10)])},
         5: {"l": video_line("l", [(40, 0), (50, 20)]),
             "m": video_line("m", [(40, 0), (50, 20), (60, 30)])}},
        {"l": [[1, 5]], "m": [[1, 5]]})
    items, report = select(tmp_path, [row], interpolate=True)
    third = {o.feature_id: [(p.x, p.y) for p in o.line] for o in items[2].objects
             if isinstance(o, PolylineAnnotation)}
    assert items[2].frame == 3
    # same point count: halfway, (0,0)->(40,0) and (10,10)->(50,20)
    assert third["l"] == [(20.0, 0.0), (30.0, 15.0)]
    # 2 points then 3: the earlier line is held
    assert third["m"] == [(0.0, 0.0), (10.0, 10.0)]
    assert report.annotations_interpolated == 6


@pytest.mark.parametrize("segments", [
    [[1]], [[1, 2, 3]], [["1", 3]], [[1, 3.0]], [1, 3], "1-3", [None],
])
def test_malformed_segments_are_ignored(tmp_path: Path, segments) -> None:
    row = video_row({1: {"b": video_box("b", 0, 0, 10, 10)},
                     3: {"b": video_box("b", 20, 0, 10, 10)}},
                    {"b": segments})
    items, report = select(tmp_path, [row], interpolate=True)
    assert [item.frame for item in items] == [1, 3]
    assert report.annotations_interpolated == 0


# --- image files --------------------------------------------------------------------------

def test_image_lookup_never_leaves_the_directory(tmp_path: Path) -> None:
    from PIL import Image

    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (7, 5)).save(tmp_path / "outside.png")   # beside the directory
    Image.new("RGB", (9, 3)).save(images / "inside.png")
    rows = []
    for key in ("../outside.png", "inside.png"):
        record = image_row(key.replace("/", "_"), {"p": project(label("a", 1))})
        record["data_row"]["global_key"] = key
        record["media_attributes"] = {"mime_type": "image/png"}
        rows.append(record)
    items, report = select(tmp_path, rows, images=images)
    assert [(i.global_key, i.width, i.height) for i in items] == [("inside.png", 9, 3)]
    assert dict(report.items_skipped) == {"image size unknown": 1}


def test_frame_images_are_the_frames_own(tmp_path: Path) -> None:
    from lbconvert.select import find_image

    images = tmp_path / "images"
    images.mkdir()
    for name in ("clip.jpg", "clip_000001.jpg"):
        (images / name).write_bytes(b"")
    frames = tmp_path / "frames"
    (frames / "clip").mkdir(parents=True)
    record = video_row({1: {"b": video_box("b", 0, 0, 1, 1)}, 2: {"b": video_box("b", 1, 0, 1, 1)}},
                       {})
    items, _ = select(tmp_path, [record])
    first, second = items
    # --images: the frame's own file, never the video's name
    options = Options.from_kwargs(images=images)
    assert find_image(first, options) == images / "clip_000001.jpg"
    assert find_image(second, options) is None
    # --frames-dir only: frame 1 is missing there, and there is no --images to fall back on
    assert find_image(first, Options.from_kwargs(frames_dir=frames)) is None
    (frames / "clip" / "000002.png").write_bytes(b"")
    assert find_image(second, Options.from_kwargs(frames_dir=frames)) == \
        frames / "clip" / "000002.png"


# --- documents: one item per page ---------------------------------------------------------

def doc_box(page: int, size: Optional[tuple[float, float]]) -> dict[str, Any]:
    found: dict[str, Any] = {"annotation_kind": "DocumentBoundingBox", "name": "total",
                             "page_number": page,
                             "bounding_box": {"top": 1, "left": 2, "height": 3, "width": 4}}
    if size is not None:
        found["page_dimensions"] = {"width": size[0], "height": size[1]}
    return found


def doc_entity(*pages: int) -> dict[str, Any]:
    return {"annotation_kind": "DocumentEntityToken", "name": "word",
            "location": {"groups": [{"id": f"g{p}", "page_number": p, "tokens": ["t"],
                                     "text": "x"} for p in pages]}}


def test_document_pages(tmp_path: Path) -> None:
    record = {"data_row": {"id": "doc", "global_key": "invoice.pdf"},
              "media_attributes": {"mime_type": "application/pdf"},
              "projects": {"p": {"labels": [{"id": "l", "annotations": {"objects": [
                  doc_box(1, (612.4, 791.6)), doc_box(2, None), doc_box(3, (100, 50)),
                  doc_entity(3, 1)]}}]}}}
    items, report = select(tmp_path, [record])
    # page 1: its size rounded; page 2 has no size: skipped; page 3 holds the box and the
    # entity, whose first token group is on page 3 (its second, on page 1, does not count)
    assert [(i.page, i.stem, i.width, i.height, len(i.objects)) for i in items] == [
        (1, "invoice_p1", 612, 792, 1), (3, "invoice_p3", 100, 50, 2)]
    assert dict(report.dropped) == {"page size unknown": 1}
    assert dict(report.items_skipped) == {"page size unknown": 1}
