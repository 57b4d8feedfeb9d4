"""Read a YOLO (Ultralytics layout) dataset back for the preview.

Files: ``OUT/data.yaml`` (``names`` as ``{id: name}`` or a list; ``kpt_shape``
for pose; ``kpt_names`` when present, as Ultralytics' own pose yamls carry
them: a list, or ``{class id: [names]}``; else keypoints are numbered 1..K)
and ``OUT/labels/<split>/<stem>.txt``.  YOLO stores no image size: it comes
from ``OUT/manifest.jsonl`` (every lbconvert image writer lists each item's
size there), else from the image itself (``images/<split>/<stem>.*`` or
``--images``); a label file with neither is left out and counted in the
page's notes.

Rows, normalised by the image width (x) and height (y), mapped back to pixels:

* ``class cx cy w h`` (detect) → box ``left = (cx - w/2)·W``, ``top = (cy - h/2)·H``;
* pose (``kpt_shape [K, D]`` in data.yaml) → that box plus K keypoints of D
  numbers (``x y`` or ``x y v``; ``v = 0`` or ``x = y = 0`` is missing);
* ``class x1 y1 … xn yn`` with n ≥ 3 (segment, and obb's 4 corners) → a polygon;
  4 corners of an axis-aligned rectangle (a box as obb, or ``--boxes-as-polygons``)
  → that box, drawn exactly as the same box in COCO or VOC.

Class id c gets the masks palette colour of index c + 1.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, Optional

from .common import (
    Manifest,
    PreviewError,
    load_report,
    numbered_classes,
    open_image,
    read_text,
    split_order,
)
from .model import Box, Dataset, Entry, Keypoints, Polygon, Shape

__all__ = ["read_yolo"]

_UNKNOWN_CLASS = "row whose class id is not in data.yaml's names (drawn as its number)"


def read_yolo(root: Path, images: Optional[Path] = None) -> Dataset:
    config = _data_yaml(root / "data.yaml")
    names = _names(config, root / "data.yaml")
    kpt_shape = _kpt_shape(config, root / "data.yaml")
    keypoint_names = config.get("kpt_names")
    labels = root / "labels"
    if not labels.is_dir():
        raise PreviewError(f"{os.fspath(root)}: no labels/ directory beside data.yaml")
    manifest = Manifest(root)
    notes: Counter[str] = Counter()
    entries: list[Entry] = []
    splits = split_order([p.name for p in labels.iterdir() if p.is_dir()])
    for split in splits:
        for path in sorted((labels / split).glob("*.txt")):
            entry = _entry(root, split, path, manifest, images)
            if entry is None:
                notes["label file without image size (no manifest line, no image)"] += 1
                continue
            rows = _rows(path, kpt_shape)
            unknown = sum(1 for row in rows if int(row[0]) not in names)
            if unknown:  # Ultralytics refuses such a label file
                notes[_UNKNOWN_CLASS] += unknown
            entry.key = (path, rows)
            entry.counts = Counter(_name(names, row[0]) for row in rows)
            entries.append(entry)
    classes = numbered_classes([names[i] for i in sorted(names)])

    def load(entry: Entry) -> list[Shape]:
        path, rows = entry.key
        return [
            shape for row in rows for shape in _shapes(row, names, kpt_shape, keypoint_names, entry)
        ]

    entries.sort(key=lambda e: (splits.index(e.split), manifest.position(e.split, e.stem)))
    dataset = Dataset("yolo", os.fspath(root), classes, entries, load, load_report(root), notes)
    dataset.image_dirs = [(split, os.fspath(root / "images" / split)) for split in splits]
    return dataset


def _data_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise PreviewError(f"{os.fspath(path)}: missing")
    try:
        config = yaml.safe_load(read_text(path))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PreviewError(
            f"{os.fspath(path)}: not valid YAML ({' '.join(str(exc).split())})"
        ) from None
    except RecursionError:
        raise PreviewError(f"{os.fspath(path)}: nested too deeply") from None
    if not isinstance(config, dict):
        raise PreviewError(f"{os.fspath(path)}: expected a mapping")
    return config


def _names(config: dict[str, Any], path: Path) -> dict[int, str]:
    names = config.get("names")
    if isinstance(names, list):
        return {i: str(n) for i, n in enumerate(names)}
    if isinstance(names, dict) and all(isinstance(k, int) for k in names):
        return {k: str(v) for k, v in names.items()}
    raise PreviewError(f"{os.fspath(path)}: 'names' must be a list or a mapping of ids to names")


def _kpt_shape(config: dict[str, Any], path: Path) -> Optional[tuple[int, int]]:
    shape = config.get("kpt_shape")
    if shape is None:
        return None
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or not all(isinstance(v, int) for v in shape)
        or shape[0] < 1
        or shape[1] not in (2, 3)
    ):
        raise PreviewError(f"{os.fspath(path)}: 'kpt_shape' must be [K, 2] or [K, 3]")
    return shape[0], shape[1]


def _entry(
    root: Path, split: str, path: Path, manifest: Manifest, images: Optional[Path]
) -> Optional[Entry]:
    stem = path.stem
    record = manifest.find(split, stem)
    if record and _size(record.get("width")) and _size(record.get("height")):
        return Entry(
            stem,
            split,
            int(record["width"]),
            int(record["height"]),
            str(record.get("file_name") or stem),
            record,
        )
    from ..images import image_file

    found = image_file(root / "images" / split, [stem])
    if found is None and images is not None:
        found = image_file(images, [stem])
    if found is None:
        return None
    with open_image(found) as image:
        width, height = image.size
    return Entry(stem, split, width, height, found.name, {"stem": stem, "file_name": found.name})


def _size(value: Any) -> bool:
    """Whether a manifest's width or height is a size (else the image is looked at)."""
    return type(value) in (int, float) and 0 < value < float("inf")


