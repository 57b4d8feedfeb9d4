"""Semantic mask PNGs against the bare Pillow floor, in the same run.

    python -m benchmarks.masks --rows 10000 --runs 1

The export: ``--rows`` 1920x1080 images with 3-12 polygons each (8-30 points,
5 classes), deterministic.  The floor draws the same polygons with Pillow's
``ImageDraw.polygon`` on a palette image and saves it as PNG -- what a
hand-written converter would do (and which over-paints every edge by half a
pixel).  ``lbconvert`` runs ``convert(..., "masks", ...)`` end to end,
parsing included.  Both write to ``--out`` (a tmpfs by default).
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import statistics
import time
from pathlib import Path

import orjson

WIDTH, HEIGHT = 1920, 1080
CLASSES = ["road", "building", "vegetation", "vehicle", "person"]


def _polygon(rng: random.Random) -> list[dict[str, float]]:
    cx, cy = rng.uniform(100, WIDTH - 100), rng.uniform(100, HEIGHT - 100)
    radius = rng.uniform(20, 300)
    count = rng.randint(8, 30)
    points = []
    for i in range(count):
        angle = 2 * math.pi * i / count
        r = radius * rng.uniform(0.6, 1.0)
        points.append({"x": round(cx + r * math.cos(angle), 2),
                       "y": round(cy + r * math.sin(angle), 2)})
    return points + points[:1]


def generate(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "wb") as out:
        for i in range(rows):
            objects = [{"feature_id": f"f{i}-{j}", "name": rng.choice(CLASSES),
                        "annotation_kind": "ImagePolygon", "polygon": _polygon(rng)}
                       for j in range(rng.randint(3, 12))]
            row = {"data_row": {"id": f"row-{i}", "global_key": f"frame-{i:06d}.jpg"},
                   "media_attributes": {"width": WIDTH, "height": HEIGHT,
                                        "mime_type": "image/jpeg"},
                   "projects": {"p": {"labels": [{"annotations": {"objects": objects}}]}}}
            out.write(orjson.dumps(row) + b"\n")


def pillow_floor(path: Path, out: Path) -> float:
    from PIL import Image, ImageDraw

    from lbconvert.write.palette import voc_palette

    out.mkdir(parents=True, exist_ok=True)
    palette = voc_palette()
    start = time.perf_counter()
    with open(path, "rb") as rows:
        for line in rows:
            row = orjson.loads(line)
            image = Image.new("P", (WIDTH, HEIGHT), 0)
            image.putpalette(palette)
            draw = ImageDraw.Draw(image)
            label = row["projects"]["p"]["labels"][0]
            for obj in label["annotations"]["objects"]:
                points = [(p["x"], p["y"]) for p in obj["polygon"]]
                draw.polygon(points, fill=CLASSES.index(obj["name"]) + 1)
            image.save(out / f"{row['data_row']['global_key'][:-4]}.png")
    return time.perf_counter() - start


def lbconvert_masks(path: Path, out: Path) -> float:
    import lbconvert

    start = time.perf_counter()
    lbconvert.convert(path, "masks", out)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.masks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("benchmarks/data"))
    parser.add_argument("--out", type=Path, default=Path("/dev/shm/lbconvert-masks"))
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    export = args.data / f"polygons-{args.rows}.ndjson"
    if not export.exists():
        generate(export, args.rows)
    floors, ours = [], []
    for _ in range(args.runs):
        for target, runner, times in ((args.out / "floor", pillow_floor, floors),
                                      (args.out / "ours", lbconvert_masks, ours)):
            shutil.rmtree(target, ignore_errors=True)
            times.append(runner(export, target))
            shutil.rmtree(target, ignore_errors=True)
    floor, mine = statistics.median(floors), statistics.median(ours)
    print(f"{args.rows} images 1920x1080, median of {args.runs} runs")
    print(f"pillow floor   {floor:8.2f} s  {args.rows / floor:7.1f} images/s")
    print(f"lbconvert      {mine:8.2f} s  {args.rows / mine:7.1f} images/s  "
          f"ratio {mine / floor:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
