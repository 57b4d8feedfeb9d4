"""COCO in one pass over the parts: write, settle, fix on the workers, concatenate.

A COCO dataset names classes, images and annotations by ids counted over
the whole export, but a part cannot know how many images, annotations and
classes the parts before it hold.  So COCO runs in one pass instead of
:mod:`.run`'s survey + write:

1. **write** (parallel, :func:`write_coco_part`): each part runs read →
   select → the COCO writer with its own class ids, image and annotation
   ids from 1 (per split) and every stem as asked, and describes its
   ``annotations[_<split>].json`` files (:class:`PartFile`: where their
   sections are, how many records they hold);
2. **settle** (serial, cheap): the class maps merge in part order, the
   unique-stem rule is replayed (:func:`~.run.settle_stems`), the id offsets
   of each part are the sums of the counts of the parts before it;
3. **fix** (parallel, :func:`fix_piece`, :func:`fix_manifest`): every
   section whose ids, ``category_id`` or renamed ``file_name`` change is
   rewritten by the executor's workers, in pieces of :data:`PIECE_BYTES`,
   into final bytes; the first part's sections need no change (its offsets
   are 0 and its class ids are the export's) unless a stem in it is renamed;
4. **concatenate** (serial, :class:`_Output`): the coordinator writes each
   output file from the parts' unchanged sections and the fixed pieces, in
   order, with ``os.copy_file_range`` (the kernel copies; no bytes pass
   through Python), as soon as each piece is done.

The layout of a COCO file (:mod:`lbconvert.write.coco`) makes the sections
easy to cut and to fix: a head line ending in ``"images": [``, one image
per line (``\\n{"id":N,…}`` joined by ``,``), ``\\n], "annotations": [``,
the annotations of one image per line, ``\\n], "categories": […]}``.
Records are found by their opening ``{"id":N,`` (an image, after a line
break) and ``{"id":N,"image_id":M,"category_id":C,`` (an annotation): a
quote inside a JSON string is always escaped and orjson writes no line
break, so these bytes only open a record; the local ids in them are what a
piece needs to know, so a section can be cut anywhere between two lines.
``results[_<split>].json`` (``[``, one line of results per image, ``\\n]``)
is fixed alike (``image_id``, ``category_id``).

Functions given to the executor are module-level and their arguments plain
data, as in :mod:`.run`.
"""

from __future__ import annotations

import copy
import errno
import os
import re
import shutil
import struct
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Optional, Union

import orjson

from ..classes import ClassMap
from ..errors import LbConvertError
from ..options import Options
from ..report import Report
from ..write import get_writer
from ..write.base import IMAGE_MEDIA
from ..write.manifest import MANIFEST, REPORT
from ..write.outdir import Staging
from .partition import ByteRange, PartReader
from .run import Survey, _Failed, _gather_each, _path, _run, _SurveySelector, settle_stems

__all__ = [
    "CocoPart",
    "PartFile",
    "IMAGE_RECORD",
    "PIECE_BYTES",
    "write_coco_part",
    "fix_piece",
    "fix_manifest",
    "run_one_pass",
]

#: The bytes of a section one fix task rewrites: small enough that every
#: worker gets a share of the fixing, large enough that tasks cost little.
PIECE_BYTES = 8 << 20
_BLOCK = 1 << 20  # bytes read at a time by a fix task: bounds its memory

_IMAGES_END = b'\n], "annotations": ['
_ANNOTATIONS_END = b'\n], "categories": '
_RESULTS_END = b"\n]\n"
_IMAGE = re.compile(rb'\n\{"id":(\d+),')
_ANNOTATION = re.compile(rb'\{"id":(\d+),"image_id":(\d+),"category_id":(\d+),')
_RESULT = re.compile(rb'\{"image_id":(\d+),"category_id":(\d+),')


# --- 1. write: a part in one pass (runs in a worker) ---------------------------------

#: Per asked stem, in the ``.images`` file of a part: the index of its
#: image's split in ``Survey.splits`` (-1: no image), its local image id and
#: its manifest line.
IMAGE_RECORD = struct.Struct("<iii")


