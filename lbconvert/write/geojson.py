"""GeoJSON: one FeatureCollection per geospatial data row.

Output: ``OUT/<stem>.geojson`` for every item of a geospatial row (tiled
imagery), holding one Feature per object.  Geometries keep the export's
``[lng, lat]`` coordinates (RFC 7946 order):

* ``geojson`` objects (v2 ``Geo*`` kinds, legacy tiled ``geometry``) as exported;
* on geospatial rows, boxes, polygons, polylines and points -- whose ``x`` is
  the longitude and ``y`` the latitude there -- become Polygon, Polygon,
  LineString and Point.

Feature ``properties``: ``class``, ``value``, ``feature_id``, ``schema_id``,
``kind`` and the object's classifications under ``attributes``.  Every
geometry is checked with shapely: an invalid one is repaired with
``make_valid`` under ``fix_geometry`` (unless it is too tangled to repair in
reasonable time, see :data:`lbconvert.write.geometry.MAX_TANGLE`) and otherwise
dropped (``invalid geometry``).  Objects of other media are dropped (``not geospatial``).
"""

from __future__ import annotations

from typing import Any, Optional

from .attributes import flatten_classifications
from ..errors import LbConvertError
from .geometry import too_tangled
from ..model import (
    BoxAnnotation,
    GeoAnnotation,
    Item,
    ObjectAnnotation,
    PointAnnotation,
    PolygonAnnotation,
    PolylineAnnotation,
)
from .base import Writer
from .jsonenc import NotJson, encode

__all__ = ["GeoJsonWriter"]


class GeoJsonWriter(Writer):
    name = "geojson"
    needs_image_size = False

    def write(self, item: Item) -> None:
        geospatial = item.media_type == "geospatial"
        features = []
        report = self.report
        for obj in item.objects:
            report.current_class = obj.name or obj.value or ""  # class_of, inlined
            geometry = _geometry(obj, geospatial)
            if geometry is None:
                self.report.drop(
                    "not geospatial"
                    if not isinstance(obj, GeoAnnotation) and not geospatial
                    else f"{obj.kind} not representable in geojson"
                )
                continue
            geometry = self._valid(geometry)
            if geometry is None:
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {
                        "class": obj.name,
                        "value": obj.value,
                        "feature_id": obj.feature_id,
                        "schema_id": obj.schema_id,
                        "kind": obj.kind,
                        "attributes": flatten_classifications(obj.classifications),
                    },
                }
            )
        if not features and not geospatial:
            return
        collection = {
            "type": "FeatureCollection",
            "features": features,
            "properties": {"data_row_id": item.data_row_id, "global_key": item.global_key},
        }
        try:
            data = encode(collection)
        except NotJson:
            data = self._without_unwritable(collection, item)
        (self.out / f"{item.stem}.geojson").write_bytes(data + b"\n")
        self.report.annotations_written += len(collection["features"])

    def _without_unwritable(self, collection: dict[str, Any], item: Item) -> bytes:
        """The collection without the features JSON cannot hold (each counted)."""
        kept = []
        for feature in collection["features"]:
            try:
                encode(feature)
            except NotJson as exc:
                self.report.drop(f"object {exc}")
                continue
            kept.append(feature)
        collection["features"] = kept
        try:
            return encode(collection)
        except NotJson as exc:
            raise LbConvertError(
                f"geojson: data row {item.data_row_id} (item {item.stem}): {exc}"
            ) from None

    def _valid(self, geometry: dict[str, Any]) -> Optional[dict[str, Any]]:
        import shapely
        from shapely.geometry import mapping, shape

        try:
            parsed = shape(geometry)
        except (
            ValueError,
            TypeError,
            AttributeError,
            KeyError,
            IndexError,
            OverflowError,
            RecursionError,
            shapely.errors.ShapelyError,
        ):
            self.report.drop("invalid geometry")
            return None
        if parsed.is_valid:
            return geometry
        if self.options.fix_geometry and not (
            isinstance(parsed, shapely.Polygon) and too_tangled(parsed)
        ):
            repaired: dict[str, Any] = mapping(shapely.make_valid(parsed))
            return repaired
        self.report.drop("invalid geometry")
        return None


def _geometry(obj: ObjectAnnotation, geospatial: bool) -> Optional[dict[str, Any]]:
    """A GeoJSON geometry for the object, or None when it has none."""
    match obj:
        case GeoAnnotation(geojson=geometry):
            return geometry
        case _ if not geospatial:
            return None
        case BoxAnnotation(bounding_box=b):
            right, bottom = b.left + b.width, b.top + b.height
            ring = [
                [b.left, b.top],
                [right, b.top],
                [right, bottom],
                [b.left, bottom],
                [b.left, b.top],
            ]
            return {"type": "Polygon", "coordinates": [ring]}
        case PolygonAnnotation(polygon=points):
            ring = [[p.x, p.y] for p in points]
            if ring and ring[0] != ring[-1]:
                ring.append(ring[0])
            return {"type": "Polygon", "coordinates": [ring]}
        case PolylineAnnotation(line=points):
            return {"type": "LineString", "coordinates": [[p.x, p.y] for p in points]}
        case PointAnnotation(point=p):
            return {"type": "Point", "coordinates": [p.x, p.y]}
    return None
