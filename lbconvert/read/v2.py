"""Export v2 / ``export()`` data rows: one JSON object per data row.

NDJSON lines are decoded straight into the model by a typed msgspec decoder:
fields nobody uses (details, attachments, reviews …) are skipped in C and
never become Python objects.  When that strict decode fails, the line is
parsed again as plain JSON, objects of kinds this version does not model are
wrapped as :class:`~lbconvert.model.UnknownAnnotation`, and the result is
validated again; whatever still fails is a malformed record and raises
:class:`~lbconvert.errors.ExportFormatError` with the JSON path of the bad
field.  Elements of a JSON array take the same two routes.
"""

from __future__ import annotations

import re
from typing import Any, Optional, TypedDict

import msgspec

from ..errors import ExportFormatError
from ..model import OBJECT_CLASSES, UNKNOWN_KIND, DataRow

__all__ = ["decode_record", "decode_line", "fast_decode", "from_dict", "dispatch"]

_decoder = msgspec.json.Decoder(DataRow)
#: Decode a line that is a valid v2 row of modelled kinds; raises
#: ``msgspec.DecodeError`` otherwise (then call :func:`decode_line`).
fast_decode = _decoder.decode
_AT = re.compile(r" - at (?P<key>`key` in )?`\$(?P<path>[^`]*)`$")


class Where(TypedDict, total=False):
    """Where a record is, as keywords of :class:`ExportFormatError`."""

    line: Optional[int]
    index: Optional[int]


_TOO_DEEP = "nested too deeply (deeper than the JSON decoder's limit of about 1,000 levels)"


def decode_record(
    data: "bytes | bytearray", file: str, *, line: Optional[int] = None, index: Optional[int] = None
) -> DataRow:
    """Decode one record: an NDJSON line (already known to be non-blank) or
    the bytes of one JSON array element."""
    where: Where = {"line": line, "index": index}
    try:
        row = _decoder.decode(data)
    except msgspec.ValidationError:
        try:
            record = msgspec.json.decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise ExportFormatError(file, f"not valid JSON ({exc})", **where) from exc
        except RecursionError:
            raise ExportFormatError(file, _TOO_DEEP, **where) from None
        return dispatch(record, file, line=line, index=index)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise ExportFormatError(file, f"not valid JSON ({exc})", **where) from exc
    except RecursionError:
        raise ExportFormatError(file, _TOO_DEEP, **where) from None
    row.position = line if line is not None else index or 0
    return row


def decode_line(line: bytes, file: str, lineno: int) -> DataRow:
    """Decode one NDJSON line (already known to be non-blank)."""
    return decode_record(line, file, line=lineno)


def from_dict(
    record: Any, file: str, *, line: Optional[int] = None, index: Optional[int] = None
) -> DataRow:
    """Validate one v2 record that was already parsed into builtins."""
    where: Where = {"line": line, "index": index}
    data_row_id = _data_row_id(record)
    # Round-tripping through JSON (both steps in C) validates exactly as the
    # NDJSON path does, frame-number keys included.
    try:
        try:
            row = _decoder.decode(msgspec.json.encode(record))
        except msgspec.ValidationError as first:
            if not _wrap_unknown_objects(record):
                raise _format_error(first, record, file, data_row_id, where) from first
            try:
                row = _decoder.decode(msgspec.json.encode(record))
            except msgspec.ValidationError as exc:
                raise _format_error(exc, record, file, data_row_id, where) from exc
    except RecursionError:
        raise ExportFormatError(file, _TOO_DEEP, data_row_id=data_row_id, **where) from None
    row.position = line if line is not None else index or 0
    return row


def dispatch(
    record: Any, file: str, *, line: Optional[int] = None, index: Optional[int] = None
) -> DataRow:
    # A line that is not a v2 row may still be a legacy label row.
    from . import legacy

    if not isinstance(record, dict):
        raise ExportFormatError(
            file, f"expected a JSON object, got {_json_type(record)}", line=line, index=index
        )
    if "data_row" in record:
        return from_dict(record, file, line=line, index=index)
    if legacy.looks_legacy(record):
        try:
            return legacy.from_dict(record, file, line=line, index=index)
        except RecursionError:
            raise ExportFormatError(file, _TOO_DEEP, line=line, index=index) from None
    raise ExportFormatError(
        file,
        "not a Labelbox record: no 'data_row' (export v2) and no 'Label' (legacy export)",
        line=line,
        index=index,
    )


def _data_row_id(record: Any) -> Optional[str]:
    if isinstance(record, dict) and isinstance(record.get("data_row"), dict):
        found = record["data_row"].get("id")
        return found if isinstance(found, str) else None
    return None


