"""The preview page in a real browser: headless Chromium renders it, the thumbnails
show, and the console stays silent.  Skipped when no Chromium is installed
(Debian: ``apt-get install chromium``; or point ``LBCONVERT_CHROMIUM`` at one)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import lbconvert
from lbconvert.preview.draw import CANVAS

from .conftest import FIXTURES

MAIN_PROJECT = "cl3vyrz2zafeq76e6zyfvrz89"
PHOTO = (30, 110, 190)
WINDOW = (1200, 3200)
DISPLAY = 360  # the page shows a thumbnail at most this wide and high (CSS)


def _chromium() -> str:
    for name in (os.environ.get("LBCONVERT_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome", "google-chrome-stable"):
        if name and shutil.which(name):
            return shutil.which(name)  # type: ignore[return-value]
    pytest.skip("no headless Chromium installed (apt-get install chromium)")


def render(page: Path, tmp_path: Path) -> tuple[np.ndarray, list[str]]:
    """A screenshot of the page and the console messages Chromium logged."""
    shot = tmp_path / f"{page.parent.name}.png"
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--no-first-run", "--force-device-scale-factor=1", f"--user-data-dir={tmp_path / 'profile'}",
               "--enable-logging=stderr", "--v=0", f"--window-size={WINDOW[0]},{WINDOW[1]}",
               f"--screenshot={shot}", page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(tmp_path)})
    assert shot.is_file(), done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return np.asarray(Image.open(shot).convert("RGB")).astype(int), console


def _displayed_area(path: Path) -> int:
    width, height = Image.open(path).size
    scale = min(1.0, DISPLAY / width, DISPLAY / height)
    return round(width * scale) * round(height * scale)


def test_page_renders_its_thumbnails_without_console_errors(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    for name in ("street-001.jpg", "street-004.jpg"):
        size = (640, 480) if name == "street-001.jpg" else (1920, 1080)
        Image.new("RGB", size, PHOTO).save(images / name, quality=95)
    lbconvert.convert(FIXTURES / "v2/images.ndjson", "coco", tmp_path / "coco", project=MAIN_PROJECT)
    files = lbconvert.preview(tmp_path / "coco", tmp_path / "preview", images=images)
    canvas = [f for f in files[1:] if f.suffix == ".png"]
    photos = [f for f in files[1:] if f.suffix == ".jpg"]
    assert len(canvas) == 3 and len(photos) == 2
    pixels, console = render(files[0], tmp_path)
    assert console == []
    grey = np.all(pixels == CANVAS, axis=-1).sum()
    blue = (np.abs(pixels - PHOTO).max(axis=-1) <= 6).sum()
    # the thumbnails' backgrounds fill most of the area they are shown at
    assert grey >= 0.9 * sum(map(_displayed_area, canvas))
    assert blue >= 0.9 * sum(map(_displayed_area, photos))
    car = np.all(pixels == (128, 0, 0), axis=-1).sum()
    assert car > 50  # the outlines (and legend swatches) drew

    # the checks can fail: a missing thumbnail and a console error are seen
    broken = tmp_path / "broken"
    shutil.copytree(tmp_path / "preview", broken)
    for path in (broken / "thumbs").glob("*.png"):
        path.unlink()
    text = (broken / "index.html").read_text()
    (broken / "index.html").write_text(text.replace("</body>", "<script>console.error('boom')"
                                                               "</script></body>"))
    pixels, console = render(broken / "index.html", tmp_path)
    assert np.all(pixels == CANVAS, axis=-1).sum() < 0.1 * sum(map(_displayed_area, canvas))
    assert any("boom" in line for line in console)


def test_page_has_no_script_and_no_remote_reference(tmp_path: Path) -> None:
    """Without a browser: nothing in the page would need the network or JavaScript."""
    lbconvert.convert(FIXTURES / "v2/images.ndjson", "yolo", tmp_path / "yolo", project=MAIN_PROJECT)
    page = lbconvert.preview(tmp_path / "yolo", tmp_path / "p")[0].read_text()
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"url\(|https?://(?!www\.w3\.org/2000/svg)", page)
