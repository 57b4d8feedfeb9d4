"""Read a COCO dataset back for the preview.

Files: ``OUT/annotations.json`` (one split), ``OUT/annotations_<split>.json``
(several), or the COCO 2017 layout ``OUT/annotations/instances_<split>.json``;
``results*.json`` are detections, not ground truth, and are ignored.  When
the file does not name its split (``annotations.json``) the manifest's split
of the image is used, else ``train``.

Mapping back: ``bbox [x, y, w, h]`` is the box; a ``segmentation`` that is
the box's own 4-corner polygon (how lbconvert writes boxes) draws as the box;
other polygons draw as their rings; RLE (compressed or not) is decoded with
numpy (:func:`lbconvert.write.rle.rle_decode`) and drawn as a translucent mask;
``keypoints`` ``[x, y, v]`` triples with ``v > 0`` are dots named by the
category's ``keypoints`` list (skeleton lines when the category has one).
Category ``id`` k gets the masks palette colour of index k, which is the
class index of every lbconvert format for the same export.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any, Optional

from .common import Manifest, PreviewError, load_report, read_json_object, stem_of
from .model import Box, ClassInfo, Dataset, Entry, Keypoints, MaskShape, Polygon, Shape, class_color

__all__ = ["annotation_files", "read_coco"]

_MAX_MASK_PIXELS = 1 << 28  # as convert's --max-pixels: refused before anything is allocated
_SPLIT_FILE = re.compile(r"^annotations_(.+)\.json$")
_COCO2017_FILE = re.compile(r"^instances_(.+)\.json$")


def annotation_files(root: Path) -> list[tuple[Optional[str], Path]]:
    """``(split or None, path)`` of every COCO ground-truth file in ``root``."""
    found: list[tuple[Optional[str], Path]] = []
    if (root / "annotations.json").is_file():
        found.append((None, root / "annotations.json"))
    for path in sorted(root.glob("annotations_*.json")):
        match = _SPLIT_FILE.match(path.name)
        if match:
            found.append((match.group(1), path))
    folder = root / "annotations"
    if folder.is_dir():
        for path in sorted(folder.glob("instances_*.json")):
            match = _COCO2017_FILE.match(path.name)
            if match:
                found.append((match.group(1), path))
    return found


def read_coco(root: Path) -> Dataset:
    files = annotation_files(root)
    if not files:
        raise PreviewError(
            f"{os.fspath(root)}: no annotations.json, annotations_<split>.json "
            "or annotations/instances_<split>.json"
        )
    manifest = Manifest(root)
    categories: dict[int, dict[str, Any]] = {}
    entries: list[Entry] = []
    for split, path in files:
        document = _load(path)
        for category in _list(document, "categories", path):
            category_id = _field(category, "id", int, path, "categories")
            categories.setdefault(category_id, category)
        entries += _entries(document, split, path, manifest)
    classes = [
        ClassInfo(cid, str(categories[cid].get("name", cid)), class_color(cid))
        for cid in sorted(categories)
    ]
    names = {c.index: c.name for c in classes}
    for entry in entries:
        entry.counts = Counter(
            names.get(a["category_id"], str(a["category_id"])) for a in entry.key
        )

    def load(entry: Entry) -> list[Shape]:
        shapes: list[Shape] = []
        for annotation in entry.key:
            category = categories.get(annotation["category_id"], {})
            name = names.get(annotation["category_id"], str(annotation["category_id"]))
            shapes += _shapes(annotation, name, category, entry)
        return shapes

    entries.sort(key=lambda e: manifest.position(e.split, e.stem))
    return Dataset("coco", os.fspath(root), classes, entries, load, load_report(root))


def _load(path: Path) -> dict[str, Any]:
    return read_json_object(path, "a COCO file is a JSON object")


def _list(document: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise PreviewError(f"{os.fspath(path)}: '{key}' is not a list")
    return value


def _field(record: Any, key: str, kind: type, path: Path, where: str) -> Any:
    if not isinstance(record, dict) or key not in record:
        raise PreviewError(f"{os.fspath(path)}: {where}: missing '{key}'")
    value = record[key]
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise PreviewError(f"{os.fspath(path)}: {where}: '{key}' is not an integer")
    if kind is float and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        raise PreviewError(f"{os.fspath(path)}: {where}: '{key}' is not a number")
    return value


def _entries(
    document: dict[str, Any], split: Optional[str], path: Path, manifest: Manifest
) -> list[Entry]:
    by_image: dict[int, Entry] = {}
    for index, image in enumerate(_list(document, "images", path)):
        where = f"images[{index}]"
        image_id = _field(image, "id", int, path, where)
        if image_id in by_image:  # its annotations would be drawn on one of the two
            raise PreviewError(f"{os.fspath(path)}: {where}: image id {image_id} appears twice")
        file_name = str(_field(image, "file_name", str, path, where))
        width = _field(image, "width", int, path, where)
        height = _field(image, "height", int, path, where)
        record = _manifest_record(manifest, image, file_name, split)
        stem = str(record["stem"]) if record else stem_of(file_name)
        entry_split = split or (str(record.get("split")) if record else "train")
        by_image[image_id] = Entry(
            stem,
            entry_split,
            width,
            height,
            file_name,
            record or {"file_name": file_name, "stem": stem},
            key=[],
        )
    for index, annotation in enumerate(_list(document, "annotations", path)):
        where = f"annotations[{index}]"
        image_id = _field(annotation, "image_id", int, path, where)
        _field(annotation, "category_id", int, path, where)
        entry = by_image.get(image_id)
        if entry is None:
            raise PreviewError(f"{os.fspath(path)}: {where}: image_id {image_id} is not an image")
        _check_annotation(annotation, path, where)
        entry.key.append(annotation)
    return list(by_image.values())


def _check_annotation(annotation: dict[str, Any], path: Path, where: str) -> None:
    bbox = annotation.get("bbox")
    if bbox is not None and (
        not isinstance(bbox, list) or len(bbox) != 4 or not all(_is_number(v) for v in bbox)
    ):
        raise PreviewError(f"{os.fspath(path)}: {where}: 'bbox' is not [x, y, w, h]")
    segmentation = annotation.get("segmentation")
    if isinstance(segmentation, list):
        for ring in segmentation:
            if not isinstance(ring, list) or len(ring) % 2 or not all(_is_number(v) for v in ring):
                raise PreviewError(
                    f"{os.fspath(path)}: {where}: a segmentation polygon is not "
                    "a flat list of x, y numbers"
                )
    elif segmentation is not None and not (
        isinstance(segmentation, dict) and "counts" in segmentation and "size" in segmentation
    ):
        raise PreviewError(
            f"{os.fspath(path)}: {where}: 'segmentation' is neither polygons nor RLE"
        )
    keypoints = annotation.get("keypoints")
    if keypoints is not None and (
        not isinstance(keypoints, list)
        or len(keypoints) % 3
        or not all(_is_number(v) for v in keypoints)
    ):
        raise PreviewError(f"{os.fspath(path)}: {where}: 'keypoints' is not x, y, v triples")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _manifest_record(
    manifest: Manifest, image: dict[str, Any], file_name: str, split: Optional[str]
) -> Optional[dict[str, Any]]:
    """The manifest line of a COCO image: same file name, and the same data row
    and frame when the image says them (frames of one video share a name
    pattern, not a file name, but stay unambiguous)."""
    candidates = manifest.by_file.get(file_name, [])
    if len(candidates) > 1:
        candidates = [
            r
            for r in candidates
            if r.get("data_row_id") == image.get("data_row_id")
            and r.get("frame") == image.get("frame_index")
        ] or candidates
    if split is not None and len(candidates) > 1:
        candidates = [r for r in candidates if r.get("split") == split] or candidates
    return candidates[0] if candidates else None


def _shapes(
    annotation: dict[str, Any], name: str, category: dict[str, Any], entry: Entry
) -> list[Shape]:
    shapes: list[Shape] = []
    segmentation = annotation.get("segmentation")
    bbox = annotation.get("bbox")
    if isinstance(segmentation, dict):
        shapes.append(_mask(segmentation, name, entry))
    elif segmentation and not (bbox and _is_box_polygon(segmentation, bbox)):
        shapes.append(Polygon(name, [list(zip(ring[0::2], ring[1::2])) for ring in segmentation]))
    elif bbox:
        shapes.append(Box(name, *bbox))
    keypoints = annotation.get("keypoints")
    if keypoints:
        labels = [str(k) for k in category.get("keypoints") or []]
        points = [
            (labels[i] if i < len(labels) else str(i + 1), x, y)
            for i, (x, y, v) in enumerate(zip(keypoints[0::3], keypoints[1::3], keypoints[2::3]))
            if v > 0
        ]
        skeleton = [
            (a - 1, b - 1)
            for a, b in category.get("skeleton") or []
            if isinstance(a, int) and isinstance(b, int)
        ]
        if points:
            shapes.append(Keypoints(name, points, skeleton))
    return shapes


def _is_box_polygon(segmentation: list[list[float]], bbox: list[float]) -> bool:
    left, top, width, height = bbox
    right, bottom = left + width, top + height
    return segmentation == [[left, top, right, top, right, bottom, left, bottom]]


def _mask(rle: dict[str, Any], name: str, entry: Entry) -> MaskShape:
    from ..write.rle import rle_decode

    size = rle.get("size")
    if not (
        isinstance(size, list)
        and len(size) == 2
        and all(isinstance(v, int) for v in size)
        and 0 < size[0] * size[1] <= _MAX_MASK_PIXELS
    ):
        raise PreviewError(
            f"{entry.file_name}: an RLE mask's size {size!r} is not "
            f"[height, width] of at most {_MAX_MASK_PIXELS} pixels"
        )
    try:
        pixels = rle_decode(_plain_counts(rle))
    except (ValueError, TypeError) as exc:
        raise PreviewError(f"{entry.file_name}: an RLE mask does not decode ({exc})") from None
    if pixels.shape != (entry.height, entry.width):
        raise PreviewError(
            f"{entry.file_name}: an RLE mask is {pixels.shape[1]}x"
            f"{pixels.shape[0]}, the image {entry.width}x{entry.height}"
        )
    return MaskShape(name, pixels)


def _plain_counts(rle: dict[str, Any]) -> dict[str, Any]:
    counts = rle["counts"]
    if isinstance(counts, bytes):
        return {"size": rle["size"], "counts": counts.decode("ascii")}
    return rle
