"""Hash every file each writer writes, for every option set, to prove a refactor
changes no output byte.

    python -m benchmarks.identity --save before.json            # on the old code
    python -m benchmarks.identity --compare before.json         # on the new code

Inputs: ``fixtures/v2/*.ndjson``, ``fixtures/legacy/*.json`` and a generated
export (``--rows``, default 10,000, with 20 video rows; seed 0).  Option sets
cover every branch of the object-geometry layer (clip, fix_geometry, every
YOLO task, VOC segmentation, the mask PNG overlap rules, polylines with a
line width).  The raster sets (VOC segmentation, masks) run on the first
``--raster-rows`` rows of the generated export only: a PNG per image is slow.
Exit status 1 when ``--compare`` finds a difference (every differing file listed).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: (writer, option-set label, options).  Options apply to every input.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("coco", "plain", {}),
    ("coco", "clip", {"clip": True}),
    ("coco", "fix", {"fix_geometry": True, "results": True}),
    ("coco", "keypoints", {"keypoints": True, "keypoint_names": ("Head",)}),
    ("yolo", "detect", {}),
    ("yolo", "detect-shapes", {"boxes_from_shapes": True, "clip": True}),
    ("yolo", "segment", {"task": "segment"}),
    ("yolo", "segment-clip", {"task": "segment", "clip": True, "boxes_as_polygons": True}),
    ("yolo", "segment-split", {"task": "segment", "fix_geometry": True, "split_parts": True}),
    ("yolo", "obb", {"task": "obb"}),
    ("yolo", "pose", {"task": "pose", "keypoint_names": ("Head",), "boxes_from_shapes": True}),
    ("voc", "plain", {}),
    ("voc", "clip", {"clip": True}),
    ("jsonl", "plain", {}),
    ("geojson", "plain", {}),
]
RASTER_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("voc", "segmentation", {"segmentation": True, "void_border": True}),
    ("masks", "plain", {}),
    ("masks", "ignore", {"instances": True, "overlap": "ignore", "line_width": 3.0}),
]


def _inputs(data: Path, rows: int, raster_rows: int) -> tuple[list[Path], list[Path]]:
    """(inputs for every case, inputs for the raster cases)."""
    generated = data / f"identity-{rows}.ndjson"
    small = data / f"identity-{raster_rows}.ndjson"
    if not generated.exists():
        from .generate import main as generate

        generate(["--rows", str(rows), "--video-rows", "20", "--out", str(generated), "-q"])
    if not small.exists():
        with open(generated, "rb") as source, open(small, "wb") as out:
            out.writelines(itertools.islice(source, raster_rows))
    fixtures = sorted((ROOT / "fixtures" / "v2").glob("*.ndjson"))
    fixtures += sorted((ROOT / "fixtures" / "legacy").glob("*.json"))
    return fixtures + [generated], fixtures + [small]


def _hashes(directory: Path) -> dict[str, str]:
    found = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() or path.is_symlink():
            data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            found[str(path.relative_to(directory))] = hashlib.sha256(data).hexdigest()
    return found


#: Fixtures that need a choice to convert at all.
CHOICES: dict[str, dict[str, str]] = {
    "images.ndjson": {"project": "cl3vyrz2zafeq76e6zyfvrz89"},
    "model_run.ndjson": {"model_run": "f8ced22c-68eb-57bb-90af-3c23141a323c"},
}


def _convert(export: Path, to: str, options: dict[str, Any], out: Path) -> dict[str, str]:
    import lbconvert

    options = {**options, **CHOICES.get(export.name, {})}

    try:
        lbconvert.convert(str(export), to, out, **options)
    except lbconvert.LbConvertError as exc:  # a refusal is an outcome too
        return {"error": str(exc).replace(str(out), "OUT")}
    return _hashes(out)


def collect(data: Path, rows: int, raster_rows: int, writers: "set[str] | None" = None
            ) -> dict[str, dict[str, str]]:
    every, raster = _inputs(data, rows, raster_rows)
    results: dict[str, dict[str, str]] = {}
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None  # output on a tmpfs when there is one
    with tempfile.TemporaryDirectory(dir=shm) as scratch:
        for cases, inputs in ((CASES, every), (RASTER_CASES, raster)):
            for (to, label, options), export in itertools.product(cases, inputs):
                if writers and to not in writers:
                    continue
                key = f"{to}/{label}/{export.name}"
                out = Path(scratch) / key.replace("/", "_")
                results[key] = _convert(export, to, options, out)
    return results


def main(argv: "list[str] | None" = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, help="write the hashes to this JSON file")
    parser.add_argument("--compare", type=Path, help="compare with hashes saved earlier")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--raster-rows", type=int, default=500)
    parser.add_argument("--writers", help="only these writers (comma-separated); --compare "
                        "then checks only their conversions")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "lbconvert-bench")
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    writers = set(args.writers.split(",")) if args.writers else None
    results = collect(args.data, args.rows, args.raster_rows, writers)
    files = sum(len(v) for v in results.values())
    print(f"{len(results)} conversions, {files} files", file=sys.stderr)
    if args.save:
        args.save.write_text(json.dumps(results, indent=1, sort_keys=True))
    if args.compare:
        before = json.loads(args.compare.read_text())
        if writers:
            before = {case: files for case, files in before.items()
                      if case.split("/")[0] in writers}
        differing = [f"{case}: {name}" for case in sorted(set(before) | set(results))
                     for name in sorted(set(before.get(case, {})) | set(results.get(case, {})))
                     if before.get(case, {}).get(name) != results.get(case, {}).get(name)]
        for line in differing:
            print(f"differs: {line}")
        print("byte-identical" if not differing else f"{len(differing)} files differ")
        return 1 if differing else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
