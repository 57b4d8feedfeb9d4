"""A mask PNG whose size is not the image's: every writer that reads masks drops
that object (one countable reason, both sizes in the log) and goes on; only
``--strict`` fails."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import lbconvert
from lbconvert.convert import StrictError
from lbconvert.write.mask_files import SIZE_DIFFERS

from .inline import box, composite_mask, instance_mask, row, write_export

WRITERS = [
    ("coco", {}),
    ("yolo", {"task": "segment", "boxes_as_polygons": True}),
    ("yolo", {"task": "detect", "boxes_from_shapes": True}),
    ("voc", {}),
    ("voc", {"segmentation": True}),
    ("masks", {}),
    ("masks", {"instances": True}),
]


def _export(tmp_path: Path) -> tuple[Path, Path]:
    """Row ``good``: an 80x60 mask for an 80x60 image; ``bad``: a 40x30 mask for
    an 80x60 image; ``composite``: a 20x10 composite for a 200x100 image, with a box."""
    masks = tmp_path / "masks"
    masks.mkdir()
    square = np.zeros((60, 80), dtype=np.uint8)
    square[10:30, 20:50] = 255
    Image.fromarray(square).save(masks / "good.png")
    Image.fromarray(np.full((30, 40), 255, dtype=np.uint8)).save(masks / "bad.png")
    Image.fromarray(np.full((10, 20, 3), 7, dtype=np.uint8)).save(masks / "cm.png")
    export = write_export(tmp_path / "e.ndjson", [
        row("good", [instance_mask("blob", "good")], 80, 60),
        row("bad", [instance_mask("blob", "bad")], 80, 60),
        row("composite", [composite_mask("blob", "cm", (7, 7, 7)), box("car", 1, 1, 5, 5)]),
    ])
    return export, masks


@pytest.mark.parametrize("to, options", WRITERS)
def test_mismatched_mask_is_dropped_and_the_rest_written(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, to: str, options: dict[str, Any]) -> None:
    export, masks = _export(tmp_path)
    with caplog.at_level(logging.WARNING, logger="lbconvert.write.mask_files"):
        report = lbconvert.convert(export, to, tmp_path / "out", masks=masks, **options)
    assert report.dropped == {SIZE_DIFFERS: 2}, report.to_dict()
    assert report.items == 3 and report.annotations_written == 2  # good mask and the car box
    assert report.is_balanced()
    messages = [r.getMessage() for r in caplog.records]
    assert any("is 40x30 but image bad is 80x60" in m for m in messages)
    assert any("is 20x10 but image composite is 200x100" in m for m in messages)
    with pytest.raises(StrictError, match=f"dropped {SIZE_DIFFERS} \\(2\\)"):
        lbconvert.convert(export, to, tmp_path / "strict", masks=masks, strict=True, **options)
    assert not (tmp_path / "strict").exists()


def test_coco_keeps_the_good_mask_pixels(tmp_path: Path) -> None:
    export, masks = _export(tmp_path)
    lbconvert.convert(export, "coco", tmp_path / "out", masks=masks)
    coco = json.loads((tmp_path / "out" / "annotations.json").read_text())
    areas = sorted(a["area"] for a in coco["annotations"])
    assert areas == [25, 600]  # the 5x5 car box; the 30x20 good mask
    assert len(coco["images"]) == 3


def test_cli_warns_with_both_sizes_and_exits_0(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from lbconvert.cli import main

    export, masks = _export(tmp_path)
    code = main(["convert", str(export), "--to", "masks", "-o", str(tmp_path / "out"),
                 "--masks", str(masks)])
    assert code == 0
    out = capsys.readouterr().out
    assert f"dropped       2  {SIZE_DIFFERS}" in out
    code = main(["convert", str(export), "--to", "masks", "-o", str(tmp_path / "strict"),
                 "--masks", str(masks), "--strict"])
    assert code == 3
