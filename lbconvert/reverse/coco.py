"""COCO ground truth and COCO detection results back to Labelbox annotations.

Ground truth: a COCO instances JSON (``images``, ``annotations``,
``categories``), such as the ``annotations*.json`` lbconvert's COCO writer
wrote.  Results: a JSON array ``[{image_id, category_id, bbox, score,
segmentation?}, …]`` (what detectors write for ``COCO.loadRes``), with the
ground-truth file that defines its image and category ids.

Both are streamed with ijson (C backend, ``use_float=True``): the images and
categories of the ground truth are collected in two passes over it (they are
needed before the annotations, and need not come first in the file), then
the annotations (or results) are read one at a time.  Only the images and
categories stay in memory, never the annotations: a 1 GB results file is
never loaded whole.

Images are matched to data rows by their ``file_name`` in the manifest (stem,
file name, base name), else by the ``data_row_id`` / ``global_key`` /
``frame_index`` that lbconvert's COCO writer puts on every image.

Geometry (COCO pixels, origin top-left, as the writer's mapping inverted):

* no ``segmentation`` (or an empty one), or a single polygon that is exactly
  the ``bbox`` rectangle (the writer's box polygon ``[l, t, l+w, t, l+w, t+h,
  l, t+h]``) → ``bbox`` ``[left, top, width, height]`` as is (a width or
  height of 0 or less is dropped: ``degenerate box``);
* polygons ``[[x1, y1, …], …]`` → ``polygon``, one NDJSON line per part
  (several parts come from ``--fix-geometry`` / ``--clip``); rings of fewer
  than 3 points are dropped (``degenerate polygon``);
* RLE (compressed or list ``counts``, any ``iscrowd``) → ``mask`` (a PNG);
* ``keypoints`` with the category's ``keypoints`` names → one ``point`` per
  labelled keypoint (``v > 0``), named by the keypoint name, besides the box
  (each such point counts as one object read).

``score`` (results, or predictions lbconvert wrote) becomes ``confidence``.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any, Iterator, Optional

import ijson

from ..errors import ExportFormatError, LbConvertError
from ..report import Report
from .index import ItemRef, ManifestIndex, optional_int
from .ndjson import Annotation

__all__ = ["read_coco", "read_coco_results", "coco_files"]


def _items(path: Path, prefix: str) -> Iterator[Any]:
    """The items of the array at ``prefix`` (``annotations.item``), streamed."""
    found = False
    with open(path, "rb") as handle:
        try:
            for item in ijson.items(handle, prefix, use_float=True):
                found = True
                yield item
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            raise LbConvertError(f"{path}: not valid JSON ({_problem(exc)})") from None
    if not found:
        _check_array(path, prefix.removesuffix(".item"))


#: ijson's first event of a value, as the value's kind.
_KINDS = {
    "start_map": "an object",
    "string": "a string",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}


def _check_array(path: Path, key: str) -> None:
    """Refuse a ``key`` that holds something other than an array (or is
    missing): it would be read as empty, its contents lost without a word."""
    with open(path, "rb") as handle:
        for prefix, event, _ in ijson.parse(handle):
            if prefix == key:
                if event != "start_array":
                    raise ExportFormatError(
                        str(path), f"must be a list, not {_KINDS.get(event, event)}", path=key
                    )
                return


def _problem(exc: Exception) -> str:
    """The first line of ijson's message (the C backend's are bytes, with the
    offending text and a caret on the next lines)."""
    message = exc.args[0] if exc.args else exc
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    lines = str(message).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def _error(file: str, where: str, reason: str) -> ExportFormatError:
    """``FILE[INDEX]: reason`` for a results array, ``FILE: annotations[i]: reason`` else."""
    if where.startswith("[") and where[1:-1].isdigit():
        return ExportFormatError(file, reason, index=int(where[1:-1]))
    return ExportFormatError(file, reason, path=where)


_NUMBERS = (int, float)


def _number(value: Any) -> bool:
    return type(value) in _NUMBERS  # not bool, a subclass of int


class _GroundTruth:
    """The images and categories of a COCO ground-truth file."""

    def __init__(self, path: Path, index: ManifestIndex) -> None:
        if _first_byte(path) != b"{":
            raise LbConvertError(
                f"{path}: a COCO ground truth must be a JSON object with 'images' and 'categories'"
            )
        self.path = path
        self.images: dict[Any, "ItemRef | str"] = {}
        self.categories: dict[Any, tuple[str, list[str]]] = {}
        for i, image in enumerate(_items(path, "images.item")):
            if not isinstance(image, dict) or type(image.get("id")) not in (int, str):
                raise ExportFormatError(str(path), "an image needs an 'id'", path=f"images[{i}]")
            if image["id"] in self.images:  # its annotations would go to one of the two
                raise ExportFormatError(
                    str(path), f"image id {_show(image['id'])} appears twice", path=f"images[{i}]"
                )
            self.images[image["id"]] = self._resolve(image, index)
        for i, category in enumerate(_items(path, "categories.item")):
            name = category.get("name") if isinstance(category, dict) else None
            if not isinstance(name, str) or type(category.get("id")) not in (int, str):
                raise ExportFormatError(
                    str(path), "a category needs an 'id' and a 'name'", path=f"categories[{i}]"
                )
            keypoints = category.get("keypoints")
            self.categories[category["id"]] = (
                name,
                [str(k) for k in keypoints] if isinstance(keypoints, list) else [],
            )

    @staticmethod
    def _resolve(image: dict[str, Any], index: ManifestIndex) -> "ItemRef | str":
        file_name = image.get("file_name")
        found = index.find(file_name) if isinstance(file_name, str) and index else None
        if found is not None:
            return found
        data_row_id, global_key = image.get("data_row_id"), image.get("global_key")
        if (
            isinstance(data_row_id, str)
            and data_row_id
            or isinstance(global_key, str)
            and global_key
        ):
            frame = image.get("frame_index")
            return ItemRef(
                stem=str(file_name),
                data_row_id=data_row_id or None,
                global_key=global_key or None,
                media_type="video" if isinstance(frame, int) else "image",
                frame=frame if isinstance(frame, int) else None,
                width=optional_int(image.get("width")),  # as the manifest's: else unknown
                height=optional_int(image.get("height")),
            )
        return str(file_name) if file_name is not None else f"id {image['id']}"

    def item(self, image_id: Any, where: str, file: str) -> ItemRef:
        image = self.images.get(image_id) if _hashable(image_id) else None
        if image is None:
            raise _error(
                file, where, f"image_id {_show(image_id)} is not among the images of {self.path}"
            )
        if isinstance(image, str):
            raise _error(
                file,
                where,
                f"image_id {_show(image_id)} ({image}) is not in the "
                "manifest and carries no data_row_id or global_key",
            )
        return image

    def category(self, category_id: Any, where: str, file: str) -> tuple[str, list[str]]:
        category = self.categories.get(category_id) if _hashable(category_id) else None
        if category is None:
            raise _error(
                file,
                where,
                f"category_id {_show(category_id)} is not among the categories of {self.path}",
            )
        return category


_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother = 3, 60, 60


def _show(value: Any) -> str:
    """A short repr of an input value (bounded depth and length: a value
    nested 10,000 deep must not end in RecursionError)."""
    return _SHOWN.repr(value)


def _hashable(value: Any) -> bool:
    return value is None or isinstance(value, (int, float, str, bool))


def _box(value: Any, file: str, where: str) -> Optional[tuple[float, float, float, float]]:
    if value is None:
        return None
    if not (
        type(value) is list
        and len(value) == 4
        and type(value[0]) in _NUMBERS
        and type(value[1]) in _NUMBERS
        and type(value[2]) in _NUMBERS
        and type(value[3]) in _NUMBERS
    ):
        raise _error(file, where, f"bbox must be 4 numbers, not {_show(value)}")
    return (float(value[0]), float(value[1]), float(value[2]), float(value[3]))


def _is_box_polygon(rings: list[Any], box: Optional[tuple[float, float, float, float]]) -> bool:
    if box is None or len(rings) != 1:
        return False
    left, top, width, height = box
    return bool(
        rings[0] == [left, top, left + width, top, left + width, top + height, left, top + height]
    )


def _shapes(
    record: dict[str, Any],
    box: Optional[tuple[float, float, float, float]],
    file: str,
    where: str,
    report: Report,
) -> list[tuple[str, Any]]:
    """``(kind, geometry)`` of one annotation; an empty list: degenerate (dropped)."""
    segmentation = record.get("segmentation")
    if isinstance(segmentation, dict):
        from ..write.rle import rle_decode

        try:
            return [("mask", rle_decode(segmentation))]
        except (KeyError, TypeError, ValueError) as exc:
            raise _error(file, where, f"segmentation is not a valid RLE ({exc})") from None
    if segmentation in (None, []) or _is_box_polygon(segmentation, box):
        if box is None:
            raise _error(file, where, "needs a bbox or a segmentation")
        if not (box[2] > 0 and box[3] > 0):  # Labelbox takes no empty or negative box
            report.drop("degenerate box")
            return []
        return [("bbox", box)]
    if not isinstance(segmentation, list) or not all(isinstance(r, list) for r in segmentation):
        raise _error(file, where, "segmentation must be polygons [[x, y, ...]] or an RLE")
    rings = []
    for ring in segmentation:
        if len(ring) % 2 or not all(map(_number, ring)):
            raise _error(file, where, "a segmentation polygon must be an even number of numbers")
        if len(ring) >= 6:
            rings.append([(float(ring[k]), float(ring[k + 1])) for k in range(0, len(ring), 2)])
    if not rings:
        report.drop("degenerate polygon")
        return []
    return [("polygon", rings)]


def _keypoints(
    record: dict[str, Any], names: list[str], file: str, where: str
) -> list[tuple[str, tuple[float, float]]]:
    values = record.get("keypoints")
    if not names or not isinstance(values, list) or not values:
        return []
    if len(values) != 3 * len(names) or not all(map(_number, values)):
        raise _error(
            file,
            where,
            f"keypoints must be {3 * len(names)} numbers (x, y, v for {len(names)} names)",
        )
    return [
        (names[k], (float(values[3 * k]), float(values[3 * k + 1])))
        for k in range(len(names))
        if values[3 * k + 2] > 0
    ]


def _annotations(
    records: Iterator[Any],
    gt: _GroundTruth,
    file: str,
    seed_name: str,
    report: Report,
    where_of: Any,
    results: bool,
) -> Iterator[Annotation]:
    for i, record in enumerate(records):
        where = where_of(i)
        if not isinstance(record, dict):
            raise _error(file, where, "an annotation must be a JSON object")
        item = gt.item(record.get("image_id"), where, file)
        name, keypoint_names = gt.category(record.get("category_id"), where, file)
        score = record.get("score")
        if score is not None and not _number(score):
            raise _error(file, where, f"score must be a number, not {_show(score)}")
        if results and score is None:
            raise _error(file, where, "a result needs a 'score'")
        box = _box(record.get("bbox"), file, where)
        shapes = _shapes(record, box, file, where, report)
        points = _keypoints(record, keypoint_names, file, where)
        report.objects_read += 1 + len(points)
        confidence = float(score) if score is not None else None
        seed = f"{seed_name}\x00{where}"
        track = record.get("feature_id") if item.frame is not None else None
        for kind, geometry in shapes:
            yield Annotation(
                item,
                name,
                kind,
                geometry,
                confidence,
                seed,
                track if isinstance(track, str) else None,
            )
        for k, (point_name, xy) in enumerate(points):
            yield Annotation(item, point_name, "point", xy, confidence, f"{seed}\x00kp{k}")


def coco_files(source: Path, results: bool) -> list[Path]:
    """The JSON files to read: ``source`` itself, or in a dataset directory
    ``annotations*.json`` (ground truth) / ``results*.json`` (results)."""
    if not source.is_dir():
        return [source]
    pattern = "results*.json" if results else "annotations*.json"
    found = sorted(source.glob(pattern))
    if not found:
        raise LbConvertError(f"{source}: no {pattern} in this directory")
    return found


def read_coco(source: Path, index: ManifestIndex, report: Report) -> Iterator[Annotation]:
    """Every annotation of a COCO ground-truth file."""
    gt = _GroundTruth(source, index)
    report.items += len(gt.images)
    yield from _annotations(
        _items(source, "annotations.item"),
        gt,
        str(source),
        source.name,
        report,
        lambda i: f"annotations[{i}]",
        results=False,
    )


def read_coco_results(
    source: Path, gt_path: Path, index: ManifestIndex, report: Report
) -> Iterator[Annotation]:
    """Every detection of a COCO results file, ids resolved by ``gt_path``."""
    gt = _GroundTruth(gt_path, index)
    report.items += len(gt.images)
    if _first_byte(source) != b"[":
        raise LbConvertError(f"{source}: COCO results must be a JSON array of detections")
    yield from _annotations(
        _items(source, "item"),
        gt,
        str(source),
        source.name,
        report,
        lambda i: f"[{i}]",
        results=True,
    )


def _first_byte(path: Path) -> bytes:
    """The first byte of a JSON file that is not white space (or a UTF-8 BOM)."""
    with open(path, "rb") as handle:
        return handle.read(1 << 12).lstrip(b" \t\r\n\xef\xbb\xbf")[:1]


def results_ground_truth(results: Path) -> Optional[Path]:
    """The ground truth lbconvert wrote beside ``results[_split].json``."""
    name = results.name.replace("results", "annotations", 1)
    candidate = results.with_name(name)
    return candidate if name != results.name and candidate.is_file() else None
