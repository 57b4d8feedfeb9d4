"""COCO run-length encoding: :func:`rle_encode`, :func:`rle_decode` and
:func:`rle_area` give exactly what ``pycocotools.mask`` gives, without it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["rle_encode", "rle_decode", "rle_area"]


# ---------------------------------------------------------------------------
# COCO run-length encoding
# ---------------------------------------------------------------------------


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """Column-major run lengths of a 2-D mask, starting with a (maybe empty) zero run."""
    flat = (np.asarray(mask) != 0).T.ravel()
    if flat.size == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).astype(np.int64)
    if flat[0]:
        runs = np.concatenate(([0], runs))
    return runs


def _counts_to_string(counts: np.ndarray) -> str:
    """pycocotools' ``rleToString``: delta rule for i > 2, 5 bits per char."""
    x = counts.astype(np.int64)
    if len(x) > 3:
        x[3:] -= counts[1:-2]
    bits = int(np.abs(x).max()).bit_length() + 1  # + sign bit
    n_groups = bits // 5 + 1
    chars = np.empty((len(x), n_groups), dtype=np.int64)
    more = np.empty((len(x), n_groups), dtype=bool)
    rest = x
    for k in range(n_groups):
        c = rest & 0x1F
        rest = rest >> 5
        more[:, k] = np.where(c & 0x10, rest != -1, rest != 0)
        chars[:, k] = c + 48 + 0x20 * more[:, k]
    # ``more`` is monotone (once False it stays False), so the number of
    # characters for a value is 1 + the number of True flags.
    length = 1 + more.sum(axis=1)
    used = np.arange(n_groups)[None, :] < length[:, None]
    return str(chars[used].astype(np.uint8).tobytes().decode("ascii"))


def _string_to_counts(s: str | bytes) -> np.ndarray:
    """pycocotools' ``rleFrString`` (inverse of :func:`_counts_to_string`)."""
    if isinstance(s, str):
        s = s.encode("ascii")
    c = np.frombuffer(s, dtype=np.uint8).astype(np.int64) - 48
    if c.size == 0:
        return np.zeros(0, dtype=np.int64)
    if (c < 0).any() or (c > 63).any() or (c[-1] & 0x20):
        raise ValueError("malformed RLE counts string")
    last = (c & 0x20) == 0
    value_id = np.concatenate(([0], np.cumsum(last)[:-1]))
    first = np.concatenate(([True], last[:-1]))
    start_pos = np.flatnonzero(first)
    k = np.arange(c.size) - start_pos[value_id]
    x = np.zeros(int(last.sum()), dtype=np.int64)
    np.add.at(x, value_id, (c & 0x1F) << (5 * k))
    # Sign-extend values whose final character has bit 0x10 set.
    n_chars = np.bincount(value_id)
    negative = (c[last] & 0x10) != 0
    x[negative] |= -1 << (5 * n_chars[negative])
    # Undo the delta rule: cnts[i] = x[i] + cnts[i - 2] for i > 2.
    counts = x.copy()
    counts[1::2] = np.cumsum(x[1::2])
    counts[2::2] = np.cumsum(x[2::2])
    return np.asarray(counts)


def rle_encode(mask: np.ndarray) -> dict[str, Any]:
    """COCO compressed RLE of a 2-D mask: ``{"size": [h, w], "counts": str}``.

    Identical to ``pycocotools.mask.encode(np.asfortranarray(mask.astype(np.uint8)))``
    for 0/1 masks, except that ``counts`` is an ASCII ``str`` (JSON-ready)
    rather than ``bytes``.  Any non-zero value counts as foreground.  Runs
    are taken in column-major order starting with a (possibly empty) run of
    background pixels.
    """
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {arr.shape}")
    h, w = arr.shape
    return {"size": [int(h), int(w)], "counts": _counts_to_string(_run_lengths(arr))}


def _rle_counts(rle: Mapping[str, Any]) -> np.ndarray:
    counts = rle["counts"]
    if isinstance(counts, (str, bytes)):
        return _string_to_counts(counts)
    return np.asarray(counts, dtype=np.int64)


def rle_decode(rle: Mapping[str, Any]) -> np.ndarray:
    """Decode a COCO RLE (compressed string or uncompressed list counts) to a bool mask."""
    h, w = (int(v) for v in rle["size"])
    counts = _rle_counts(rle)
    if counts.sum() != h * w or (counts < 0).any():
        raise ValueError(f"RLE counts do not cover a {h}x{w} mask")
    values = np.arange(len(counts)) % 2 == 1
    flat = np.repeat(values, counts)
    return np.asarray(flat.reshape(w, h).T.copy())


def rle_area(mask: np.ndarray | Mapping[str, Any]) -> int:
    """Foreground pixel count of a mask array, or of a COCO RLE dict."""
    if isinstance(mask, Mapping):
        return int(_rle_counts(mask)[1::2].sum())
    return int(np.count_nonzero(mask))
