"""The select stage: behaviour the mutation runner found untested (``python
-m benchmarks.mutate --module lbconvert/select/items.py --sample 40 --seed 2``,
the same for ``select/interpolate.py``, and ``--only`` on the lines of the
survivors issue 16 names).

* under ``project``, a row in no project at all (an unlabeled Catalog row)
  is kept as an unlabeled item (it is in no *other* project), and
  ``skip_unlabeled`` then skips it as unlabeled; a row only in another
  project is skipped.
"""

from __future__ import annotations

from pathlib import Path

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
