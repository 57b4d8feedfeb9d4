"""The conversion report: every object read is either written or dropped with a reason."""

from __future__ import annotations

from collections import Counter
from typing import Any

__all__ = ["Report"]


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

    def drop(self, reason: str, count: int = 1) -> None:
        if count:
            self.dropped[reason] += count

    def skip_item(self, reason: str) -> None:
        self.items_skipped[reason] += 1

    def merge(self, other: "Report") -> None:
        """Add the counts of ``other`` (the report of another part of the same
        conversion) to these: every number and every counter among the
        attributes, nested dicts of counters included, whatever their names."""
        for name, value in vars(other).items():
            setattr(self, name, _summed(getattr(self, name, None), value))

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def is_balanced(self) -> bool:
        written = self.annotations_written - self.annotations_interpolated
        return written + self.dropped_total == self.objects_read

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_rows": self.data_rows,
            "items": self.items,
            "objects_read": self.objects_read,
            "annotations_written": self.annotations_written,
            "annotations_interpolated": self.annotations_interpolated,
            "dropped": dict(sorted(self.dropped.items())),
            "items_skipped": dict(sorted(self.items_skipped.items())),
            "warnings": dict(sorted(self.warnings.items())),
        }

    def summary(self) -> str:
        lines = [f"{self.data_rows} data rows -> {self.items} items, "
                 f"{self.annotations_written} annotations written"
                 + (f" ({self.annotations_interpolated} interpolated)"
                    if self.annotations_interpolated else "")
                 + f", {self.dropped_total} dropped"]
        lines += [f"  dropped {count:>7}  {reason}" for reason, count in sorted(self.dropped.items())]
        lines += [f"  skipped {count:>7}  item: {reason}"
                  for reason, count in sorted(self.items_skipped.items())]
        lines += [f"  warning {count:>7}  {reason}" for reason, count in sorted(self.warnings.items())]
        return "\n".join(lines)


def _summed(mine: Any, theirs: Any) -> Any:
    """``mine + theirs`` for numbers and (nested) dicts of numbers; other
    values (names, options) are the same in every part: ``mine`` wins when set."""
    if isinstance(theirs, bool) or not isinstance(theirs, (int, float, dict)):
        return theirs if mine is None else mine
    if isinstance(theirs, dict):
        total = mine if isinstance(mine, dict) else type(theirs)()
        for key, value in theirs.items():
            total[key] = _summed(total.get(key), value)
        return total
    return theirs if mine is None else mine + theirs
