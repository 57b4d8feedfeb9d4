"""Read a Pascal VOC dataset back for the preview.

Files: ``OUT/Annotations/<stem>.xml`` (``size``, and per ``object`` its
``name`` and ``bndbox``), ``OUT/labelmap.txt`` (class order and colours, the
CVAT / Datumaro form lbconvert writes; without it classes are numbered in
order of first appearance), splits from the manifest, else from
``ImageSets/Main/<split>.txt``, else ``train``.  With segmentation,
``SegmentationClass/<stem>.png`` (pixel = class index, 255 void) is drawn as
translucent class fills and ``SegmentationObject/<stem>.png`` (pixel k = the
k-th ``<object>``) as object outlines.

Mapping back: ``bndbox`` holds 1-based inclusive pixel indices, so the box
drawn covers pixels ``xmin - 1 .. xmax - 1``: ``left = xmin - 1``,
``width = xmax - xmin + 1`` (likewise rows) — the whole pixels the original
box touched.  The class of index k has the masks palette colour of k (the
colour in ``labelmap.txt``, which is the same map).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .common import Manifest, PreviewError, load_report, numbered_classes, read_text, split_order
from .masks import index_png, label_bounds
from .model import Box, ClassInfo, Dataset, Entry, MaskShape, Shape, class_color

__all__ = ["read_voc"]

_NOT_CLASSES = ("background", "ignored")


def read_voc(root: Path) -> Dataset:
    folder = root / "Annotations"
    if not folder.is_dir():
        raise PreviewError(f"{os.fspath(root)}: no Annotations/ directory")
    manifest = Manifest(root)
    set_splits = _image_set_splits(root / "ImageSets" / "Main")
    label_names, void = _labelmap(root / "labelmap.txt")
    entries: list[Entry] = []
    seen: list[str] = []
    for path in sorted(folder.glob("*.xml")):
        entry, objects = _entry(path, manifest, set_splits)
        entry.key = objects
        entry.counts = Counter(name for name, _ in objects)
        seen += [name for name, _ in objects if name not in seen]
        entries.append(entry)
    names = label_names + [n for n in seen if n not in label_names]
    classes = numbered_classes(names)
    index_names = {c.index: c.name for c in classes}

    def load(entry: Entry) -> list[Shape]:
        shapes: list[Shape] = [Box(name, *box) for name, box in entry.key]
        shapes += _segmentation(root, entry, index_names, [name for name, _ in entry.key])
        return shapes

    splits = split_order([e.split for e in entries])
    entries.sort(key=lambda e: (splits.index(e.split), manifest.position(e.split, e.stem), e.stem))
    dataset = Dataset("voc", os.fspath(root), classes, entries, load, load_report(root))
    dataset.image_dirs = [("", os.fspath(root / "JPEGImages"))]
    if void:
        dataset.classes = classes + [ClassInfo(255, "void", class_color(255))]
    return dataset


def _labelmap(path: Path) -> tuple[list[str], bool]:
    """Class names of ``labelmap.txt`` in index order (background / ignored left out),
    and whether it declares the void colour (``ignored``, with ``--void-border``)."""
    if not path.is_file():
        return [], False
    names, void = [], False
    for line in read_text(path).splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name = line.split(":", 1)[0]
        if name not in _NOT_CLASSES:
            names.append(name)
        void = void or name == "ignored"
    return names, void


def _image_set_splits(folder: Path) -> dict[str, str]:
    """stem -> split from the one-column lists ``ImageSets/Main/<split>.txt``."""
    splits: dict[str, str] = {}
    if not folder.is_dir():
        return splits
    for path in sorted(folder.glob("*.txt")):
        lines = read_text(path).split("\n")
        stems = [line for line in lines if line]
        if stems and all(" " not in s for s in stems):
            for stem in stems:
                splits.setdefault(stem, path.stem)
    return splits


def _entry(
    path: Path, manifest: Manifest, set_splits: dict[str, str]
) -> tuple[Entry, list[tuple[str, tuple[float, float, float, float]]]]:
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, LookupError) as exc:  # LookupError: an unknown encoding
        raise PreviewError(f"{os.fspath(path)}: not valid XML ({exc})") from None
    stem = path.stem
    width = _int(root, "size/width", path)
    height = _int(root, "size/height", path)
    objects = []
    for index, obj in enumerate(root.findall("object")):
        name = obj.findtext("name")
        if name is None:
            raise PreviewError(f"{os.fspath(path)}: object {index + 1} has no <name>")
        xmin, ymin, xmax, ymax = (
            _int(obj, f"bndbox/{k}", path, index) for k in ("xmin", "ymin", "xmax", "ymax")
        )
        objects.append(
            (name, (xmin - 1.0, ymin - 1.0, float(xmax - xmin + 1), float(ymax - ymin + 1)))
        )
    record = manifest.find(None, stem)
    split = (
        str(record["split"]) if record and record.get("split") else set_splits.get(stem, "train")
    )
    if record is None or record.get("split") != split:
        record = manifest.find(split, stem)
    file_name = root.findtext("filename") or f"{stem}.jpg"
    entry = Entry(
        stem, split, width, height, file_name, record or {"stem": stem, "file_name": file_name}
    )
    return entry, objects


def _int(element: Any, path_in_xml: str, path: Path, index: Optional[int] = None) -> int:
    text = element.findtext(path_in_xml)
    where = f"{os.fspath(path)}: " + (f"object {index + 1}: " if index is not None else "")
    if text is None:
        raise PreviewError(f"{where}missing <{path_in_xml}>")
    try:
        return int(float(text))
    except (ValueError, OverflowError):  # OverflowError: inf
        raise PreviewError(f"{where}<{path_in_xml}> is not a number: {text!r}") from None


def _segmentation(
    root: Path, entry: Entry, index_names: dict[int, str], object_names: list[str]
) -> list[Shape]:
    shapes: list[Shape] = []
    class_png = _png(root / "SegmentationClass" / f"{entry.stem}.png", entry)
    if class_png is not None:
        bounds = label_bounds(class_png)
        for index in sorted(bounds):
            name = "void" if index == 255 else index_names.get(int(index), str(index))
            shapes.append(
                MaskShape(
                    name, class_png, outline=False, label=False, value=index, bounds=bounds[index]
                )
            )
    object_png = _png(root / "SegmentationObject" / f"{entry.stem}.png", entry)
    if object_png is not None:
        bounds = label_bounds(object_png)
        for index in sorted(bounds):
            if index <= len(object_names):
                shapes.append(
                    MaskShape(
                        object_names[index - 1],
                        object_png,
                        fill=False,
                        label=False,
                        value=index,
                        bounds=bounds[index],
                    )
                )
    return shapes


def _png(path: Path, entry: Entry) -> Optional[np.ndarray]:
    return index_png(path, entry) if path.is_file() else None
