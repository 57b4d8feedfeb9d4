"""VOC class names: one name per class that the XML ``<name>``, ``labelmap.txt``
and the class lists ``<name>_<split>.txt`` can all hold (see :mod:`lbconvert.write.voc`)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["voc_class_name", "VocNames", "file_safe_names"]

#: What a VOC class name cannot hold: characters XML 1.0 cannot, control
#: characters and line breaks (labelmap.txt is read line by line), ``:``
#: (its field separator) and what a file name cannot hold (the class lists).
_NAME_UNSAFE = re.compile('[\x00-\x1f\x7f-\x9f/\\\\:*?"<>|\u2028\u2029\ud800-\udfff\ufffe\uffff]+')
#: Longest VOC class name, in characters, before the hash suffix.
_MAX_NAME = 150


def voc_class_name(name: str) -> str:
    """The class name as the XML, ``labelmap.txt`` and the class lists
    ``<name>_<split>.txt`` all hold it (before the uniqueness suffix of
    :func:`voc_class_names`): NFC-normalised; runs of control characters
    (C0, DEL, C1, U+2028/9), characters XML 1.0 cannot hold, ``:`` and
    ``/ \\ * ? " < > |`` become one ``_``; surrounding white space goes (label
    map readers strip lines); a leading ``#`` (a comment there) becomes ``_``;
    a name over 150 characters is cut to 133 plus ``_`` and a 16-digit hash
    of the whole name.  ``""`` when nothing is left."""
    cleaned = _NAME_UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip()
    if cleaned.startswith("#"):
        cleaned = "_" + cleaned[1:]
    if len(cleaned) > _MAX_NAME:
        digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        cleaned = f"{cleaned[: _MAX_NAME - 17]}_{digest}"
    return cleaned


class VocNames:
    """The VOC names of the classes in id order: :func:`voc_class_name`,
    ``class<id>`` when nothing is left, and ``_<id>`` appended (again, if
    need be) while the name equals, ignoring case, an earlier class's or a
    reserved label map name (``background``; ``ignored`` with the void
    border): file names are compared case-insensitively on Windows and macOS,
    and Datumaro refuses a label map that defines a name twice."""

    def __init__(self, reserved: tuple[str, ...] = ("background",)) -> None:
        self.names: list[str] = []
        self.changed = 0  # how many differ from the class name
        self._taken = {name.lower() for name in reserved}

    def extend(self, titles: list[str]) -> None:
        """Name the classes ``len(self.names), …`` (their titles in id order)."""
        for title in titles[len(self.names) :]:
            index = len(self.names)
            name = voc_class_name(title) or f"class{index}"
            while name.lower() in self._taken:
                name = f"{name}_{index}"
            self._taken.add(name.lower())
            self.names.append(name)
            self.changed += name != title


def file_safe_names(names: list[str]) -> list[str]:
    """VOC class names (see :class:`VocNames`) of these class names."""
    voc_names = VocNames(reserved=())
    voc_names.extend(names)
    return voc_names.names
