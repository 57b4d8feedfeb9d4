"""YOLO datasets in the Ultralytics layout: detect, segment, pose and obb.

Output::

    OUT/data.yaml
    OUT/labels/<split>/<stem>.txt      one per drawable item, empty when it has no objects
    OUT/images/<split>/<stem><ext>     only with ``--images DIR`` / ``--frames-dir DIR``
                                       (found by :func:`lbconvert.images.find_image`)

``images/<split>/`` is always created (empty without ``--images``) so the
paths in ``data.yaml`` exist.  Images are symlinked (default, absolute
target), copied or hard-linked (``image_mode``); an image not found in the
directory is counted in ``report.warnings["image file missing"]`` (its label
file is still written; ``--strict`` fails on warnings).  The image is looked
up as :func:`lbconvert.images.find_image` says (global key, external id, data
row id, the file name of ``row_data``; video frames in ``--frames-dir``); the
copy is named ``<stem>`` plus the found file's extension, so Ultralytics
pairs it with ``labels/<split>/<stem>.txt``.

``data.yaml``: which split trains and validates, the class names and, for
pose, ``kpt_shape`` and ``flip_idx`` (see :mod:`lbconvert.write.yolo_yaml`).
With no class at all the conversion fails (Ultralytics refuses ``nc: 0``)
unless ``allow_empty``.

Rows.  Numbers are fixed-point with 6 decimals (``"%.6f"``, correctly
rounded: never an exponent, which any parser reads; resolution 1e-6 of the
image size), normalised by the item's width (x) and height (y); rows follow
the export order of the objects; ``class`` is the 0-based class id.
Coordinates come from the model's pixels (origin at the image's top-left
corner).  Boxes include document boxes (one item per page).

* **detect** ``class cx cy w h``.  Boxes are clipped to the image; a box with
  nothing inside the image is dropped (``box outside image``), one with no
  width or height too (``degenerate box``).  With
  ``boxes_from_shapes`` polygons give the box around their vertices (after
  ``fix_geometry`` / ``clip`` when set) and masks the box around their pixels
  (pixel edges), both clipped; otherwise they are dropped
  (``<kind> not representable in yolo detect (see --boxes-from-shapes)``;
  masks without ``--masks DIR``, which no option would make writable:
  ``mask not available offline``, in every task).
* **segment** ``class x1 y1 … xn yn``.  Polygons as exported without the
  repeated closing point, each coordinate clamped to [0, 1] (``clip`` cuts
  them exactly at the image border instead); a polygon wholly outside the
  image, or without area, is dropped.  An object of several parts
  (after ``fix_geometry`` / ``clip``, or a mask with several blobs) is joined
  into one ring the way Ultralytics' COCO converter does
  (``merge_multi_segment``): consecutive parts are linked at their closest
  pair of vertices; the ring walks forward through every part (the first from
  its link around to itself, middle parts from entry to exit, the last all
  round) and back through the middle parts the other way, so the links are
  traversed twice and link vertices repeat.  ``split_parts`` writes one row
  per part instead.  Masks become polygons with OpenCV's ``findContours``
  (outer contours, ``CHAIN_APPROX_SIMPLE``; holes are not representable): the
  rings run through the *centres* of the boundary pixels (``+0.5``), so they
  lie about half a pixel inside the mask's edge; parts with fewer than 3
  points or no area are left out, the rest ordered largest first.  Masks
  without a file are dropped as ``mask not available offline``; masks with
  one, when OpenCV is not installed, as ``mask contours need opencv (pip
  install lbconvert[masks])``.  Boxes become their 4 clipped corners with
  ``boxes_as_polygons``, else they are dropped.
* **pose** ``class cx cy w h x1 y1 v1 … xK yK vK``.  Labelbox has no
  skeletons, so the grouping is the COCO writer's: ``keypoint_names``
  (``--keypoints a,b,…``, required) lists point classes in keypoint order;
  each point of a listed class (matched by name, else value) goes to the first
  box, in export order, that contains it (edges included; the box as written,
  i.e. clipped to the image).  A labelled keypoint is ``x y 2``, a missing one
  ``0 0 0``.  Points in no box are dropped (``point outside every box``), as
  are a second point of the same keypoint in one box and points of classes
  not listed (``point class not in --keypoints``); keypoint classes have
  no row of their own, but keep their class id in ``names`` like every
  class (see :mod:`lbconvert.classes`).  Each box and each attached point counts as written (with
  ``boxes_from_shapes`` polygons and masks give boxes as in detect).
* **obb** ``class x1 y1 x2 y2 x3 y3 x4 y4``.  Boxes give their clipped
  axis-aligned corners (top-left, top-right, bottom-right, bottom-left);
  polygons (all parts) the corners of shapely's
  ``minimum_rotated_rectangle``, masks that of their contour points; corners
  outside the image are clamped to [0, 1].

Everything else (points outside pose, polylines, text …) is dropped as
``<kind> not representable in yolo <task>``.  Every object is either written
(``annotations_written``, once per object however many rows it gives) or
dropped with its reason; items without pixels (text, audio …) get no label
file and their objects are dropped.  Label files are named by the item's
stem, which the select stage makes unique (a video frame ``clip_000001``
and a row named ``clip_000001`` do not share a file: the later one gets a
``__<hash>`` suffix and a warning).

Speed: label files go through :class:`lbconvert.write.small_files.SmallFiles` (one
``open``/``write``/``close`` of the OS per file, made by a second process
after the first 2,000); rows are built with ``%``-formatting; nothing is
kept per item, so the writer's memory does not grow with the export.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from ..errors import LbConvertError
from ..model import (
    BoxAnnotation,
    Item,
    MaskAnnotation,
    ObjectAnnotation,
    PointAnnotation,
    PolygonAnnotation,
)
from ..options import option_name
from .base import Writer, release
from .small_files import SmallFiles
from .images import place_item_image
from .rings import Ring, mask_rings, merge_parts, opencv, rotated_rectangle
from .shapes import (
    DEGENERATE_MASK,
    MASK_OFFLINE,
    OPENCV_MISSING,
    OUT_OF_RANGE,
    POLYGON_OUTSIDE,
    SECOND_KEYPOINT,
    Corners,
    Shapes,
    clipped,
    degenerate,
    not_representable,
    pixel_bounds,
)
from .yolo_yaml import check_split_name, data_yaml

# numpy, shapely (via ..geometry), OpenCV and PyYAML are imported where they
# are needed, so that plain box conversions do not pay for importing them.

__all__ = ["YoloWriter", "merge_parts", "mask_rings"]

_Box = Corners  # left, top, right, bottom in pixels


class YoloWriter(Writer):
    name = "yolo"
    writes_manifest = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = self.options
        self.task = options.task
        self._keypoints: dict[str, int] = {}
        if self.task == "pose":
            self._keypoints = {n: i for i, n in enumerate(options.keypoint_names or ())}
            if not self._keypoints:
                raise LbConvertError(
                    "yolo pose needs the keypoint classes: pass "
                    f"{option_name('keypoint_names')} with their names"
                )
        for split in options.split or ():
            check_split_name(split)
        self.shapes = Shapes(self.report, options)
        self._label_files: dict[str, SmallFiles] = {}  # by split
        self._rows: Callable[[Item], str] = (
            self._pose_rows if self.task == "pose" else self._shape_rows
        )
        self._link_images = options.images is not None or options.frames_dir is not None

    # --- per item ---

    def write(self, item: Item) -> None:
        files = self._label_files.get(item.split) or self._add_split(item.split)
        data = self._rows(item).encode() if item.objects else b""
        stem = self.file_stem(item)
        files.write(f"{stem}.txt", data)
        if self._link_images:
            place_item_image(
                item, stem, self.out / "images" / item.split, self.options, self.report
            )

    def _shape_rows(self, item: Item) -> str:
        """The item's label file text (detect, segment, obb)."""
        handler_of, report = self.handler_of, self.report
        rows = []
        for obj in item.objects:
            report.current_class = obj.name or obj.value or ""  # class_of, inlined
            row = handler_of[type(obj)](obj, item)
            if row is not None:
                rows.append(row)
        report.annotations_written += len(rows)  # one text per object written
        return "".join(rows)

    def open_splits(self, splits: list[str]) -> None:
        for split in splits:
            if split not in self._label_files:
                self._add_split(split)

    def _add_split(self, split: str) -> SmallFiles:
        check_split_name(split)
        (self.out / "images" / split).mkdir(parents=True)
        files = self._label_files[split] = SmallFiles(self.out / "labels" / split)
        return files

    def abort(self) -> None:
        release(
            *(
                files.abort
                for files in getattr(self, "_label_files", {}).values()  # absent if __init__ failed
            )
        )
        super().abort()

    # --- dispatch: each handler returns the object's rows (one text), or None (dropped) ---

    def handler_table(self) -> list[tuple[type, Optional[str]]]:
        """(class, row method) pairs of the task; None: not representable in it."""
        options, task = self.options, self.task
        if task == "detect":
            shapes = "_detect_shape" if options.boxes_from_shapes else None
            return [
                (BoxAnnotation, "_detect_box"),
                (PolygonAnnotation, shapes),
                (MaskAnnotation, shapes),
            ]
        if task == "segment":
            boxes = "_box_corners" if options.boxes_as_polygons else None
            return [
                (PolygonAnnotation, "_segment"),
                (MaskAnnotation, "_segment"),
                (BoxAnnotation, boxes),
            ]
        if task == "obb":
            return [
                (BoxAnnotation, "_box_corners"),
                (PolygonAnnotation, "_obb_shape"),
                (MaskAnnotation, "_obb_shape"),
            ]
        return []  # pose has its own loop

    def unsupported_reason(self, cls: type) -> str:
        if issubclass(cls, MaskAnnotation) and self.shapes.masks is None:
            return MASK_OFFLINE  # no option would make it writable
        reason = not_representable(getattr(cls, "kind", "object"), f"yolo {self.task}")
        if self.task in ("detect", "pose") and issubclass(cls, (PolygonAnnotation, MaskAnnotation)):
            reason += " (see --boxes-from-shapes)"
        elif self.task == "segment" and issubclass(cls, BoxAnnotation):
            reason += " (see --boxes-as-polygons)"
        return reason

    # --- detect ---

    def _detect_box(self, obj: BoxAnnotation, item: Item) -> Optional[str]:
        return self._box_row(obj, self.shapes.clipped_box(obj, item), item)

    def _detect_shape(self, obj: ObjectAnnotation, item: Item) -> Optional[str]:
        return self._box_row(obj, self._box_of_shape(obj, item), item)

    def _box_row(self, obj: ObjectAnnotation, box: Optional[_Box], item: Item) -> Optional[str]:
        if box is None:
            return None
        class_id = self.class_id(obj)
        if class_id is None:
            return None
        return f"{class_id} {_xywh(box, item)}\n"

    # --- segment ---

    def _segment(self, obj: ObjectAnnotation, item: Item) -> Optional[str]:
        rings = self._rings(obj, item)
        if rings is None:
            return None
        class_id = self.class_id(obj)
        if class_id is None:
            return None
        if len(rings) > 1 and not self.options.split_parts:
            rings = [merge_parts(rings)]
        sx, sy = 1.0 / item.width, 1.0 / item.height  # type: ignore[operator]  # drawable
        return "".join([f"{class_id} {_flat(ring, sx, sy)}\n" for ring in rings])

    def _box_corners(self, obj: BoxAnnotation, item: Item) -> Optional[str]:
        """A box as its 4 clipped corners (segment with boxes_as_polygons, obb)."""
        box = self.shapes.clipped_box(obj, item)
        if box is None:
            return None
        return self._polygon_row(obj, _corners(box), item)

    # --- obb ---

    def _obb_shape(self, obj: ObjectAnnotation, item: Item) -> Optional[str]:
        rings = self._rings(obj, item)
        if rings is None:
            return None
        from .regions import absurd

        if absurd([v for ring in rings for v in ring]):  # GEOS fails on them, now and then
            self.report.drop(OUT_OF_RANGE)
            return None
        corners = rotated_rectangle([v for ring in rings for v in ring])
        if corners is None:
            self.report.drop(degenerate(obj.kind))
            return None
        return self._polygon_row(obj, corners, item)

    def _polygon_row(self, obj: ObjectAnnotation, ring: Ring, item: Item) -> Optional[str]:
        class_id = self.class_id(obj)
        if class_id is None:
            return None
        sx, sy = 1.0 / item.width, 1.0 / item.height  # type: ignore[operator]  # drawable
        return f"{class_id} {_flat(ring, sx, sy)}\n"

    # --- pose ---

    def _pose_rows(self, item: Item) -> str:
        """Box rows with their keypoints; points go to the first box holding them."""
        instances: list[tuple[int, _Box, list[Optional[tuple[float, float]]]]] = []
        points: list[PointAnnotation] = []
        slots = len(self._keypoints)
        shapes = self.options.boxes_from_shapes
        report = self.report
        for obj in item.objects:
            report.current_class = obj.name or obj.value or ""  # class_of, inlined
            if isinstance(obj, PointAnnotation):
                points.append(obj)
                continue
            if isinstance(obj, BoxAnnotation):  # document boxes included
                box = self.shapes.clipped_box(obj, item)
            elif shapes and isinstance(obj, (PolygonAnnotation, MaskAnnotation)):
                box = self._box_of_shape(obj, item)
            else:
                self.report.drop(self.unsupported_reason(type(obj)))
                continue
            if box is None:
                continue
            class_id = self.class_id(obj)
            if class_id is not None:
                instances.append((class_id, box, [None] * slots))
                self.report.annotations_written += 1
        boxes = [box for _, box, _ in instances]
        for point in points:
            place = self.shapes.keypoint_place(point, self._keypoints, boxes)
            if place is None:
                continue
            slot, index = place
            keypoints = instances[index][2]
            if keypoints[slot] is not None:
                self.report.drop(SECOND_KEYPOINT)
            else:
                keypoints[slot] = (point.point.x, point.point.y)
                self.report.annotations_written += 1
        sx, sy = 1.0 / item.width, 1.0 / item.height  # type: ignore[operator]  # drawable
        return "".join(
            [
                f"{class_id} {_xywh(box, item)} {_keypoints(kps, sx, sy)}\n"
                for class_id, box, kps in instances
            ]
        )

    # --- geometry of one object (drops and returns None when there is none) ---

    def _box_of_shape(self, obj: ObjectAnnotation, item: Item) -> Optional[_Box]:
        """The clipped box around a polygon's rings or a mask's pixels."""
        if isinstance(obj, MaskAnnotation):
            pixels = self.shapes.mask(obj, item)
            if pixels is None:
                return None
            col0, row0, col1, row1 = pixel_bounds(pixels)
            return float(col0), float(row0), float(col1), float(row1)
        rings = self.shapes.polygon_rings(obj, item)  # type: ignore[arg-type]  # a polygon
        if rings is None:
            return None
        xs = [x for ring in rings for x, _ in ring]
        ys = [y for ring in rings for _, y in ring]
        box = clipped(min(xs), min(ys), max(xs), max(ys), item.width or 0, item.height or 0)
        if box is None:
            self.report.drop(POLYGON_OUTSIDE)
        return box

    def _rings(self, obj: ObjectAnnotation, item: Item) -> Optional[list[Ring]]:
        if isinstance(obj, MaskAnnotation):
            return self._mask_rings(obj, item)
        return self.shapes.polygon_rings(obj, item)  # type: ignore[arg-type]  # a polygon

    def _mask_rings(self, obj: MaskAnnotation, item: Item) -> Optional[list[Ring]]:
        """Outer contours of the mask through boundary pixel centres, largest first."""
        pixels = self.shapes.mask(obj, item)  # first: a mask without a file needs no OpenCV
        if pixels is None:
            return None
        cv2 = opencv()
        if cv2 is None:
            self.report.drop(OPENCV_MISSING)
            return None
        rings = mask_rings(pixels, cv2)
        if not rings:
            self.report.drop(DEGENERATE_MASK)
            return None
        return rings

    # --- the end ---

    def finish(self) -> None:
        if not len(self.classes) and not self.options.allow_empty:
            raise LbConvertError(
                "yolo: no classes to write (the selected labels have no objects, or a given "
                "class list is empty); Ultralytics refuses a 0-class dataset; pass "
                "--allow-empty to write it anyway"
            )
        if not self._label_files:  # nothing drawable: still a loadable (empty) layout
            self._add_split("train")
        for files in self._label_files.values():
            files.close()
        keypoints = len(self._keypoints) if self.task == "pose" else None
        path = os.path.abspath(self.target) if self.options.absolute else None
        with open(self.out / "data.yaml", "w", encoding="utf-8", newline="\n") as out:
            out.write(data_yaml(self._label_files, self.classes.names, path, keypoints))


