"""The coordinator's side of the one-pass COCO plan (:mod:`.coco`): steps 3
and 4, the fix tasks submitted (:mod:`.coco_fix`) and the output files
concatenated from the parts' unchanged sections and the fixed pieces.

:class:`CocoMerge` cuts every section that changes into pieces of
:data:`PIECE_BYTES` and submits a fix task per piece; :class:`_Output`
writes each output file in order with ``os.copy_file_range`` (the kernel
copies; no bytes pass through Python), through a buffer where the kernel
cannot, as soon as each piece is done.
"""

from __future__ import annotations

import errno
import os
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import orjson

from ..classes import ClassMap
from ..errors import LbConvertError
from ..write.manifest import MANIFEST
from .coco_fix import (
    ANNOTATIONS_END,
    BLOCK_BYTES,
    IMAGES_END,
    RESULTS_END,
    Fix,
    fix_manifest,
    fix_piece,
)

if TYPE_CHECKING:
    from .coco import CocoPart, PartFile

__all__ = ["PIECE_BYTES", "CocoMerge"]

#: The bytes of a section one fix task rewrites: small enough that every
#: worker gets a share of the fixing, large enough that tasks cost little.
PIECE_BYTES = 8 << 20


@dataclass(frozen=True)
class _Range:
    """Bytes ``[start, end)`` of a file (``end`` -1: to its end)."""

    path: str
    start: int = 0
    end: int = -1


#: A piece of an output file: bytes of a part file as they are, or the
#: future of a fix task's file.
_Piece = Union[_Range, "Future[str]"]


@dataclass
class _Source:
    """One part's file of one output split, and the offsets of its ids."""

    number: int
    split: Optional[str]
    found: PartFile
    image_shift: int
    annotation_shift: int
    images: list[_Piece] = field(default_factory=list)
    annotations: list[_Piece] = field(default_factory=list)
    results: list[_Piece] = field(default_factory=list)


class CocoMerge:
    """Steps 3 and 4: the fix tasks, submitted in two rounds (what needs no
    renamed stem first), and the output files written from the pieces."""

    def __init__(
        self,
        root: Path,
        executor: Executor,
        results: list[CocoPart],
        classes: ClassMap,
        splits: list[str],
    ) -> None:
        """``classes`` and ``splits``: the export's (see :func:`~.run.export_facts`)."""
        self.root = root
        self.executor = executor
        self.results = results
        self.futures: list[Future[str]] = []
        self.categories = [_category_table(r.survey.classes, classes) for r in results]
        self.export_categories = _categories(results, classes)
        single = len(splits) <= 1
        # split None: no part drew an image, the first part's empty file
        outputs: list[Optional[str]] = list(splits) or [None]
        #: Output suffix -> its sources.
        self.outputs = {"" if single else f"_{split}": self._sources(split) for split in outputs}
        self.manifests: list[_Piece] = []

    def _sources(self, split: Optional[str]) -> list[_Source]:
        sources = []
        image_shift = annotation_shift = 0
        for number, result in enumerate(self.results):
            found = result.files.get(split)
            if found is None or (split is None and number):
                continue
            sources.append(_Source(number, split, found, image_shift, annotation_shift))
            image_shift += found.image_count
            annotation_shift += found.annotation_count
        return sources

    def fix_annotations(self) -> None:
        """Submit the fixes of ``annotations`` and ``results`` sections."""
        for sources in self.outputs.values():
            for source in sources:
                found, categories = source.found, self.categories[source.number]
                source.annotations = self._pieces(
                    Fix(
                        "annotations",
                        found.path,
                        *found.annotations,
                        image_shift=source.image_shift,
                        annotation_shift=source.annotation_shift,
                        categories=categories,
                    )
                )
                if found.results is not None:
                    source.results = self._pieces(
                        Fix(
                            "results",
                            found.results,
                            *found.result_records,
                            image_shift=source.image_shift,
                            categories=categories,
                        )
                    )

    def fix_images(
        self,
        file_names: list[dict[str, dict[int, tuple[str, str]]]],
        manifest_lines: list[dict[int, str]],
    ) -> None:
        """Submit the fixes of ``images`` sections and manifests: per part, the
        renamed stems by split and local image id, and by manifest line (see
        :func:`~.coco._renames`)."""
        for sources in self.outputs.values():
            for source in sources:
                found = source.found
                names = (
                    None if source.split is None else file_names[source.number].get(source.split)
                )
                source.images = self._pieces(
                    Fix(
                        "images",
                        found.path,
                        *found.images,
                        image_shift=source.image_shift,
                        file_names=names,
                    )
                )
        for number, lines in enumerate(manifest_lines):
            path = str(self.root / f"part-{number:05d}" / MANIFEST)
            self.manifests.append(
                self._submit(
                    fix_manifest, path, str(self.root / f".fix-manifest-{number:05d}"), lines
                )
                if lines
                else _Range(path)
            )

    def write(self) -> None:
        """Write every output file, copying each piece as soon as it is done."""
        for suffix, sources in self.outputs.items():
            with _Output(self.root / f"annotations{suffix}.json") as out:
                out.piece(_Range(sources[0].found.path, 0, sources[0].found.head))
                out.section([source.images for source in sources])
                out.write(IMAGES_END)
                out.section([source.annotations for source in sources])
                out.write(ANNOTATIONS_END + self.export_categories + b"}\n")
            if sources[0].found.results is not None:
                with _Output(self.root / f"results{suffix}.json") as out:
                    out.write(b"[")
                    out.section([source.results for source in sources])
                    out.write(RESULTS_END)
        with _Output(self.root / MANIFEST) as out:
            for piece in self.manifests:
                out.piece(piece)

    def cancel(self) -> None:
        for future in self.futures:
            future.cancel()

    def _pieces(self, fix: Fix) -> list[_Piece]:
        """The section of ``fix`` as it is, or the futures of its fixed pieces."""
        if not fix.changes() or fix.first == fix.last:
            return [_Range(fix.path, fix.first, fix.last)]
        return [
            self._submit(
                fix_piece,
                replace(
                    fix,
                    start=start,
                    end=min(start + PIECE_BYTES, fix.last),
                    target=str(self.root / f".fix-{len(self.futures):06d}"),
                ),
            )
            for start in range(fix.first, fix.last, PIECE_BYTES)
        ]

    def _submit(self, function: Callable[..., str], *args: Any) -> "Future[str]":
        future = self.executor.submit(function, *args)
        self.futures.append(future)
        return future


