"""A checker of Labelbox annotation-import NDJSON lines, written from the docs.

Sources: docs.labelbox.com "Import image annotations" / "Create the import
file" (uuid, dataRow, name or schemaId, one geometry per line, masks as
instanceURI + colorRGB), and the SDK's serialisers
(labelbox/data/serialization/ndjson/base.py, objects.py: DataRow must set
exactly one of id / globalKey; NDRectangle ``bbox {top, left, height,
width}``; NDPolygon / NDLine lists of ``{x, y}``; NDPoint ``{x, y}``; NDMask
``{instanceURI, colorRGB}`` or ``{png}`` with a binary PNG;
ConfidenceMixin ``confidence`` in [0, 1]; NDDocumentRectangle ``page`` +
``unit``; NDSegments ``segments[].keyframes[]`` with ``frame`` and one of
``bbox``, ``point``, ``line``).  Stricter than the SDK, which ignores
unknown keys: any key not listed is an error here.
"""

from __future__ import annotations

import base64
import io
import uuid
from typing import Any, Iterable

GEOMETRY_KEYS = ("bbox", "polygon", "line", "point", "mask", "segments")
ALLOWED = {"uuid", "dataRow", "name", "schemaId", "classifications", "confidence", "page",
           "unit", *GEOMETRY_KEYS}
UNITS = {"INCHES", "PIXELS", "POINTS", "PERCENT"}  # RectangleUnit of the SDK


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _xy(value: Any, where: str) -> None:
    assert isinstance(value, dict) and set(value) == {"x", "y"}, f"{where}: not {{x, y}}: {value}"
    assert _number(value["x"]) and _number(value["y"]), f"{where}: x, y must be numbers"


def _bbox(value: Any, where: str) -> None:
    assert isinstance(value, dict) and set(value) == {"top", "left", "height", "width"}, \
        f"{where}: bbox needs exactly top, left, height, width: {value}"
    assert all(_number(v) for v in value.values()), f"{where}: bbox values must be numbers"
    assert value["width"] >= 0 and value["height"] >= 0, f"{where}: negative bbox side"


def _points(value: Any, least: int, where: str) -> None:
    assert isinstance(value, list) and len(value) >= least, \
        f"{where}: needs at least {least} points"
    for point in value:
        _xy(point, where)


def _mask(value: Any, where: str) -> None:
    from PIL import Image
    import numpy as np

    assert isinstance(value, dict), f"{where}: mask must be an object"
    if set(value) == {"png"}:
        image = Image.open(io.BytesIO(base64.b64decode(value["png"], validate=True)))
        assert image.format == "PNG", f"{where}: mask.png is not a PNG"
        assert np.asarray(image).max() <= 1, f"{where}: mask.png must be binary (0/1)"
        return
    assert set(value) == {"instanceURI", "colorRGB"}, f"{where}: mask keys {sorted(value)}"
    assert isinstance(value["instanceURI"], str) and value["instanceURI"], where
    color = value["colorRGB"]
    assert isinstance(color, list) and len(color) == 3 and all(
        isinstance(c, int) and 0 <= c <= 255 for c in color), f"{where}: colorRGB {color}"


def check_line(line: dict[str, Any], where: str = "line") -> None:
    """Raise AssertionError naming what is wrong with one import line."""
    assert isinstance(line, dict), f"{where}: not an object"
    unknown = set(line) - ALLOWED
    assert not unknown, f"{where}: unknown keys {sorted(unknown)}"
    uuid.UUID(line["uuid"])
    row = line["dataRow"]
    assert isinstance(row, dict) and len(row) == 1 and set(row) <= {"id", "globalKey"}, \
        f"{where}: dataRow needs exactly one of id, globalKey: {row}"
    assert isinstance(next(iter(row.values())), str) and next(iter(row.values())), where
    assert isinstance(line.get("name") or line.get("schemaId"), str), f"{where}: no name"
    geometries = [k for k in GEOMETRY_KEYS if k in line]
    assert len(geometries) == 1, f"{where}: needs exactly one geometry, has {geometries}"
    kind = geometries[0]
    if "confidence" in line:
        assert kind != "segments", f"{where}: video segments take no confidence"
        assert _number(line["confidence"]) and 0 <= line["confidence"] <= 1, \
            f"{where}: confidence {line['confidence']}"
    if "page" in line or "unit" in line:
        assert kind == "bbox" and isinstance(line.get("page"), int) and line["page"] >= 1 \
            and line.get("unit") in UNITS, f"{where}: page/unit"
    value = line[kind]
    if kind == "bbox":
        _bbox(value, where)
    elif kind == "polygon":
        _points(value, 3, where)
    elif kind == "line":
        _points(value, 2, where)
    elif kind == "point":
        _xy(value, where)
    elif kind == "mask":
        _mask(value, where)
    else:
        assert isinstance(value, list) and value, f"{where}: segments must be a list"
        for segment in value:
            assert set(segment) == {"keyframes"} and segment["keyframes"], where
            for frame in segment["keyframes"]:
                shapes = set(frame) - {"frame", "classifications"}
                assert isinstance(frame.get("frame"), int) and frame["frame"] >= 0, where
                assert len(shapes) == 1 and shapes <= {"bbox", "point", "line"}, \
                    f"{where}: keyframe shapes {sorted(shapes)}"
                shape = shapes.pop()
                {"bbox": _bbox, "point": _xy,
                 "line": lambda v, w: _points(v, 2, w)}[shape](frame[shape], where)


def check_file(lines: Iterable[dict[str, Any]]) -> int:
    """Check every line and that no two share a uuid; return the count."""
    seen: set[str] = set()
    count = 0
    for number, line in enumerate(lines, 1):
        check_line(line, f"line {number}")
        assert line["uuid"] not in seen, f"line {number}: uuid repeated"
        seen.add(line["uuid"])
        count += 1
    return count
