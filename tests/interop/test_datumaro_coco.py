"""Datumaro imports the ``--layout coco2017`` output with the right counts."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

import lbconvert

from .conftest import need


def test_datumaro_imports_coco2017(tmp_path: Path) -> None:
    dm = need("datumaro")
    from datumaro.components.annotation import AnnotationType

    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for index in range(10):
        Image.new("RGB", (40, 30), (index, 9, 9)).save(images / f"img{index}.jpg")
        objects = [{"annotation_kind": "ImageBoundingBox", "name": "car",
                    "bounding_box": {"left": 1, "top": 2, "width": 10, "height": 8}}]
        if index % 2:
            objects.append({"annotation_kind": "ImagePolygon", "name": "road",
                            "polygon": [{"x": 0, "y": 0}, {"x": 20, "y": 0}, {"x": 0, "y": 20}]})
        rows.append({"data_row": {"id": f"row{index}", "global_key": f"img{index}.jpg"},
                     "media_attributes": {"width": 40, "height": 30},
                     "projects": {"p": {"labels": [{"id": f"l{index}",
                                                    "annotations": {"objects": objects}}]}}})
    export = tmp_path / "export.ndjson"
    import json

    export.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "coco"
    report = lbconvert.convert(export, "coco", out, layout="coco2017", images=images,
                               image_mode="copy", split={"train": 0.6, "val": 0.4})
    assert report.annotations_written == 15

    dataset = dm.Dataset.import_from(str(out), "coco")
    subsets = {name: len(subset) for name, subset in dataset.subsets().items()}
    assert subsets == {split: counts["items"] for split, counts in report.splits.items()}
    labels = dataset.categories()[AnnotationType.label]
    names = [label.name for label in labels]
    assert sorted(names) == ["car", "road"]
    kinds: dict[str, int] = {}
    ids: set[tuple[str, int]] = set()
    for item in dataset:
        assert item.media is not None and item.media.has_data  # the copied image was found
        assert item.media.data.shape[:2] == (30, 40)
        for annotation in item.annotations:
            key = f"{names[annotation.label]}:{annotation.type.name}"
            kinds[key] = kinds.get(key, 0) + 1
            ids.add((item.subset, annotation.id))
    # Datumaro gives each COCO instance with a polygon segmentation a Polygon
    # and a Bbox (same id); boxes carry their 4-corner polygon.
    assert kinds == {"car:bbox": 10, "car:polygon": 10, "road:bbox": 5, "road:polygon": 5}
    assert len(ids) == report.annotations_written
