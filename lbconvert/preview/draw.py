"""Draw one item's annotations on its thumbnail, with Pillow and numpy only.

The thumbnail keeps the item's aspect ratio: its longest side is ``max_side``
pixels and the other is scaled by the same factor ``s`` and rounded (never
letterboxed, never cropped).  A point ``(x, y)`` of the image (float pixels,
origin at the top-left corner) lands at ``(x·s, y·s)`` in the thumbnail.

* the background is the item's image resized to the thumbnail (Pillow's
  JPEG draft mode decodes large JPEGs at a reduced size first), or without
  one a neutral canvas (:data:`CANVAS`, a grey no class colour uses);
* masks: a translucent fill of the class colour, ``FILL_ALPHA`` times the
  fraction of each thumbnail pixel the mask covers (box-filter downscale), so
  a pixel wholly inside a mask becomes ``(1 - a)·background + a·colour``;
  instance masks also get an opaque one-pixel outline;
* boxes: an opaque outline ``LINE`` pixels wide drawn inward along the box's
  edges — thumbnail columns ``round(left·s) .. round(right·s) - 1`` (rows
  likewise);
* polygons: their closed rings, ``LINE`` pixels wide, through the
  vertices ``(x·s - 0.5, y·s - 0.5)`` (Pillow addresses pixel centres);
* keypoints: dots of the class colour with a white rim and their names;
* every object gets a label with its class name in a box of its colour at
  its top-left corner.

Colours: one per class, the masks palette's (:mod:`lbconvert.write.palette`).
"""

from __future__ import annotations

from functools import lru_cache
from math import ceil, floor
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from .common import open_image
from .model import Box, Keypoints, MaskShape, Polygon, Shape

__all__ = ["CANVAS", "FILL_ALPHA", "LINE", "thumbnail_size", "render"]

#: The neutral canvas of an item without an image (no palette colour below index 4096).
CANVAS = (200, 200, 200)
#: Opacity of a mask's fill where it covers a whole thumbnail pixel.
FILL_ALPHA = 0.45
#: Outline width of boxes and polygons, in thumbnail pixels.
LINE = 2
#: Thumbnail coordinates are held within +-FAR: Pillow fails on values beyond
#: 64-bit integers (a COCO box at 1e300), and a point that far draws the same.
FAR = float(1 << 40)
RGB = tuple[int, int, int]


def thumbnail_size(width: int, height: int, max_side: int) -> tuple[int, int, float]:
    """``(thumbnail width, height, scale)``: the longest side becomes ``max_side``."""
    scale = max_side / max(width, height, 1)
    return max(1, round(width * scale)), max(1, round(height * scale)), scale


