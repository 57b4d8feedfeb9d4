"""The conversion report: every object read is either written or dropped with a reason.

Who counts what:

* the select stage (:class:`lbconvert.select.Selector`) counts ``data_rows``,
  ``objects_read``, ``annotations_interpolated``, ``items_skipped`` and drops
  the objects of labels and items it leaves out;
* the writer base class (:class:`lbconvert.write.base.Writer`) counts
  ``items`` — once per call of ``add(item)`` — and the per-split and per-class
  tables (``splits``, ``classes``); a writer never touches these;
* each writer counts ``annotations_written`` and drops (``drop(reason)``)
  and ``warnings`` for what it was handed;
* :func:`lbconvert.convert` fills ``version``, ``format``, ``options`` and
  ``elapsed_seconds``.

If you filter Items yourself before handing them to a writer, count what you
leave out with :meth:`Report.leave_out` so the report stays balanced.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional

if TYPE_CHECKING:
    from .model import Item, ObjectAnnotation
    from .options import Options

__all__ = ["Report", "HINTS", "class_of"]

#: What would help, per drop/skip reason, when a run writes nothing useful.
HINTS: dict[str, str] = {
    "image size unknown": "image size unknown: pass --images DIR (the images) to read the sizes",
    "page size unknown": "page size unknown: the export has no page_dimensions for these pages",
    "mask not available offline": "mask not available offline: download the masks, "
    "then --masks DIR (and --mask-map FILE for composite masks)",
    "class not in classes file": "class not in classes file: check --classes / --ontology "
    "and --class-key",
    "label skipped": "every label was skipped in Labelbox",
    "unlabeled": "rows without labels were left out: drop --skip-unlabeled",
    "workflow status filtered": "no row has the --status asked for",
    "label not selected": "try --labels all",
    "frame not kept (--every)": "lower --every",
}


class Report:
    """Counters shared by the select stage and the writer.

    The identity ``annotations_written + sum(dropped.values()) == objects_read``
    holds at the end of every conversion (interpolated video annotations are
    counted in ``annotations_interpolated`` and included in
    ``annotations_written``, so subtract them first for video).
    """

    def __init__(self) -> None:
        self.data_rows = 0
        self.items = 0
        self.objects_read = 0
        self.annotations_written = 0
        self.annotations_interpolated = 0
        self.dropped: Counter[str] = Counter()
        self.items_skipped: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        # The writer stage's tables (see the splits and classes properties),
        # counted per item and per drop.  Plain dicts: an increment of a
        # Counter costs 3.5 times as much (it is a dict subclass), and
        # Counter.update() of an item's classes 3 times a loop over them.
        self._split_items: dict[str, int] = {}
        self._split_written: dict[str, int] = {}
        self._class_objects: dict[str, int] = {}
        self._class_items: dict[str, int] = {}
        #: (class, split, reason) -> drops: the current class and split (None
        #: outside the writer's objects and items), and every reason.
        self._drops: dict[tuple[Optional[str], Optional[str], str], int] = {}
        #: The class of the object a writer is working on (see :func:`class_of`),
        #: so that :meth:`drop` can count per class; None outside an object.
        self.current_class: Optional[str] = None
        #: The split of the item a writer is working on; None between items.
        self.current_split: Optional[str] = None
        self.format: Optional[str] = None
        self.options: dict[str, Any] = {}
        self.elapsed_seconds: Optional[float] = None
        self._written_before = 0

    def drop(self, reason: str, count: int = 1) -> None:
        if count:
            self.dropped[reason] += count
            key = (self.current_class, self.current_split, reason)
            self._drops[key] = self._drops.get(key, 0) + count

    def skip_item(self, reason: str) -> None:
        self.items_skipped[reason] += 1

    def leave_out(self, item: "Item", reason: str) -> None:
        """Count an Item you chose not to hand to a writer: the item as
        skipped and its objects as dropped, both under ``reason``."""
        self.skip_item(reason)
        self.drop(reason, len(item.objects))

    # --- the writer stage: called by Writer.add around each item ---

    def item_started(self, item: "Item") -> None:
        self.items += 1
        self.current_split = item.split
        self._written_before = self.annotations_written
        if item.objects:
            names = [obj.name or obj.value or "" for obj in item.objects]  # class_of, inlined
            objects, items = self._class_objects, self._class_items
            for name in names:
                objects[name] = objects.get(name, 0) + 1
            for name in set(names):
                items[name] = items.get(name, 0) + 1

    def item_finished(self, item: "Item") -> None:
        self.current_class = self.current_split = None
        split = item.split
        self._split_items[split] = self._split_items.get(split, 0) + 1
        self._split_written[split] = (
            self._split_written.get(split, 0) + self.annotations_written - self._written_before
        )

    @property
    def splits(self) -> dict[str, dict[str, Any]]:
        """split -> {"items", "annotations_written", "dropped": {reason: n}}:
        what the writer was handed and wrote or dropped, per split."""
        table: dict[str, dict[str, Any]] = {
            split: {
                "items": count,
                "annotations_written": self._split_written[split],
                "dropped": Counter(),
            }
            for split, count in self._split_items.items()
        }
        for (_, split, reason), count in self._drops.items():
            if split is not None:
                table[split]["dropped"][reason] += count
        return table

    @property
    def classes(self) -> dict[str, dict[str, Any]]:
        """class -> {"items", "objects", "annotations_written", "dropped"}: the
        items holding the class, its objects handed to the writer, and how many
        of those were written and dropped (by reason).  A writer names the
        object it works on in :attr:`current_class`, so every drop it counts
        is the class's; what it did not drop it wrote."""
        dropped: dict[str, Counter[str]] = {}
        for (name, _, reason), count in self._drops.items():
            if name is not None:
                dropped.setdefault(name, Counter())[reason] += count
        table: dict[str, dict[str, Any]] = {}
        for name, count in self._class_objects.items():
            reasons = dropped.get(name, Counter())
            table[name] = {
                "items": self._class_items[name],
                "objects": count,
                "annotations_written": count - sum(reasons.values()),
                "dropped": dict(sorted(reasons.items())),
            }
        return table

    def started(self, options: "Options", to: str) -> None:
        """Record the format and the options of the run."""
        self.format = to
        self.options = _options_dict(options)

    def merge(self, other: "Report") -> None:
        """Add the counts of ``other`` (the report of another part of the same
        conversion, :mod:`lbconvert.plan`) to these: every number and every
        counter among the attributes, nested tables of counters included,
        whatever their names; the run's metadata (format, options, elapsed
        time) stays this report's."""
        for name, value in vars(other).items():
            if name not in _METADATA:
                setattr(self, name, _summed(getattr(self, name, None), value))

    # --- the strict policy ---

    def not_allowed(self, allow: Iterable[str] = ()) -> list[tuple[str, dict[str, int]]]:
        """What ``strict`` refuses: ``(kind, {reason: count})`` for the drops,
        skipped items and warnings whose reason is not in ``allow``."""
        accepted = set(allow)
        return [
            (kind, {reason: n for reason, n in sorted(counts.items()) if reason not in accepted})
            for kind, counts in (
                ("dropped", self.dropped),
                ("skipped items", self.items_skipped),
                ("warnings", self.warnings),
            )
        ]

    def fails_strict(self, allow: Iterable[str] = ()) -> bool:
        """True when a drop, skipped item or warning has a reason not in ``allow``."""
        return any(counts for _, counts in self.not_allowed(allow))

    # --- totals ---

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def is_balanced(self) -> bool:
        written = self.annotations_written - self.annotations_interpolated
        return written + self.dropped_total == self.objects_read

    def wrote_nothing(self) -> bool:
        """No annotation written and no item handed to the writer, or every
        object read dropped: a dataset nobody can train on."""
        return self.annotations_written == 0 and (self.items == 0 or self.objects_read > 0)

    def hints(self) -> list[str]:
        """What would help, for the reasons counted (most frequent first)."""
        reasons = Counter(self.dropped) + Counter(self.items_skipped)
        return [HINTS[reason] for reason, _ in reasons.most_common() if reason in HINTS]

    def to_dict(self, timing: bool = False) -> dict[str, Any]:
        """The report as JSON values.  Deterministic (equal for equal runs)
        unless ``timing=True`` adds ``elapsed_seconds`` (the CLI's
        ``--report`` does)."""
        from . import __version__

        timed = (
            {
                "elapsed_seconds": None
                if self.elapsed_seconds is None
                else round(self.elapsed_seconds, 3)
            }
            if timing
            else {}
        )
        return {
            "lbconvert": __version__,
            "format": self.format,
            "options": self.options,
            **timed,
            "data_rows": self.data_rows,
            "items": self.items,
            "objects_read": self.objects_read,
            "annotations_written": self.annotations_written,
            "annotations_interpolated": self.annotations_interpolated,
            "dropped": dict(sorted(self.dropped.items())),
            "items_skipped": dict(sorted(self.items_skipped.items())),
            "warnings": dict(sorted(self.warnings.items())),
            "splits": {
                name: {**counts, "dropped": dict(sorted(counts["dropped"].items()))}
                for name, counts in sorted(self.splits.items())
            },
            "classes": dict(sorted(self.classes.items())),
        }

    def summary(self) -> str:
        lines = [
            f"{self.data_rows} data rows -> {self.items} items, "
            f"{self.annotations_written} annotations written"
            + (
                f" ({self.annotations_interpolated} interpolated)"
                if self.annotations_interpolated
                else ""
            )
            + f", {self.dropped_total} dropped"
            + (f" in {self.elapsed_seconds:.2f} s" if self.elapsed_seconds is not None else "")
        ]
        lines += [
            f"  dropped {count:>7}  {reason}" for reason, count in sorted(self.dropped.items())
        ]
        lines += [
            f"  skipped {count:>7}  item: {reason}"
            for reason, count in sorted(self.items_skipped.items())
        ]
        lines += [
            f"  warning {count:>7}  {reason}" for reason, count in sorted(self.warnings.items())
        ]
        if len(self.splits) > 1:
            lines.append("  split        items  written  dropped")
            lines += [
                f"  {name:<10} {counts['items']:>7}  {counts['annotations_written']:>7}"
                f"  {sum(counts['dropped'].values()):>7}"
                for name, counts in sorted(self.splits.items())
            ]
        classes = self.classes
        if classes:
            lines.append("  class               items  objects  written  dropped")
            lines += [
                f"  {name or '(no name)':<18} {counts['items']:>6}  {counts['objects']:>7}"
                f"  {counts['annotations_written']:>7}  {sum(counts['dropped'].values()):>7}"
                for name, counts in sorted(
                    classes.items(), key=lambda kv: (-kv[1]["objects"], kv[0])
                )
            ]
        return "\n".join(lines)