#: Normalised coordinates are about 0..1; beyond this a value is not a coordinate
#: (and would overflow the drawing).
_MAX_VALUE = 1e6


def _rows(path: Path, kpt_shape: Optional[tuple[int, int]]) -> list[list[float]]:
    rows = []
    text = read_text(path)
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        where = f"{os.fspath(path)}:{number}"
        try:
            values = [float(v) for v in fields]
        except ValueError:
            raise PreviewError(f"{where}: not a row of numbers") from None
        if not all(abs(v) <= _MAX_VALUE for v in values):  # NaN fails the test too
            raise PreviewError(f"{where}: a number that is not finite or beyond +-{_MAX_VALUE:g}")
        if values[0] != int(values[0]) or values[0] < 0:
            raise PreviewError(f"{where}: class {fields[0]!r} is not a class id")
        count = len(values) - 1
        if kpt_shape is not None:
            expected = 4 + kpt_shape[0] * kpt_shape[1]
            if count != expected:
                raise PreviewError(
                    f"{where}: a pose row needs {expected} numbers after the "
                    f"class (kpt_shape {list(kpt_shape)}), found {count}"
                )
        elif count != 4 and (count < 6 or count % 2):
            raise PreviewError(
                f"{where}: {count} numbers after the class: neither a box "
                "(4) nor a polygon (an even number, at least 6)"
            )
        rows.append(values)
    return rows


def _name(names: dict[int, str], class_id: float) -> str:
    return names.get(int(class_id), str(int(class_id)))


def _shapes(
    row: list[float],
    names: dict[int, str],
    kpt_shape: Optional[tuple[int, int]],
    keypoint_names: Any,
    entry: Entry,
) -> list[Shape]:
    width, height = entry.width, entry.height
    name = _name(names, row[0])
    values = row[1:]
    if len(values) == 4 or kpt_shape is not None:
        cx, cy, w, h = values[:4]
        box = Box(name, (cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height)
        if kpt_shape is None:
            return [box]
        labels = _keypoint_labels(keypoint_names, int(row[0]), kpt_shape[0])
        return [box, _keypoints(name, values[4:], kpt_shape, labels, entry)]
    ring = [(x * width, y * height) for x, y in zip(values[0::2], values[1::2])]
    return [_rectangle(name, ring) or Polygon(name, [ring])]


def _rectangle(name: str, ring: list[tuple[float, float]]) -> Optional[Box]:
    """An axis-aligned 4-corner ring (obb of a box, ``--boxes-as-polygons``) as the box,
    so that it draws exactly as COCO's and VOC's boxes do."""
    if len(ring) != 4:
        return None
    xs, ys = sorted({x for x, _ in ring}), sorted({y for _, y in ring})
    if len(xs) != 2 or len(ys) != 2 or len(set(ring)) != 4:
        return None
    return Box(name, xs[0], ys[0], xs[1] - xs[0], ys[1] - ys[0])


def _keypoints(
    name: str, values: list[float], kpt_shape: tuple[int, int], labels: list[str], entry: Entry
) -> Keypoints:
    count, dims = kpt_shape
    points = []
    for i in range(count):
        x, y = values[i * dims], values[i * dims + 1]
        visible = values[i * dims + 2] if dims == 3 else 1.0
        if visible > 0 and (x or y):
            points.append((labels[i], x * entry.width, y * entry.height))
    return Keypoints(name, points)


def _keypoint_labels(keypoint_names: Any, class_id: int, count: int) -> list[str]:
    if isinstance(keypoint_names, dict):
        keypoint_names = keypoint_names.get(class_id)
    if isinstance(keypoint_names, list) and len(keypoint_names) == count:
        return [str(n) for n in keypoint_names]
    return [str(i + 1) for i in range(count)]