# --- helpers ---------------------------------------------------------------------


def _xywh(box: _Box, item: Item) -> str:
    left, top, right, bottom = box
    width: int = item.width  # type: ignore[assignment]  # drawable: not None
    height: int = item.height  # type: ignore[assignment]  # drawable: not None
    return "%.6f %.6f %.6f %.6f" % (
        (left + right) / (2 * width),
        (top + bottom) / (2 * height),
        (right - left) / width,
        (bottom - top) / height,
    )


def _unit(value: float) -> float:
    """Clamped to [0, 1], never -0.0."""
    return 0.0 if value <= 0.0 else 1.0 if value >= 1.0 else value


def _flat(ring: Ring, sx: float, sy: float) -> str:
    """``x1 y1 x2 y2 …`` normalised and clamped to [0, 1]."""
    values = [_unit(v) for x, y in ring for v in (x * sx, y * sy)]
    return ("%.6f " * len(values))[:-1] % tuple(values)


def _corners(box: _Box) -> Ring:
    left, top, right, bottom = box
    return [(left, top), (right, top), (right, bottom), (left, bottom)]


def _keypoints(kps: list[Optional[tuple[float, float]]], sx: float, sy: float) -> str:
    return " ".join(
        [
            "0 0 0" if kp is None else "%.6f %.6f 2" % (_unit(kp[0] * sx), _unit(kp[1] * sy))
            for kp in kps
        ]
    )
