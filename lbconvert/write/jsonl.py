"""JSON Lines: the common model, one item per line, for every media type.

Output: ``OUT/items.jsonl``.  One line per item (an image, a video or DICOM
frame, a document page, or a whole text / audio / HTML / LLM row), with a
stable, flat schema that ``pandas.read_json(path, lines=True)`` or
``polars.read_ndjson`` load directly::

    {"data_row_id", "global_key", "external_id", "row_data", "stem", "file_name",
     "split", "media_type", "width", "height", "frame", "page",
     "classifications": {question: answer | [answers]},
     "objects": [{"feature_id", "schema_id", "class", "value", "kind", "annotation_kind",
                  "confidence", "bbox": [x, y, w, h] | null,
                  "points": [[x, y], ...] | null, "mask_url", "color_rgb",
                  "start", "end", "message_id", "page", "geojson", "source", "target",
                  "raw", "attributes": {question: answer}}],
     "relationships": [same object shape]}

``bbox`` is in pixels, ``[left, top, width, height]`` (document boxes on their
page); ``points`` are the polygon ring (closing point as exported), polyline
or point; text entities give ``start``/``end``; relationships ``source`` and
``target`` feature ids; cuboids and unknown kinds their ``raw`` dict.  Every object is
written (integers of any size included), except one whose values JSON cannot
hold (nested deeper than the encoder's limit): it is dropped as ``object nested
too deeply for JSON``.  Keys absent for an object's kind are ``null``.
"""

from __future__ import annotations

from typing import Any, IO

from ..errors import LbConvertError
from ..model import (
    BoxAnnotation,
    ConversationEntityAnnotation,
    CuboidAnnotation,
    DocumentBoxAnnotation,
    DocumentEntityAnnotation,
    GeoAnnotation,
    Item,
    MaskAnnotation,
    ObjectAnnotation,
    PointAnnotation,
    PolygonAnnotation,
    PolylineAnnotation,
    RelationshipAnnotation,
    TextEntityAnnotation,
    UnknownAnnotation,
)
from ..report import class_of
from .attributes import flatten_classifications
from .base import Writer, release
from .jsonenc import NotJson, encode

__all__ = ["JsonlWriter"]

_EMPTY_OBJECT = dict.fromkeys(
    (
        "bbox",
        "points",
        "mask_url",
        "color_rgb",
        "start",
        "end",
        "message_id",
        "page",
        "geojson",
        "source",
        "target",
        "raw",
    )
)


class JsonlWriter(Writer):
    name = "jsonl"
    needs_image_size = False

    def prepare(self) -> None:
        self._file: IO[bytes] = open(self.out / "items.jsonl", "wb")

    def write(self, item: Item) -> None:
        record: dict[str, Any] = {
            "data_row_id": item.data_row_id,
            "global_key": item.global_key,
            "external_id": item.external_id,
            "row_data": item.row_data,
            "stem": item.stem,
            "file_name": item.file_name,
            "split": item.split,
            "media_type": item.media_type,
            "width": item.width,
            "height": item.height,
            "frame": item.frame,
            "page": item.page,
            "classifications": flatten_classifications(item.classifications),
            "objects": [object_record(obj) for obj in item.objects],
            "relationships": [object_record(obj) for obj in item.relationships],
        }
        try:
            line = encode(record)
        except NotJson:
            line = self._without_unwritable(record, item)
        self._file.write(line + b"\n")
        self.report.annotations_written += len(record["objects"])

    def _without_unwritable(self, record: dict[str, Any], item: Item) -> bytes:
        """The line with the objects JSON cannot hold dropped (and counted);
        an error naming the item when the rest still cannot be written."""
        for key in ("objects", "relationships"):
            kept = []
            for index, obj in enumerate(record[key]):
                if key == "objects":
                    self.report.current_class = class_of(item.objects[index])
                try:
                    encode(obj)
                except NotJson as exc:
                    if key == "objects":
                        self.report.drop(f"object {exc}")
                    else:
                        self.report.warnings[f"relationship {exc}"] += 1
                    continue
                kept.append(obj)
            record[key] = kept
        try:
            return encode(record)
        except NotJson as exc:
            raise LbConvertError(
                f"jsonl: data row {item.data_row_id} (item {item.stem}): {exc}"
            ) from None

    def finish(self) -> None:
        self._file.close()

    def abort(self) -> None:
        file = getattr(self, "_file", None)  # absent if __init__ failed
        release(*([file.close] if file else []))
        super().abort()


def object_record(obj: ObjectAnnotation) -> dict[str, Any]:
    """One object in the flat schema described in the module docstring."""
    record: dict[str, Any] = {
        "feature_id": obj.feature_id,
        "schema_id": obj.schema_id,
        "class": obj.name,
        "value": obj.value,
        "kind": obj.kind,
        "annotation_kind": obj.annotation_kind,
        "confidence": obj.confidence,
        **_EMPTY_OBJECT,
        "attributes": flatten_classifications(obj.classifications),
    }
    match obj:
        case DocumentBoxAnnotation(bounding_box=b, page_number=page):
            record.update(bbox=[b.left, b.top, b.width, b.height], page=page)
        case BoxAnnotation(bounding_box=b):
            record["bbox"] = [b.left, b.top, b.width, b.height]
        case PolygonAnnotation(polygon=points) | PolylineAnnotation(line=points):
            record["points"] = [[p.x, p.y] for p in points]
        case PointAnnotation(point=p):
            record["points"] = [[p.x, p.y]]
        case MaskAnnotation(mask=instance, composite_mask=composite):
            if composite is not None:
                record.update(mask_url=composite.url, color_rgb=list(composite.color_rgb))
            elif instance is not None:
                record["mask_url"] = instance.url
        case TextEntityAnnotation(location=span):
            record.update(start=span.start, end=span.end)
        case ConversationEntityAnnotation(conversational_location=where):
            record.update(
                start=where.location.start, end=where.location.end, message_id=where.message_id
            )
        case DocumentEntityAnnotation(location=where):
            record["page"] = where.groups[0].page_number if where.groups else None
        case GeoAnnotation(geojson=geometry):
            record["geojson"] = geometry
        case RelationshipAnnotation():
            ends = obj.ends
            if ends is not None:
                record.update(source=ends.source, target=ends.target)
        case UnknownAnnotation(raw=raw) | CuboidAnnotation(cuboid=raw):
            record["raw"] = raw
    return record
