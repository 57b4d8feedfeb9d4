"""The Pascal VOC colour map and deterministic PNG output, shared by the
``voc`` and ``masks`` writers.

Class index ``k`` is drawn in colour ``voc_colormap()[k]``: index 0 (background)
is black, 1 is ``(128, 0, 0)``, 2 ``(0, 128, 0)``, … and 255 (void / ignore)
``(224, 224, 192)``, exactly as in the VOC devkit's ``labelcolormap``.  The
bits of the index are spread over the three channels from the high bit down,
so any index below 2**24 gets a distinct colour.

PNGs are written by Pillow with no metadata (no time, no text chunks), so the
same array always gives the same bytes.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["voc_colormap", "voc_palette", "save_palette_png", "save_png16"]


def voc_colormap(count: int = 256) -> list[tuple[int, int, int]]:
    """The VOC colours ``(r, g, b)`` of indices ``0 .. count-1`` (plain Python:
    writers that only need colours for a label map need not load numpy)."""
    colors = []
    for index in range(count):
        rgb = [0, 0, 0]
        for shift in range(8):
            for channel in range(3):
                rgb[channel] |= ((index >> (3 * shift + channel)) & 1) << (7 - shift)
        colors.append((rgb[0], rgb[1], rgb[2]))
    return colors


@lru_cache(maxsize=1)
def _palette() -> tuple[int, ...]:
    return tuple(value for rgb in voc_colormap(256) for value in rgb)


def voc_palette() -> list[int]:
    """The 256-entry VOC palette flattened to ``[r0, g0, b0, r1, …]`` for Pillow."""
    return list(_palette())


def save_palette_png(path: "str | os.PathLike[str]", indices: np.ndarray) -> None:
    """Write a 2-D uint8 array as an 8-bit palette PNG with the VOC palette."""
    import numpy as np

    image = _from_array(np.ascontiguousarray(indices, dtype=np.uint8))
    image.putpalette(_palette())  # "L" becomes "P": the bytes are the indices
    image.save(path, format="PNG")


def save_png16(path: "str | os.PathLike[str]", values: np.ndarray) -> None:
    """Write a 2-D array of values below 65536 as a 16-bit greyscale PNG (mode ``I;16``)."""
    import numpy as np

    image = _from_array(np.ascontiguousarray(values, dtype="<u2"))
    image.save(path, format="PNG")


def _from_array(array: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(array)
