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

import math
import re
import warnings
from typing import Any, Iterator, Optional

from ..errors import ExportFormatError
from ..model import (
    Answer,
    Box,
    BoxAnnotation,
    Classification,
    CuboidAnnotation,
    DataRow,
    DataRowInfo,
    DocumentBoxAnnotation,
    Frame,
    GeoAnnotation,
    Label,
    LabelAnnotations,
    MaskAnnotation,
    MaskRef,
    MediaAttributes,
    ObjectAnnotation,
    PerformanceDetails,
    Point,
    PointAnnotation,
    PolygonAnnotation,
    PolylineAnnotation,
    Project,
    RelationshipAnnotation,
    RelationshipEnds,
    TextAnswer,
    TextEntityAnnotation,
    TextSpan,
    UnknownAnnotation,
)
from .legacy_fields import (
    BadField,
    coordinate_field,
    each,
    json_type,
    list_field,
    number_or_none,
    optional_str,
    parse_point,
    parse_points,
    require_object,
)

__all__ = ["looks_legacy", "from_dict"]

#: Integers beyond this (frame numbers, pages, text offsets) are refused.
_MAX_INT = 1 << 53


def looks_legacy(record: dict[str, Any]) -> bool:
    return "Label" in record or ("DataRow ID" in record and "ID" in record)


def from_dict(
    record: dict[str, Any], file: str, *, line: Optional[int] = None, index: Optional[int] = None
) -> DataRow:
    """Convert one legacy label record into a DataRow."""
    data_row_id = record.get("DataRow ID")
    try:
        row = _row(record)
    except BadField as exc:
        raise ExportFormatError(
            file,
            exc.reason,
            line=line,
            index=index,
            path=exc.path,
            data_row_id=data_row_id if isinstance(data_row_id, str) else None,
        ) from exc
    row.position = line if line is not None else index or 0
    return row


def _row(record: dict[str, Any]) -> DataRow:
    data_row_id = optional_str(record, "DataRow ID") or optional_str(record, "ID")
    if data_row_id is None:
        raise BadField("", "missing 'DataRow ID'")
    info = DataRowInfo(
        id=data_row_id,
        global_key=optional_str(record, "Global Key"),
        external_id=optional_str(record, "External ID"),
        row_data=optional_str(record, "Labeled Data"),
    )
    label = _label(record)
    project_name = optional_str(record, "Project Name") or ""
    project = Project(name=project_name, labels=(label,))
    return DataRow(
        data_row=info,
        media_attributes=_media(record.get("Media Attributes")),
        projects={project_name: project},
    )


def _media(media: Any) -> Optional[MediaAttributes]:
    if not isinstance(media, dict) or not media:
        return None
    width, height = media.get("width"), media.get("height")
    return MediaAttributes(
        width=number_or_none(width),
        height=number_or_none(height),
        mime_type=_mime(media),
    )


def _mime(media: dict[str, Any]) -> Optional[str]:
    """The MIME type when it is a string (a list or object there says nothing)."""
    mime = media.get("mimeType") or media.get("mime_type")
    return mime if isinstance(mime, str) else None


def _label(record: dict[str, Any]) -> Label:
    body = record.get("Label")
    skipped = record.get("Skipped") is True or body == "Skip"
    label_id = optional_str(record, "ID")
    performance = PerformanceDetails(
        skipped=skipped, seconds_to_create=number_or_none(record.get("Seconds to Label"))
    )
    if body is None or body == "Skip" or body == {}:
        annotations = LabelAnnotations()
    elif isinstance(body, list):
        annotations = _video(body)
    elif isinstance(body, dict) and (
        "objects" in body or "classifications" in body or "relationships" in body
    ):
        annotations = LabelAnnotations(
            objects=tuple(
                _object(o, f"Label.objects[{i}]")
                for i, o in enumerate(list_field(body, "objects", "Label"))
            ),
            classifications=_classifications(
                list_field(body, "classifications", "Label"), "Label.classifications"
            ),
            relationships=tuple(
                _object(o, f"Label.relationships[{i}]")
                for i, o in enumerate(list_field(body, "relationships", "Label"))
            ),
        )
    elif isinstance(body, dict):
        annotations = _schema2019(body)
    else:
        raise BadField("Label", f'expected an object, a list or "Skip", got {json_type(body)}')
    return Label(
        id=label_id,
        label_kind="Video" if isinstance(body, list) else "Default",
        annotations=annotations,
        performance_details=performance,
    )


def _video(frames: list[Any]) -> LabelAnnotations:
    by_number: dict[int, Frame] = {}
    for i, frame in enumerate(frames):
        path = f"Label[{i}]"
        require_object(frame, path)
        number = frame.get("frameNumber")
        if not isinstance(number, int) or isinstance(number, bool):
            raise BadField(path + ".frameNumber", "missing or not an integer")
        if abs(number) > _MAX_INT:
            raise BadField(path + ".frameNumber", "number out of range")
        objects = {}
        for j, obj in enumerate(list_field(frame, "objects", path)):
            converted = _object(obj, f"{path}.objects[{j}]")
            objects[converted.feature_id or str(j)] = converted
        by_number[number] = Frame(
            objects=objects,
            classifications=_classifications(
                list_field(frame, "classifications", path), path + ".classifications"
            ),
        )
    return LabelAnnotations(frames=by_number)


