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
2. **settle** (serial, cheap): the class maps merge in part order and the
   splits are gathered (:func:`~.run.export_facts`), the unique-stem rule
   is replayed (:func:`~.run.settle_stems`), the id offsets of each part
   are the sums of the counts of the parts before it;
3. **fix** (parallel, :func:`~.coco_fix.fix_piece`,
   :func:`~.coco_fix.fix_manifest`): every section whose ids,
   ``category_id`` or renamed ``file_name`` change is rewritten by the
   executor's workers, in pieces of :data:`~.coco_merge.PIECE_BYTES`, into
   final bytes; the first part's sections need no change (its offsets are 0
   and its class ids are the export's) unless a stem in it is renamed;
4. **concatenate** (serial, :mod:`.coco_merge`): the coordinator writes each
   output file from the parts' unchanged sections and the fixed pieces, in
   order, with ``os.copy_file_range`` (the kernel copies; no bytes pass
   through Python), as soon as each piece is done.

This module holds steps 1 and 2 and :func:`run_one_pass`, which runs them
all; :mod:`.coco_fix` the fix tasks and the layout of a part file they
rely on; :mod:`.coco_merge` the submitting of the fixes and step 4.

Functions given to the executor are module-level and their arguments plain
data, as in :mod:`.run`.
"""

from __future__ import annotations

import copy
import os
import shutil
import struct
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional

import orjson

from ..errors import LbConvertError
from ..options import Options
from ..report import Report
from ..write import get_writer
from ..write.base import IMAGE_MEDIA
from ..write.manifest import REPORT
from ..write.outdir import Staging
from .coco_fix import ANNOTATIONS_END, IMAGES_END, RESULTS_END, find_marker, last_line
from .coco_merge import CocoMerge
from .partition import ByteRange, PartReader
from .run import (
    Survey,
    PartFailed,
    gather_each,
    staging_path,
    run_part,
    SurveySelector,
    export_facts,
    settle_stems,
)

__all__ = [
    "CocoPart",
    "PartFile",
    "IMAGE_RECORD",
    "write_coco_part",
    "run_one_pass",
]

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


class _RecordingSelector(SurveySelector):
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


def write_coco_part(part: ByteRange, directory: str, options: Options) -> "CocoPart | PartFailed":
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

    return run_part(task)


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
        images_end = find_marker(handle, IMAGES_END, images_start)
        annotations_start = images_end + len(IMAGES_END)
        size = os.fstat(handle.fileno()).st_size  # the file ends with a line break
        tail_start, tail = last_line(handle, annotations_start, size - 1)
        if not tail.startswith(ANNOTATIONS_END[1:]):
            raise LbConvertError(f"internal error: no categories in COCO part file {path}")
        annotations_end = tail_start - 1
        categories = orjson.loads(tail[len(ANNOTATIONS_END) - 1 : -1])
        last_image = last_line(handle, images_start, images_end)[1]
        last_annotations = last_line(handle, annotations_start, annotations_end)[1]
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
        described, results=results_path, result_records=(1, size - len(RESULTS_END))
    )  # "[" … "\n]\n"


# --- 2. settle, then 3. fix and 4. concatenate (the coordinator, see .coco_merge) ------


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
    root = staging_path(staging)
    directories = [root / f"part-{part.index:05d}" for part in parts]
    futures = [
        executor.submit(write_coco_part, part, str(directory), copy.deepcopy(options))
        for part, directory in zip(parts, directories)
    ]
    results: list[CocoPart] = gather_each(
        futures,
        parts,
        advance,
        lambda part: write_coco_part(part, str(root / "part-again"), copy.deepcopy(options)),
    )
    for part in parts:  # one pass: the meter's second half
        advance(part)()
    classes, splits = export_facts(options, [r.survey for r in results])
    merge = CocoMerge(root, executor, results, classes, splits)
    try:
        merge.fix_annotations()  # the workers start while the stems are settled
        changed: list[dict[int, tuple[str, str]]] = []
        renamed = settle_stems([r.survey for r in results], changed)
        merge.fix_images(*_renames(results, changed))
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


def _renames(
    results: list[CocoPart], changed: list[dict[int, tuple[str, str]]]
) -> tuple[list[dict[str, dict[int, tuple[str, str]]]], list[dict[int, str]]]:
    """Per part: the renamed stems by split and local image id, and by manifest
    line, read from its file of :data:`IMAGE_RECORD` (removed once read)."""
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