@dataclass(frozen=True)
class PartFile:
    """One split's ``annotations*.json`` of a part (and its ``results*.json``):
    the byte ranges of its sections, each ``\\n{record},\\n{record}…`` or empty."""

    path: str
    head: int  # bytes before the images section (the same in every part)
    images: tuple[int, int]
    annotations: tuple[int, int]
    image_count: int
    annotation_count: int
    category: Optional[dict[str, Any]]  # the part's first category: its keys
    results: Optional[str] = None
    result_records: tuple[int, int] = (0, 0)


@dataclass
class CocoPart:
    """What a COCO part returns besides its files."""

    report: Report
    survey: Survey
    images: str  # the file of IMAGE_RECORDs
    #: By split; None: the empty file of a part without images.
    files: dict[Optional[str], PartFile] = field(default_factory=dict)


class _RecordingSelector(_SurveySelector):
    """The select stage of a part written in one pass: no stem is renamed
    here (the settle step renames), and :attr:`item_stems` gives each item of
    the last row the number of its asked stem."""

    item_stems: list[int] = []

    def items(self, row: Any) -> list[Any]:
        first = self.asked.count
        items = super().items(row)
        numbers = list(range(first, self.asked.count))
        if len(numbers) > len(items):  # a video's or document's own stem has no item
            numbers = numbers[1:]
        self.item_stems = numbers
        return items


def write_coco_part(part: ByteRange, directory: str, options: Options) -> "CocoPart | _Failed":
    """A COCO part in one pass (runs in a worker): local class ids, image and
    annotation ids from 1, stems as asked; the fix step changes them."""

    def task() -> CocoPart:
        report = Report()
        writer = get_writer("coco")(directory, options, report=report)
        stems, images = f"{directory}.stems", f"{directory}.images"
        counts: dict[str, int] = {}
        split_index: dict[str, int] = {}
        no_image = IMAGE_RECORD.pack(-1, 0, 0)
        try:
            selector = _RecordingSelector(options, report, stems=stems)
            lines = 0
            with open(images, "wb", buffering=1 << 20) as records:
                for row in PartReader(part, options.max_record_bytes):
                    first = selector.asked.count
                    found = selector.items(row)
                    records_of_row = [no_image] * (selector.asked.count - first)
                    for number, item in zip(selector.item_stems, found):
                        writer.add(item)
                        if item.media_type in IMAGE_MEDIA and item.width and item.height:
                            index = split_index.setdefault(item.split, len(split_index))
                            counts[item.split] = counts.get(item.split, 0) + 1
                            records_of_row[number - first] = IMAGE_RECORD.pack(
                                index, counts[item.split], lines
                            )
                            lines += 1
                    records.write(b"".join(records_of_row))
            selector.asked.close()
        except BaseException:
            writer.abort()
            raise
        writer.close()
        splits = list(split_index)
        files: dict[Optional[str], PartFile] = {
            split: _describe(directory, _file_suffix(split, splits), options.results)
            for split in splits
        }
        if not splits:  # the writer's empty "train" file
            files[None] = _describe(directory, "", options.results)
        return CocoPart(report, Survey(selector.classes, stems, splits), images, files)

    return _run(task)


def _file_suffix(split: Optional[str], splits: list[str]) -> str:
    """``""`` for ``annotations.json`` (one split or none), else ``_<split>``."""
    return "" if len(splits) <= 1 else f"_{split}"


