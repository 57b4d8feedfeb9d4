"""What a dataset directory says about itself, beside the format's own files.

``OUT/manifest.jsonl``: one line per item an image writer wrote (coco, yolo,
voc, masks), in the order written, so every output file can be traced back
to its data row (``lbconvert to-labelbox``) and every image's size is known
even where the format does not store it (YOLO; ``lbconvert preview``)::

    {"stem": "img-001", "file_name": "img-001.jpg", "split": "train",
     "data_row_id": "cl…", "global_key": "img-001.jpg", "external_id": null,
     "media_type": "image", "frame": null, "page": null, "width": 640, "height": 480}

``OUT/lbconvert-report.json``: the conversion report (every writer), so a
dataset carries its own history.
"""

from __future__ import annotations

import os
from typing import IO, Any, Iterator, Optional

import orjson

from ..errors import LbConvertError
from ..model import Item

__all__ = ["MANIFEST", "REPORT", "Manifest", "manifest_record", "read_manifest"]

MANIFEST = "manifest.jsonl"
REPORT = "lbconvert-report.json"


def manifest_record(item: Item) -> dict[str, Any]:
    """The manifest line of one item (keys in a fixed order)."""
    return {
        "stem": item.stem,
        "file_name": item.file_name,
        "split": item.split,
        "data_row_id": item.data_row_id,
        "global_key": item.global_key,
        "external_id": item.external_id,
        "media_type": item.media_type,
        "frame": item.frame,
        "page": item.page,
        "width": item.width,
        "height": item.height,
    }


class Manifest:
    """Appends manifest lines to ``directory/manifest.jsonl``, opened on the first item."""

    def __init__(self, directory: "str | os.PathLike[str]") -> None:
        self.path = os.path.join(directory, MANIFEST)
        self._file: Optional[IO[bytes]] = None

    def add(self, item: Item) -> None:
        if self._file is None:
            self._file = open(self.path, "wb")
        self._file.write(orjson.dumps(manifest_record(item), option=orjson.OPT_APPEND_NEWLINE))

    def close(self) -> None:
        """Flush and close; an empty manifest is still written (a dataset of no items)."""
        if self._file is None:
            self._file = open(self.path, "wb")
        file, self._file = self._file, None
        file.close()

    def discard(self) -> None:
        """Close without caring whether the last bytes reach the disk (abort)."""
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError:
                pass


def read_manifest(path: "str | os.PathLike[str]") -> Iterator[dict[str, Any]]:
    """The records of a manifest, streaming; a bad line is an error naming it."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise LbConvertError(
                    f"{os.fspath(path)}:{number}: not valid JSON ({exc})"
                ) from None
            if not isinstance(record, dict) or not isinstance(record.get("stem"), str):
                raise LbConvertError(f"{os.fspath(path)}:{number}: a manifest line needs a 'stem'")
            yield record
