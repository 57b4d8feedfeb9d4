"""Merge the part datasets of a partitioned run into the dataset one process writes.

Every part was written with the classes, stems and splits of the whole
export (see :mod:`.run`), so most files need no change:

* a file of one item (a YOLO label file, a VOC XML, a mask PNG, a GeoJSON
  file) exists in one part only and moves (a whole directory when the
  merged dataset has none of that name yet);
* a list (``manifest.jsonl``, ``items.jsonl``, VOC ``ImageSets``) is the
  concatenation of the parts' lists in part order;
* a file that depends only on the classes and splits (``data.yaml``,
  ``labelmap.txt``, ``classes.json``) is the same in every part: the first
  part's is kept;
* the reports are summed (:meth:`Report.merge`), and
  ``lbconvert-report.json`` is written from the sum.

COCO parts are not merged here: COCO runs in one pass, its ids fixed by
the workers and its files concatenated (:mod:`.coco`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson

from ..errors import LbConvertError
from ..report import Report
from ..write.manifest import MANIFEST, REPORT

__all__ = ["MERGEABLE", "merge_parts"]

#: The writers whose part datasets this module merges; the others run in one process.
MERGEABLE = frozenset({"coco", "yolo", "voc", "masks", "jsonl", "geojson"})

_CONCATENATED_NAMES = frozenset({MANIFEST, "items.jsonl"})
_CONCATENATED_DIRECTORIES = ("ImageSets",)
_SAME_IN_EVERY_PART = frozenset({"data.yaml", "labelmap.txt", "classes.json"})
#: Warnings every part counts once for the whole class list (not per item).
_PER_CLASS_WARNINGS = {"voc": ("class name changed for voc (see labelmap.txt)",)}


def merge_parts(to: str, parts: list[Path], reports: list[Report], out: Path,
                total: Report) -> Report:
    """Merge ``parts`` (in export order) into ``out``, remove them, and
    return ``total`` with the parts' reports added (also written to
    ``out/lbconvert-report.json``)."""
    for part in parts:
        (part / REPORT).unlink(missing_ok=True)
        _merge_directory(part, out, "")
        shutil.rmtree(part)
    report = _sum_reports(to, reports, total)
    with open(out / REPORT, "wb") as handle:
        handle.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    return report


def _sum_reports(to: str, reports: list[Report], total: Report) -> Report:
    for report in reports:
        total.merge(report)
    for reason in _PER_CLASS_WARNINGS.get(to, ()):
        if reports and reason in reports[0].warnings:
            total.warnings[reason] = reports[0].warnings[reason]
    return total


def _merge_directory(source: Path, target: Path, relative: str) -> None:
    with os.scandir(source) as entries:
        found = sorted(entries, key=lambda e: e.name)
    for entry in found:
        name = f"{relative}/{entry.name}" if relative else entry.name
        destination = target / entry.name
        if not os.path.lexists(destination):
            os.rename(entry.path, destination)  # a whole directory at once, when new
        elif entry.is_dir(follow_symlinks=False):
            _merge_directory(Path(entry.path), destination, name)
        elif entry.name in _CONCATENATED_NAMES or name.startswith(_CONCATENATED_DIRECTORIES):
            _append(entry.path, destination)
        elif name in _SAME_IN_EVERY_PART:
            continue
        else:
            raise LbConvertError(f"internal error: two parts of a partitioned run wrote {name}")


def _append(source: str, destination: Path) -> None:
    with open(source, "rb") as part, open(destination, "ab") as whole:
        shutil.copyfileobj(part, whole, 1 << 20)
