"""The writer registry: built-in formats plus the ``lbconvert.writers`` entry points.

Writers are imported on first use.  A third-party package adds a format with::

    [project.entry-points."lbconvert.writers"]
    myformat = "mypackage.writer:MyWriter"
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from ..errors import LbConvertError
from .base import Writer, WriterOption

__all__ = ["Writer", "WriterOption", "BUILTIN_WRITERS", "writer_names", "get_writer"]

BUILTIN_WRITERS: dict[str, str] = {
    "coco": "lbconvert.write.coco:CocoWriter",
    "jsonl": "lbconvert.write.jsonl:JsonlWriter",
    "geojson": "lbconvert.write.geojson:GeoJsonWriter",
    "voc": "lbconvert.write.voc:VocWriter",
    "masks": "lbconvert.write.masks:MaskPngWriter",
    "yolo": "lbconvert.write.yolo:YoloWriter",
}

_loaded: dict[str, type[Writer]] = {}


def _known() -> dict[str, Any]:
    """Format name -> "module:Class" string or entry point; built-ins win."""
    known: dict[str, Any] = {}
    for entry in entry_points(group="lbconvert.writers"):
        known.setdefault(entry.name, entry)
    known.update(BUILTIN_WRITERS)
    return known


def writer_names() -> list[str]:
    return sorted(_known())


def get_writer(name: str) -> type[Writer]:
    """The writer class registered under ``name``."""
    if name in _loaded:
        return _loaded[name]
    target = _known().get(name)
    if target is None:
        raise LbConvertError(f"unknown format {name!r}; known: {', '.join(writer_names())}")
    if isinstance(target, str):
        module, _, attribute = target.partition(":")
        cls = getattr(importlib.import_module(module), attribute)
    else:
        cls = target.load()
    if not (isinstance(cls, type) and issubclass(cls, Writer)):
        raise LbConvertError(f"format {name!r}: {target!r} is not a subclass of lbconvert.Writer")
    _loaded[name] = cls
    return cls
