"""The select stage: behaviour the mutation runner found untested (``python
-m benchmarks.mutate --module lbconvert/select/items.py --sample 40 --seed 2``,
the same for ``select/interpolate.py``, and ``--only`` on the lines of the
survivors issue 16 names).

* under ``project``, a row in no project at all (an unlabeled Catalog row)
  is kept as an unlabeled item (it is in no *other* project), and
  ``skip_unlabeled`` then skips it as unlabeled; a row only in another
  project is skipped.
* a segment is refused only when it spans more than ``MAX_SEGMENT_FRAMES``
  frames (``end - start``, wherever it starts): exactly that many are filled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lbconvert.model import Box, BoxAnnotation, Frame
from lbconvert.select.interpolate import MAX_SEGMENT_FRAMES, interpolate

from .test_boundaries_select import counts, image_row, label, project, select


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
