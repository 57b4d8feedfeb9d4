"""lbconvert: convert Labelbox exports into COCO, YOLO, Pascal VOC and mask PNGs, offline.

import lbconvert
for row in lbconvert.read("export.ndjson"):
    ...
"""

from __future__ import annotations

from .errors import ExportFormatError, LbConvertError, OutputError, SelectionError, StrictError
from .model import *  # noqa: F403
from .model import __all__ as _model_all
from .classes import ClassMap
from .convert import convert
from .options import ConvertOptions, Options, UnknownOptionError
from .read import ExportReader, read
from .report import Report
from .reverse import to_labelbox
from .select import Selector
from .write import Writer, WriterOption, get_writer, writer_names
from .preview import preview  # the function; its modules stay importable as lbconvert.preview.*

#: The one place the version is written (pyproject.toml reads it from here).
__version__ = "0.1.0"

__all__ = [
    "read",
    "convert",
    "to_labelbox",
    "preview",
    "Options",
    "ConvertOptions",
    "Report",
    "StrictError",
    "get_writer",
    "writer_names",
    "Writer",
    "WriterOption",
    "Selector",
    "ClassMap",
    "UnknownOptionError",
    "ExportReader",
    "LbConvertError",
    "ExportFormatError",
    "SelectionError",
    "OutputError",
    "__version__",
    *_model_all,
]
