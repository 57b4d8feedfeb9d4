"""Finding an item's image file in the directories the user gave, and reading its size.

Shared by the select stage (image sizes) and the writers that place images
(YOLO ``images/``, COCO's coco2017 layout).  Never looks outside the given
directories.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlparse

from .model import Item
from .names import IMAGE_EXTENSIONS, split_image_extension, strip_image_extension
from .options import Options

__all__ = ["find_image", "image_file", "ordered_names", "frame_size", "url_name", "read_image_size"]


def ordered_names(
    global_key: Optional[str], external_id: Optional[str], data_row_id: str, name_by: Optional[str]
) -> list[str]:
    """A row's candidate names, in the order that names its files."""
    names = [global_key, external_id, data_row_id]
    if name_by:
        names.insert(0, names.pop(("global_key", "external_id", "id").index(name_by)))
    return [name for name in names if name]


def find_image(item: Item, options: Options) -> Optional[Path]:
    """The image file of an item, never outside the directories given.

    Video frames: ``frames_dir/<video stem>/<frame>.<ext>`` (frame number as
    exported, or zero-padded to 6 digits; for DICOM the directory is
    ``<stem>_<group>``), else ``images/<stem>_<frame:06d>.<ext>``.  Images:
    ``images/<name>`` for the global key, external id, data row id (in
    ``name_by`` order) and the row-data URL's file name, with the name's own
    extension or any image extension.
    """
    if item.frame is not None and options.frames_dir is not None:
        found = image_file(
            options.frames_dir / item.stem[:-7], [str(item.frame), f"{item.frame:06d}"]
        )
        if found is not None:
            return found
    if options.images is None:
        return None
    if item.frame is not None or item.page is not None:
        return image_file(options.images, [item.file_name])
    names = ordered_names(item.global_key, item.external_id, item.data_row_id, options.name_by)
    names += [url_name(item.row_data), item.file_name]
    return image_file(options.images, [n for n in names if n])


def frame_size(directory: Path) -> tuple[Optional[int], Optional[int]]:
    """The size of the first extracted frame image in ``directory``."""
    if not directory.is_dir():
        return None, None
    first = min((p for p in directory.iterdir() if split_image_extension(p.name)[1]), default=None)
    return (None, None) if first is None else read_image_size(first)


def url_name(url: Optional[str]) -> str:
    if not url:
        return ""
    try:
        return unquote(os.path.basename(urlparse(url).path))
    except ValueError:
        return ""


def image_file(directory: Path, names: list[str]) -> Optional[Path]:
    """The first existing image for these names, never outside ``directory``."""
    for name in names:
        if not name or name != os.path.basename(name) or name in (".", ".."):
            continue
        candidates = [name] if split_image_extension(name)[1] else []
        candidates += [strip_image_extension(name) + ext for ext in IMAGE_EXTENSIONS]
        for candidate in candidates:
            path = directory / candidate
            if _is_file(path):
                return path
    return None


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for a name the file system refuses (too long:
    ENAMETOOLONG, or otherwise unusable): that image cannot be there."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def read_image_size(path: Path) -> tuple[Optional[int], Optional[int]]:
    """Width and height from the image header only (Pillow opens lazily)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
            return int(width), int(height)
    except (
        OSError,
        ValueError,
        SyntaxError,
        ImportError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
    ):
        # ImportError: a plugin another package registered (a HEIF opener) lacks its module
        return None, None
