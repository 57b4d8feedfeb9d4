"""Which data row an input image belongs to: the dataset's ``manifest.jsonl``.

Every image writer of lbconvert writes ``OUT/manifest.jsonl``
(:mod:`lbconvert.write.manifest`), one line per item with its stem, file name,
data row id, global key, frame / page and size.  The reverse direction looks
input images up in it by name, trying in turn: the stem, the file name, the
base name, and the base name without its extension (so ``street-001``,
``street-001.jpg``, ``images/train/street-001.jpg`` and a prediction file
``street-001.txt`` all find the same item).

The index holds one small tuple per item: the manifest is the only input that
is read whole, because predictions may name images in any order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, NamedTuple, Optional

from ..errors import ExportFormatError, LbConvertError
from ..write.manifest import MANIFEST, read_manifest

__all__ = [
    "ItemRef",
    "ManifestIndex",
    "find_manifest",
    "files_of_dataset",
    "item_of_file",
    "optional_int",
]


class ItemRef(NamedTuple):
    """The data row (and frame or page) an input image stands for."""

    stem: str
    data_row_id: Optional[str]
    global_key: Optional[str]
    media_type: str = "image"
    frame: Optional[int] = None
    page: Optional[int] = None
    width: Optional[int] = None
    height: Optional[int] = None

    @property
    def data_row(self) -> dict[str, str]:
        """The import's ``dataRow``: exactly one of ``globalKey`` or ``id``
        (the SDK refuses both), the global key when there is one."""
        if self.global_key:
            return {"globalKey": self.global_key}
        return {"id": self.data_row_id or ""}

    @property
    def key(self) -> str:
        return self.global_key or self.data_row_id or ""


def optional_int(value: object) -> Optional[int]:
    """``value`` if it is an integer (not a bool), else None: unknown."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _optional_str(value: object) -> Optional[str]:
    return value if isinstance(value, str) and value else None


class ManifestIndex:
    """Items of a manifest, found by stem or file name."""

    def __init__(self, path: "Optional[str | os.PathLike[str]]" = None) -> None:
        self.path = os.fspath(path) if path is not None else None
        self._by_stem: dict[str, ItemRef] = {}
        self._by_name: dict[str, str] = {}  # file name, base name, base stem -> stem
        if path is not None:
            self._load(path)

    def _load(self, path: "str | os.PathLike[str]") -> None:
        for number, record in enumerate(read_manifest(path), 1):
            data_row_id = _optional_str(record.get("data_row_id"))
            global_key = _optional_str(record.get("global_key"))
            if not data_row_id and not global_key:
                raise LbConvertError(
                    f"{os.fspath(path)}:{number}: a manifest line needs a "
                    "'data_row_id' or a 'global_key'"
                )
            item = ItemRef(
                stem=record["stem"],
                data_row_id=data_row_id,
                global_key=global_key,
                media_type=_optional_str(record.get("media_type")) or "image",
                frame=optional_int(record.get("frame")),
                page=optional_int(record.get("page")),
                width=optional_int(record.get("width")),
                height=optional_int(record.get("height")),
            )
            self._by_stem.setdefault(item.stem, item)
            file_name = _optional_str(record.get("file_name"))
            if file_name:
                base = os.path.basename(file_name)
                for name in (file_name, base, os.path.splitext(base)[0]):
                    self._by_name.setdefault(name, item.stem)

    def __len__(self) -> int:
        return len(self._by_stem)

    def __bool__(self) -> bool:
        return self.path is not None

    def find(self, name: str) -> Optional[ItemRef]:
        """The item named ``name`` (stem, file name or path), or None."""
        found = self._by_stem.get(name)
        if found is not None:
            return found
        base = os.path.basename(name.replace("\\", "/"))
        for candidate in (name, base, os.path.splitext(base)[0]):
            stem = self._by_name.get(candidate)
            if stem is not None:
                return self._by_stem[stem]
            if candidate in self._by_stem:
                return self._by_stem[candidate]
        return None


def find_manifest(source: "str | os.PathLike[str]", levels: int = 2) -> Optional[Path]:
    """``manifest.jsonl`` in ``source`` (a directory) or in one of its
    ``levels`` parents: ``OUT``, ``OUT/labels`` and ``OUT/labels/train`` all
    find ``OUT/manifest.jsonl``."""
    path = Path(source).resolve()
    folder = path if path.is_dir() else path.parent
    for candidate in [folder, *list(folder.parents)[:levels]]:
        manifest = candidate / MANIFEST
        if manifest.is_file():
            return manifest
    return None


def files_of_dataset(
    source: Path,
    index: ManifestIndex,
    list_files: Callable[[Path], list[Path]],
    *,
    needs_manifest: str,
    what: str,
) -> list[Path]:
    """``list_files(source)`` for a format that is read through the manifest:
    without one it is refused (``needs_manifest`` says why), and so is a
    ``source`` holding no ``what`` unless the dataset has no items."""
    if not index:
        raise LbConvertError(f"{needs_manifest} (--manifest OUT/manifest.jsonl)")
    files = list_files(source)
    if not files and len(index):  # a dataset of no items has no files
        raise LbConvertError(f"{source}: no {what} here")
    return files


def item_of_file(index: ManifestIndex, path: Path, file_name: Optional[str] = None) -> ItemRef:
    """The item an input file stands for: by its stem, else by the image
    ``file_name`` it gives; one that is not in the manifest is an error."""
    item = index.find(path.stem) or (index.find(file_name.strip()) if file_name else None)
    if item is None:
        raise ExportFormatError(str(path), f"{path.stem!r} is not in the manifest {index.path}")
    return item
