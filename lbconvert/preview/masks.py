"""Read a mask-PNG dataset (``--to masks``) back for the preview.

Files: ``OUT/classes.json`` (``index``, ``name``, ``color`` per class;
index 0 background, 255 ignore), ``OUT/semantic/<stem>.png`` (8-bit, pixel =
class index) — or ``OUT/semantic/<split>/<stem>.png`` when the dataset is
split into folders — and, when present, ``OUT/instance/<stem>.png`` (16-bit,
pixel = instance number) in the same layout.  Splits come from the folder,
else from the manifest, else ``train``.

Drawn: each class's pixels as a translucent fill in the class's colour from
``classes.json`` (the masks palette); with instance PNGs each instance's
outline, in the colour of the class most of its pixels have.  The summary
counts instances per class when instance PNGs exist, else images in which
the class has pixels (the semantic PNG does not separate objects).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, Optional, cast

import numpy as np

from .common import Manifest, PreviewError, load_report, open_image, read_json, split_order
from .model import ClassInfo, Dataset, Entry, MaskShape, Shape, class_color

__all__ = ["read_masks"]


def read_masks(root: Path) -> Dataset:
    classes = _classes(root / "classes.json")
    names = {c.index: c.name for c in classes}
    semantic = root / "semantic"
    if not semantic.is_dir():
        raise PreviewError(f"{os.fspath(root)}: no semantic/ directory beside classes.json")
    manifest = Manifest(root)
    instance_dir = root / "instance"
    entries: list[Entry] = []
    for split, path in _pngs(semantic):
        stem = path.stem
        record = manifest.find(split, stem)
        entry_split = split or (str(record["split"]) if record and record.get("split") else "train")
        instance = instance_dir / (f"{split}/" if split else "") / f"{stem}.png"
        with open_image(path) as image:
            width, height = image.size
            colors = image.getcolors(256) if image.mode in ("P", "L") else None
        if colors is None:
            raise PreviewError(f"{os.fspath(path)}: expected an 8-bit class-index PNG")
        entry = Entry(
            stem,
            entry_split,
            width,
            height,
            str(record.get("file_name") if record else f"{stem}.png"),
            record or {"stem": stem, "file_name": stem},
            key=(path, instance),
        )
        if instance.is_file():
            entry.counts = _instance_counts(path, instance, names)
        else:
            # A "P" or "L" image: every colour is an int (Pillow's stubs say more).
            indices = cast("list[tuple[int, int]]", colors)
            entry.counts = Counter(names.get(i, str(i)) for _, i in indices if i != 0)
        entries.append(entry)

    def load(entry: Entry) -> list[Shape]:
        path, instance = entry.key
        pixels = index_png(path, entry)
        has_instances = instance.is_file()
        bounds = label_bounds(pixels)
        shapes: list[Shape] = [
            MaskShape(
                names.get(i, str(i)),
                pixels,
                outline=False,
                label=not has_instances,
                value=i,
                bounds=bounds[i],
            )
            for i in sorted(bounds)
        ]
        if has_instances:
            objects = index_png(instance, entry)
            places = label_bounds(objects)
            for number, class_index in _instance_classes(pixels, objects).items():
                shapes.append(
                    MaskShape(
                        names.get(class_index, str(class_index)),
                        objects,
                        fill=False,
                        value=number,
                        bounds=places.get(number),
                    )
                )
        return shapes

    splits = split_order([e.split for e in entries])
    entries.sort(key=lambda e: (splits.index(e.split), manifest.position(e.split, e.stem), e.stem))
    unit = (
        "instances"
        if (instance_dir.is_dir() and any(instance_dir.rglob("*.png")))
        else "images with the class"
    )
    dataset = Dataset(
        "masks",
        os.fspath(root),
        classes[1:] if classes and classes[0].index == 0 else classes,
        entries,
        load,
        load_report(root),
        count_unit=unit,
    )
    return dataset


def _classes(path: Path) -> list[ClassInfo]:
    if not path.is_file():
        raise PreviewError(f"{os.fspath(path)}: missing")
    document = read_json(path)
    if not isinstance(document, list):
        raise PreviewError(f"{os.fspath(path)}: expected a list of classes")
    classes = []
    for position, entry in enumerate(document):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("index"), int)
            or not isinstance(entry.get("name"), str)
        ):
            raise PreviewError(
                f"{os.fspath(path)}: [{position}]: needs an integer 'index' and a string 'name'"
            )
        color = entry.get("color")
        if color is not None and not _is_rgb(color):
            raise PreviewError(
                f"{os.fspath(path)}: [{position}]: 'color' must be three integers 0-255"
            )
        rgb = (
            cast("tuple[int, int, int]", tuple(color))
            if color is not None
            else class_color(entry["index"])
        )  # _is_rgb checked the three integers
        classes.append(ClassInfo(entry["index"], entry["name"], rgb))
    return sorted(classes, key=lambda c: c.index)


def _is_rgb(color: Any) -> bool:
    return (
        isinstance(color, list)
        and len(color) == 3
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in color)
    )


def _pngs(semantic: Path) -> list[tuple[Optional[str], Path]]:
    """``(split or None, path)``: flat ``semantic/*.png`` and ``semantic/<split>/*.png``."""
    found: list[tuple[Optional[str], Path]] = [(None, p) for p in sorted(semantic.glob("*.png"))]
    folders = [p for p in semantic.iterdir() if p.is_dir()]
    for split in split_order([p.name for p in folders]):
        found += [(split, p) for p in sorted((semantic / split).glob("*.png"))]
    return found


def index_png(path: Path, entry: Entry) -> np.ndarray:
    """A one-channel PNG of the entry's size (class or instance indices)."""
    with open_image(path) as image:
        pixels = np.asarray(image)
    if pixels.ndim != 2 or pixels.shape != (entry.height, entry.width):
        raise PreviewError(
            f"{os.fspath(path)}: expected a {entry.width}x{entry.height} index "
            f"PNG, found shape {pixels.shape}"
        )
    return pixels


def _instance_counts(semantic: Path, instance: Path, names: dict[int, Any]) -> Counter[str]:
    with open_image(semantic) as image:
        classes = np.asarray(image)
    with open_image(instance) as image:
        objects = np.asarray(image)
    if classes.shape != objects.shape:
        raise PreviewError(
            f"{os.fspath(instance)}: size {objects.shape[::-1]} differs from "
            f"the semantic PNG's {classes.shape[::-1]}"
        )
    return Counter(names.get(c, str(c)) for c in _instance_classes(classes, objects).values())


def label_bounds(pixels: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    """``value -> (x0, y0, x1, y1)`` (end exclusive) of every non-zero value of an
    index image.  Values up to 255: Pillow's histogram, then per value a lookup
    table and ``getbbox`` (C loops, about 5x faster than numpy here); more: one
    numpy histogram of (row, value) and one of (column, value) pairs (none
    beyond 4096 values: each mask then finds its own)."""
    if not pixels.size:
        return {}
    top_value = int(pixels.max())
    if top_value == 0:
        return {}
    if top_value <= 255:
        from PIL import Image

        image = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), "L")
        bounds = {}
        for value, count in enumerate(image.histogram()):
            if value and count:
                box = image.point([255 if i == value else 0 for i in range(256)]).getbbox()
                if box is not None:
                    bounds[value] = box
        return bounds
    return _numpy_bounds(pixels, top_value + 1)


def _numpy_bounds(pixels: np.ndarray, values: int) -> dict[int, tuple[int, int, int, int]]:
    if values > 4096:
        return {}
    height, width = pixels.shape
    wide = pixels.astype(np.int64)
    rows = np.bincount(
        (wide + (np.arange(height) * values)[:, None]).ravel(), minlength=height * values
    ).reshape(height, values)
    cols = np.bincount(
        (wide + (np.arange(width) * values)[None, :]).ravel(), minlength=width * values
    ).reshape(width, values)
    bounds = {}
    for value in range(1, values):
        found_rows = np.flatnonzero(rows[:, value])
        if len(found_rows):
            found_cols = np.flatnonzero(cols[:, value])
            bounds[value] = (
                int(found_cols[0]),
                int(found_rows[0]),
                int(found_cols[-1]) + 1,
                int(found_rows[-1]) + 1,
            )
    return bounds


def _instance_classes(classes: np.ndarray, objects: np.ndarray) -> dict[int, int]:
    """instance number -> the class most of its pixels have in the semantic PNG (a later
    object may cover part of it; ignore, 255, only when nothing else is there), from one
    joint histogram of (instance, class) pairs."""
    inside = objects != 0
    numbers = objects[inside].astype(np.int64)
    if not len(numbers):
        return {}
    joint = np.bincount(
        numbers * 256 + classes[inside], minlength=256 * (int(numbers.max()) + 1)
    ).reshape(-1, 256)
    joint[:, 255] = np.minimum(joint[:, 255], 1)  # any real class wins over ignore
    joint[:, 0] = 0
    return {
        int(number): int(np.argmax(joint[number]))
        for number in np.flatnonzero(joint.sum(axis=1))
        if number
    }
