"""Raster sizes, canvases and the point forms the fill functions accept.

Image sizes are checked against a pixel budget (:func:`check_raster_size`)
before anything is allocated; coordinates beyond :data:`MAX_COORDINATE` are
refused as corrupt.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import Any, Sequence, Union

import numpy as np
import numpy.typing as npt

from ..options import option_name

#: Anything :func:`as_points` accepts: an ``(N, 2)`` array, ``(x, y)`` pairs,
#: or Labelbox-style ``{"x": ..., "y": ...}`` mappings.
PointsLike = Union[np.ndarray, Sequence[Sequence[float]], Sequence[Mapping[str, float]]]

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_COORDINATE",
    "PointsLike",
    "as_points",
    "canvas_value",
    "check_coordinates",
    "check_raster_size",
    "new_canvas",
]

#: Default upper bound on ``width * height`` for any raster we allocate (256 Mpx).
DEFAULT_MAX_PIXELS = 2**28

#: Coordinates beyond +-this are treated as corrupt and rejected (ValueError).
MAX_COORDINATE = 1e15


# ---------------------------------------------------------------------------
# Sizes and canvases
# ---------------------------------------------------------------------------


def _as_dimension(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"image {name} must be an integer, got {value!r}")
    try:
        result = operator.index(value)
    except TypeError:
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"image {name} must be an integer, got {value!r}") from None
        if not math.isfinite(as_float) or not as_float.is_integer():
            raise ValueError(f"image {name} must be a whole number, got {value!r}") from None
        result = int(as_float)
    if result <= 0:
        raise ValueError(f"image {name} must be positive, got {result}")
    return result


def check_raster_size(
    width: int, height: int, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> tuple[int, int]:
    """Validate an image size before allocating a raster for it.

    ``width`` and ``height`` must be positive whole numbers (ints, or floats
    such as ``1920.0``).  ``max_pixels`` bounds ``width * height``; ``None``
    disables the bound.

    Returns ``(width, height)`` as ints.

    Raises:
        ValueError: the size is not positive, or exceeds ``max_pixels``, e.g.
            ``image size 1000000x1000000 exceeds the pixel limit 268435456
            (--max-pixels)``.
        TypeError: a dimension is not a number.
    """
    w = _as_dimension(width, "width")
    h = _as_dimension(height, "height")
    if max_pixels is not None and w * h > max_pixels:
        raise ValueError(
            f"image size {w}x{h} exceeds the pixel limit {max_pixels} ({option_name('max_pixels')})"
        )
    return w, h


def new_canvas(
    width: int,
    height: int,
    dtype: npt.DTypeLike = np.uint8,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Return a zero-filled ``(height, width)`` array of ``dtype``.

    The size is checked with :func:`check_raster_size` first, so an absurd
    size raises ``ValueError`` instead of attempting the allocation.
    """
    w, h = check_raster_size(width, height, max_pixels)
    return np.zeros((h, w), dtype=dtype)


# ---------------------------------------------------------------------------
# Input normalisation
# ---------------------------------------------------------------------------


def check_coordinates(arr: np.ndarray, what: str) -> None:
    # One reduction covers NaN (comparison is False), inf and absurd values.
    if arr.size and not (np.abs(arr).max() <= MAX_COORDINATE):
        if not np.isfinite(arr).all():
            raise ValueError(f"{what} contain NaN or infinite coordinates")
        raise ValueError(f"{what} contain coordinates beyond +-{MAX_COORDINATE:g}")


def as_points(points: PointsLike) -> np.ndarray:
    """Convert a point list to a float64 array of shape ``(N, 2)``.

    Accepts an ``(N, 2)`` array, a sequence of ``(x, y)`` pairs, or a
    sequence of mappings with ``"x"`` and ``"y"`` keys (the Labelbox export
    shape).  An empty input gives shape ``(0, 2)``.

    Raises:
        ValueError: wrong shape, non-numeric values, or a coordinate that is
            NaN, infinite or beyond +-:data:`MAX_COORDINATE`.
    """
    if isinstance(points, np.ndarray):
        arr: Any = points
    else:
        seq: list[Any] = list(points)
        if seq and isinstance(seq[0], Mapping):
            try:
                seq = [(p["x"], p["y"]) for p in seq]
            except (KeyError, TypeError) as exc:
                raise ValueError(f"point mappings need 'x' and 'y' keys: {exc}") from None
        arr = seq
    try:
        arr = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"points must be numeric (x, y) pairs: {exc}") from None
    if arr.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {arr.shape}")
    check_coordinates(arr, "points")
    return np.asarray(arr)


_INT_RANGES: dict[np.dtype, tuple[int, int]] = {}


def canvas_value(canvas: np.ndarray, value: Any) -> np.ndarray:
    """Cast ``value`` to the canvas dtype, refusing values that do not fit."""
    if not isinstance(canvas, np.ndarray):
        raise TypeError("canvas must be a numpy array")
    if canvas.ndim not in (2, 3):
        raise ValueError(f"canvas must be 2-D (H, W) or 3-D (H, W, C), got shape {canvas.shape}")
    dtype = canvas.dtype
    val = np.asarray(value)
    if val.dtype != dtype:
        if dtype.kind in "iu":
            if val.dtype.kind == "f":
                if not (np.isfinite(val).all() and (val == np.round(val)).all()):
                    raise ValueError(
                        f"value {value!r} is not a whole number for the {dtype} canvas"
                    )
            elif val.dtype.kind not in "iub":
                raise ValueError(f"value {value!r} cannot be painted into a {dtype} canvas")
            bounds = _INT_RANGES.get(dtype)
            if bounds is None:
                info = np.iinfo(dtype)
                bounds = _INT_RANGES[dtype] = (int(info.min), int(info.max))
            if val.ndim == 0:
                low = high = val.item()
            else:
                low, high = (val.min(), val.max()) if val.size else (0, 0)
            if low < bounds[0] or high > bounds[1]:
                raise ValueError(f"value {value!r} does not fit the canvas dtype {dtype}")
        val = val.astype(dtype)
    if val.ndim != 0 and (canvas.ndim == 2 or val.ndim != 1):
        raise ValueError(
            "value must be a scalar (or, for an (H, W, C) canvas, a per-channel vector)"
        )
    return val
