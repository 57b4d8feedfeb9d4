"""Every option of a conversion, shared by the select stage and the writers.

The command line maps its flags one to one onto these fields; the Python API
takes them as keyword arguments: ``lbconvert.convert(export, "coco", out,
project="…", split={"train": 0.8, "val": 0.2})``.  A writer ignores the
options that do not concern it; third-party writers read theirs from ``extra``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Optional

from .classes import ClassMap
from .errors import LbConvertError

__all__ = ["Options", "parse_split"]


@dataclass
class Options:
    # --- select: which labels, which items ---
    project: Optional[str] = None          # project id (or, for legacy files, project name)
    labels: str = "selected"               # "selected" or "all"
    status: Optional[str] = None           # keep rows in this workflow status (e.g. DONE)
    source: str = "labels"                 # model runs: "labels" or "predictions"
    model_run: Optional[str] = None        # model run id when rows have several
    skip_unlabeled: bool = False
    images: Optional[Path] = None          # directory of the images (sizes, YOLO images/)
    name_by: Optional[str] = None          # "global_key", "external_id" or "id"
    split: Optional[Mapping[str, float]] = None  # e.g. {"train": 0.8, "val": 0.2}
    frames_dir: Optional[Path] = None      # video: DIR/<video stem>/<frame>.jpg
    every: int = 1                         # video: keep every N-th frame
    interpolate: bool = False              # video: fill frames between keyframes
    legacy_y_up: bool = False              # legacy: y counts up from the bottom (2018 editors)
    # --- classes ---
    classes: Optional[ClassMap] = None     # None: first-seen order, keyed by class_key
    class_key: str = "name"
    # --- geometry ---
    clip: bool = False                     # clip geometry to the image
    fix_geometry: bool = False             # repair self-intersecting polygons with shapely
    keypoints: bool = False                # COCO: write points as keypoints of their box
    masks: Optional[Path] = None           # directory of downloaded mask PNGs
    mask_map: Optional[Path] = None        # JSON {composite mask id or URL: file name}
    max_pixels: int = 1 << 28              # refuse rasters larger than this
    line_width: Optional[float] = None     # rasterize polylines this wide (pixels)
    # --- writer-specific ---
    task: str = "detect"                   # YOLO: detect, segment, pose, obb
    boxes_from_shapes: bool = False        # YOLO detect: polygons/masks give their box
    boxes_as_polygons: bool = False        # YOLO segment: boxes become 4-point polygons
    split_parts: bool = False              # YOLO segment: one row per polygon part
    keypoint_names: Optional[tuple[str, ...]] = None  # YOLO pose: point classes in order
    image_mode: str = "link"               # YOLO images/: "link", "copy" or "hardlink"
    absolute: bool = False                 # YOLO data.yaml: absolute path
    allow_empty: bool = False              # YOLO: write a dataset without classes (nc: 0)
    results: bool = False                  # COCO: write a detection results list
    segmentation: bool = False             # VOC: SegmentationClass/Object PNGs
    void_border: bool = False              # VOC: 255 on object borders
    instances: bool = False                # masks: instance PNGs too
    overlap: str = "paint"                 # masks: "paint" (later wins) or "ignore" (255)
    # --- run ---
    strict: bool = False                   # any drop is a failure
    overwrite: bool = False                # replace a non-empty output directory
    max_record_bytes: int = 64 << 20       # bound on one NDJSON line / array element
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> "Options":
        known = {f.name for f in fields(cls)}
        unknown = set(kwargs) - known
        if unknown:
            raise LbConvertError(f"unknown option(s): {', '.join(sorted(unknown))}")
        options = cls(**kwargs)
        options.validate()
        return options

    def validate(self) -> None:
        choices = {"labels": ("selected", "all"), "source": ("labels", "predictions"),
                   "class_key": ("name", "value", "schema"),
                   "task": ("detect", "segment", "pose", "obb"),
                   "image_mode": ("link", "copy", "hardlink"), "overlap": ("paint", "ignore")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise LbConvertError(f"{name} must be one of {', '.join(allowed)}")
        if self.name_by not in (None, "global_key", "external_id", "id"):
            raise LbConvertError("name_by must be global_key, external_id or id")
        if not isinstance(self.max_record_bytes, int) or self.max_record_bytes < 1:
            raise LbConvertError("max_record_bytes must be a positive number of bytes")
        if self.every < 1:
            raise LbConvertError("every must be at least 1")
        if self.split is not None:
            total = sum(self.split.values())
            if not self.split or any(v < 0 for v in self.split.values()) or abs(total - 1) > 1e-6:
                raise LbConvertError("split fractions must be non-negative and add up to 1")

    def class_map(self) -> ClassMap:
        if self.classes is None:
            self.classes = ClassMap(key=self.class_key)
        return self.classes


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
        if not name or "/" in name or name in (".", ".."):
            raise LbConvertError(f"bad split name {name!r}")
    return out
