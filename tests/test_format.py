"""The package has one formatter: ``ruff format`` with the settings in
pyproject.toml (``[tool.ruff]``).  Run ``ruff format lbconvert`` before committing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_is_formatted_by_ruff() -> None:
    pytest.importorskip("ruff")
    done = subprocess.run([sys.executable, "-m", "ruff", "format", "--check", "lbconvert"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
