from __future__ import annotations

import gzip
import importlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PUBLIC = ROOT.parent / "shared" / "fixtures-public"


#: Modules the interop stage (LBCONVERT_INTEROP=1, see .ci/run) must have, so
#: that the tests that use them when installed cannot quietly skip there.
INTEROP_MODULES = ("torch", "torchvision", "ultralytics", "ultralytics.data.utils", "datumaro",
                   "supervision")


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("LBCONVERT_INTEROP") != "1":
        return
    for module in INTEROP_MODULES:
        try:
            importlib.import_module(module)
        except Exception as exc:  # any import failure is a broken interop set
            raise pytest.UsageError(f"LBCONVERT_INTEROP=1 but {module} does not import: "
                                    f"{exc}") from exc


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
