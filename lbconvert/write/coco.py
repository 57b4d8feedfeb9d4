"""COCO detection / instance segmentation JSON.

Output: ``OUT/annotations.json`` when every item is in one split, else
``OUT/annotations_<split>.json`` per split.  ``images`` and ``annotations``
stream to part files as items arrive and are stitched together on close, so
memory holds only the categories and counters.

Coordinate mapping (the model's pixels, origin top-left, floats as exported):

* ``bbox`` is ``[left, top, width, height]``;
* boxes: ``area = width * height`` and ``segmentation`` is the box as a
  4-corner polygon (so ``annToMask`` and segm evaluation work on every
  annotation);
* polygons: the exported ring without its repeated closing point,
  ``segmentation = [[x1, y1, …]]`` (several parts after ``--fix-geometry`` or
  ``--clip`` cut one), ``area`` = polygon area, ``bbox`` = bounds of the ring;
* masks: compressed RLE from the local mask pixels (``--masks DIR``) with
  ``iscrowd`` 0, ``area`` = pixel count; without pixels they are dropped
  (``mask not available offline``);
* points: with ``keypoints``, the points of the listed keypoint classes become
  the ``keypoints`` of the first box (in export order) of the same image that
  contains them, as ``[x, y, 2]`` triples in the listed order (``0, 0, 0`` for
  a missing one); categories then carry ``keypoints``; points in no box are
  dropped (``point outside every box``).  Without ``keypoints``, points and
  polylines are dropped.

With ``results``, ``OUT/results.json`` (``results_<split>.json``) also lists
every written annotation in COCO's *results* format (``image_id``,
``category_id``, ``bbox``, ``score``, and ``segmentation`` for polygons and
masks), ready for ``COCO.loadRes`` against the ground-truth file beside it;
predictions carry their ``confidence`` as ``score``, labels score 1.0.

With ``layout="coco2017"`` (``--layout coco2017``) the files are those of
the COCO 2017 release, which Datumaro, Detectron2 and MMDetection read:
``OUT/annotations/instances_<split>.json`` (``results_<split>.json`` beside
it) for every split, even a single one, and ``OUT/images/<split>/`` — filled
with ``images`` (``--images DIR``) by symlinks, copies or hard links as for
YOLO (``file_name`` is then the stem plus the found image's own extension);
a missing image is a warning (``image file missing``).

Ids start at 1 (images, annotations, categories).  Object classifications go
to ``attributes`` (see :func:`lbconvert.write.attributes.flatten_classifications`),
keyed so that document stores such as FiftyOne accept every key (``.``,
``/``, ``$``, ``%`` and NUL in a question or answer name become ``%2E``,
``%2F``, ``%24``, ``%25``, ``%00``, a leading ``_`` ``%5F``:
:func:`lbconvert.write.attributes.safe_key_part`);
predictions carry ``score``.  No timestamps: output is byte-identical for the
same input.
"""

from __future__ import annotations

import os
import shutil
from typing import IO, Any, Optional

import orjson

from .attributes import flatten_classifications
from .geometry import bounds, extent, ring_area
from ..model import (
    BoxAnnotation,
    Item,
    MaskAnnotation,
    PointAnnotation,
    PolygonAnnotation,
)
from .base import Writer, release
from .shapes import (
    SECOND_KEYPOINT,
    Shapes,
    not_representable,
    pixel_bounds,
)
from .images import place_item_image

__all__ = ["CocoWriter"]


_BUFFER = 1 << 20  # bytes: part files grow by a few kilobytes per image


class _SplitParts:
    """The part files and id counters of one split."""

    def __init__(self, out: "os.PathLike[str]", split: str, results: bool = False) -> None:
        self.split = split
        self.images_path = os.path.join(out, f".images_{split}.part")
        self.annotations_path = os.path.join(out, f".annotations_{split}.part")
        self.results_path = os.path.join(out, f".results_{split}.part")
        self.images: IO[bytes] = open(self.images_path, "wb", buffering=_BUFFER)
        self.annotations: IO[bytes] = open(self.annotations_path, "wb", buffering=_BUFFER)
        self.results: Optional[IO[bytes]] = (
            open(self.results_path, "wb", buffering=_BUFFER) if results else None
        )
        self.image_id = 0
        self.annotation_id = 0

    def write_image(self, record: dict[str, Any]) -> int:
        """Number the image record, write it, and return its id."""
        self.image_id += 1
        record["id"] = self.image_id
        self.images.write((b",\n" if self.image_id > 1 else b"\n") + orjson.dumps(record))
        return self.image_id

    def write_annotations(self, records: list[dict[str, Any]]) -> None:
        """Write the records of the last image, already numbered from ``annotation_id + 1``."""
        first = self.annotation_id + 1
        self.annotation_id += len(records)
        # One dumps call per image: the list's brackets are cut off.
        separator = b",\n" if first > 1 else b"\n"
        self.annotations.write(separator + orjson.dumps(records)[1:-1])
        if self.results is not None:
            self.results.write(separator + orjson.dumps([_result(r) for r in records])[1:-1])

    def close(self) -> None:
        self.images.close()
        self.annotations.close()
        if self.results is not None:
            self.results.close()

    def handles(self) -> list[IO[bytes]]:
        return [f for f in (self.images, self.annotations, self.results) if f is not None]


