"""Packaging metadata: SPDX licence with its file, one source for the version."""

from __future__ import annotations

import importlib.metadata
import re
import sys

import pytest

import lbconvert

from .conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _project() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        data: dict[str, object] = tomllib.load(handle)["project"]
    return data


def test_license_is_an_spdx_expression_with_its_file() -> None:
    project = _project()
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "lbconvert developers" in text
    classifiers = project["classifiers"]
    assert isinstance(classifiers, list)
    assert not any(c.startswith("License ::") for c in classifiers)  # SPDX replaces them


def test_the_version_is_written_once() -> None:
    assert "version" not in _project() and "version" in _project()["dynamic"]  # type: ignore[operator]
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]\d+|rc\d+)?", lbconvert.__version__)
    assert importlib.metadata.version("lbconvert") == lbconvert.__version__
    with open(ROOT / "pyproject.toml", encoding="utf-8") as handle:
        assert lbconvert.__version__ not in handle.read()