def render(
    shapes: Sequence[Shape],
    width: int,
    height: int,
    colors: dict[str, RGB],
    max_side: int = 480,
    image_path: Optional[Path] = None,
) -> Image.Image:
    """The thumbnail of an item of ``width`` x ``height`` pixels with its shapes drawn."""
    thumb_w, thumb_h, scale = thumbnail_size(width, height, max_side)
    background = _background(image_path, thumb_w, thumb_h)
    pixels = np.asarray(background, dtype=np.float32).copy()
    labels: list[tuple[str, float, float]] = []
    outlines: list[tuple[np.ndarray, int, int, RGB]] = []
    for shape in shapes:
        if isinstance(shape, MaskShape):
            found = _coverage(shape, thumb_w, thumb_h)
            if found is None:
                continue
            coverage, left, top = found
            window = pixels[top : top + coverage.shape[0], left : left + coverage.shape[1]]
            color = colors.get(shape.name, (255, 255, 255))
            if shape.fill:
                alpha = coverage * (FILL_ALPHA / 255.0)
                window += alpha[..., None] * (np.asarray(color, np.float32) - window)
            if shape.outline:
                outlines.append((_edge(coverage >= 128), left, top, color))
            place = _top_left(coverage >= 128) if shape.label else None
            if place is not None:
                labels.append((shape.name, place[0] + left, place[1] + top))
    for edge, left, top, color in outlines:
        pixels[top : top + edge.shape[0], left : left + edge.shape[1]][edge] = color
    image = Image.fromarray(np.rint(pixels).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        color = colors.get(shape.name, (255, 255, 255))
        if isinstance(shape, Polygon):
            for ring in shape.rings:
                if len(ring) >= 2:
                    points = [(_far(x * scale - 0.5), _far(y * scale - 0.5)) for x, y in ring]
                    draw.line(points + [points[0]], fill=color, width=LINE, joint="curve")
            xs = [x for ring in shape.rings for x, _ in ring]
            ys = [y for ring in shape.rings for _, y in ring]
            if xs:
                labels.append((shape.name, _far(min(xs) * scale), _far(min(ys) * scale)))
        elif isinstance(shape, Box):
            x0, y0, x1, y1 = _box_pixels(shape, scale)
            draw.rectangle((x0, y0, x1, y1), outline=color, width=LINE)
            labels.append((shape.name, x0, y0))
    for shape in shapes:
        if isinstance(shape, Keypoints):
            _keypoints(draw, shape, scale, colors.get(shape.name, (255, 255, 255)))
    for name, x, y in labels:
        _label(draw, name, x, y, colors.get(name, (255, 255, 255)), image.size)
    return image


def _background(path: Optional[Path], width: int, height: int) -> Image.Image:
    if path is None:
        return Image.new("RGB", (width, height), CANVAS)
    with open_image(path) as source:
        source.draft("RGB", (width, height))  # JPEG: decode at 1/2, 1/4 or 1/8 size
        image: Image.Image = source.convert("RGB")
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image


def _coverage(shape: MaskShape, width: int, height: int) -> Optional[tuple[np.ndarray, int, int]]:
    """The fraction (0..255) of each thumbnail pixel the mask covers, in the window
    of the thumbnail around the mask (one pixel wider on every side, so that its
    edge is inside the window): ``(coverage, left, top)``; None for an empty mask.
    Only the mask's bounding box is resampled (Pillow's box filter)."""
    extent = shape.extent()
    if extent is None:
        return None
    src_h, src_w = shape.pixels.shape
    sx, sy = width / src_w, height / src_h
    left = max(0, floor(extent[0] * sx) - 1)
    right = min(width, ceil(extent[2] * sx) + 1)
    top = max(0, floor(extent[1] * sy) - 1)
    bottom = min(height, ceil(extent[3] * sy) + 1)
    x0, x1 = floor(left / sx), min(src_w, ceil(right / sx))
    y0, y1 = floor(top / sy), min(src_h, ceil(bottom / sy))
    layer = Image.fromarray(shape.window(x0, y0, x1, y1).astype(np.uint8) * 255, "L")
    box = (left / sx - x0, top / sy - y0, right / sx - x0, bottom / sy - y0)
    layer = layer.resize((right - left, bottom - top), Image.Resampling.BOX, box=box)
    return np.asarray(layer, dtype=np.float32), left, top


def _edge(inside: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Pixels inside with a 4-neighbour outside (the image border is not an edge)."""
    padded = np.pad(inside, 1, mode="edge")
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return inside & ~interior


def _top_left(inside: np.ndarray) -> Optional[tuple[float, float]]:
    """Where a mask's label goes: its topmost row, at the first pixel of that row
    (on the mask, not at the corner of its bounding box, which may be far off it)."""
    rows = np.flatnonzero(inside.any(axis=1))
    if not len(rows):
        return None
    return float(np.argmax(inside[rows[0]])), float(rows[0])


def _box_pixels(box: Box, scale: float) -> tuple[int, int, int, int]:
    """The thumbnail pixels the box covers, first and last column and row."""
    x0, y0 = round(_far(box.left * scale)), round(_far(box.top * scale))
    x1 = max(x0, round(_far((box.left + box.width) * scale)) - 1)
    y1 = max(y0, round(_far((box.top + box.height) * scale)) - 1)
    return x0, y0, x1, y1


def _far(value: float) -> float:
    """``value`` held within +-:data:`FAR` (not a number: -FAR, off the thumbnail)."""
    if -FAR <= value <= FAR:
        return value
    return FAR if value > 0 else -FAR


def _keypoints(draw: ImageDraw.ImageDraw, shape: Keypoints, scale: float, color: RGB) -> None:
    places = [(name, _far(x * scale - 0.5), _far(y * scale - 0.5)) for name, x, y in shape.points]
    for a, b in shape.skeleton:
        if 0 <= a < len(places) and 0 <= b < len(places):
            draw.line((places[a][1:], places[b][1:]), fill=color, width=1)
    font = _font(12)
    for name, x, y in places:
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=color, outline=(255, 255, 255))
        draw.text(
            (x + 5, y - 6),
            name,
            fill=(255, 255, 255),
            font=font,
            stroke_width=1,
            stroke_fill=(0, 0, 0),
        )


def _label(
    draw: ImageDraw.ImageDraw, name: str, x: float, y: float, color: RGB, size: tuple[int, int]
) -> None:
    """The class name on a tab of its colour, above the corner when there is room."""
    font = _font(13)
    left, top, right, bottom = draw.textbbox((0, 0), name, font=font)
    tab_w, tab_h = right - left + 4, bottom - top + 3
    x = min(max(0, int(x)), max(0, size[0] - tab_w))
    y = int(y) - tab_h if y - tab_h >= 0 else min(int(y), max(0, size[1] - tab_h))
    draw.rectangle((x, y, x + tab_w - 1, y + tab_h - 1), fill=color)
    draw.text((x + 2 - left, y + 1 - top), name, fill=_text_color(color), font=font)


def _text_color(color: RGB) -> RGB:
    luminance = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
    return (0, 0, 0) if luminance > 140 else (255, 255, 255)


@lru_cache(maxsize=4)
def _font(size: int) -> Any:
    try:
        return ImageFont.load_default(size=size)  # Pillow's bundled font, with FreeType
    except (TypeError, OSError, ImportError):
        return ImageFont.load_default()
