"""Small v2 exports built inside tests (shared by the raster writers' tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np
import shapely

COMPOSITE_URL = "https://api.labelbox.com/api/v1/tasks/task1/masks/{}/index/1"


def box(name: str, left: float, top: float, width: float, height: float,
        feature_id: Optional[str] = None) -> dict[str, Any]:
    return {"annotation_kind": "ImageBoundingBox", "name": name, "feature_id": feature_id,
            "bounding_box": {"left": left, "top": top, "width": width, "height": height}}


def polygon(name: str, points: Iterable[tuple[float, float]],
            feature_id: Optional[str] = None) -> dict[str, Any]:
    return {"annotation_kind": "ImagePolygon", "name": name, "feature_id": feature_id,
            "polygon": [{"x": x, "y": y} for x, y in points]}


def polyline(name: str, points: Iterable[tuple[float, float]]) -> dict[str, Any]:
    return {"annotation_kind": "ImagePolyline", "name": name,
            "line": [{"x": x, "y": y} for x, y in points]}


def point(name: str, x: float, y: float) -> dict[str, Any]:
    return {"annotation_kind": "ImagePoint", "name": name, "point": {"x": x, "y": y}}


def composite_mask(name: str, mask_id: str, color: tuple[int, int, int],
                   feature_id: Optional[str] = None) -> dict[str, Any]:
    return {"annotation_kind": "ImageSegmentationMask", "name": name, "feature_id": feature_id,
            "composite_mask": {"url": COMPOSITE_URL.format(mask_id), "color_rgb": list(color)}}


def instance_mask(name: str, feature_id: str) -> dict[str, Any]:
    return {"annotation_kind": "ImageSegmentationMask", "name": name, "feature_id": feature_id,
            "mask": {"url": f"https://api.labelbox.com/api/v1/projects/p/annotations/"
                            f"{feature_id}/index/1/mask"}}


def row(key: str, objects: list[dict[str, Any]], width: float = 200, height: float = 100,
        row_id: Optional[str] = None) -> dict[str, Any]:
    return {"data_row": {"id": row_id or f"id-{key}", "global_key": key},
            "media_attributes": {"width": width, "height": height, "mime_type": "image/png"},
            "projects": {"p": {"labels": [{"id": f"label-{key}",
                                           "annotations": {"objects": objects}}]}}}


def write_export(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def centre_mask(geometry: Any, width: int, height: int) -> np.ndarray:
    """Pixels whose centre shapely says is inside the geometry."""
    ys, xs = np.mgrid[0:height, 0:width]
    return shapely.contains_xy(geometry, xs + 0.5, ys + 0.5)


def composite_png(path: Path, layers: list[tuple[tuple[int, int, int], np.ndarray]]) -> None:
    """An RGB composite mask: each (colour, boolean mask) painted in turn."""
    from PIL import Image

    height, width = layers[0][1].shape
    image = np.zeros((height, width, 3), dtype=np.uint8)
    for color, where in layers:
        image[where] = color
    Image.fromarray(image).save(path)


def tree_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative name -> bytes)."""
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}
