"""Pascal VOC's image-set lists (``ImageSets/Main``, ``ImageSets/Segmentation``).

For every split (file name: :func:`list_name`): ``<split>.txt``, the stems of
its items in export order, and ``<class>_<split>.txt``, every stem followed by
`` 1`` when the item has an object of the class, else `` -1``.  With items in
both ``train`` and ``val`` (and no split itself named ``trainval``) also the
``trainval`` lists, the items of both in export order (:func:`writes_trainval`).

Memory does not grow with the number of items: each item adds a
``stem<TAB>class bit mask`` line to a part file of its split, and the lists
are made from it at the end, 64 KiB of it at a time, with at most 128 class
files open at once.
"""

from __future__ import annotations

import os
import shutil
from contextlib import ExitStack, contextmanager
from typing import IO, Collection, Iterator, Optional

from ..names import safe_stem

__all__ = ["ImageSets", "list_name", "list_names", "writes_trainval"]

#: How many class files are open at once while they are written.
_OPEN_FILES = 128
#: How much of a part file is read at once while the lists are made.
_BATCH_BYTES = 1 << 16
#: The splits whose union VOC calls ``trainval``.
_TRAINVAL = ("train", "val")


def list_name(split: str) -> str:
    """The name of a split's lists: ``<name>.txt``, ``<class>_<name>.txt``."""
    return safe_stem(split) or "split"


def writes_trainval(splits: Collection[str]) -> bool:
    """Whether items of these splits get the ``trainval`` lists."""
    return all(s in splits for s in _TRAINVAL) and "trainval" not in splits


def list_names(splits: Collection[str]) -> list[str]:
    """The names of the lists written for these splits (``train`` for none), sorted."""
    names = {list_name(split) for split in splits} or {"train"}
    if writes_trainval(splits):
        names.add("trainval")
    return sorted(names)


class _SplitPart:
    """The part file of one split's lists: one ``stem<TAB>classes`` line per
    item (``classes``: a hexadecimal bit mask, bit k set when the item has an
    object of class id k)."""

    def __init__(self, out: str, name: str, part_name: Optional[str] = None) -> None:
        self.name = name
        self.path = os.path.join(out, f".classes_{part_name or name}.part")
        self.file: IO[str] = open(self.path, "w", encoding="utf-8", newline="\n")

    def add(self, stem: str, classes: int) -> None:
        self.file.write(f"{stem}\t{classes:x}\n")  # a mask: joining id strings cost 5x more

    def batches(self) -> Iterator[list[tuple[str, int]]]:
        """The items in order as ``(stem, class bit mask)``, a batch at a time
        (safe stems hold no tab or line break)."""
        self.file.close()
        with open(self.path, encoding="utf-8") as lines:
            while batch := lines.readlines(_BATCH_BYTES):
                yield [
                    (stem, int(classes, 16))
                    for stem, _, classes in (line[:-1].partition("\t") for line in batch)
                ]

    def copy_from(self, other: "_SplitPart") -> None:
        """Append what ``other`` holds so far."""
        other.file.flush()
        with open(other.path, encoding="utf-8") as source:
            shutil.copyfileobj(source, self.file, _BATCH_BYTES)


class ImageSets:
    """The image-set lists of a VOC dataset being written into ``out``."""

    def __init__(self, out: str, segmentation: bool) -> None:
        self.out = out
        self.segmentation = segmentation
        self._splits: dict[str, _SplitPart] = {}
        self._trainval: Optional[_SplitPart] = None  # once there are train and val items

    def add(self, split: str, stem: str, classes: int) -> None:
        """List an item of ``split`` with the class ids set in ``classes``."""
        self.start(split).add(stem, classes)
        if self._trainval is not None and split in _TRAINVAL:
            self._trainval.add(stem, classes)

    def start(self, split: str) -> _SplitPart:
        """The part of ``split``, started now if it is new."""
        part = self._splits.get(split)
        if part is None:
            part = self._splits[split] = _SplitPart(self.out, list_name(split))
            self._update_trainval(split)
        return part

    def _update_trainval(self, new_split: str) -> None:
        """Start the ``trainval`` lists when the second of train and val
        appears (with what the first holds so far: both are in export order);
        an exported split named ``trainval`` wins over them."""
        if new_split == "trainval" and self._trainval is not None:
            self._trainval.file.close()
            os.remove(self._trainval.path)
            self._trainval = None
        elif new_split in _TRAINVAL and writes_trainval(self._splits):
            first = self._splits["val" if new_split == "train" else "train"]
            self._trainval = _SplitPart(self.out, "trainval", part_name=".trainval")
            self._trainval.copy_from(first)

    def write(self, class_names: list[str]) -> None:
        """Write every list, with a class list per name of ``class_names``
        (in class-id order), and remove the part files."""
        if not self._splits:  # nothing drawable: still a valid, empty dataset
            self.start("train")
        parts = [*self._splits.values(), *([self._trainval] if self._trainval else [])]
        main = os.path.join(self.out, "ImageSets", "Main")
        for part in sorted(parts, key=lambda p: p.name):
            stem_lists = [os.path.join(main, f"{part.name}.txt")]
            if self.segmentation:
                stem_lists.append(
                    os.path.join(self.out, "ImageSets", "Segmentation", f"{part.name}.txt")
                )
            class_lists = [os.path.join(main, f"{name}_{part.name}.txt") for name in class_names]
            for start in range(0, max(len(class_lists), 1), _OPEN_FILES):
                _write_lists(
                    part,
                    stem_lists if start == 0 else [],
                    class_lists[start : start + _OPEN_FILES],
                    start,
                )
            os.remove(part.path)

    def close(self) -> None:
        """Close the part files (a failed run: the directory goes as a whole)."""
        for part in [*self._splits.values(), *([self._trainval] if self._trainval else [])]:
            part.file.close()


def _write_lists(
    part: _SplitPart, stem_paths: list[str], class_paths: list[str], first_class: int
) -> None:
    """One pass over a split's part file: the stem lists at ``stem_paths``
    and ``<class>_<split>.txt`` (``stem 1`` or ``stem -1`` per item) for
    the classes ``first_class, first_class + 1, …`` at ``class_paths``."""
    with _open_all(stem_paths) as stem_files, _open_all(class_paths) as class_files:
        for batch in part.batches():
            if stem_files:
                text = "".join([f"{stem}\n" for stem, _ in batch])
                for handle in stem_files:
                    handle.write(text)
            lines = [(f"{stem} 1\n", f"{stem} -1\n", classes) for stem, classes in batch]
            for class_id, handle in enumerate(class_files, first_class):
                handle.write(
                    "".join([yes if classes >> class_id & 1 else no for yes, no, classes in lines])
                )


@contextmanager
def _open_all(paths: list[str]) -> Iterator[list[IO[str]]]:
    """Text files opened for writing, all closed at the end."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(open(path, "w", encoding="utf-8", newline="\n")) for path in paths
        ]