def _describe(directory: str, suffix: str, results: bool) -> PartFile:
    """Where the sections of a part's ``annotations<suffix>.json`` are and
    how many records they hold (its last ids: they count from 1), read from
    its head, its last lines and one search for the end of the images."""
    path = os.path.join(directory, f"annotations{suffix}.json")
    with open(path, "rb") as handle:
        head = handle.readline(1 << 16)  # the head holds no line break
        if not head.endswith(b"\n"):
            raise LbConvertError(f"internal error: no images in COCO part file {path}")
        images_start = len(head) - 1
        images_end = _find(handle, _IMAGES_END, images_start)
        annotations_start = images_end + len(_IMAGES_END)
        size = os.fstat(handle.fileno()).st_size  # the file ends with a line break
        tail_start, tail = _last_line(handle, annotations_start, size - 1)
        if not tail.startswith(_ANNOTATIONS_END[1:]):
            raise LbConvertError(f"internal error: no categories in COCO part file {path}")
        annotations_end = tail_start - 1
        categories = orjson.loads(tail[len(_ANNOTATIONS_END) - 1 : -1])
        last_image = _last_line(handle, images_start, images_end)[1]
        last_annotations = _last_line(handle, annotations_start, annotations_end)[1]
    image_count = orjson.loads(last_image.rstrip(b","))["id"] if last_image else 0
    annotation_count = (
        orjson.loads(b"[" + last_annotations + b"]")[-1]["id"] if last_annotations else 0
    )
    described = PartFile(
        path,
        images_start,
        (images_start, images_end),
        (annotations_start, annotations_end),
        image_count,
        annotation_count,
        categories[0] if categories else None,
    )
    if not results:
        return described
    results_path = os.path.join(directory, f"results{suffix}.json")
    size = os.path.getsize(results_path)
    return replace(
        described, results=results_path, result_records=(1, size - len(_RESULTS_END))
    )  # "[" … "\n]\n"


def _find(handle: IO[bytes], marker: bytes, start: int) -> int:
    """The offset of the first ``marker`` at or after ``start`` (read in blocks)."""
    handle.seek(start)
    offset, carry = start, b""
    while True:
        block = handle.read(_BLOCK)
        if not block:
            raise LbConvertError(f"internal error: {marker!r} missing in {handle.name}")
        data = carry + block
        found = data.find(marker)
        if found >= 0:
            return offset + found
        keep = min(len(marker) - 1, len(data))
        offset += len(data) - keep
        carry = data[len(data) - keep :]


def _last_line(handle: IO[bytes], start: int, end: int) -> tuple[int, bytes]:
    """The last line of the bytes ``[start, end)`` (after its last line
    break; empty when they hold none) and where it starts."""
    position, line = end, b""
    while position > start:
        size = min(_BLOCK, position - start)
        handle.seek(position - size)
        block = handle.read(size)
        position -= size
        newline = block.rfind(b"\n")
        if newline >= 0:
            return position + newline + 1, block[newline + 1 :] + line
        line = block + line
    return end, b""


# --- 3. fix: a piece of a section, with the export's ids (runs in a worker) -----------


@dataclass(frozen=True)
class Fix:
    """What changes in one piece of a section: ``kind`` is ``images``,
    ``annotations`` or ``results``; the piece is the lines of ``path`` that
    start in ``[start, end)`` within the section ``[first, last)``."""

    kind: str
    path: str
    first: int
    last: int
    start: int = 0
    end: int = 0
    target: str = ""
    image_shift: int = 0
    annotation_shift: int = 0
    categories: Optional[dict[bytes, bytes]] = None  # local category_id -> the export's
    file_names: Optional[dict[int, tuple[str, str]]] = None  # local image id -> old, new stem


def fix_piece(fix: Fix) -> str:
    """Write the piece ``fix`` describes, changed, to ``fix.target`` (returned)."""
    change = _CHANGES[fix.kind]
    with open(fix.path, "rb") as source, open(fix.target, "wb") as target:
        start = _line_start(source, fix.start, fix.first, fix.last)
        end = _line_start(source, fix.end, fix.first, fix.last)
        for lines in _blocks_of_lines(source, start, end):
            target.write(change(lines, fix))
    return fix.target


def _line_start(handle: IO[bytes], offset: int, first: int, last: int) -> int:
    """The first line break at or after ``offset`` (a section's lines start
    with one), or the section's end; ``first`` itself is a line start."""
    if offset <= first:
        return first
    found = _find_or_none(handle, b"\n", offset, last)
    return last if found is None else found


def _find_or_none(handle: IO[bytes], byte: bytes, start: int, end: int) -> Optional[int]:
    handle.seek(start)
    offset = start
    while offset < end:
        block = handle.read(min(_BLOCK, end - offset))
        if not block:
            break
        found = block.find(byte)
        if found >= 0:
            return offset + found
        offset += len(block)
    return None


