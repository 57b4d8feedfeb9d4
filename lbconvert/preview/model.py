"""What the preview readers hand to the drawing and page modules.

A reader turns a dataset directory back into :class:`Dataset`: the classes
(with the masks palette's colours), one :class:`Entry` per image with its
size, split and per-class counts (cheap, for the summary), and a way to load
the :class:`Shape`s of the few entries that are drawn.  Coordinates are the
image's float pixels, origin at the top-left corner of the top-left pixel,
whatever the format stores (YOLO's normalised centres, VOC's 1-based
inclusive indices and COCO's ``[x, y, w, h]`` are converted by their reader).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

from ..write.palette import voc_colormap

if TYPE_CHECKING:  # numpy loads with the first mask, not with ``import lbconvert``
    import numpy as np

__all__ = [
    "Box",
    "Polygon",
    "MaskShape",
    "Keypoints",
    "Shape",
    "ClassInfo",
    "Entry",
    "Dataset",
    "class_color",
]

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels."""

    name: str
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Polygon:
    """One object's rings (several parts allowed), each a list of (x, y) pixels."""

    name: str
    rings: Sequence[Sequence[tuple[float, float]]]


@dataclass(frozen=True)
class MaskShape:
    """An object's (or a class's) pixels: a boolean array of the image's size, or
    (with ``value``) the pixels of an index image equal to ``value``; ``bounds``
    ``(x0, y0, x1, y1)``, end exclusive, when the reader knows them already (only
    that window of the image is then looked at)."""

    name: str
    pixels: "np.ndarray"
    outline: bool = True  # False: a semantic class region (several objects), fill only
    fill: bool = True  # False: an object whose class region is filled already, outline only
    label: bool = True  # False: another shape names these pixels already
    value: Optional[int] = None
    bounds: Optional[tuple[int, int, int, int]] = None

    def window(self, x0: int, y0: int, x1: int, y1: int) -> "np.ndarray":
        """The boolean mask of the pixels ``[y0:y1, x0:x1]``."""
        crop = self.pixels[y0:y1, x0:x1]
        return crop == self.value if self.value is not None else crop.astype(bool)

    def extent(self) -> Optional[tuple[int, int, int, int]]:
        """``(x0, y0, x1, y1)`` of the mask's pixels (end exclusive), None when empty."""
        if self.bounds is not None:
            return self.bounds
        import numpy as np

        mask = self.pixels if self.value is None else self.pixels == self.value
        rows = np.flatnonzero(mask.any(axis=1))
        if not len(rows):
            return None
        cols = np.flatnonzero(mask.any(axis=0))
        return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


@dataclass(frozen=True)
class Keypoints:
    """Named points of one object: ``(name, x, y)``; missing keypoints are left out."""

    name: str
    points: Sequence[tuple[str, float, float]]
    skeleton: Sequence[tuple[int, int]] = ()  # 0-based index pairs into ``points`` names


Shape = Union[Box, Polygon, MaskShape, Keypoints]


def class_color(index: int) -> RGB:
    """The masks palette colour of 1-based class index ``index`` (0 is background)."""
    return _COLORS[index % 256]


_COLORS = voc_colormap(256)


@dataclass(frozen=True)
class ClassInfo:
    """A class as the dataset numbers it: ``index`` 1..N (the masks / VOC PNG
    index, COCO category id, YOLO id + 1) and its colour."""

    index: int
    name: str
    color: RGB


@dataclass
class Entry:
    """One image of the dataset, as listed by its reader."""

    stem: str
    split: str
    width: int
    height: int
    file_name: str
    record: dict[str, Any]  # the manifest line (or what the format says) for image lookup
    counts: Counter[str] = field(default_factory=Counter)  # class name -> annotations
    key: Any = None  # reader's own handle to load the shapes


@dataclass
class Dataset:
    """A dataset read back from disk."""

    format: str
    root: str
    classes: list[ClassInfo]
    entries: list[Entry]
    load: Callable[[Entry], list[Shape]]
    report: Optional[dict[str, Any]] = None
    notes: Counter[str] = field(default_factory=Counter)  # reader remarks: text -> count
    count_unit: str = "annotations"
    image_dirs: list[tuple[str, str]] = field(default_factory=list)  # (split or "", directory)

    def class_by_name(self) -> dict[str, ClassInfo]:
        return {c.name: c for c in self.classes}