class _Output:
    """An output file written from pieces (copied in the kernel) and bytes."""

    def __init__(self, path: Path) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)  # Windows
        self._fd = os.open(path, flags, 0o666)

    def __enter__(self) -> "_Output":
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)

    def write(self, data: bytes) -> None:
        _write_all(self._fd, data)

    def section(self, parts: list[list[_Piece]]) -> None:
        """The parts' pieces of a section in order, a ``,`` between two
        non-empty parts (each part's records start with a line break)."""
        written = False
        for pieces in parts:
            if (
                len(pieces) == 1
                and isinstance(pieces[0], _Range)
                and pieces[0].start == pieces[0].end
            ):
                continue
            if written:
                self.write(b",")
            for piece in pieces:
                self.piece(piece)
            written = True

    def piece(self, piece: _Piece) -> None:
        """Copy ``piece``; a fixed piece's file is removed once copied (its
        future raises the fix task's error, if any)."""
        found = piece if isinstance(piece, _Range) else _Range(piece.result())
        with open(found.path, "rb", buffering=0) as handle:
            end = os.fstat(handle.fileno()).st_size if found.end < 0 else found.end
            _copy(handle.fileno(), self._fd, found.start, end - found.start)
        if not isinstance(piece, _Range):
            os.remove(found.path)


def _write_all(fd: int, data: bytes) -> None:
    with memoryview(data) as view:
        while view:
            view = view[os.write(fd, view) :]


#: What copy_file_range answers where it cannot copy (another file system
#: on older kernels, a file system without it): copy through a buffer then.
_COPY_FALLBACK = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP}


def _copy(source: int, target: int, offset: int, count: int) -> None:
    """``count`` bytes of ``source`` from ``offset`` appended to ``target``:
    in the kernel where it can (``copy_file_range``), else through a buffer."""
    copy_range = getattr(os, "copy_file_range", None)
    while count > 0 and copy_range is not None:
        try:
            done = copy_range(source, target, count, offset)
        except OSError as exc:
            if exc.errno not in _COPY_FALLBACK:
                raise
            break
        if done == 0:
            break
        offset += done
        count -= done
    os.lseek(source, offset, os.SEEK_SET)
    while count > 0:
        block = os.read(source, min(BLOCK_BYTES, count))
        if not block:
            raise LbConvertError("internal error: a COCO part file is shorter than described")
        _write_all(target, block)
        count -= len(block)


def _category_table(local: ClassMap, whole: ClassMap) -> Optional[dict[bytes, bytes]]:
    """Local ``category_id`` -> the export's (as bytes); None when they are
    the same (the first part's always are: the export's map starts with it)."""
    found = local.ids_in(whole)
    if found == list(range(len(found))):
        return None
    return {b"%d" % (number + 1): b"%d" % (export + 1) for number, export in enumerate(found)}


def _categories(results: list[CocoPart], classes: ClassMap) -> bytes:
    """The export's ``categories``, with the keys of the parts' own."""
    template = next(
        (f.category for r in results for f in r.files.values() if f.category is not None), None
    )
    if template is None:
        return b"[]"
    return orjson.dumps(
        [{**template, "id": i + 1, "name": name} for i, name in enumerate(classes.names)]
    )