def _schema2019(body: dict[str, Any]) -> LabelAnnotations:
    """The class-keyed schemas of 2018–2019: each key is a class (its shapes) or a
    question (its answer)."""
    objects: list[ObjectAnnotation] = []
    classifications: list[Classification] = []
    for name, value in body.items():
        path = f"Label.{name}"
        if _is_shape_list(value):
            for i, shape in enumerate(value):
                objects.extend(_shape2018(name, shape, f"{path}[{i}]"))
        elif isinstance(value, str) and _WKT_START.match(value):
            objects.extend(_wkt(name, value, path))
        else:
            classifications.append(_classification2019(name, value, path))
    return LabelAnnotations(objects=tuple(objects), classifications=tuple(classifications))


#: A string that starts like WKT geometry is read as geometry, never as an answer
#: ("POLYGON ((1 2, …", "MULTIPOINT EMPTY"; not an answer such as "Polygon (large)").
_WKT_START = re.compile(
    r"\s*((MULTI)?(POLYGON|POINT|LINESTRING)|GEOMETRYCOLLECTION)\s*(Z|M|ZM)?\s*"
    r"(EMPTY\s*$|\([\s(]*([-+.\d]|(MULTI)?(POLYGON|POINT|LINESTRING)\b))",
    re.IGNORECASE,
)


def _is_shape_list(value: Any) -> bool:
    """A non-empty list of shapes: ``{"geometry": ...}`` objects (2019, and the
    2018 v3 editor), or bare lists of ``{x, y}`` points (2018 "XY" exports)."""
    return (
        isinstance(value, list)
        and bool(value)
        and all((isinstance(v, dict) and "geometry" in v) or isinstance(v, list) for v in value)
    )


def _shape2018(name: str, shape: Any, path: str) -> list[ObjectAnnotation]:
    if isinstance(shape, list):  # a bare list of points
        return [PolygonAnnotation(name=name, value=name, polygon=parse_points(shape, path))]
    geometry = shape["geometry"]
    if isinstance(geometry, str):  # "POLYGON ((…))" inside a geometry object (2018 v3 WKT)
        return _wkt(name, geometry, path + ".geometry")
    return [_geometry2019(name, geometry, path + ".geometry")]


def _wkt(name: str, text: str, path: str) -> list[ObjectAnnotation]:
    """The objects of one WKT geometry: a polygon per (multi)polygon part (its
    outer ring; holes are kept in ``holes``), a point per point, a polyline per
    line string."""
    from shapely import wkt
    from shapely.errors import ShapelyError

    try:
        with warnings.catch_warnings():  # NaN coordinates: refused below, not warned about
            warnings.simplefilter("ignore", RuntimeWarning)
            geometry = wkt.loads(text)
    except (ShapelyError, ValueError, NotImplementedError) as exc:  # e.g. CIRCULARSTRING
        detail = " ".join(str(exc).split()) or type(exc).__name__  # one line
        raise BadField(path, f"not valid WKT ({detail[:200]})") from None
    return list(_wkt_objects(name, geometry, path))


def _wkt_objects(name: str, geometry: Any, path: str) -> Iterator[ObjectAnnotation]:
    kind = geometry.geom_type
    if geometry.is_empty:
        return
    if kind == "Polygon":
        holes = tuple(_ring(interior.coords, path) for interior in geometry.interiors)
        yield PolygonAnnotation(
            name=name, value=name, polygon=_ring(geometry.exterior.coords, path), holes=holes
        )
    elif kind == "Point":
        yield PointAnnotation(name=name, value=name, point=_ring(geometry.coords, path)[0])
    elif kind == "LineString":
        yield PolylineAnnotation(name=name, value=name, line=_ring(geometry.coords, path))
    elif kind in ("MultiPolygon", "MultiPoint", "MultiLineString", "GeometryCollection"):
        for part in geometry.geoms:
            yield from _wkt_objects(name, part, path)
    else:  # LinearRing and whatever shapely adds later
        raise BadField(path, f"unsupported WKT geometry {kind}")


def _ring(coords: Any, path: str) -> tuple[Point, ...]:
    points = []
    for coordinate in coords:
        x, y = float(coordinate[0]), float(coordinate[1])
        if not (math.isfinite(x) and math.isfinite(y)):
            raise BadField(path, "WKT coordinate is not a finite number")
        points.append(Point(x=x, y=y))
    return tuple(points)


def _geometry2019(name: str, geometry: Any, path: str) -> ObjectAnnotation:
    if isinstance(geometry, dict):
        return PointAnnotation(name=name, value=name, point=parse_point(geometry, path))
    if not isinstance(geometry, list):
        raise BadField(
            path, f"expected a list of points, a point or WKT, got {json_type(geometry)}"
        )
    return PolygonAnnotation(name=name, value=name, polygon=parse_points(geometry, path))


