"""Roboflow's supervision loads lbconvert's COCO, YOLO (detect, segment) and
Pascal VOC output with its own loaders, and sees what the README promises.

One small export (four images the test draws with Pillow, so the sizes the
loaders read from the files are real; classes first seen as zebra, car, mole,
which is not alphabetical; a box past the image corner, a fractional box, an
L-shaped and a triangular polygon, a mask from a local composite PNG, an image
labelled with no objects and one never labelled) is converted once per format
and loaded with ``sv.DetectionDataset.from_coco`` / ``from_yolo`` /
``from_pascal_voc`` (supervision 0.31.2, see ``requirements/interop.txt``).

What supervision does with each format, read from its 0.31.2 source:

- ``Detections.xyxy`` is float32 in continuous pixel coordinates;
- COCO: ``[x, y, x + w, y + h]`` of ``bbox`` as written, class ids in
  category-id order; masks from the polygon or RLE ``segmentation``;
- YOLO: rows times the image size read from the image file, class ids as in
  ``data.yaml``; a polygon row's box is the box of its vertices;
- VOC: ``bndbox`` is read as the devkit's 1-based inclusive pixel indices,
  ``(xmin - 1, ymin - 1, xmax, ymax)``, so lbconvert's ``floor(left) + 1 ..
  ceil(left + width)`` comes back as the box rounded outwards to whole pixels.
  Class names are the sorted names of the first XML, then new names of later
  ones (``labelmap.txt`` is not read), so its ids are not lbconvert's;
- masks from polygons (``force_masks`` turns boxes into polygons): vertices
  rounded to whole pixels, then filled with OpenCV's ``fillPoly``, which
  treats pixel ``(c, r)`` as the point ``(c, r)`` and marks every pixel the
  closed outline touches: a ``w`` by ``h`` integer box gives ``(w + 1)(h + 1)``
  pixels, one row and column more than lbconvert's centre rule. VOC objects
  have no ``<polygon>``, so their forced masks are empty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import shapely
from PIL import Image, ImageDraw

import lbconvert

from ..inline import box, composite_mask, composite_png, polygon, row, write_export
from .conftest import need

#: lbconvert's class ids: the order classes are first seen in the export.
CLASSES = ["zebra", "car", "mole"]
L_SHAPE = ((4, 30), (24, 30), (24, 40), (14, 40), (14, 50), (4, 50))
TRIANGLE = ((3.25, 2.25), (30.75, 4), (12, 20.75))
NEGATIVES = {"empty", "unlabeled"}


@dataclass(frozen=True)
class Shape:
    """One exported object and the geometry the expectations derive from."""

    name: str
    kind: str  # "box", "polygon" or "mask"
    vertices: tuple[tuple[float, float], ...] = ()
    pixels: np.ndarray | None = None  # the mask, for kind "mask"

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """The shape's box in continuous pixel coordinates (a mask: its pixels' outer edges)."""
        if self.kind == "mask":
            assert self.pixels is not None
            rows, columns = np.nonzero(self.pixels)
            return (float(columns.min()), float(rows.min()),
                    float(columns.max() + 1), float(rows.max() + 1))
        xs = [x for x, _ in self.vertices]
        ys = [y for _, y in self.vertices]
        return (min(xs), min(ys), max(xs), max(ys))

    @property
    def rectilinear(self) -> bool:
        """Every edge horizontal or vertical (then fillPoly marks exactly the closed lattice)."""
        ring = list(self.vertices) + [self.vertices[0]]
        return all(a[0] == b[0] or a[1] == b[1] for a, b in pairwise(ring))


def _box_shape(name: str, left: float, top: float, width: float, height: float) -> Shape:
    right, bottom = left + width, top + height
    return Shape(name, "box", ((left, top), (right, top), (right, bottom), (left, bottom)))


@dataclass(frozen=True)
class Picture:
    """One drawn image and the objects exported on it (export order)."""

    stem: str
    suffix: str
    width: int
    height: int
    shapes: tuple[Shape, ...]

    @property
    def file_name(self) -> str:
        return self.stem + self.suffix


def _blob() -> np.ndarray:
    blob = np.zeros((48, 64), dtype=bool)
    blob[30:40, 40:60] = True
    return blob


PICTURES = (
    Picture("a", ".png", 80, 60, (
        _box_shape("zebra", 10.25, 5.75, 20.5, 12.25),
        Shape("car", "polygon", L_SHAPE),
        _box_shape("mole", 70, 50, 20, 20),  # past the bottom right corner
    )),
    Picture("b", ".jpg", 64, 48, (
        Shape("car", "polygon", TRIANGLE),
        Shape("mole", "mask", pixels=_blob()),
        _box_shape("zebra", 0, 0, 8, 6),
    )),
    Picture("empty", ".png", 50, 40, ()),
    Picture("unlabeled", ".png", 40, 30, ()),
)
BY_STEM = {picture.stem: picture for picture in PICTURES}


def _export(tmp: Path) -> tuple[Path, Path, Path]:
    """Draw the images and the composite mask; write the export. (export, images, masks)"""
    images, masks = tmp / "images", tmp / "masks"
    images.mkdir()
    masks.mkdir()
    composite_png(masks / "cm1.png", [((200, 10, 10), _blob())])
    rows = []
    for picture in PICTURES:
        image = Image.new("RGB", (picture.width, picture.height), (20, 20, 20))
        draw = ImageDraw.Draw(image)
        objects = []
        for shape in picture.shapes:
            if shape.kind == "mask":
                assert shape.pixels is not None
                image.paste((200, 10, 10), mask=Image.fromarray(shape.pixels))
                objects.append(composite_mask(shape.name, "cm1", (200, 10, 10)))
                continue
            draw.polygon(shape.vertices, outline=(230, 230, 60))
            if shape.kind == "box":
                (left, top), _, (right, bottom), _ = shape.vertices
                objects.append(box(shape.name, left, top, right - left, bottom - top))
            else:
                objects.append(polygon(shape.name, shape.vertices))
        image.save(images / picture.file_name, quality=95)
        record = row(picture.file_name, objects, picture.width, picture.height)
        if picture.stem == "unlabeled":
            record["projects"] = {}
        rows.append(record)
    return write_export(tmp / "export.ndjson", rows), images, masks


@pytest.fixture(scope="module")
def sv() -> ModuleType:
    return need("supervision")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return _export(tmp_path_factory.mktemp("supervision"))


def _convert(source: tuple[Path, Path, Path], to: str, out: Path, **options: Any) -> None:
    export, _, masks = source
    report = lbconvert.convert(export, to, out, masks=masks, **options)
    assert report.is_balanced(), report.to_dict()
    assert report.dropped == {} and report.warnings == {}, report.to_dict()
    assert report.items == len(PICTURES)
    assert report.annotations_written == sum(len(p.shapes) for p in PICTURES)


def _loaded(dataset: Any) -> dict[str, tuple[tuple[int, ...], Any]]:
    """stem -> (shape of the image supervision reads, its Detections)."""
    seen = {}
    for path, image, detections in dataset:
        seen[Path(path).stem] = (image.shape, detections)
    assert sorted(seen) == sorted(BY_STEM), seen.keys()  # negatives included
    for stem, (shape, detections) in seen.items():
        picture = BY_STEM[stem]
        assert shape == (picture.height, picture.width, 3), stem
        assert len(detections) == len(picture.shapes), stem
    assert {stem for stem, (_, detections) in seen.items() if not len(detections)} == NEGATIVES
    return seen


def _names(classes: list[str], detections: Any) -> list[str]:
    return [classes[index] for index in detections.class_id]


def _clipped(extent: tuple[float, ...], picture: Picture) -> tuple[float, ...]:
    x1, y1, x2, y2 = extent
    w, h = picture.width, picture.height
    return (max(x1, 0), max(y1, 0), min(x2, w), min(y2, h))


def _closed_lattice(vertices: Any, picture: Picture) -> np.ndarray:
    """Pixels (c, r) whose point (c, r) lies in the polygon or on its outline,
    after rounding the vertices as supervision does (``np.round``)."""
    ring = shapely.Polygon(np.round(np.asarray(vertices, dtype=np.float64)))
    rows, columns = np.mgrid[0:picture.height, 0:picture.width]
    return shapely.intersects_xy(ring, columns, rows)


def _assert_fill(mask: np.ndarray, vertices: Any, picture: Picture, exact: bool) -> None:
    """``mask`` is the fillPoly of ``vertices``: exactly the closed lattice for
    horizontal and vertical edges; otherwise at least that lattice and at most
    the pixels within one pixel of the outline."""
    lattice = _closed_lattice(vertices, picture)
    if exact:
        assert int(mask.sum()) == int(lattice.sum())
        assert np.array_equal(mask, lattice)
        return
    assert not (lattice & ~mask).any()
    ring = shapely.Polygon(np.round(np.asarray(vertices, dtype=np.float64)))
    rows, columns = np.mgrid[0:picture.height, 0:picture.width]
    near = shapely.dwithin(ring, shapely.points(columns, rows), 1.0)
    assert not (mask & ~near).any()


def _dilated(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` grown by one pixel in each of the eight directions."""
    grown = pixels.copy()
    grown[1:] |= pixels[:-1]
    grown[:-1] |= pixels[1:]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    return grown


