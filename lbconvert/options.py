"""Every option of a conversion, shared by the select stage and the writers.

The command line maps its flags one to one onto these fields; the Python API
takes them as keyword arguments: ``lbconvert.convert(export, "coco", out,
project="…", split={"train": 0.8, "val": 0.2})``, typed by
:class:`ConvertOptions` so that ``mypy`` catches a misspelt keyword or a
value outside a ``Literal``; at run time a misspelt keyword raises
:class:`UnknownOptionError`.  A writer ignores the options that do not
concern it; third-party writers read theirs from ``extra`` (the CLI's
``--writer-option KEY=VALUE``).

Messages about an option name it as the caller spelt it: ``keypoints=`` from
Python, ``--keypoints`` from the command line (see :func:`option_name`).
"""

from __future__ import annotations

import contextlib
import difflib
import os
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator, Literal, Mapping, Optional, TypedDict, get_args

from .classes import ClassMap
from .errors import LbConvertError

__all__ = [
    "Options",
    "ConvertOptions",
    "UnknownOptionError",
    "parse_split",
    "option_name",
    "cli_spelling",
    "LabelChoice",
    "SourceChoice",
    "NameBy",
    "ClassKey",
    "Task",
    "ImageMode",
    "Overlap",
    "Layout",
]

LabelChoice = Literal["selected", "all"]
SourceChoice = Literal["labels", "predictions"]
NameBy = Literal["global_key", "external_id", "id"]
ClassKey = Literal["name", "value", "schema"]
Task = Literal["detect", "segment", "pose", "obb"]
ImageMode = Literal["link", "copy", "hardlink"]
Overlap = Literal["paint", "ignore"]
Layout = Literal["default", "coco2017"]

_CLI_SPELLING: ContextVar[bool] = ContextVar("lbconvert_cli_spelling", default=False)


#: Options whose flag is not their field name spelt with dashes.
_FLAGS = {
    "keypoint_names": "--keypoints",
    "image_mode": "--link/--copy/--hardlink",
    "extra": "--writer-option",
}


def option_name(name: str) -> str:
    """``name=`` for the Python API, ``--name`` on the command line."""
    if _CLI_SPELLING.get():
        return _FLAGS.get(name) or "--" + name.replace("_", "-")
    return name + "="


@contextlib.contextmanager
def cli_spelling() -> Iterator[None]:
    """Within this block messages name options as command-line flags."""
    token = _CLI_SPELLING.set(True)
    try:
        yield
    finally:
        _CLI_SPELLING.reset(token)


class UnknownOptionError(LbConvertError, TypeError):
    """A keyword argument that is no option (a ``TypeError``, as Python raises
    for an unexpected keyword, and an ``LbConvertError``)."""

    def __init__(self, name: str, known: list[str]) -> None:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        super().__init__(f"unknown option {name!r}{hint}")
        self.name = name