def _blocks_of_lines(handle: IO[bytes], start: int, end: int) -> Iterator[bytes]:
    """The bytes ``[start, end)`` in blocks of about :data:`_BLOCK`, each cut
    just before a line break (a record never spans one)."""
    handle.seek(start)
    left, carry = end - start, b""
    while left > 0:
        block = handle.read(min(_BLOCK, left))
        if not block:
            break
        left -= len(block)
        data = carry + block
        cut = data.rfind(b"\n") if left else len(data)
        if cut <= 0:  # one long line so far
            carry = data
            continue
        yield data[:cut]
        carry = data[cut:]
    if carry:
        yield carry


def _interleave(texts: list[bytes], records: list[bytes]) -> bytes:
    out: list[bytes] = [b""] * (len(texts) + len(records))
    out[0::2] = texts
    out[1::2] = records
    return b"".join(out)


def _fixed_images(lines: bytes, fix: Fix) -> bytes:
    pieces = _IMAGE.split(lines)
    shift = fix.image_shift
    ids = pieces[1::2]
    texts = pieces[0::2]
    if fix.file_names:
        for number, local in enumerate(ids):
            change = fix.file_names.get(int(local))
            if change is not None:
                texts[number + 1] = _renamed(texts[number + 1], change)
    return _interleave(texts, [b'\n{"id":%d,' % (int(local) + shift) for local in ids])


def _renamed(rest: bytes, change: tuple[str, str]) -> bytes:
    """An image record's bytes after its id (and the ``,`` after it, if
    any), with the renamed stem in ``file_name``."""
    old, new = change
    separator = b"," if rest.endswith(b"},") else b""
    record = orjson.loads(b"{" + rest[: len(rest) - len(separator)])
    record["file_name"] = new + record["file_name"][len(old) :]
    return orjson.dumps(record)[1:] + separator


def _fixed_annotations(lines: bytes, fix: Fix) -> bytes:
    pieces = _ANNOTATION.split(lines)
    shift, image_shift = fix.annotation_shift, fix.image_shift
    categories = fix.categories or {}
    records = [
        b'{"id":%d,"image_id":%d,"category_id":%s,'
        % (int(a) + shift, int(i) + image_shift, categories.get(c, c))
        for a, i, c in zip(pieces[1::4], pieces[2::4], pieces[3::4])
    ]
    return _interleave(pieces[0::4], records)


def _fixed_results(lines: bytes, fix: Fix) -> bytes:
    pieces = _RESULT.split(lines)
    image_shift = fix.image_shift
    categories = fix.categories or {}
    records = [
        b'{"image_id":%d,"category_id":%s,' % (int(i) + image_shift, categories.get(c, c))
        for i, c in zip(pieces[1::3], pieces[2::3])
    ]
    return _interleave(pieces[0::3], records)


_CHANGES: dict[str, Callable[[bytes, Fix], bytes]] = {
    "images": _fixed_images,
    "annotations": _fixed_annotations,
    "results": _fixed_results,
}


def fix_manifest(source: str, target: str, renamed: dict[int, str]) -> str:
    """``source`` with the lines ``renamed`` names given their new stem."""
    with open(source, "rb") as lines, open(target, "wb", buffering=1 << 20) as out:
        for number, line in enumerate(lines):
            new = renamed.get(number)
            if new is not None:
                record = orjson.loads(line)
                record["file_name"] = new + record["file_name"][len(record["stem"]) :]
                record["stem"] = new
                line = orjson.dumps(record) + b"\n"
            out.write(line)
    return target


# --- 2. settle, 3. fix and 4. concatenate (the coordinator) --------------------------


def run_one_pass(
    parts: list[ByteRange],
    staging: Staging,
    options: Options,
    executor: Executor,
    advance: Callable[[ByteRange], Callable[[], None]],
    report: Report,
) -> Report:
    """COCO on ``executor``: the merged dataset and report are left in the
    staging directory; the parts' reports are added to ``report`` (returned)."""
    root = _path(staging)
    directories = [root / f"part-{part.index:05d}" for part in parts]
    futures = [
        executor.submit(write_coco_part, part, str(directory), copy.deepcopy(options))
        for part, directory in zip(parts, directories)
    ]
    results: list[CocoPart] = _gather_each(
        futures,
        parts,
        advance,
        lambda part: write_coco_part(part, str(root / "part-again"), copy.deepcopy(options)),
    )
    for part in parts:  # one pass: the meter's second half
        advance(part)()
    classes = copy.deepcopy(options).class_map()
    for result in results:
        classes.merge(result.survey.classes)
    merge = _Merge(root, executor, results, classes)
    try:
        merge.fix_annotations()  # the workers start while the stems are settled
        changed: list[dict[int, tuple[str, str]]] = []
        renamed = settle_stems([r.survey for r in results], changed)
        merge.fix_images(changed)
        merge.write()
    except BaseException:
        merge.cancel()
        raise
    for result in results:
        report.merge(result.report)
    renames = sum(len(r) for r in renamed)
    if renames:
        report.warnings["duplicate file name, renamed"] += renames
    for directory in directories:
        shutil.rmtree(directory)
    with open(root / REPORT, "wb") as handle:
        handle.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    return report


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