def _format_error(
    exc: msgspec.ValidationError, record: Any, file: str, data_row_id: Optional[str], where: Where
) -> ExportFormatError:
    message = str(exc)
    path = ""
    match = _AT.search(message)
    if match:
        message = message[: match.start()]
    missing = re.fullmatch(r"Object missing required field `(.+)`", message)
    wrong = re.fullmatch(r"Expected `(.+)`, got `(.+)`", message)
    if match and match.group("key"):
        message += " (a key)"
    if missing:
        reason = f"missing '{missing.group(1)}'"
    elif wrong:
        reason = f"expected {wrong.group(1)}, got {wrong.group(2)}"
    else:
        reason = message[:1].lower() + message[1:].replace("`", "'")
    if match:

        def fits(value: Any) -> bool:
            if missing:
                return isinstance(value, dict) and missing.group(1) not in value
            if wrong:
                return _json_type(value) == wrong.group(2)
            return True

        path = _locate(record, _SEGMENT.findall(match.group("path")), fits)
    return ExportFormatError(file, reason, path=path, data_row_id=data_row_id, **where)


_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")


def _json_type(value: Any) -> str:
    return {
        dict: "object",
        list: "array",
        str: "str",
        bool: "bool",
        int: "int",
        float: "float",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _locate(value: Any, segments: list[tuple[str, str]], fits: Any) -> str:
    """Spell out msgspec's error path, naming the dict keys it elides as
    ``[...]``: the key is the one under which the rest of the path leads to a
    value that shows the reported fault."""
    parts = _walk(value, segments, fits)
    if parts is None:  # could not tell which key: keep msgspec's spelling
        parts = [name or ("[...]" if item == "..." else f"[{item}]") for name, item in segments]
    return "".join(p if p.startswith("[") else "." + p for p in parts).lstrip(".")


def _walk(value: Any, segments: list[tuple[str, str]], fits: Any) -> Optional[list[str]]:
    if not segments:
        return [] if fits(value) else None
    (name, item), rest = segments[0], segments[1:]
    if name:
        child = value.get(name) if isinstance(value, dict) else None
        found = _walk(child, rest, fits)
        return None if found is None else [name, *found]
    if item != "...":
        index = int(item)
        child = value[index] if isinstance(value, list) and index < len(value) else None
        found = _walk(child, rest, fits)
        return None if found is None else [f"[{index}]", *found]
    for key, child in value.items() if isinstance(value, dict) else ():
        found = _walk(child, rest, fits)
        if found is not None:
            return [str(key), *found]
    return None


def _wrap_unknown_objects(record: Any) -> bool:
    """Replace objects of unmodelled kinds by UnknownAnnotation dicts in place.

    Returns whether anything was replaced.
    """
    changed = False
    for annotations in _all_annotations(record):
        for key in ("objects", "relationships"):
            objects = annotations.get(key)
            if isinstance(objects, list):
                for i, obj in enumerate(objects):
                    if _is_unknown(obj):
                        objects[i] = _unknown(obj)
                        changed = True
        for frame in _frames(annotations):
            objects = frame.get("objects")
            if isinstance(objects, dict):
                for feature_id, obj in objects.items():
                    if _is_unknown(obj):
                        objects[feature_id] = _unknown(obj)
                        changed = True
    return changed


def _is_unknown(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    kind = obj.get("annotation_kind")
    return isinstance(kind, str) and kind not in OBJECT_CLASSES


def _unknown(obj: dict[str, Any]) -> dict[str, Any]:
    wrapped = {
        key: obj[key]
        for key in ("feature_id", "feature_schema_id", "name", "value")
        if isinstance(obj.get(key), str)
    }
    wrapped.update(annotation_kind=UNKNOWN_KIND, original_kind=obj["annotation_kind"], raw=obj)
    return wrapped


def _dicts(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, dict)]
    return []


def _all_annotations(record: Any) -> list[dict[str, Any]]:
    labels: list[Any] = []
    if not isinstance(record, dict):
        return []
    for project in _dicts(record.get("projects")):
        labels.extend(_items(project.get("labels")))
    for experiment in _dicts(record.get("experiments")):
        for run in _dicts(experiment.get("runs")):
            labels.extend(_items(run.get("labels")))
            labels.extend(_items(run.get("predictions")))
    return [
        label["annotations"]
        for label in labels
        if isinstance(label, dict) and isinstance(label.get("annotations"), dict)
    ]


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _frames(annotations: dict[str, Any]) -> list[dict[str, Any]]:
    frames = _dicts(annotations.get("frames"))
    for group in _dicts(annotations.get("groups")):
        frames.extend(_dicts(group.get("frames")))
    return frames
