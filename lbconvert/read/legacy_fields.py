"""Typed access to the fields of a legacy export record (see
:mod:`lbconvert.read.legacy`): each check returns the field's value or raises
:class:`BadField` naming the field's JSON path and what is wrong with it.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar

from ..model import Point

__all__ = [
    "BadField",
    "require_object",
    "each",
    "coordinate_field",
    "list_field",
    "optional_str",
    "number_or_none",
    "json_type",
    "parse_points",
    "parse_point",
]

_T = TypeVar("_T")


class BadField(Exception):
    """Raised inside the converter with the JSON path of the bad field
    (:func:`lbconvert.read.legacy.from_dict` makes it an ExportFormatError)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path, self.reason = path, reason


def require_object(value: Any, path: str) -> None:
    """Refuse ``value`` at ``path`` unless it is a JSON object."""
    if not isinstance(value, dict):
        raise BadField(path, f"expected an object, got {json_type(value)}")


def each(items: Any, path: str, parse: Callable[[Any, str], _T], expected: str) -> tuple[_T, ...]:
    """``parse`` of every element of the JSON array ``items``, each with its
    path ``path[i]``; anything but an array is refused as not ``expected``."""
    if not isinstance(items, list):
        raise BadField(path, f"expected {expected}, got {json_type(items)}")
    return tuple(parse(item, f"{path}[{i}]") for i, item in enumerate(items))


def coordinate_field(mapping: dict[str, Any], key: str, path: str) -> float:
    """The number ``mapping[key]`` as a float; refused when missing, not a
    number, or too large for a float."""
    if key not in mapping:
        raise BadField(path, f"missing '{key}'")
    value = mapping[key]
    if not _is_number(value):
        raise BadField(f"{path}.{key}", f"expected a number, got {json_type(value)}")
    number = _float_or_none(value)
    if number is None:
        raise BadField(f"{path}.{key}", "number out of range")
    return number


def list_field(mapping: dict[str, Any], key: str, path: str) -> list[Any]:
    """The list ``mapping[key]``; ``[]`` when missing or null, refused when not a list."""
    value = mapping.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadField(f"{path}.{key}", f"expected a list, got {json_type(value)}")
    return value


def optional_str(mapping: dict[str, Any], key: str, path: str = "") -> Optional[str]:
    """The string ``mapping[key]`` (a number as its text); None when missing or
    null, refused when anything else."""
    value = mapping.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise BadField(f"{path}.{key}".lstrip("."), f"expected a string, got {json_type(value)}")


def parse_points(points: Any, path: str) -> tuple[Point, ...]:
    """A list of points (see :func:`parse_point`)."""
    return each(points, path, parse_point, "a list of points")


def parse_point(point: Any, path: str) -> Point:
    """A point ``{x, y}`` of numbers."""
    require_object(point, path)
    return Point(x=coordinate_field(point, "x", path), y=coordinate_field(point, "y", path))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number_or_none(value: Any) -> Optional[float]:
    """``value`` as a float when it is a number a float can hold, else None."""
    return _float_or_none(value) if _is_number(value) else None


def _float_or_none(value: "int | float") -> Optional[float]:
    """The number as a finite float; None for an integer too large for one
    (JSON integers have no bound: ``"Seconds to Label": 111…1``)."""
    try:
        return float(value)  # JSON holds no NaN or infinity: finite when it converts
    except OverflowError:
        return None


#: The JSON names of the Python types of decoded JSON, as error messages say them.
_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    type(None): "null",
    int: "number",
    float: "number",
}


def json_type(value: Any) -> str:
    """The JSON name of ``value``'s type, as error messages say it."""
    return _JSON_TYPES.get(type(value), type(value).__name__)
