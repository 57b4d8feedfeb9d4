"""Video keyframe interpolation: the frames Labelbox's ``interpolated_frames`` would add."""

from __future__ import annotations

from typing import Any, Iterator

import msgspec

from ..model import (
    Box,
    BoxAnnotation,
    Frame,
    ObjectAnnotation,
    Point,
    PointAnnotation,
    PolygonAnnotation,
    PolylineAnnotation,
)

__all__ = ["interpolate", "MAX_SEGMENT_FRAMES"]

#: A longer ``segments`` range is refused by ``interpolate`` (9 hours at 30 fps):
#: filling it would hold every frame in memory.
MAX_SEGMENT_FRAMES = 1_000_000


def interpolate(
    frames: dict[int, Frame], segments: dict[str, Any]
) -> Iterator[tuple[int, ObjectAnnotation]]:
    """The annotations Labelbox's ``interpolated_frames`` option would add.

    Inside each ``[start, end]`` segment of a feature, every frame without an
    exported annotation of that feature gets one: box corners (and the points
    of polygons, polylines and points, when both ends have as many points)
    move linearly from the nearest exported frame before to the nearest one
    after; with no frame after, or point counts that differ, or a kind that
    does not move (masks), the frame before is held.  Frames already in the
    export are used as they are.
    """
    tracks: dict[str, dict[int, ObjectAnnotation]] = {}
    for number, frame in frames.items():
        for feature_id, obj in frame.objects.items():
            tracks.setdefault(feature_id, {})[number] = obj
    for feature_id, ranges in segments.items():
        track = tracks.get(feature_id)
        if not track or not isinstance(ranges, list):
            continue
        for bounds in ranges:
            if not (
                isinstance(bounds, list)
                and len(bounds) == 2
                and all(isinstance(b, int) for b in bounds)
            ):
                continue
            start, end = bounds
            if end - start > MAX_SEGMENT_FRAMES:
                raise ValueError(
                    f"segment [{start}, {end}] of feature {feature_id} spans more "
                    f"than {MAX_SEGMENT_FRAMES:,} frames; not interpolated"
                )
            known = sorted(n for n in track if start <= n <= end)
            if not known:
                continue
            for before, after in zip(known, known[1:] + [None]):
                last = end if after is None else after - 1
                for number in range(before + 1, last + 1):
                    if after is None:
                        yield number, track[before]
                    else:
                        fraction = (number - before) / (after - before)
                        yield number, _between(track[before], track[after], fraction)


def _between(first: ObjectAnnotation, second: ObjectAnnotation, t: float) -> ObjectAnnotation:
    """``first`` moved a fraction ``t`` of the way to ``second``."""
    match first, second:
        case BoxAnnotation(bounding_box=a), BoxAnnotation(bounding_box=b):
            return msgspec.structs.replace(
                first,
                bounding_box=Box(
                    left=_lerp(a.left, b.left, t),
                    top=_lerp(a.top, b.top, t),
                    width=_lerp(a.width, b.width, t),
                    height=_lerp(a.height, b.height, t),
                ),
            )
        case PolygonAnnotation(polygon=a), PolygonAnnotation(polygon=b) if len(a) == len(b):
            return msgspec.structs.replace(first, polygon=_lerp_points(a, b, t))
        case PolylineAnnotation(line=a), PolylineAnnotation(line=b) if len(a) == len(b):
            return msgspec.structs.replace(first, line=_lerp_points(a, b, t))
        case PointAnnotation(point=a), PointAnnotation(point=b):
            return msgspec.structs.replace(first, point=_lerp_points((a,), (b,), t)[0])
    return first


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def _lerp_points(a: tuple[Point, ...], b: tuple[Point, ...], t: float) -> tuple[Point, ...]:
    return tuple(Point(x=_lerp(p.x, q.x, t), y=_lerp(p.y, q.y, t)) for p, q in zip(a, b))