def _tolerance(picture: Picture) -> np.ndarray:
    """YOLO's 6-decimal normalised coordinates, back in pixels."""
    return 1e-6 * np.array([picture.width, picture.height] * 2)


def test_coco(sv: ModuleType, source: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _convert(source, "coco", tmp_path / "coco")
    dataset = sv.DetectionDataset.from_coco(
        images_directory_path=str(source[1]),
        annotations_path=str(tmp_path / "coco" / "annotations.json"), force_masks=True)
    assert dataset.classes == CLASSES
    for stem, (_, detections) in _loaded(dataset).items():
        picture = BY_STEM[stem]
        assert _names(dataset.classes, detections) == [s.name for s in picture.shapes]
        if not picture.shapes:
            continue
        # bbox as written (not clipped without --clip); the values are
        # exact in float32, so the comparison is exact
        expected = np.array([s.extent for s in picture.shapes], dtype=np.float32)
        assert np.array_equal(detections.xyxy, expected), (stem, detections.xyxy)
        assert detections.data["iscrowd"].tolist() == [0] * len(picture.shapes)
        areas = [
            int(s.pixels.sum()) if s.pixels is not None else shapely.Polygon(s.vertices).area
            for s in picture.shapes
        ]
        assert detections.data["area"].tolist() == areas
        assert detections.mask.shape == (len(picture.shapes), picture.height, picture.width)
        for shape, mask in zip(picture.shapes, detections.mask):
            if shape.kind == "mask":  # compressed RLE, decoded pixel for pixel
                assert np.array_equal(mask, shape.pixels)
            else:  # the box's 4-corner polygon, or the polygon
                _assert_fill(mask, shape.vertices, picture, exact=shape.rectilinear)
    # the counts, spelt out for the record
    counts = {stem: detections.mask.sum(axis=(1, 2)).tolist()
              for stem, (_, detections) in _loaded(dataset).items() if len(detections)}
    assert counts["a"] == [22 * 13, 300 + 80 // 2 + 1, 10 * 10]  # L: Pick, A + B/2 + 1
    assert counts["b"][1:] == [200, 9 * 7]


@pytest.mark.parametrize("task", ["detect", "segment"])
def test_yolo(sv: ModuleType, source: tuple[Path, Path, Path], tmp_path: Path, task: str) -> None:
    out = tmp_path / task
    options = {"boxes_from_shapes": True} if task == "detect" else {"boxes_as_polygons": True}
    _convert(source, "yolo", out, task=task, images=source[1], image_mode="copy", **options)
    dataset = sv.DetectionDataset.from_yolo(
        images_directory_path=str(out / "images" / "train"),
        annotations_directory_path=str(out / "labels" / "train"),
        data_yaml_path=str(out / "data.yaml"), force_masks=True)
    assert dataset.classes == CLASSES
    for stem, (_, detections) in _loaded(dataset).items():
        picture = BY_STEM[stem]
        assert _names(dataset.classes, detections) == [s.name for s in picture.shapes]
        assert (out / "labels" / "train" / f"{stem}.txt").is_file()  # negatives explicit
        if not picture.shapes:
            continue
        expected = []
        for shape in picture.shapes:
            x1, y1, x2, y2 = _clipped(shape.extent, picture)
            if task == "segment" and shape.kind == "mask":
                # the contour runs through the centres of the boundary pixels
                x1, y1, x2, y2 = x1 + 0.5, y1 + 0.5, x2 - 0.5, y2 - 0.5
            expected.append((x1, y1, x2, y2))
        error = np.abs(detections.xyxy - np.array(expected))
        assert (error <= _tolerance(picture)).all(), (stem, detections.xyxy, expected)
        assert detections.mask.shape == (len(picture.shapes), picture.height, picture.width)
        for shape, box_xyxy, mask in zip(picture.shapes, expected, detections.mask):
            if task == "detect" or shape.kind == "box":  # a box, made a polygon
                x1, y1, x2, y2 = box_xyxy
                corners = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
                _assert_fill(mask, corners, picture, exact=True)
            elif shape.kind == "polygon":
                _assert_fill(mask, shape.vertices, picture, exact=shape.rectilinear)
            else:
                # the traced ring lies on pixel centres (x.5), which supervision
                # rounds to whole pixels: 6-decimal noise decides each tie, so
                # the mask is the PNG's give or take its rim (here 21 x 10 pixels
                # at columns 40..60, rows 31..40, for the PNG's 20 x 10 at 40..59, 30..39)
                assert shape.pixels is not None
                inner = ~_dilated(~shape.pixels)
                assert not (inner & ~mask).any()
                assert not (mask & ~_dilated(shape.pixels)).any()
    if task == "detect":  # the counts, spelt out for the record
        masks = _loaded(dataset)["a"][1].mask
        assert masks.sum(axis=(1, 2)).tolist() == [22 * 13, 21 * 21, 10 * 10]


def test_voc(sv: ModuleType, source: tuple[Path, Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "voc"
    _convert(source, "voc", out)
    dataset = sv.DetectionDataset.from_pascal_voc(
        images_directory_path=str(source[1]),
        annotations_directory_path=str(out / "Annotations"), force_masks=True)
    # supervision names the classes itself: the sorted names of the first XML
    # (a.xml), then any new ones; lbconvert's labelmap.txt keeps CLASSES
    assert dataset.classes == sorted(CLASSES)
    assert (out / "labelmap.txt").read_text().splitlines()[2:] == [
        "zebra:128,0,0::", "car:0,128,0::", "mole:128,128,0::"]
    for stem, (_, detections) in _loaded(dataset).items():
        picture = BY_STEM[stem]
        assert _names(dataset.classes, detections) == [s.name for s in picture.shapes]
        assert (out / "Annotations" / f"{stem}.xml").is_file()  # negatives explicit
        assert detections.mask.shape == (len(picture.shapes), picture.height, picture.width)
        assert not detections.mask.any()  # no <polygon> in the XML
        if not picture.shapes:
            continue
        expected = []
        for shape in picture.shapes:
            left, top, right, bottom = shape.extent
            # the README's bndbox: 1-based inclusive, clipped to 1..W / 1..H
            xmin = min(max(math.floor(left) + 1, 1), picture.width)
            ymin = min(max(math.floor(top) + 1, 1), picture.height)
            xmax = min(max(math.ceil(right), 1), picture.width)
            ymax = min(max(math.ceil(bottom), 1), picture.height)
            # supervision: (xmin - 1, ymin - 1, xmax, ymax), the whole pixels covered
            expected.append((xmin - 1, ymin - 1, xmax, ymax))
        assert np.array_equal(detections.xyxy, np.array(expected, dtype=np.float32)), stem
    boxes = {stem: d.xyxy.tolist() for stem, (_, d) in _loaded(dataset).items() if len(d)}
    assert boxes["a"][0] == [10, 5, 31, 18]  # 10.25, 5.75 .. 30.75, 18 rounded outwards
    assert boxes["b"][1] == [40, 30, 60, 40]  # the mask's pixels, columns 40..59, rows 30..39
