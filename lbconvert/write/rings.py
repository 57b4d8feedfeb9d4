"""Rings of masks and of shapes in several parts, for YOLO's segment and obb rows.

* :func:`mask_rings` -- a mask's outer contours (OpenCV), through the centres
  of its boundary pixels, largest first;
* :func:`merge_parts` -- several rings joined into one the way Ultralytics'
  COCO converter joins multi-part segmentations (``merge_multi_segment``);
* :func:`rotated_rectangle` -- the 4 corners of shapely's minimum rotated rectangle.

numpy, shapely and OpenCV are imported where they are needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ..errors import LbConvertError
from .geometry import Ring
from .shapes import OPENCV_MISSING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Ring", "mask_rings", "merge_parts", "rotated_rectangle", "opencv"]


def rotated_rectangle(vertices: Ring) -> Optional[Ring]:
    """The 4 corners of shapely's minimum rotated rectangle, or None when flat."""
    import shapely

    # shapely.multipoints is ~10x faster than MultiPoint(list of tuples)
    rectangle = shapely.minimum_rotated_rectangle(shapely.multipoints(vertices))
    if shapely.get_type_id(rectangle) != 3 or rectangle.area == 0.0:  # 3: Polygon
        return None
    return [(x, y) for x, y in shapely.get_coordinates(rectangle)[:4].tolist()]


_cv2_module: Any = None


def opencv() -> Any:
    """OpenCV, imported on first use; None when it is not installed."""
    global _cv2_module
    if _cv2_module is None:
        try:
            import cv2
        except ImportError:
            _cv2_module = False
        else:
            _cv2_module = cv2
    return _cv2_module or None


def mask_rings(pixels: np.ndarray, cv2: Any = None) -> list[Ring]:
    """Outer contours of a boolean mask as rings through pixel centres,
    largest first; parts with fewer than 3 points or no area are left out."""
    import numpy as np

    from .geometry import shoelace

    cv2 = cv2 or opencv()
    if cv2 is None:
        raise LbConvertError(OPENCV_MISSING)
    contours, _ = cv2.findContours(
        pixels.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    parts = []
    for contour in contours:
        points = contour.reshape(-1, 2).astype(np.float64) + 0.5
        if len(points) < 3:
            continue
        xs, ys = points[:, 0].tolist(), points[:, 1].tolist()
        area = shoelace(xs, ys)
        if area > 0.0:
            parts.append((area, list(zip(xs, ys))))
    parts.sort(key=lambda part: -part[0])  # stable: ties keep OpenCV's order
    return [ring for _, ring in parts]


# --- joining parts into one ring (Ultralytics' merge_multi_segment rule) -----------


def _closest_pair(first: Ring, second: Ring) -> tuple[int, int]:
    """Indices of the closest vertices of two rings (the first such pair in
    row-major order), computed in blocks so memory stays bounded."""
    import numpy as np

    a = np.asarray(first, dtype=np.float64)
    b = np.asarray(second, dtype=np.float64)
    best, pair = np.inf, (0, 0)
    step = max(1, (1 << 20) // len(b))
    for start in range(0, len(a), step):
        distances = ((a[start : start + step, None, :] - b[None, :, :]) ** 2).sum(-1)
        flat = int(distances.argmin())
        if distances.flat[flat] < best:
            best = distances.flat[flat]
            pair = (start + flat // len(b), flat % len(b))
    return pair


def merge_parts(rings: list[Ring]) -> Ring:
    """Several rings joined into one, as Ultralytics' COCO converter joins
    multi-part segmentations (the rule: :mod:`lbconvert.write.yolo`, segment)."""
    if len(rings) < 2:
        return list(rings[0]) if rings else []
    links = [_closest_pair(rings[i - 1], rings[i]) for i in range(1, len(rings))]
    last = len(rings) - 1
    loops: list[Ring] = []  # each part closed on itself, from its first link vertex
    spans: list[int] = []  # middle parts: steps from the entry to the exit vertex
    for i, ring in enumerate(rings):
        if i == 0:
            start, span = links[0][0], 0
        elif i == last:
            start, span = links[i - 1][1], 0
        else:
            entry, leave = links[i - 1][1], links[i][0]
            if entry > leave:  # walk this part the other way round
                ring = ring[::-1]
                entry, leave = len(ring) - 1 - entry, len(ring) - 1 - leave
            start, span = entry, leave - entry
        loops.append(ring[start:] + ring[:start] + ring[start : start + 1])
        spans.append(span)
    merged: Ring = list(loops[0])
    for i in range(1, last):  # forward: entry to exit of each middle part
        merged += loops[i][: spans[i] + 1]
    merged += loops[last]
    for i in range(last - 1, 0, -1):  # back: exit round to entry
        merged += loops[i][spans[i] :]
    return merged