class _Merge:
    """Steps 3 and 4: the fix tasks, submitted in two rounds (what needs no
    renamed stem first), and the output files written from the pieces."""

    def __init__(
        self, root: Path, executor: Executor, results: list[CocoPart], classes: ClassMap
    ) -> None:
        self.root = root
        self.executor = executor
        self.results = results
        self.futures: list[Future[str]] = []
        self.categories = [_category_table(r.survey.classes, classes) for r in results]
        self.export_categories = _categories(results, classes)
        splits: list[Optional[str]] = list(
            dict.fromkeys(s for r in results for s in r.survey.splits)
        )
        single = len(splits) <= 1
        #: Output suffix -> its sources; split None: no part drew an image,
        #: the first part's empty file.
        self.outputs = {
            "" if single else f"_{split}": self._sources(split) for split in splits or [None]
        }
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
                    ),
                    bool(source.image_shift or source.annotation_shift or categories),
                )
                if found.results is not None:
                    source.results = self._pieces(
                        Fix(
                            "results",
                            found.results,
                            *found.result_records,
                            image_shift=source.image_shift,
                            categories=categories,
                        ),
                        bool(source.image_shift or categories),
                    )

    def fix_images(self, changed: list[dict[int, tuple[str, str]]]) -> None:
        """Submit the fixes of ``images`` sections and manifests (``changed``:
        per part, the stems that differ from the asked ones, see settle_stems)."""
        file_names, manifest_lines = _renames(self.results, changed)
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
                    ),
                    bool(source.image_shift or names),
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
                out.write(_IMAGES_END)
                out.section([source.annotations for source in sources])
                out.write(_ANNOTATIONS_END + self.export_categories + b"}\n")
            if sources[0].found.results is not None:
                with _Output(self.root / f"results{suffix}.json") as out:
                    out.write(b"[")
                    out.section([source.results for source in sources])
                    out.write(_RESULTS_END)
        with _Output(self.root / MANIFEST) as out:
            for piece in self.manifests:
                out.piece(piece)

    def cancel(self) -> None:
        for future in self.futures:
            future.cancel()

    def _pieces(self, fix: Fix, changes: bool) -> list[_Piece]:
        """The section of ``fix`` as it is, or the futures of its fixed pieces."""
        if not changes or fix.first == fix.last:
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
        block = os.read(source, min(_BLOCK, count))
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


def _renames(
    results: list[CocoPart], changed: list[dict[int, tuple[str, str]]]
) -> tuple[list[dict[str, dict[int, tuple[str, str]]]], list[dict[int, str]]]:
    """Per part: the renamed stems by split and local image id, and by manifest line."""
    file_names: list[dict[str, dict[int, tuple[str, str]]]] = []
    manifest_lines: list[dict[int, str]] = []
    for result, moved in zip(results, changed):
        by_split: dict[str, dict[int, tuple[str, str]]] = {}
        lines: dict[int, str] = {}
        with open(result.images, "rb") as records:
            for number, (asked, new) in sorted(moved.items()):
                records.seek(number * IMAGE_RECORD.size)
                split, image, line = IMAGE_RECORD.unpack(records.read(IMAGE_RECORD.size))
                if split >= 0:
                    by_split.setdefault(result.survey.splits[split], {})[image] = (asked, new)
                    lines[line] = new
        os.remove(result.images)
        file_names.append(by_split)
        manifest_lines.append(lines)
    return file_names, manifest_lines


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
