"""Putting the source images beside a dataset: symlink, copy or hard link."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import OutputError
from ..options import ImageMode

__all__ = ["place_image"]


def place_image(source: Path, target: Path, mode: ImageMode) -> None:
    """``target`` becomes ``source``: an absolute symlink (``link``), a copy,
    or a hard link (an :class:`OutputError` across file systems)."""
    if mode == "copy":
        shutil.copyfile(source, target)
    elif mode == "hardlink":
        try:
            os.link(source, target)
        except OSError as exc:
            raise OutputError(f"cannot hard-link {source} to {target.name} ({exc}); "
                              "use --copy or --link") from exc
    else:
        os.symlink(os.path.abspath(source), target)
