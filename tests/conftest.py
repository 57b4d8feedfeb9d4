from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PUBLIC = ROOT.parent / "shared" / "fixtures-public"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def public() -> Path:
    if not PUBLIC.is_dir():
        pytest.skip("../shared/fixtures-public is not beside this checkout")
    return PUBLIC


def gzipped(path: Path, tmp_path: Path) -> Path:
    """A gzip copy of ``path`` under a name that does not end in .gz
    (detection must sniff the bytes, not the name)."""
    out = tmp_path / (path.name + ".export")
    with open(path, "rb") as src, gzip.open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out
