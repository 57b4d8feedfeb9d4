"""Legacy ``export_labels`` JSON: one record per *label*, not per data row.

Each record becomes a :class:`~lbconvert.model.DataRow` holding one project
(keyed by the ``Project Name``; legacy files carry no project id) with one
label.  Shapes handled:

* ``"Label": {"objects": [...], "classifications": [...]}`` (2020–2022), with
  ``bbox``/``polygon``/``line``/``point``/``cuboid``, text ``data.location``,
  PDF boxes with ``page`` (0-based; stored as 1-based ``page_number``),
  tiled-imagery GeoJSON ``geometry``, and objects with only an
  ``instanceURI`` (masks);
* ``"Label": [{"frameNumber": n, "objects": [...]}, ...]`` (video, frames inline);
* ``"Label": "Skip"`` or ``"Skipped": true`` (a skipped label);
* the 2019 schema, ``"Label": {"<class>": [{"geometry": [{x, y}, ...]}], "<question>": answer}``.

Classification answers may be ``answer`` (radio object, free text string, or
a list for checklists in 2020 files) or ``answers`` (checklist).
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import ExportFormatError
from ..model import (
    Answer, Box, BoxAnnotation, Classification, CuboidAnnotation, DataRow, DataRowInfo,
    DocumentBoxAnnotation, Frame, GeoAnnotation, Label, LabelAnnotations, MaskAnnotation,
    MaskRef, MediaAttributes, ObjectAnnotation, PerformanceDetails, Point, PointAnnotation,
    PolygonAnnotation, PolylineAnnotation, Project, RelationshipAnnotation, RelationshipEnds,
    TextAnswer, TextEntityAnnotation, TextSpan, UnknownAnnotation,
)

__all__ = ["looks_legacy", "from_dict"]



def looks_legacy(record: dict[str, Any]) -> bool:
    return "Label" in record or ("DataRow ID" in record and "ID" in record)


class _Bad(Exception):
    """Raised inside the converter with the JSON path of the bad field."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path, self.reason = path, reason


def from_dict(record: dict[str, Any], file: str, *, line: Optional[int] = None,
              index: Optional[int] = None) -> DataRow:
    """Convert one legacy label record into a DataRow."""
    data_row_id = record.get("DataRow ID")
    try:
        row = _row(record)
    except _Bad as exc:
        raise ExportFormatError(file, exc.reason, line=line, index=index, path=exc.path,
                                data_row_id=data_row_id if isinstance(data_row_id, str) else None
                                ) from exc
    row.position = line if line is not None else index or 0
    return row


def _row(record: dict[str, Any]) -> DataRow:
    data_row_id = _opt_str(record, "DataRow ID") or _opt_str(record, "ID")
    if data_row_id is None:
        raise _Bad("", "missing 'DataRow ID'")
    info = DataRowInfo(
        id=data_row_id,
        global_key=_opt_str(record, "Global Key"),
        external_id=_opt_str(record, "External ID"),
        row_data=_opt_str(record, "Labeled Data"),
    )
    label = _label(record)
    project_name = _opt_str(record, "Project Name") or ""
    project = Project(name=project_name, labels=(label,))
    return DataRow(data_row=info, media_attributes=_media(record.get("Media Attributes")),
                   projects={project_name: project})


def _media(media: Any) -> Optional[MediaAttributes]:
    if not isinstance(media, dict) or not media:
        return None
    width, height = media.get("width"), media.get("height")
    return MediaAttributes(
        width=width if _is_number(width) else None,
        height=height if _is_number(height) else None,
        mime_type=media.get("mimeType") or media.get("mime_type"),
    )


def _label(record: dict[str, Any]) -> Label:
    body = record.get("Label")
    skipped = record.get("Skipped") is True or body == "Skip"
    label_id = _opt_str(record, "ID")
    performance = PerformanceDetails(skipped=skipped,
                                     seconds_to_create=_number_or_none(record.get("Seconds to Label")))
    if body is None or body == "Skip" or body == {}:
        annotations = LabelAnnotations()
    elif isinstance(body, list):
        annotations = _video(body)
    elif isinstance(body, dict) and ("objects" in body or "classifications" in body
                                     or "relationships" in body):
        annotations = LabelAnnotations(
            objects=tuple(_object(o, f"Label.objects[{i}]")
                          for i, o in enumerate(_list(body, "objects", "Label"))),
            classifications=_classifications(_list(body, "classifications", "Label"),
                                             "Label.classifications"),
            relationships=tuple(_object(o, f"Label.relationships[{i}]")
                                for i, o in enumerate(_list(body, "relationships", "Label"))),
        )
    elif isinstance(body, dict):
        annotations = _schema2019(body)
    else:
        raise _Bad("Label", f"expected an object, a list or \"Skip\", got {_type(body)}")
    return Label(id=label_id, label_kind="Video" if isinstance(body, list) else "Default",
                 annotations=annotations, performance_details=performance)