def _result(record: dict[str, Any]) -> dict[str, Any]:
    """A detection in COCO's results format; a label without confidence scores 1.0."""
    result = {
        "image_id": record["image_id"],
        "category_id": record["category_id"],
        "bbox": record["bbox"],
        "score": record.get("score", 1.0),
    }
    if record["segmentation"] and not _is_box_polygon(record):
        result["segmentation"] = record["segmentation"]
    return result


def _is_box_polygon(record: dict[str, Any]) -> bool:
    left, top, width, height = record["bbox"]
    return bool(
        record["segmentation"]
        == [[left, top, left + width, top, left + width, top + height, left, top + height]]
    )


class CocoWriter(Writer):
    name = "coco"
    writes_manifest = True
    handlers = (
        (BoxAnnotation, "_box"),
        (PolygonAnnotation, "_polygon"),
        (MaskAnnotation, "_mask"),
        (PointAnnotation, "_point"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._splits: dict[str, _SplitParts] = {}
        keypoint_names = self.options.keypoint_names or ()
        self._keypoints = (
            {name: i for i, name in enumerate(keypoint_names)} if self.options.keypoints else {}
        )
        self.shapes = Shapes(self.report, self.options)
        self._clip = self.options.clip
        self._plain_polygons = not (self.options.fix_geometry or self.options.clip)
        self._coco2017 = self.options.layout == "coco2017"
        self._place_images = self._coco2017 and (
            self.options.images is not None or self.options.frames_dir is not None
        )

    def write(self, item: Item) -> None:
        files = self._splits.get(item.split) or self._open_split(item.split)
        file_name = self._image_file(item) if self._place_images else item.file_name
        image = {
            "id": 0,
            "file_name": file_name,
            "width": item.width,
            "height": item.height,
            "data_row_id": item.data_row_id,
            "global_key": item.global_key,
        }
        if item.frame is not None:
            image.update(video_id=item.data_row_id, frame_index=item.frame)
        if item.classifications:
            image["attributes"] = flatten_classifications(item.classifications, safe_keys=True)
        image_id = files.write_image(image)
        first_id = files.annotation_id + 1
        records: list[dict[str, Any]] = []
        points = []
        report = self.report
        for obj in item.objects:
            report.current_class = obj.name or obj.value or ""  # class_of, inlined
            if self._keypoints and isinstance(obj, PointAnnotation):
                points.append(obj)
                continue
            shape = self.handler_of[type(obj)](obj, item)
            if shape is None:
                continue
            category = self.class_id(obj)
            if category is None:
                continue
            bbox, area, segmentation = shape
            record = {
                "id": first_id + len(records),
                "image_id": image_id,
                "category_id": category + 1,
                "bbox": bbox,
                "area": area,
                "iscrowd": 0,
                "segmentation": segmentation,
            }
            if obj.confidence is not None:
                record["score"] = obj.confidence
            if obj.feature_id:
                record["feature_id"] = obj.feature_id
            if obj.classifications:
                record["attributes"] = flatten_classifications(obj.classifications, safe_keys=True)
            records.append(record)
        if points:
            self._attach_keypoints(points, records)
        if records:
            files.write_annotations(records)
        self.report.annotations_written += len(records)

    def _open_split(self, split: str) -> _SplitParts:
        if self._coco2017:
            (self.out / "images" / split).mkdir(parents=True, exist_ok=True)
        files = self._splits[split] = _SplitParts(self.out, split, self.options.results)
        return files

    def _image_file(self, item: Item) -> str:
        """coco2017: put the item's image into ``images/<split>/``; its file name."""
        return (
            place_item_image(
                item,
                self.file_stem(item),
                self.out / "images" / item.split,
                self.options,
                self.report,
            )
            or item.file_name
        )

    def _json_name(self, kind: str, split: str, single: bool) -> str:
        """``annotations.json`` / ``annotations_<split>.json``, or under coco2017
        ``annotations/instances_<split>.json`` (``results`` likewise)."""
        if self._coco2017:
            return os.path.join(
                "annotations", f"{'instances' if kind == 'annotations' else kind}_{split}.json"
            )
        return f"{kind}.json" if single else f"{kind}_{split}.json"

    def _point(self, obj: PointAnnotation, item: Item) -> None:
        self.report.drop(not_representable("point", "coco") + " (see --keypoints)")
        return None

    def _box(self, obj: BoxAnnotation, item: Item) -> Optional[tuple[list[float], float, Any]]:
        if self._clip:
            corners = self.shapes.clipped_box(obj, item)
            if corners is None:
                return None
            left, top, right, bottom = corners
            width, height = right - left, bottom - top
        else:
            box = self.shapes.box(obj)
            if box is None:
                return None
            left, top, width, height = box.left, box.top, box.width, box.height
        right, bottom = left + width, top + height
        return (
            [left, top, width, height],
            width * height,
            [[left, top, right, top, right, bottom, left, bottom]],
        )

    def _polygon(
        self, obj: PolygonAnnotation, item: Item
    ) -> Optional[tuple[list[float], float, Any]]:
        polygon = self.shapes.polygon(obj)
        if polygon is None:
            return None
        xs, ys, area = polygon
        if self._plain_polygons:
            left, right = extent(xs)
            top, bottom = extent(ys)
            flat = [0.0] * (2 * len(xs))
            flat[0::2], flat[1::2] = xs, ys
            return [left, top, right - left, bottom - top], area, [flat]
        rings = self.shapes.rings(xs, ys, item)
        if rings is None:
            return None
        box = bounds([v for r in rings for v in r])
        segmentation = [[c for xy in r for c in xy] for r in rings]
        area = sum(ring_area(r) for r in rings)
        return [box.left, box.top, box.width, box.height], area, segmentation

    def _mask(self, obj: MaskAnnotation, item: Item) -> Optional[tuple[list[float], float, Any]]:
        """Compressed RLE of the local mask pixels; bbox and area from the pixels."""
        pixels = self.shapes.mask(obj, item)
        if pixels is None:
            return None
        from .rle import rle_encode

        col0, row0, col1, row1 = pixel_bounds(pixels)
        bbox = [float(col0), float(row0), float(col1 - col0), float(row1 - row0)]
        return bbox, float(int(pixels.sum())), rle_encode(pixels)

    def _attach_keypoints(
        self, points: list[PointAnnotation], records: list[dict[str, Any]]
    ) -> None:
        """Give each box record a keypoints triple list; points go to the first
        box that contains them."""
        slots = len(self._keypoints)
        for record in records:
            record["keypoints"] = [0.0] * (3 * slots)
            record["num_keypoints"] = 0
        boxes = [
            (left, top, left + width, top + height)
            for left, top, width, height in (r["bbox"] for r in records)
        ]
        for point in points:
            place = self.shapes.keypoint_place(point, self._keypoints, boxes)
            if place is None:
                continue
            slot, index = place
            owner = records[index]
            if owner["keypoints"][3 * slot + 2]:
                self.report.drop(SECOND_KEYPOINT)
                continue
            x, y = point.point.x, point.point.y
            owner["keypoints"][3 * slot : 3 * slot + 3] = [x, y, 2]
            owner["num_keypoints"] += 1
            self.report.annotations_written += 1

    def _categories(self) -> list[dict[str, Any]]:
        categories = []
        for i, name in enumerate(self.classes.names):
            category: dict[str, Any] = {"id": i + 1, "name": name, "supercategory": "object"}
            if self._keypoints:
                category["keypoints"] = list(self._keypoints)
                category["skeleton"] = []
            categories.append(category)
        return categories

    def finish(self) -> None:
        categories = orjson.dumps(self._categories())
        if not self._splits:  # nothing drawable: still a valid, empty dataset
            self._open_split("train")
        if self._coco2017:
            os.mkdir(os.path.join(self.out, "annotations"))
        single = len(self._splits) == 1
        for split, files in sorted(self._splits.items()):
            files.close()
            name = self._json_name("annotations", split, single)
            with open(os.path.join(self.out, name), "wb") as out:
                out.write(
                    b'{"info": {"description": "converted from a Labelbox export by '
                    b'lbconvert"}, "licenses": [], "images": ['
                )
                _append(out, files.images_path)
                out.write(b'\n], "annotations": [')
                _append(out, files.annotations_path)
                out.write(b'\n], "categories": ' + categories + b"}\n")
            os.remove(files.images_path)
            os.remove(files.annotations_path)
            if files.results is not None:
                name = self._json_name("results", split, single)
                with open(os.path.join(self.out, name), "wb") as out:
                    out.write(b"[")
                    _append(out, files.results_path)
                    out.write(b"\n]\n")
                os.remove(files.results_path)

    def abort(self) -> None:
        release(
            *(
                handle.close
                for files in getattr(self, "_splits", {}).values()
                for handle in files.handles()
            )
        )
        super().abort()


def _append(out: IO[bytes], path: str) -> None:
    with open(path, "rb") as part:
        shutil.copyfileobj(part, out, 1 << 20)
