"""Make the README's preview screenshots (docs/preview-<format>.png) from the bundled
fixtures with headless Chromium:  python docs/screenshots.py  (needs `chromium`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

import lbconvert

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "fixtures/v2/images.ndjson"
PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"
CASES = {
    "coco": ("coco", {"split": {"train": 0.6, "val": 0.4}}),
    "yolo": ("yolo", {"task": "segment", "boxes_as_polygons": True}),
    "voc": ("voc", {"segmentation": True}),
    "masks": ("masks", {"instances": True, "line_width": 6}),
}
WINDOW = (1280, 1500)
WIDTH = 900  # pixels of the PNG kept in the repo


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("needs chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as temp:
        os.chdir(temp)  # the page names the dataset as given: a relative path
        for name, (fmt, options) in CASES.items():
            out, page = Path(name), Path(temp) / f"preview-{name}"
            lbconvert.convert(EXPORT, fmt, out, project=PROJECT, **options)
            index = lbconvert.preview(out, page, n=6)[0]
            shot = Path(temp) / f"{name}.png"
            subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", "--force-device-scale-factor=1",
                            f"--user-data-dir={temp}/profile",
                            f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={shot}",
                            index.as_uri()], check=True, capture_output=True, timeout=120)
            image = Image.open(shot).convert("RGB")
            image = image.resize((WIDTH, round(image.height * WIDTH / image.width)),
                                 Image.Resampling.LANCZOS)
            target = ROOT / "docs" / f"preview-{name}.png"
            image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
            print(target.relative_to(ROOT), target.stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