def _video(frames: list[Any]) -> LabelAnnotations:
    by_number: dict[int, Frame] = {}
    for i, frame in enumerate(frames):
        path = f"Label[{i}]"
        if not isinstance(frame, dict):
            raise _Bad(path, f"expected an object, got {_type(frame)}")
        number = frame.get("frameNumber")
        if not isinstance(number, int) or isinstance(number, bool):
            raise _Bad(path + ".frameNumber", "missing or not an integer")
        objects = {}
        for j, obj in enumerate(_list(frame, "objects", path)):
            converted = _object(obj, f"{path}.objects[{j}]")
            objects[converted.feature_id or str(j)] = converted
        by_number[number] = Frame(
            objects=objects,
            classifications=_classifications(_list(frame, "classifications", path),
                                             path + ".classifications"))
    return LabelAnnotations(frames=by_number)


def _schema2019(body: dict[str, Any]) -> LabelAnnotations:
    objects: list[ObjectAnnotation] = []
    classifications: list[Classification] = []
    for name, value in body.items():
        path = f"Label.{name}"
        if isinstance(value, list) and value and all(
                isinstance(v, dict) and "geometry" in v for v in value):
            for i, shape in enumerate(value):
                objects.append(_geometry2019(name, shape["geometry"], f"{path}[{i}].geometry"))
        else:
            classifications.append(_classification2019(name, value, path))
    return LabelAnnotations(objects=tuple(objects), classifications=tuple(classifications))


def _geometry2019(name: str, geometry: Any, path: str) -> ObjectAnnotation:
    if isinstance(geometry, dict):
        return PointAnnotation(name=name, value=name, point=_point(geometry, path))
    if not isinstance(geometry, list):
        raise _Bad(path, f"expected a list of points, got {_type(geometry)}")
    return PolygonAnnotation(name=name, value=name, polygon=_points(geometry, path))


def _classification2019(name: str, value: Any, path: str) -> Classification:
    if isinstance(value, str):
        return Classification(name=name, value=name, radio_answer=Answer(name=value, value=value))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return Classification(name=name, value=name,
                              checklist_answers=tuple(Answer(name=v, value=v) for v in value))
    raise _Bad(path, f"expected a list of shapes or an answer, got {_type(value)}")


def _object(obj: Any, path: str) -> ObjectAnnotation:
    if not isinstance(obj, dict):
        raise _Bad(path, f"expected an object, got {_type(obj)}")
    common: dict[str, Any] = dict(
        feature_id=_opt_str(obj, "featureId", path),
        schema_id=_opt_str(obj, "schemaId", path),
        name=_opt_str(obj, "title", path),
        value=_opt_str(obj, "value", path),
        classifications=_classifications(_list(obj, "classifications", path),
                                         path + ".classifications"),
    )
    if "bbox" in obj:
        box = _box(obj["bbox"], path + ".bbox")
        if "page" in obj:
            page = obj["page"]
            if not isinstance(page, int) or isinstance(page, bool):
                raise _Bad(path + ".page", f"expected an integer, got {_type(page)}")
            return DocumentBoxAnnotation(bounding_box=box, page_number=page + 1, **common)
        return BoxAnnotation(bounding_box=box, **common)
    if "polygon" in obj:
        return PolygonAnnotation(polygon=_points(obj["polygon"], path + ".polygon"), **common)
    if "line" in obj:
        return PolylineAnnotation(line=_points(obj["line"], path + ".line"), **common)
    if "point" in obj:
        return PointAnnotation(point=_point(obj["point"], path + ".point"), **common)
    if "cuboid" in obj and isinstance(obj["cuboid"], dict):
        return CuboidAnnotation(cuboid=obj["cuboid"], **common)
    if isinstance(obj.get("geometry"), dict):
        return GeoAnnotation(geojson=_geojson(obj), **common)
    data = obj.get("data")
    if isinstance(data, dict) and isinstance(data.get("location"), dict):
        return TextEntityAnnotation(location=_span(data["location"], path + ".data.location"),
                                    **common)
    if isinstance(data, dict) and "source" in data and "target" in data:
        ends = RelationshipEnds(source=str(data["source"]), target=str(data["target"]))
        if obj.get("relationshipType") == "bidirectional":
            return RelationshipAnnotation(bidirectional_relationship=ends, **common)
        return RelationshipAnnotation(unidirectional_relationship=ends, **common)
    if isinstance(obj.get("instanceURI"), str):
        return MaskAnnotation(mask=MaskRef(url=obj["instanceURI"]), **common)
    return UnknownAnnotation(original_kind=None, raw=obj, **common)


