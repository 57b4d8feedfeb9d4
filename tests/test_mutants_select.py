"""The select stage: behaviour the mutation runner found untested (``python
-m benchmarks.mutate --module lbconvert/select/items.py --sample 40 --seed 2``,
the same for ``select/interpolate.py``, and ``--only`` on the lines of the
survivors issue 16 names).

* under ``project``, a row in no project at all (an unlabeled Catalog row)
  is kept as an unlabeled item (it is in no *other* project), and
  ``skip_unlabeled`` then skips it as unlabeled; a row only in another
  project is skipped.
* a row whose hash position falls exactly on a split boundary goes to the
  later split (each split holds ``[start, end)`` of the positions);
* a document's classes get their ids in page order (then export order
  within a page), not in the row's export order.
* a segment is refused only when it spans more than ``MAX_SEGMENT_FRAMES``
  frames (``end - start``, wherever it starts): exactly that many are filled.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import lbconvert

from lbconvert.model import Box, BoxAnnotation, Frame
from lbconvert.select.interpolate import MAX_SEGMENT_FRAMES, interpolate

from lbconvert.options import Options
from lbconvert.report import Report
from lbconvert.select import Selector, split_of

from .test_boundaries_select import (
    counts, doc_box, image_row, label, position, project, select,
)


def test_a_row_in_no_project_is_kept_under_project(tmp_path: Path) -> None:
    rows = [image_row("nowhere", {}), image_row("in-p1", {"p1": project(label("a", 1))}),
            image_row("in-p2", {"p2": project(label("b", 2))})]
    items, report = select(tmp_path, rows, project="p1")
    assert counts(items) == {"nowhere": 0, "in-p1": 1}
    assert dict(report.items_skipped) == {"not in the chosen project": 1}
    assert dict(report.dropped) == {"other project": 2}
    items, report = select(tmp_path, rows, project="p1", skip_unlabeled=True)
    assert counts(items) == {"in-p1": 1}
    assert dict(report.items_skipped) == {"not in the chosen project": 1, "unlabeled": 1}


CAR = BoxAnnotation(feature_id="f", name="car", bounding_box=Box(left=0, top=0, width=4, height=2))


@pytest.mark.parametrize("start", [0, 5_000_000])
def test_a_segment_of_exactly_the_longest_span_is_filled(start: int) -> None:
    frames = {start: Frame(objects={"f": CAR})}
    longest = interpolate(frames, {"f": [[start, start + MAX_SEGMENT_FRAMES]]})
    # the frame after the keyframe holds it (no keyframe after it); the rest
    # is not drawn here: it would be a million items
    assert next(longest) == (start + 1, CAR)
    too_long = interpolate(frames, {"f": [[start, start + MAX_SEGMENT_FRAMES + 1]]})
    with pytest.raises(ValueError, match="spans more than 1,000,000 frames"):
        next(too_long)


def test_a_short_segment_late_in_a_long_video_is_filled() -> None:
    # keyframes 5,000,000 and 5,000,004: three frames between, moved a
    # quarter of the way each (left 0 -> 8: 2, 4, 6)
    moved = BoxAnnotation(feature_id="f", name="car",
                          bounding_box=Box(left=8, top=0, width=4, height=2))
    frames = {5_000_000: Frame(objects={"f": CAR}), 5_000_004: Frame(objects={"f": moved})}
    filled = list(interpolate(frames, {"f": [[5_000_000, 5_000_004]]}))
    assert [(number, obj.bounding_box.left) for number, obj in filled] == [
        (5_000_001, 2.0), (5_000_002, 4.0), (5_000_003, 6.0)]


def test_a_position_exactly_on_a_split_boundary_goes_to_the_later_split() -> None:
    at = position("row-1")  # 0.361...: the very float split_of computes for the row
    assert split_of("row-1", [("train", at), ("val", 1.0 - at)]) == "val"
    assert split_of("row-1", [("train", at), ("val", 0.25), ("test", 0.75 - at)]) == "val"
    # a hair above the position: train
    above = math.nextafter(at, 1.0)
    assert split_of("row-1", [("train", above), ("val", 1.0 - above)]) == "train"


def test_document_classes_are_numbered_in_page_order(tmp_path: Path) -> None:
    page_2_first = [dict(doc_box(2, (100, 50)), name="second-page"),
                    dict(doc_box(1, (100, 50)), name="first-page")]
    record = {"data_row": {"id": "doc", "global_key": "invoice.pdf"},
              "media_attributes": {"mime_type": "application/pdf"},
              "projects": {"p": {"labels": [{"id": "l", "annotations": {
                  "objects": page_2_first}}]}}}
    path = tmp_path / "rows.ndjson"
    path.write_text(json.dumps(record) + "\n")
    selector = Selector(Options(), Report())
    items = [item for row in lbconvert.read(path) for item in selector.items(row)]
    assert [(i.page, [o.name for o in i.objects]) for i in items] == [
        (1, ["first-page"]), (2, ["second-page"])]
    assert selector.classes.names == ["first-page", "second-page"]
