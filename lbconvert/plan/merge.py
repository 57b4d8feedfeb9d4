"""Merge the part datasets of a partitioned run into the dataset one process writes.

Every part was written with the classes, stems and splits of the whole
export (see :mod:`.run`), or agrees with them (see :mod:`.onepass`), so most
files need no change:

* a file of one item (a YOLO label file, a VOC XML, a mask PNG, a GeoJSON
  file) exists in one part only and moves (a whole directory when the
  merged dataset has none of that name yet);
* a list (``manifest.jsonl``, ``items.jsonl``, VOC ``ImageSets``) is the
  concatenation of the parts' lists in part order;
* a file that depends only on the classes and splits (``data.yaml``,
  ``labelmap.txt``, ``classes.json``) is the same in every part written
  with the export's facts: the first copy is kept (the one-pass plan puts
  its own, written with those facts, in place before the parts);
* the reports are summed (:meth:`Report.merge`), and
  ``lbconvert-report.json`` is written from the sum.

COCO parts are not merged here: COCO runs in one pass, its ids fixed by
the workers and its files concatenated (:mod:`.coco`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

import orjson

from ..errors import LbConvertError
from ..report import Report
from ..write.manifest import MANIFEST, REPORT

__all__ = ["MERGEABLE", "SAME_IN_EVERY_PART", "merge_parts"]

#: The writers whose part datasets this module merges; the others run in one process.
MERGEABLE = frozenset({"coco", "yolo", "voc", "masks", "jsonl", "geojson"})

_CONCATENATED_NAMES = frozenset({MANIFEST, "items.jsonl"})
_CONCATENATED_DIRECTORIES = ("ImageSets",)
#: Files that depend only on the classes and splits: the first copy merged is kept
#: (see :func:`.onepass.write_shared_files`).
SAME_IN_EVERY_PART = frozenset({"data.yaml", "labelmap.txt", "classes.json"})
#: Warnings every part counts once for the whole class list (not per item).
_PER_CLASS_WARNINGS = {"voc": ("class name changed for voc (see labelmap.txt)",)}


def merge_parts(
    to: str,
    parts: list[Path],
    reports: list[Report],
    out: Path,
    total: Report,
    classes_report: Optional[Report] = None,
) -> Report:
    """Merge ``parts`` (in export order) into ``out``, remove them, and
    return ``total`` with the parts' reports added (also written to
    ``out/lbconvert-report.json``).  The warnings counted once per class
    come from ``classes_report``, the report of a writer given every class
    of the export (default: the first part's)."""
    for part in parts:
        (part / REPORT).unlink(missing_ok=True)
        _merge_directory(str(part), str(out), "")
        shutil.rmtree(part)
    report = _sum_reports(to, reports, total, classes_report)
    with open(out / REPORT, "wb") as handle:
        handle.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    return report


def _sum_reports(
    to: str, reports: list[Report], total: Report, classes_report: Optional[Report]
) -> Report:
    for report in reports:
        total.merge(report)
    every_class = classes_report or (reports[0] if reports else None)
    for reason in _PER_CLASS_WARNINGS.get(to, ()):
        if every_class is not None and reason in every_class.warnings:
            total.warnings[reason] = every_class.warnings[reason]
        else:
            total.warnings.pop(reason, None)
    return total


def _merge_directory(source: str, target: str, relative: str) -> None:
    """Move what ``source`` holds into ``target``.  Plain strings and one
    listing of ``target``: a part holds tens of thousands of files, and a
    ``Path`` and an ``lstat`` per file cost as much as the rename."""
    present = set(os.listdir(target))
    for entry in sorted(os.listdir(source)):
        path = f"{source}{os.sep}{entry}"
        if entry not in present:
            os.rename(path, f"{target}{os.sep}{entry}")  # a whole directory at once, when new
            continue
        name = f"{relative}/{entry}" if relative else entry
        if os.path.isdir(path) and not os.path.islink(path):
            _merge_directory(path, f"{target}{os.sep}{entry}", name)
        elif entry in _CONCATENATED_NAMES or name.startswith(_CONCATENATED_DIRECTORIES):
            _append(path, Path(target, entry))
        elif name in SAME_IN_EVERY_PART:
            continue
        else:
            raise LbConvertError(f"internal error: two parts of a partitioned run wrote {name}")


def _append(source: str, destination: Path) -> None:
    with open(source, "rb") as part, open(destination, "ab") as whole:
        shutil.copyfileobj(part, whole, 1 << 20)
