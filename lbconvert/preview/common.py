"""Shared by the preview readers: the manifest, the report, class colours, errors."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

import orjson

from ..errors import LbConvertError
from ..names import strip_image_extension
from ..write.manifest import MANIFEST, REPORT, read_manifest
from .model import ClassInfo, class_color

__all__ = [
    "open_image",
    "read_text",
    "Manifest",
    "load_report",
    "numbered_classes",
    "PreviewError",
    "split_order",
]


class PreviewError(LbConvertError):
    """A dataset file that does not say what its format says it must."""


@contextlib.contextmanager
def open_image(path: Path) -> Iterator[Any]:
    """``PIL.Image.open(path)`` whose failures (not an image, truncated, a
    decompression bomb, while opening or decoding) are one PreviewError naming the file."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            yield image
    except PreviewError:
        raise
    except (OSError, ValueError, SyntaxError, ImportError, Image.DecompressionBombError) as exc:
        # ImportError: a plugin another package registered (a HEIF opener) lacks its module
        raise PreviewError(
            f"{os.fspath(path)}: not a readable image ({exc.__class__.__name__}: "
            f"{str(exc).replace(os.fspath(path), '…')})"
        ) from None


def read_text(path: Path) -> str:
    """The UTF-8 text of a dataset file; bytes that are not UTF-8 are one
    PreviewError naming the file and the line they are on."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PreviewError(
            f"{os.fspath(path)}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})"
        ) from None


class Manifest:
    """``OUT/manifest.jsonl`` by split and stem (and by file name), when present."""

    def __init__(self, root: Path) -> None:
        self.records: list[dict[str, Any]] = []
        path = root / MANIFEST
        if path.is_file():
            self.records = list(read_manifest(path))
        self.by_stem: dict[tuple[str, str], dict[str, Any]] = {}
        self.by_file: dict[str, list[dict[str, Any]]] = {}
        self.order: dict[tuple[str, str], int] = {}
        for position, record in enumerate(self.records):
            key = (str(record.get("split") or "train"), record["stem"])
            self.by_stem.setdefault(key, record)
            self.order.setdefault(key, position)
            self.by_file.setdefault(str(record.get("file_name") or ""), []).append(record)

    def __bool__(self) -> bool:
        return bool(self.records)

    def find(self, split: Optional[str], stem: str) -> Optional[dict[str, Any]]:
        """The record of ``stem`` in ``split`` (any split when None or not found there)."""
        if split is not None and (split, stem) in self.by_stem:
            return self.by_stem[(split, stem)]
        matches = [r for (s, st), r in self.by_stem.items() if st == stem]
        return matches[0] if len(matches) == 1 else None

    def position(self, split: str, stem: str) -> int:
        return self.order.get((split, stem), len(self.records))


def load_report(root: Path) -> Optional[dict[str, Any]]:
    """``OUT/lbconvert-report.json`` as a dict, None when absent; bad JSON is an error."""
    path = root / REPORT
    return read_json_object(path) if path.is_file() else None


def read_json(path: Path) -> Any:
    """The value of a JSON file; bad JSON is one PreviewError."""
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise PreviewError(f"{os.fspath(path)}: not valid JSON ({exc})") from None


def read_json_object(path: Path, not_an_object: str = "expected a JSON object") -> dict[str, Any]:
    """A JSON file holding an object; bad JSON or another value is one PreviewError."""
    document = read_json(path)
    if not isinstance(document, dict):
        raise PreviewError(f"{os.fspath(path)}: {not_an_object}")
    return document


def numbered_classes(names: Sequence[str]) -> list[ClassInfo]:
    """Classes 1..N in this order, coloured by the masks palette."""
    return [ClassInfo(index, name, class_color(index)) for index, name in enumerate(names, 1)]


def split_order(splits: Sequence[str]) -> list[str]:
    """train, val, test, then other names alphabetically (as the writers order them)."""
    known = [s for s in ("train", "val", "test") if s in splits]
    return known + sorted(s for s in set(splits) if s not in known)


def stem_of(file_name: str) -> str:
    return strip_image_extension(os.path.basename(file_name))
