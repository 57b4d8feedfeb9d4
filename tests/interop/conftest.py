"""The interop stage: checks with other ecosystems' own tools (Ultralytics,
Datumaro, supervision), pinned in ``requirements/interop.txt`` and installed by the second
stage of ``.ci/run``.  Without them these tests skip; with
``LBCONVERT_INTEROP=1`` (set by ``.ci/run``) a missing tool is a failure.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Iterator

import pytest

REQUIRED = os.environ.get("LBCONVERT_INTEROP") == "1"


def need(module: str) -> ModuleType:
    """Import ``module``; skip the test without it unless the interop stage runs."""
    if REQUIRED:
        return importlib.import_module(module)
    return pytest.importorskip(module)


@pytest.fixture
def offline_ultralytics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings that keep Ultralytics off the network: offline mode, a private
    config directory holding the fonts it would otherwise download, no
    telemetry (its settings file is written before ultralytics is imported)."""
    config = tmp_path / "ultralytics-config"
    (config / "Ultralytics").mkdir(parents=True)
    for font in ("Arial.ttf", "Arial.Unicode.ttf"):
        (config / "Ultralytics" / font).touch()
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(config))
    monkeypatch.setenv("MPLCONFIGDIR", str(config / "mpl"))
    monkeypatch.setenv("WANDB_MODE", "disabled")
    monkeypatch.chdir(tmp_path)  # runs/ goes here
    yield config
