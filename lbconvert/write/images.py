"""Putting the source images beside a dataset: symlink, copy or hard link."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

from ..errors import OutputError
from ..images import find_image
from ..model import Item
from ..options import ImageMode, Options
from ..report import Report

__all__ = ["place_image", "place_item_image", "IMAGE_MISSING"]

#: The warning of an item whose image file is not in the directories given.
IMAGE_MISSING = "image file missing"


def place_item_image(
    item: Item, stem: str, directory: Path, options: Options, report: Report
) -> Optional[str]:
    """Find the item's image (:func:`lbconvert.images.find_image`) and place
    it as ``directory/<stem><its extension>``; that name, or None (counted
    as a warning) when the image is not there."""
    source = find_image(item, options)
    if source is None:
        report.warnings[IMAGE_MISSING] += 1
        return None
    name = stem + source.suffix
    place_image(source, directory / name, options.image_mode)
    return name


def place_image(source: Path, target: Path, mode: ImageMode) -> None:
    """``target`` becomes ``source``: an absolute symlink (``link``), a copy,
    or a hard link (an :class:`OutputError` across file systems)."""
    if mode == "copy":
        shutil.copyfile(source, target)
    elif mode == "hardlink":
        try:
            os.link(source, target)
        except OSError as exc:
            raise OutputError(
                f"cannot hard-link {source} to {target.name} ({exc}); use --copy or --link"
            ) from exc
    else:
        os.symlink(os.path.abspath(source), target)