#: Attributes of a Report that describe the run rather than count it.
_METADATA = frozenset(
    {"format", "options", "elapsed_seconds", "_written_before", "current_class", "current_split"}
)


def class_of(obj: "ObjectAnnotation") -> str:
    """The name an object's class has in the report's per-class table."""
    return obj.name or obj.value or ""


def _summed(mine: Any, theirs: Any) -> Any:
    """``mine + theirs`` for numbers and (nested) dicts of numbers; other
    values are the same in every part: ``mine`` wins when set."""
    if isinstance(theirs, bool) or not isinstance(theirs, (int, float, dict)):
        return theirs if mine is None else mine
    if isinstance(theirs, dict):
        total = mine if isinstance(mine, dict) else type(theirs)()
        for key, value in theirs.items():
            total[key] = _summed(total.get(key), value)
        return total
    return theirs if mine is None else mine + theirs


def _options_dict(options: "Options") -> dict[str, Any]:
    """The options as JSON values (paths as strings, the class map as its names)."""
    out: dict[str, Any] = {}
    for spec in dataclasses.fields(options):
        value = getattr(options, spec.name)
        if isinstance(value, Path):
            value = str(value)
        elif spec.name == "classes" and value is not None:
            value = list(getattr(value, "names", []))
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, dict) or hasattr(value, "items"):
            value = {str(k): (str(v) if isinstance(v, Path) else v) for k, v in value.items()}
        out[spec.name] = value
    return out
