"""Output names: safe file stems, image extensions, and the set of names used so far.

Shared by the select stage (which names every item) and the writers (which
name split directories); neither imports the other.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from array import array

__all__ = [
    "safe_stem",
    "split_image_extension",
    "strip_image_extension",
    "digest",
    "NameSet",
    "IMAGE_EXTENSIONS",
    "OTHER_MEDIA_EXTENSIONS",
]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif")
#: Stripped from stems too, but never used as an item's image extension.
OTHER_MEDIA_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".dcm", ".pdf")
_EXTENSION_SET = frozenset(IMAGE_EXTENSIONS)
_OTHER_SET = frozenset(OTHER_MEDIA_EXTENSIONS)
_MAX_STEM = 150
_PLAIN = re.compile(r"[A-Za-z0-9_\-. ]+")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def digest(text: str) -> int:
    """A stable 64-bit hash of ``text`` (blake2b; ``hash()`` changes between runs)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def split_image_extension(name: str) -> tuple[str, str]:
    """``("img-001", ".jpg")`` for ``"img-001.jpg"``; ``("clip", "")`` for
    ``"clip.mp4"`` (video, DICOM and PDF extensions are stripped but are no
    image extension); ``(name, "")`` otherwise.  Any case."""
    dot = name.rfind(".")
    if dot > 0:
        extension = name[dot:].lower()
        if extension in _EXTENSION_SET:
            return name[:dot], name[dot:]
        if extension in _OTHER_SET:
            return name[:dot], ""
    return name, ""


def strip_image_extension(name: str) -> str:
    return split_image_extension(name)[0]


def safe_stem(name: str) -> str:
    """A file stem that cannot leave the output directory.

    Path separators, control characters and characters Windows forbids
    become ``_``; ``..`` sequences become ``_``; leading dots and spaces
    go; reserved device names get a ``_`` prefix; long names are cut to 150
    characters plus a hash of the whole name.  Returns ``""`` when nothing
    usable is left.
    """
    if _PLAIN.fullmatch(name) and len(name) <= _MAX_STEM and ".." not in name:
        if name[0] != "." and name[-1] not in ". " and name.split(".")[0].lower() not in _RESERVED:
            return name
    stem = unicodedata.normalize("NFC", name)
    stem = _UNSAFE.sub("_", stem).replace("..", "_")
    stem = stem.strip(" .")
    if stem.split(".")[0].lower() in _RESERVED:
        stem = "_" + stem
    if len(stem) > _MAX_STEM:
        stem = f"{stem[: _MAX_STEM - 17]}_{digest(name):016x}"
    return stem


class NameSet:
    """Names used so far (the stems of items), as 64-bit hashes in an
    open-addressing table: 16–32 bytes per name where a Python ``set`` of
    them would take about 70, so memory stays small as rows grow.  Two
    different stems with equal hashes in one run (odds of about 1e-10 per
    100,000 rows) would only cost one needless suffix."""

    def __init__(self) -> None:
        self._table = array("q", bytes(8 * 1024))  # signed: hash() fits as it is
        self._mask = len(self._table) - 1
        self._count = 0

    def add(self, text: str) -> bool:
        """Add ``text``; False when it was there already."""
        key = hash(text) or 1  # 0 marks an empty slot
        table, mask = self._table, self._mask
        slot = key & mask
        while found := table[slot]:
            if found == key:
                return False
            slot = (slot + 1) & mask
        table[slot] = key
        self._count += 1
        if 2 * self._count > mask:
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._table
        table = self._table = array("q", bytes(16 * len(old)))
        mask = self._mask = len(table) - 1
        for key in old:
            if key:
                slot = key & mask
                while table[slot]:
                    slot = (slot + 1) & mask
                table[slot] = key
