"""Mask pixels from local files.  Masks are never downloaded.

Labelbox mask URLs need an API key and composite-mask URLs expire 30 days
after the export, so users download the PNGs once and point ``--masks DIR``
at them.  Two layouts are accepted:

* **instance masks**: ``DIR/<feature_id>.png``; any non-zero pixel belongs to
  the object;
* **composite masks**: ``DIR/<composite_mask_id>.png``, the id being the path
  segment after ``/masks/`` in the ``composite_mask.url``; for video frames
  ``DIR/<composite_mask_id>_<frame>.png`` is tried first.  The object's pixels
  are exactly its ``color_rgb``.  ``--mask-map FILE`` (JSON object mapping a
  composite mask id, a full URL or a feature id to a file name inside DIR)
  overrides the naming.

Writers ask :func:`mask_pixels`, which counts what it could not give: a mask
with no file is dropped as ``mask not available offline``; a mask whose size
differs from the image's is dropped as ``mask size differs from image`` (one
countable reason; both sizes and the file go to the ``lbconvert.write.mask_files`` log,
for the first few), so that one bad pairing does not stop a conversion of
100,000 rows.  Under ``--strict`` that drop fails the run like any other.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Optional

import numpy as np
import orjson

from ..errors import LbConvertError
from ..model import Item, MaskAnnotation
from ..options import Options
from .canvas import check_raster_size
from ..report import Report

__all__ = [
    "MaskSource",
    "MaskSizeError",
    "composite_mask_id",
    "mask_pixels",
    "NOT_OFFLINE",
    "SIZE_DIFFERS",
]

NOT_OFFLINE = "mask not available offline"
SIZE_DIFFERS = "mask size differs from image"
#: Mismatches logged with their sizes; later ones are only counted.
_LOGGED_MISMATCHES = 10
_log = logging.getLogger(__name__)


class MaskSizeError(LbConvertError):
    """A mask PNG whose size is not the image's."""


def mask_pixels(
    masks: Optional["MaskSource"], obj: MaskAnnotation, item: Item, report: Report
) -> Optional[np.ndarray]:
    """The object's mask pixels, or None after counting in ``report`` why not."""
    if masks is None:
        report.drop(NOT_OFFLINE)
        return None
    try:
        pixels = masks.pixels(obj, item)
    except MaskSizeError as exc:
        report.drop(SIZE_DIFFERS)
        masks.mismatches += 1
        if masks.mismatches <= _LOGGED_MISMATCHES:
            _log.warning(
                "%s; object dropped%s",
                exc,
                ""
                if masks.mismatches < _LOGGED_MISMATCHES
                else " (further mismatches are only counted)",
            )
        return None
    if pixels is None:
        report.drop(NOT_OFFLINE)
    return pixels


_COMPOSITE_ID = re.compile(r"/masks/([^/?#]+)")


def composite_mask_id(url: str) -> Optional[str]:
    found = _COMPOSITE_ID.search(url)
    return found.group(1) if found else None


class MaskSource:
    """Resolves mask annotations to boolean pixel arrays from a local directory."""

    def __init__(
        self, directory: Path, mapping: Optional[dict[str, str]] = None, max_pixels: int = 1 << 28
    ) -> None:
        self.directory = Path(directory)
        self.mapping = mapping or {}
        self.max_pixels = max_pixels
        self._cached_path: Optional[Path] = None
        self._cached: Optional[np.ndarray] = None
        self.mismatches = 0

    @classmethod
    def from_options(cls, options: Options) -> Optional["MaskSource"]:
        if options.masks is None:
            return None
        mapping: dict[str, str] = {}
        if options.mask_map is not None:
            try:
                mapping = orjson.loads(Path(options.mask_map).read_bytes())
            except (OSError, orjson.JSONDecodeError) as exc:
                raise LbConvertError(
                    f"{options.mask_map}: cannot read the mask map ({exc})"
                ) from exc
            if not isinstance(mapping, dict):
                raise LbConvertError(f"{options.mask_map}: the mask map must be a JSON object")
        return cls(options.masks, mapping, options.max_pixels)

    def pixels(self, obj: MaskAnnotation, item: Item) -> Optional[np.ndarray]:
        """The object's pixels as a bool array of the item's size, or None when
        no file is there; :class:`MaskSizeError` when the PNG has another size."""
        if obj.composite_mask is not None:
            path = self._composite_path(obj, item)
            if path is None:
                return None
            color = np.array(obj.composite_mask.color_rgb, dtype=np.uint8)
            image = self._load(path, item)
            if image.ndim == 2:  # a grey composite can only hold grey colours
                if len(set(obj.composite_mask.color_rgb)) != 1:
                    return np.zeros(image.shape, dtype=bool)
                return np.asarray(image == color[0])
            return np.asarray(np.all(image[..., :3] == color, axis=-1))
        path = self._file(self.mapping.get(obj.feature_id or "") or f"{obj.feature_id}.png")
        if path is None:
            return None
        image = self._load(path, item)
        if image.ndim == 2:
            return np.asarray(image != 0)
        return np.asarray(
            np.any(image[..., :3] != 0, axis=-1) if image.shape[-1] >= 3 else image[..., 0] != 0
        )

    def _composite_path(self, obj: MaskAnnotation, item: Item) -> Optional[Path]:
        url = obj.composite_mask.url if obj.composite_mask else ""
        mask_id = composite_mask_id(url) or ""
        for key in (url, mask_id, obj.feature_id or ""):
            if key and key in self.mapping:
                return self._file(self.mapping[key])
        if not mask_id:
            return None
        names = [f"{mask_id}.png"]
        if item.frame is not None:
            names.insert(0, f"{mask_id}_{item.frame}.png")
        return next((p for p in map(self._file, names) if p is not None), None)

    def _file(self, name: str) -> Optional[Path]:
        """An existing file of that name directly inside the directory."""
        if not name or os.path.basename(name) != name or name in (".", ".."):
            return None
        path = self.directory / name
        return path if path.is_file() else None

    def _load(self, path: Path, item: Item) -> np.ndarray:
        """The decoded PNG; the last one is kept, as a composite serves many objects."""
        if path != self._cached_path or self._cached is None:
            self._cached = _read_png(path, self.max_pixels)
            self._cached_path = path
        image: np.ndarray = self._cached
        height, width = image.shape[:2]
        if (width, height) != (item.width, item.height):
            raise MaskSizeError(
                f"mask {path} is {width}x{height} but image {item.stem} is "
                f"{item.width}x{item.height}"
            )
        return image


def _read_png(path: Path, max_pixels: int) -> Any:
    from PIL import Image

    try:
        with Image.open(path) as opened:
            check_raster_size(opened.width, opened.height, max_pixels)
            image: Image.Image = opened
            if image.mode not in ("L", "RGB", "RGBA"):  # palette, grey+alpha, 1-bit, 16-bit …
                image = image.convert("RGBA" if image.mode in ("P", "PA", "LA") else "RGB")
            return np.asarray(image)
    except (OSError, ValueError, SyntaxError, ImportError, Image.DecompressionBombError) as exc:
        # ValueError: over --max-pixels (check_raster_size), nothing allocated; ImportError:
        # a plugin another package registered (a HEIF opener) lacks its module
        raise LbConvertError(f"mask {path} cannot be read ({exc})") from exc