def _geojson(obj: dict[str, Any]) -> dict[str, Any]:
    geometry = dict(obj["geometry"])
    if "type" not in geometry and isinstance(obj.get("type"), str):
        geometry["type"] = {"polygon": "Polygon", "point": "Point", "line": "LineString",
                            "polyline": "LineString", "bbox": "Polygon"}.get(obj["type"], obj["type"])
    return geometry


def _classifications(items: list[Any], path: str) -> tuple[Classification, ...]:
    found: list[Classification] = []
    for i, item in enumerate(items):
        if isinstance(item, list):  # some editors nested a group of answers in a list
            found.extend(_classifications(item, f"{path}[{i}]"))
        else:
            found.append(_classification(item, f"{path}[{i}]"))
    return tuple(found)


def _classification(item: Any, path: str) -> Classification:
    if not isinstance(item, dict):
        raise _Bad(path, f"expected an object, got {_type(item)}")
    common: dict[str, Any] = dict(
        feature_id=_opt_str(item, "featureId", path),
        schema_id=_opt_str(item, "schemaId", path),
        name=_opt_str(item, "title", path),
        value=_opt_str(item, "value", path),
    )
    if "answers" in item:
        return Classification(checklist_answers=_answers(item["answers"], path + ".answers"),
                              **common)
    answer = item.get("answer")
    if isinstance(answer, str):
        return Classification(text_answer=TextAnswer(content=answer), **common)
    if isinstance(answer, list):
        return Classification(checklist_answers=_answers(answer, path + ".answer"), **common)
    if isinstance(answer, dict):
        return Classification(radio_answer=_answer(answer, path + ".answer"), **common)
    if answer is None:
        return Classification(**common)
    raise _Bad(path + ".answer", f"expected an object, a list or a string, got {_type(answer)}")


def _answers(items: Any, path: str) -> tuple[Answer, ...]:
    if not isinstance(items, list):
        raise _Bad(path, f"expected a list, got {_type(items)}")
    return tuple(_answer(a, f"{path}[{i}]") for i, a in enumerate(items))


def _answer(item: Any, path: str) -> Answer:
    if not isinstance(item, dict):
        raise _Bad(path, f"expected an object, got {_type(item)}")
    return Answer(
        name=_opt_str(item, "title", path),
        value=_opt_str(item, "value", path),
        feature_id=_opt_str(item, "featureId", path),
        schema_id=_opt_str(item, "schemaId", path),
        classifications=_classifications(_list(item, "classifications", path),
                                         path + ".classifications"),
    )


def _box(box: Any, path: str) -> Box:
    if not isinstance(box, dict):
        raise _Bad(path, f"expected an object, got {_type(box)}")
    return Box(left=_coordinate(box, "left", path), top=_coordinate(box, "top", path),
               width=_coordinate(box, "width", path), height=_coordinate(box, "height", path))


def _points(points: Any, path: str) -> tuple[Point, ...]:
    if not isinstance(points, list):
        raise _Bad(path, f"expected a list of points, got {_type(points)}")
    return tuple(_point(p, f"{path}[{i}]") for i, p in enumerate(points))


def _point(point: Any, path: str) -> Point:
    if not isinstance(point, dict):
        raise _Bad(path, f"expected an object, got {_type(point)}")
    return Point(x=_coordinate(point, "x", path), y=_coordinate(point, "y", path))


def _span(location: dict[str, Any], path: str) -> TextSpan:
    start, end = location.get("start"), location.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        raise _Bad(path, "'start' and 'end' must be integers")
    return TextSpan(start=start, end=end)


def _coordinate(mapping: dict[str, Any], key: str, path: str) -> float:
    if key not in mapping:
        raise _Bad(path, f"missing '{key}'")
    value = mapping[key]
    if not _is_number(value):
        raise _Bad(f"{path}.{key}", f"expected a number, got {_type(value)}")
    return float(value)


def _list(mapping: dict[str, Any], key: str, path: str) -> list[Any]:
    value = mapping.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad(f"{path}.{key}", f"expected a list, got {_type(value)}")
    return value


def _opt_str(mapping: dict[str, Any], key: str, path: str = "") -> Optional[str]:
    value = mapping.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _Bad(f"{path}.{key}".lstrip("."), f"expected a string, got {_type(value)}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_or_none(value: Any) -> Optional[float]:
    return float(value) if _is_number(value) else None


def _type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean",
            type(None): "null", int: "number", float: "number"}.get(type(value), type(value).__name__)
