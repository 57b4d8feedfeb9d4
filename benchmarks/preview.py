"""Time ``lbconvert preview`` for 24 images at 1920x1080, per format.

    python -m benchmarks.preview [--items 32] [--runs 5] [-n 24]

Builds a synthetic export of ``--items`` 1920x1080 image rows (seed 0), each
with 6 boxes, 3 polygons of 12 points and 2 composite masks (their PNGs in a
masks directory), and a photo-like JPEG per row (a gradient with noise,
quality 90); converts it to COCO (RLE masks), YOLO segment
(``--boxes-as-polygons``), VOC (``--segmentation``) and masks
(``--instances``); then times ``lbconvert.preview(out, dest, images=DIR,
n=24)`` — reading the dataset back, decoding and scaling 24 JPEGs, drawing and
writing the page — ``--runs`` times per format, interleaved, and prints the
medians of wall and CPU time (the CPU time is the fairer figure on a
machine whose other load varies).  Everything goes to a temporary directory (on /dev/shm when it exists).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import lbconvert

WIDTH, HEIGHT = 1920, 1080
CASES = {
    "coco": ("coco", {}),
    "yolo": ("yolo", {"task": "segment", "boxes_as_polygons": True}),
    "voc": ("voc", {"segmentation": True}),
    "masks": ("masks", {"instances": True}),
}
COLORS = [(255, 0, 0), (0, 0, 255)]


def _polygon(rng: random.Random) -> list[dict[str, float]]:
    cx, cy, r = rng.uniform(200, 1700), rng.uniform(200, 880), rng.uniform(40, 180)
    return [{"x": cx + r * math.cos(2 * math.pi * k / 12) * rng.uniform(0.7, 1.0),
             "y": cy + r * math.sin(2 * math.pi * k / 12) * rng.uniform(0.7, 1.0)}
            for k in range(12)]


def _mask_png(path: Path, rng: random.Random) -> None:
    ys, xs = np.ogrid[0:HEIGHT, 0:WIDTH]
    image = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    for color in COLORS:
        cx, cy, r = rng.uniform(200, 1700), rng.uniform(200, 880), rng.uniform(60, 200)
        image[(xs - cx) ** 2 + (ys - cy) ** 2 < r * r] = color
    Image.fromarray(image).save(path)


def _photo(path: Path, rng: np.random.Generator) -> None:
    ramp = np.linspace(0, 200, WIDTH, dtype=np.float32)[None, :, None]
    noise = rng.normal(0, 12, (HEIGHT, WIDTH, 3)).astype(np.float32)
    pixels = np.clip(ramp + noise + [30, 50, 70], 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, quality=90)


def build(root: Path, items: int) -> Path:
    """The export, its mask PNGs and its images under ``root``; returns the export."""
    rng, noise = random.Random(0), np.random.default_rng(0)
    (root / "mask-pngs").mkdir()
    (root / "images").mkdir()
    lines = []
    for index in range(items):
        key = f"frame-{index:04d}.jpg"
        objects = [{"annotation_kind": "ImageBoundingBox", "name": rng.choice(["car", "person"]),
                    "bounding_box": {"left": rng.uniform(0, 1700), "top": rng.uniform(0, 900),
                                     "width": rng.uniform(20, 200), "height": rng.uniform(20, 160)}}
                   for _ in range(6)]
        objects += [{"annotation_kind": "ImagePolygon", "name": rng.choice(["tree", "sign"]),
                     "polygon": _polygon(rng)} for _ in range(3)]
        objects += [{"annotation_kind": "ImageSegmentationMask", "name": name,
                     "feature_id": f"f-{index}-{name}",
                     "composite_mask": {"url": f"https://api.labelbox.com/api/v1/tasks/t/masks/"
                                               f"cm-{index}/index/1", "color_rgb": list(color)}}
                    for name, color in zip(("road", "sidewalk"), COLORS)]
        _mask_png(root / "mask-pngs" / f"cm-{index}.png", rng)
        _photo(root / "images" / key, noise)
        lines.append(json.dumps({
            "data_row": {"id": f"row-{index}", "global_key": key},
            "media_attributes": {"width": WIDTH, "height": HEIGHT, "mime_type": "image/jpeg"},
            "projects": {"p": {"labels": [{"id": f"l-{index}",
                                           "annotations": {"objects": objects}}]}}}))
    export = root / "export.ndjson"
    export.write_text("\n".join(lines) + "\n")
    return export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.preview", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=32)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-n", type=int, default=24)
    args = parser.parse_args(argv)
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=base) as temp:
        root = Path(temp)
        export = build(root, args.items)
        for name, (fmt, options) in CASES.items():
            lbconvert.convert(export, fmt, root / name, masks=root / "mask-pngs", **options)
        times: dict[str, list[float]] = {name: [] for name in CASES}
        cpu: dict[str, list[float]] = {name: [] for name in CASES}
        for run in range(args.runs):
            for name in CASES:
                start, start_cpu = time.perf_counter(), time.process_time()
                files = lbconvert.preview(root / name, root / f"preview-{name}",
                                          images=root / "images", n=args.n, overwrite=True)
                times[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
                assert len(files) == args.n + 1
        print(f"{args.n} of {args.items} images at {WIDTH}x{HEIGHT}, median of {args.runs} runs "
              "(wall time; CPU time of this process):")
        for name, values in times.items():
            print(f"  {name:6s} {statistics.median(values):6.2f} s wall  "
                  f"(min {min(values):.2f}, max {max(values):.2f})  "
                  f"{statistics.median(cpu[name]):6.2f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
