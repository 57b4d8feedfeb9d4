"""Which labels of a data row are converted, and the split they go to.

A row with one project uses it; with several, ``project`` chooses (otherwise
:class:`~lbconvert.errors.SelectionError` lists them).  Rows of a model-run
export use their run (``model_run`` chooses among several) and ``source`` =
``labels`` or ``predictions``.  Of several labels the project's
``selected_label_id`` wins, else the first one that is not skipped;
``labels="all"`` merges every label that is not skipped.  The objects of
every label considered are counted in ``report.objects_read``; those left
out are dropped with their reason.  A model run's split names the item's
split (Training/Validation/Test -> train/val/test), else ``split``
fractions (:func:`split_of`).
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional, TypeVar

import msgspec

from ..errors import SelectionError
from ..model import DataRow, Label, Project, Run
from ..names import digest
from ..options import Options, option_name
from ..report import Report

__all__ = ["Choice", "LabelChooser", "split_of"]

_RUN_SPLITS = {
    "training": "train",
    "train": "train",
    "validation": "val",
    "val": "val",
    "test": "test",
    "testing": "test",
}


def split_of(data_row_id: str, fractions: Iterable[tuple[str, float]]) -> str:
    """The split a data row falls in, from a hash of its id (no RNG)."""
    position = digest(data_row_id) / 2.0**64
    cumulative = 0.0
    last = "train"
    for name, fraction in fractions:
        cumulative += fraction
        last = name
        if position < cumulative:
            return name
    return last


_Container = TypeVar("_Container", Project, Run)


def _the_only_one(
    row: DataRow,
    containers: dict[str, _Container],
    title: Callable[[_Container], Optional[str]],
    holds: str,
    option: str,
) -> Optional[_Container]:
    """The row's one project or model run (None when it has none) when no
    option chose; several are a :class:`SelectionError` listing them by id and
    ``title``, saying what the row ``holds`` and which ``option`` chooses."""
    if len(containers) > 1:
        listed = ", ".join(f"{key} ({title(container)})" for key, container in containers.items())
        raise SelectionError(
            f"data row {row.id} (record {row.position}) {holds}: {listed}; "
            f"choose one with {option_name(option)}"
        )
    return next(iter(containers.values()), None)


class Choice(msgspec.Struct, frozen=True, gc=False):
    """The labels of the chosen project or run, with what selection needs of it
    (a Struct: built once per row, it costs a fraction of a NamedTuple)."""

    labels: tuple[Label, ...]
    split: Optional[str]
    status: Optional[str]
    selected_label_id: Optional[str] = None


class LabelChooser:
    """Chooses the project or model run of each row, then its labels,
    counting into ``report`` what it reads and what it leaves out."""

    def __init__(self, options: Options, report: Report) -> None:
        self.options = options
        self.report = report

    @staticmethod
    def _count(labels: Iterable[Label]) -> int:
        return sum(label.object_count() for label in labels)

    def drop_labels(self, labels: Iterable[Label], reason: str) -> None:
        """Count the objects of ``labels`` as dropped for ``reason``."""
        self.report.drop(reason, self._count(labels))

    def container(self, row: DataRow) -> Optional[Choice]:
        """Pick the project or model run; count and drop the objects of the others."""
        usual = self._usual_row(row)
        if usual is not None:
            return usual
        options = self.options
        projects = row.projects
        runs = {
            run_id: run
            for experiment in row.experiments.values()
            for run_id, run in experiment.runs.items()
        }
        use_runs = bool(runs) and (
            options.source == "predictions" or options.model_run is not None or not row.projects
        )
        if use_runs:
            return self._choose_run(row, runs)
        if options.source == "predictions":
            self.report.skip_item("no model run")
            return None
        for run in runs.values():  # ground truth of runs in a Catalog row
            self.report.objects_read += self._count(run.labels)
            self.drop_labels(run.labels, "other source (model run)")
        for project in projects.values():
            self.report.objects_read += self._count(project.labels)
        if options.project is not None:
            chosen = projects.get(options.project)
            if chosen is None:
                chosen = next((p for p in projects.values() if p.title == options.project), None)
        else:
            chosen = _the_only_one(
                row,
                projects,
                lambda p: p.title,
                f"has labels from {len(projects)} projects",
                "project",
            )
        for project in projects.values():
            if project is not chosen:
                self.drop_labels(project.labels, "other project")
        if chosen is None:
            if options.project is not None and projects:
                self.report.skip_item("not in the chosen project")
                return None
            return Choice((), None, None)
        return self._project_choice(chosen)

    def _usual_row(self, row: DataRow) -> Optional[Choice]:
        """The choice for the usual row — one project, no model run, no
        ``--project``, ground truth — as :meth:`container` would make it
        (None for any other row).  Saves 1.0 of 3.1 µs per row, about 2 %
        of a YOLO conversion's instructions (callgrind, 4,000 rows)."""
        projects = row.projects
        if (
            row.experiments
            or len(projects) != 1
            or self.options.project is not None
            or self.options.source != "labels"
        ):
            return None
        (only,) = projects.values()
        self.report.objects_read += self._count(only.labels)
        return self._project_choice(only)

    @staticmethod
    def _project_choice(project: Project) -> Choice:
        details = project.project_details
        if details is None:
            return Choice(project.labels, None, None)
        return Choice(project.labels, None, details.workflow_status, details.selected_label_id)

    def _choose_run(self, row: DataRow, runs: dict[str, Run]) -> Optional[Choice]:
        options = self.options
        predictions = options.source == "predictions"
        for run in runs.values():
            self.report.objects_read += self._count(run.predictions if predictions else run.labels)
        if options.model_run is not None:
            chosen = runs.get(options.model_run)
        else:
            chosen = _the_only_one(
                row, runs, lambda run: run.name or "", f"is in {len(runs)} model runs", "model_run"
            )
        for run in runs.values():
            if run is not chosen:
                self.drop_labels(run.predictions if predictions else run.labels, "other model run")
        if chosen is None:
            self.report.skip_item("not in the chosen model run")
            return None
        return Choice(
            chosen.predictions if predictions else chosen.labels,
            _RUN_SPLITS.get((chosen.split or "").lower()),
            None,
        )

    def labels(self, choice: Choice) -> Optional[tuple[Label, ...]]:
        """The labels to write; None when every label was skipped."""
        if not choice.labels:
            return ()
        if len(choice.labels) == 1 and not choice.labels[0].skipped:
            return choice.labels
        usable = [label for label in choice.labels if not label.skipped]
        self.drop_labels((label for label in choice.labels if label.skipped), "label skipped")
        if not usable:
            return None
        if self.options.labels == "all":
            return tuple(usable)
        chosen = next(
            (label for label in usable if label.id == choice.selected_label_id), usable[0]
        )
        self.drop_labels((label for label in usable if label is not chosen), "label not selected")
        return (chosen,)