def _classification2019(name: str, value: Any, path: str) -> Classification:
    if isinstance(value, str):
        return Classification(name=name, value=name, radio_answer=Answer(name=value, value=value))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return Classification(
            name=name, value=name, checklist_answers=tuple(Answer(name=v, value=v) for v in value)
        )
    raise BadField(
        path,
        'expected a list of shapes (point lists or {"geometry": …}), WKT or '
        f"an answer, got {json_type(value)}",
    )


def _object(obj: Any, path: str) -> ObjectAnnotation:
    require_object(obj, path)
    common = _feature_fields(obj, path)
    common["classifications"] = _classifications(
        list_field(obj, "classifications", path), path + ".classifications"
    )
    if "bbox" in obj:
        box = _box(obj["bbox"], path + ".bbox")
        if "page" in obj:
            page = obj["page"]
            if not isinstance(page, int) or isinstance(page, bool):
                raise BadField(path + ".page", f"expected an integer, got {json_type(page)}")
            if abs(page) > _MAX_INT:
                raise BadField(path + ".page", "number out of range")
            return DocumentBoxAnnotation(bounding_box=box, page_number=page + 1, **common)
        return BoxAnnotation(bounding_box=box, **common)
    if "polygon" in obj:
        return PolygonAnnotation(polygon=parse_points(obj["polygon"], path + ".polygon"), **common)
    if "line" in obj:
        return PolylineAnnotation(line=parse_points(obj["line"], path + ".line"), **common)
    if "point" in obj:
        return PointAnnotation(point=parse_point(obj["point"], path + ".point"), **common)
    if "cuboid" in obj and isinstance(obj["cuboid"], dict):
        return CuboidAnnotation(cuboid=obj["cuboid"], **common)
    if isinstance(obj.get("geometry"), dict):
        return GeoAnnotation(geojson=_geojson(obj), **common)
    data = obj.get("data")
    if isinstance(data, dict) and isinstance(data.get("location"), dict):
        return TextEntityAnnotation(
            location=_span(data["location"], path + ".data.location"), **common
        )
    if isinstance(data, dict) and "source" in data and "target" in data:
        ends = RelationshipEnds(source=str(data["source"]), target=str(data["target"]))
        if obj.get("relationshipType") == "bidirectional":
            return RelationshipAnnotation(bidirectional_relationship=ends, **common)
        return RelationshipAnnotation(unidirectional_relationship=ends, **common)
    if isinstance(obj.get("instanceURI"), str):
        return MaskAnnotation(mask=MaskRef(url=obj["instanceURI"]), **common)
    return UnknownAnnotation(original_kind=None, raw=obj, **common)


def _feature_fields(obj: dict[str, Any], path: str) -> dict[str, Any]:
    """What names an object or a classification: its ids, title and value."""
    return dict(
        feature_id=optional_str(obj, "featureId", path),
        schema_id=optional_str(obj, "schemaId", path),
        name=optional_str(obj, "title", path),
        value=optional_str(obj, "value", path),
    )


def _geojson(obj: dict[str, Any]) -> dict[str, Any]:
    geometry = dict(obj["geometry"])
    if "type" not in geometry and isinstance(obj.get("type"), str):
        geometry["type"] = {
            "polygon": "Polygon",
            "point": "Point",
            "line": "LineString",
            "polyline": "LineString",
            "bbox": "Polygon",
        }.get(obj["type"], obj["type"])
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
    require_object(item, path)
    common = _feature_fields(item, path)
    if "answers" in item:
        return Classification(
            checklist_answers=_answers(item["answers"], path + ".answers"), **common
        )
    answer = item.get("answer")
    if isinstance(answer, str):
        return Classification(text_answer=TextAnswer(content=answer), **common)
    if isinstance(answer, list):
        return Classification(checklist_answers=_answers(answer, path + ".answer"), **common)
    if isinstance(answer, dict):
        return Classification(radio_answer=_answer(answer, path + ".answer"), **common)
    if answer is None:
        return Classification(**common)
    raise BadField(
        path + ".answer", f"expected an object, a list or a string, got {json_type(answer)}"
    )


def _answers(items: Any, path: str) -> tuple[Answer, ...]:
    return each(items, path, _answer, "a list")


def _answer(item: Any, path: str) -> Answer:
    require_object(item, path)
    return Answer(
        name=optional_str(item, "title", path),
        value=optional_str(item, "value", path),
        feature_id=optional_str(item, "featureId", path),
        schema_id=optional_str(item, "schemaId", path),
        classifications=_classifications(
            list_field(item, "classifications", path), path + ".classifications"
        ),
    )


def _box(box: Any, path: str) -> Box:
    require_object(box, path)
    return Box(
        left=coordinate_field(box, "left", path),
        top=coordinate_field(box, "top", path),
        width=coordinate_field(box, "width", path),
        height=coordinate_field(box, "height", path),
    )


def _span(location: dict[str, Any], path: str) -> TextSpan:
    start, end = location.get("start"), location.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        raise BadField(path, "'start' and 'end' must be integers")
    if max(abs(start), abs(end)) > _MAX_INT:
        raise BadField(path, "number out of range")
    return TextSpan(start=start, end=end)