@dataclass
class Options:
    # --- select: which labels, which items ---
    project: Optional[str] = None  # project id (or, for legacy files, project name)
    labels: LabelChoice = "selected"  # "selected" or "all"
    status: Optional[str] = None  # keep rows in this workflow status (e.g. DONE)
    source: SourceChoice = "labels"  # model runs: "labels" or "predictions"
    model_run: Optional[str] = None  # model run id when rows have several
    skip_unlabeled: bool = False
    images: Optional[Path] = None  # directory of the images (sizes, YOLO images/)
    name_by: Optional[NameBy] = None  # "global_key", "external_id" or "id"
    split: Optional[Mapping[str, float]] = None  # e.g. {"train": 0.8, "val": 0.2}
    frames_dir: Optional[Path] = None  # video: DIR/<video stem>/<frame>.jpg
    every: int = 1  # video: keep every N-th frame
    interpolate: bool = False  # video: fill frames between keyframes
    legacy_y_up: bool = False  # legacy: y counts up from the bottom (2018 editors)
    # --- classes ---
    classes: Optional[ClassMap] = None  # None: first-seen order, keyed by class_key
    class_key: ClassKey = "name"
    # --- geometry ---
    clip: bool = False  # clip geometry to the image
    fix_geometry: bool = False  # repair self-intersecting polygons with shapely
    keypoints: bool = False  # COCO: write points as keypoints of their box
    masks: Optional[Path] = None  # directory of downloaded mask PNGs
    mask_map: Optional[Path] = None  # JSON {composite mask id or URL: file name}
    max_pixels: int = 1 << 28  # refuse rasters larger than this
    line_width: Optional[float] = None  # rasterize polylines this wide (pixels)
    # --- writer-specific ---
    task: Task = "detect"  # YOLO: detect, segment, pose, obb
    boxes_from_shapes: bool = False  # YOLO detect: polygons/masks give their box
    boxes_as_polygons: bool = False  # YOLO segment: boxes become 4-point polygons
    split_parts: bool = False  # YOLO segment: one row per polygon part
    keypoint_names: Optional[tuple[str, ...]] = None  # YOLO pose: point classes in order
    image_mode: ImageMode = "link"  # YOLO images/: "link", "copy" or "hardlink"
    absolute: bool = False  # YOLO data.yaml: absolute path
    results: bool = False  # COCO: write a detection results list
    layout: Layout = "default"  # COCO: "coco2017" = annotations/instances_<split>.json
    segmentation: bool = False  # VOC: SegmentationClass/Object PNGs
    void_border: bool = False  # VOC: 255 on object borders
    instances: bool = False  # masks: instance PNGs too
    overlap: Overlap = "paint"  # masks: "paint" (later wins) or "ignore" (255)
    # --- run ---
    strict: bool = False  # any drop is a failure
    allow: tuple[str, ...] = ()  # strict: drop/skip/warning reasons accepted
    allow_empty: bool = False  # writing nothing (or a 0-class YOLO set) is no failure
    overwrite: bool = False  # replace a non-empty output directory
    max_record_bytes: int = 64 << 20  # bound on one NDJSON line / array element
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> "Options":
        known = [f.name for f in fields(cls)]
        for name in kwargs:
            if name not in known:
                raise UnknownOptionError(name, known)
        options = cls(**kwargs)
        options.validate()
        return options

    def validate(self) -> None:
        self._check_types()
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value not in allowed and not (value is None and name in _OPTIONAL_CHOICES):
                raise LbConvertError(
                    f"{option_name(name)} must be one of {', '.join(allowed)}, not {value!r}"
                )
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise LbConvertError(f"{option_name('every')} must be an integer of at least 1")
        if (
            isinstance(self.max_record_bytes, bool)
            or not isinstance(self.max_record_bytes, int)
            or self.max_record_bytes < 1
        ):
            raise LbConvertError(
                f"{option_name('max_record_bytes')} must be a positive number of bytes"
            )
        if self.split is not None:
            fractions = self.split.values()
            if (
                not self.split
                or not all(0 <= f <= 1 for f in fractions)  # NaN fails this too
                or abs(sum(fractions) - 1) > 1e-6
            ):
                raise LbConvertError(
                    f"{option_name('split')} fractions must be between 0 and 1 and add up to 1"
                )
            for name in self.split:
                if not name or "/" in name or name in (".", ".."):
                    raise LbConvertError(f"bad split name {name!r}")

    def _check_types(self) -> None:
        """A clear error for an option of the wrong type (a prep script's
        ``split={"train": "0.8"}``), rather than a failure deep in a writer;
        a path option given as a string becomes a ``Path``."""
        for name in ("project", "status", "model_run"):
            if not isinstance(getattr(self, name), (str, type(None))):
                raise _type_error(name, "a string")
        for name in ("images", "frames_dir", "masks", "mask_map"):
            value = getattr(self, name)
            if value is not None:
                if not isinstance(value, (str, os.PathLike)):
                    raise _type_error(name, "a path")
                setattr(self, name, Path(value))
        if self.classes is not None and not isinstance(self.classes, ClassMap):
            raise _type_error("classes", "a ClassMap (ClassMap.from_file or from_ontology)")
        for name in ("keypoint_names", "allow"):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, str) or not _strings(value):
                    raise _type_error(name, "a list of strings")
                setattr(self, name, tuple(value))
        if self.split is not None and not (
            isinstance(self.split, Mapping)
            and all(isinstance(k, str) and _is_number(v) for k, v in self.split.items())
        ):
            raise _type_error("split", "a mapping of split names to fractions")
        if (
            isinstance(self.max_pixels, bool)
            or not isinstance(self.max_pixels, int)
            or self.max_pixels < 1
        ):
            raise _type_error("max_pixels", "a positive number of pixels")
        if self.line_width is not None and not _is_number(self.line_width):
            raise _type_error("line_width", "a number")

    def class_map(self) -> ClassMap:
        if self.classes is None:
            self.classes = ClassMap(key=self.class_key)
        return self.classes


def _type_error(name: str, expected: str) -> LbConvertError:
    return LbConvertError(f"{option_name(name)} must be {expected}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _strings(value: object) -> bool:
    """Whether ``value`` is an iterable of strings (a list or tuple)."""
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


_CHOICES: dict[str, tuple[str, ...]] = {
    "labels": get_args(LabelChoice),
    "source": get_args(SourceChoice),
    "name_by": get_args(NameBy),
    "class_key": get_args(ClassKey),
    "task": get_args(Task),
    "image_mode": get_args(ImageMode),
    "overlap": get_args(Overlap),
    "layout": get_args(Layout),
}
_OPTIONAL_CHOICES = frozenset({"name_by"})


class ConvertOptions(TypedDict, total=False):
    """The keyword arguments of :func:`lbconvert.convert`: the fields of
    :class:`Options` (kept equal by a test), for ``Unpack[ConvertOptions]``."""

    project: Optional[str]
    labels: LabelChoice
    status: Optional[str]
    source: SourceChoice
    model_run: Optional[str]
    skip_unlabeled: bool
    images: Optional[Path]
    name_by: Optional[NameBy]
    split: Optional[Mapping[str, float]]
    frames_dir: Optional[Path]
    every: int
    interpolate: bool
    legacy_y_up: bool
    classes: Optional[ClassMap]
    class_key: ClassKey
    clip: bool
    fix_geometry: bool
    keypoints: bool
    masks: Optional[Path]
    mask_map: Optional[Path]
    max_pixels: int
    line_width: Optional[float]
    task: Task
    boxes_from_shapes: bool
    boxes_as_polygons: bool
    split_parts: bool
    keypoint_names: Optional[tuple[str, ...]]
    image_mode: ImageMode
    absolute: bool
    results: bool
    layout: Layout
    segmentation: bool
    void_border: bool
    instances: bool
    overlap: Overlap
    strict: bool
    allow: tuple[str, ...]
    allow_empty: bool
    overwrite: bool
    max_record_bytes: int
    extra: dict[str, Any]


def parse_split(text: str) -> dict[str, float]:
    """``"train=0.8,val=0.2"`` -> ``{"train": 0.8, "val": 0.2}``."""
    out: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        try:
            out[name] = float(value)
        except ValueError:
            raise LbConvertError(f"bad split {part!r}: expected NAME=FRACTION") from None
    return out  # the names are checked with the other options (Options.validate)
