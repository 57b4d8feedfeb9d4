"""Pascal VOC XML back to Labelbox bounding boxes.

Input: a dataset directory lbconvert wrote (``Annotations/<stem>.xml``), a
folder of VOC XML files, or one XML file; files are read in sorted order.
Each file is matched to a data row by its stem in the manifest, else by its
``<filename>``.

Coordinates.  lbconvert's VOC writer (:func:`lbconvert.write.voc.voc_bndbox`)
stores the smallest run of whole pixels containing the box, 1-based and
inclusive at both ends: ``xmin = floor(left) + 1``, ``xmax = ceil(left +
width)`` (y alike), clipped to the image.  The inverse read here is::

    left = xmin - 1        width  = xmax - xmin + 1
    top  = ymin - 1        height = ymax - ymin + 1

It is exact for boxes whose edges lay on whole pixels and inside the image
(the usual case for labels drawn in the Labelbox editor).  It is **not
invertible** otherwise, and the box read back is the pixel-aligned box that
contains the original: each edge is at most 1 pixel outside the original
(``left``/``top`` move left/up by the fractional part, ``right``/``bottom``
right/down by 1 minus it), and a box clipped at the border (``truncated`` 1)
comes back clipped.  Polygons and masks were written as their bounding box,
so they come back as boxes.  Float values in ``bndbox`` (other tools write
them) are read by the same rule.

``<score>`` or ``<confidence>`` inside an ``<object>`` (some detectors' VOC
output) becomes the confidence (an empty one counts as missing).  An
``<object>`` without a ``name`` or a complete numeric ``bndbox``, or with a
score, confidence or edge that is not a number, is an error naming the file,
the object and the tag.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator, Optional

from ..errors import ExportFormatError, LbConvertError
from ..report import Report
from .index import ManifestIndex, files_of_dataset, item_of_file
from .ndjson import Annotation

__all__ = ["read_voc", "xml_files", "voc_box"]


def voc_box(
    xmin: float, ymin: float, xmax: float, ymax: float
) -> tuple[float, float, float, float]:
    """``(left, top, width, height)`` in pixels of a 1-based inclusive VOC box."""
    return (xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1)


def xml_files(source: Path) -> list[Path]:
    if not source.is_dir():
        return [source]
    root = source / "Annotations" if (source / "Annotations").is_dir() else source
    return sorted(root.rglob("*.xml"), key=lambda p: p.relative_to(root).as_posix())


def _number(element: Optional[ET.Element], tag: str, file: str, where: str) -> Optional[float]:
    """The number in ``<tag>`` (None when it is missing or empty); text that
    is not a number is an error, never taken for a missing value."""
    child = element.find(tag) if element is not None else None
    if child is None or child.text is None or not child.text.strip():
        return None
    try:
        return float(child.text.strip())
    except ValueError:
        raise ExportFormatError(
            file, f"<{tag}> is not a number: {child.text.strip()!r}", path=where
        ) from None


def read_voc(source: Path, index: ManifestIndex, report: Report) -> Iterator[Annotation]:
    """Every ``<object>`` of every XML file under ``source``."""
    files = files_of_dataset(
        source,
        index,
        xml_files,
        what="VOC XML files (.xml)",
        needs_manifest="VOC files do not name their data rows: give the dataset's manifest",
    )
    for path in files:
        file = str(path)
        try:
            tree = ET.parse(path)
        except (ET.ParseError, LookupError) as exc:  # LookupError: an unknown encoding
            raise LbConvertError(f"{file}: not valid XML ({exc})") from None
        item = item_of_file(index, path, tree.findtext("filename"))
        report.items += 1
        for k, obj in enumerate(tree.iterfind("object")):
            where = f"object[{k}]"
            name = (obj.findtext("name") or "").strip()
            if not name:
                raise ExportFormatError(file, "an object needs a <name>", path=where)
            bndbox = obj.find("bndbox")
            edges = [_number(bndbox, tag, file, where) for tag in ("xmin", "ymin", "xmax", "ymax")]
            numbers = [e for e in edges if e is not None]
            if len(numbers) < 4:
                raise ExportFormatError(
                    file, "<bndbox> needs numeric xmin, ymin, xmax, ymax", path=where
                )
            xmin, ymin, xmax, ymax = numbers
            report.objects_read += 1
            if xmax < xmin or ymax < ymin:
                report.drop("degenerate box")
                continue
            score = _number(obj, "score", file, where)
            if score is None:
                score = _number(obj, "confidence", file, where)
            yield Annotation(
                item,
                name,
                "bbox",
                voc_box(xmin, ymin, xmax, ymax),
                score,
                f"{path.name}\x00{where}",
            )
