"""``lbconvert inspect``: what an export holds, counted in one streaming pass."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Optional

from .errors import LbConvertError
from .model import DataRow, Label
from .read import DEFAULT_MAX_RECORD_BYTES, ExportReader, Source

__all__ = ["inspect_export"]


def inspect_export(
    source: Source,
    progress: Optional[Callable[[ExportReader], None]] = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> dict[str, Any]:
    """Count data rows, labels, objects per kind, classes, media types,
    projects and model runs.  ``objects`` counts every object of every label
    as exported (a video box once per keyframe it is in, skipped labels
    included); model-run predictions are counted under ``predictions``."""
    reader = ExportReader(source, max_record_bytes)
    counts = _Counts()
    try:
        for row in reader:
            counts.add_row(row)
            if progress is not None:
                progress(reader)
    except Exception as exc:
        if not isinstance(exc, LbConvertError):
            reader.note_position(exc)
        raise
    return counts.summary(reader.format or "v2-ndjson")


class _Counts:
    def __init__(self) -> None:
        self.data_rows = self.labels = self.skipped = self.without_size = 0
        self.relationships = self.classifications = 0
        self.objects: Counter[str] = Counter()
        self.annotation_kinds: Counter[str] = Counter()
        self.predictions: Counter[str] = Counter()
        self.classes: Counter[str] = Counter()
        self.media: Counter[str] = Counter()
        self.projects: dict[str, str] = {}
        self.model_runs: dict[str, str] = {}
        #: class -> {"rows": data rows holding it, "objects": n, "kinds": {kind: n}}
        self.class_table: dict[str, dict[str, Any]] = {}
        self._row_classes: set[str] = set()

    def add_row(self, row: DataRow) -> None:
        self._row_classes = set()
        self.data_rows += 1
        self.media[row.media_type] += 1
        width, height = row.size
        if not width or not height:
            self.without_size += 1
        for project_id, project in row.projects.items():
            self.projects.setdefault(project_id, project.title)
            for label in project.labels:
                self._add_label(label)
        for experiment in row.experiments.values():
            for run_id, run in experiment.runs.items():
                self.model_runs.setdefault(run_id, f"{experiment.name or ''} / {run.name or ''}")
                for label in run.labels:
                    self._add_label(label)
                for prediction in run.predictions:
                    for _, obj in prediction.iter_objects():
                        self.predictions[obj.kind] += 1

    def _add_label(self, label: Label) -> None:
        self.labels += 1
        self.skipped += label.skipped
        annotations = label.annotations
        self.relationships += len(annotations.relationships)
        self.classifications += len(annotations.classifications)
        for _, obj in label.iter_objects():
            self.objects[obj.kind] += 1
            self.annotation_kinds[obj.annotation_kind] += 1
            name = obj.name or obj.value or ""
            self.classes[name] += 1
            entry = self.class_table.get(name)
            if entry is None:
                entry = self.class_table[name] = {"rows": 0, "objects": 0, "kinds": Counter()}
            entry["objects"] += 1
            entry["kinds"][obj.kind] += 1
            if name not in self._row_classes:
                self._row_classes.add(name)
                entry["rows"] += 1

    def summary(self, format_name: str) -> dict[str, Any]:
        return {
            "format": format_name,
            "data_rows": self.data_rows,
            "labels": self.labels,
            "skipped_labels": self.skipped,
            "objects": dict(sorted(self.objects.items())),
            "annotation_kinds": dict(sorted(self.annotation_kinds.items())),
            "predictions": dict(sorted(self.predictions.items())),
            "relationships": self.relationships,
            "classifications": self.classifications,
            "classes": dict(sorted(self.classes.items())),
            "media": dict(sorted(self.media.items())),
            "rows_without_size": self.without_size,
            "projects": self.projects,
            "model_runs": self.model_runs,
            "class_table": {
                name: {
                    "rows": entry["rows"],
                    "objects": entry["objects"],
                    "kinds": dict(sorted(entry["kinds"].items())),
                }
                for name, entry in sorted(self.class_table.items())
            },
        }
