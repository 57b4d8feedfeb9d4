"""One pass for the per-image writers: write every part at once from a seed,
check it against the export's facts, write again only the parts they contradict.

The two-pass plan of :mod:`.run` reads and selects every row twice (a survey
for the classes, stems and splits of the whole export, then the writing).
Here (voc, yolo, masks, jsonl, geojson):

1. **seed** (coordinator, cheap): the first :data:`SEED_ROWS` rows (at most
   :data:`SEED_BYTES`) go through read → select; the classes and splits seen
   there are the *seed*.  Real exports meet nearly all their classes and
   splits in their first rows.
2. **write at once** (parallel): each part runs read → select → writer, its
   class map starting as the seed's (classes it meets first are appended in
   its own first-seen order), the seed's splits started, and the unique-stem
   rule applied within the part.  It also records what the survey would
   have: the stems asked for (:class:`~.run.StemLog`), its class map, the
   splits of its image items, and the names it gave that differ from the
   ones asked for.
3. **settle** (serial), as the two-pass plan does, and check every part
   (:func:`agrees`).  A part agrees with the export when

   * every stem came out as the export-wide rule names it (a name an
     earlier part took, or a video frame of such a row, does not);
   * its class ids are the export's: its class map is a start of the
     export's (every class it met has its export id), for yolo and masks,
     whose files hold class ids, and voc, which names classes by position
     (``_<id>`` suffixes).  Every VOC part lists every class
     (``ImageSets/Main/<class>_<split>.txt``): a part that lacks the last
     classes gets their lists here, ``<stem> -1`` for each of its items
     (:func:`complete_voc_class_lists`).  jsonl and geojson hold no class ids;
   * the splits it started (the seed's and its own) give the files that
     starting every split of the export gives (:func:`splits_agree`: what
     :meth:`~lbconvert.write.base.Writer.open_splits` changes, per writer).

   Part 0 always agrees on stems.  The files that depend on the whole class
   list and the splits (``data.yaml``, ``labelmap.txt``, ``classes.json``)
   are written once here with the export's facts, by an empty writer
   (:func:`write_shared_files`, whose report also gives the warnings
   counted once per class), so a part with only a start of the class list
   still agrees.
4. **write again** (parallel) the parts that do not agree, with the
   settled facts (:func:`~.run.write_part`, as the two-pass plan writes
   every part); then the usual merge (:mod:`.merge`).

So the common case reads the export once, and the worst case (every part
contradicted) costs the two-pass plan's work plus one wasted write.  When a
part fails, the failure may depend on the seed's facts (a class index over
an 8-bit PNG's limit, say): a malformed record or a selection error is
reported as one process reports it; anything else sends the conversion to
the two-pass plan (which then fails, or not, as one process does).
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
from concurrent.futures import CancelledError, Executor, Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from ..classes import ClassMap
from ..errors import ExportFormatError, SelectionError
from ..options import Options
from ..report import Report
from ..select import Selector
from ..write import get_writer
from ..write.base import IMAGE_MEDIA
from ..write.voc_image_sets import list_names, writes_trainval
from ..write.voc_names import VocNames
from .merge import SAME_IN_EVERY_PART, merge_parts
from .partition import ByteRange, PartReader
from .run import (
    Survey,
    PartFailed,
    staging_path,
    run_part,
    StemLog,
    export_facts,
    settle_stems,
    write_parts,
)

__all__ = [
    "SEED_ROWS",
    "SEED_BYTES",
    "seed_facts",
    "write_part_at_once",
    "PartAtOnce",
    "agrees",
    "write_shared_files",
    "run_at_once",
]

_log = logging.getLogger(__name__)

#: Rows (and bytes) of the export's start read by the coordinator for the seed.
SEED_ROWS = 256
SEED_BYTES = 4 << 20

#: Writers whose files hold class ids or name classes by position: a part's
#: map must be a start of the export's (VOC's lists of the classes a part
#: lacks are completed, see :func:`complete_voc_class_lists`).
CLASSES_IN_FILES = frozenset({"yolo", "masks", "voc"})
#: The failures of a part that do not depend on the facts it started from.
INPUT_ERRORS = (ExportFormatError, SelectionError)


def _image_split(item: Any) -> bool:
    """Whether the item starts its split in a writer (as the survey counts it)."""
    return bool(item.media_type in IMAGE_MEDIA and item.width and item.height)


def seed_facts(part: ByteRange, options: Options, require_size: bool) -> tuple[ClassMap, list[str]]:
    """The classes and splits of the first rows of ``part`` (the export's
    first part).  A fault stops the seed early: the part meets it again."""
    selector = Selector(copy.deepcopy(options), Report(), require_size=require_size)
    splits: dict[str, None] = {}
    try:
        with PartReader(part, options.max_record_bytes) as reader:
            for count, row in enumerate(reader, 1):
                for item in selector.items(row):
                    if _image_split(item):
                        splits.setdefault(item.split)
                if count >= SEED_ROWS or reader.bytes_read() >= SEED_BYTES:
                    break
    except Exception:  # noqa: BLE001 - the part meets it again and reports it, as one process does
        pass
    return selector.classes, list(splits)


class _AtOnceSelector(Selector):
    """The select stage of a part written at once: the unique-stem rule
    within the part, every asked stem logged as the survey logs it (a
    frame's or page's stem as built on the row's asked stem), and
    :attr:`moved`: ``{number of the asked stem: the name given}`` where
    the two differ."""

    def __init__(self, *args: Any, stems: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked = StemLog(stems)
        self.moved: dict[int, str] = {}
        self._row_stem = -1
        self._row_asked = self._row_given = ""

    def items(self, row: Any) -> list[Any]:
        self._row_stem = -1
        return super().items(row)

    def _claim_stem(self, stem: str, key: str) -> str:
        number = self.asked.count
        own = self._row_stem < 0  # the row's own stem comes first
        asked = stem if own else self._row_asked + stem[len(self._row_given) :]
        self.asked.add(asked, key, self._row_stem)
        given = super()._claim_stem(stem, key)
        if own:
            self._row_stem = number
            self._row_asked, self._row_given = stem, given
        if given != asked:
            self.moved[number] = given
        return given


@dataclass
class PartAtOnce:
    """What a part written at once returns besides its files."""

    report: Report
    survey: Survey  # its class map (the seed's, then its own), asked stems, splits
    moved: dict[int, str]


def write_part_at_once(
    part: ByteRange, to: str, directory: str, options: Options, seed_splits: list[str], stems: str
) -> "PartAtOnce | PartFailed":
    """Step 2 for one part (runs in a worker): its dataset in ``directory``,
    from the seed's classes (in ``options``) and splits."""

    def task() -> PartAtOnce:
        report = Report()
        writer_class = get_writer(to)
        writer = writer_class(directory, options, report=report)
        selector: Optional[_AtOnceSelector] = None
        splits: dict[str, None] = {}
        try:
            writer.open()
            writer.open_splits(seed_splits)
            selector = _AtOnceSelector(
                options,
                report,
                stems=stems,
                require_size=getattr(writer_class, "needs_image_size", True),
            )
            with PartReader(part, options.max_record_bytes) as reader:
                for row in reader:
                    for item in selector.items(row):
                        if item.split not in splits and _image_split(item):
                            splits[item.split] = None
                        writer.add(item)
            writer.open_splits(list(splits))  # exactly the seed's and its own, as checked
        except BaseException:
            writer.abort()
            raise
        finally:
            if selector is not None:
                selector.asked.close()
        writer.close()
        return PartAtOnce(report, Survey(selector.classes, stems, list(splits)), selector.moved)

    return run_part(task)


def agrees(
    to: str,
    part: PartAtOnce,
    seed_splits: list[str],
    classes: ClassMap,
    splits: list[str],
    moved: dict[int, tuple[str, str]],
) -> bool:
    """Whether ``part`` wrote what the two-pass plan writes for it, given the
    export's ``classes``, ``splits`` and its stems changed by the rule
    (``moved``, from :func:`~.run.settle_stems`)."""
    if part.moved != {number: new for number, (_, new) in moved.items()}:
        return False
    if to in CLASSES_IN_FILES and not part.survey.classes.starts(classes):
        return False
    return splits_agree(to, set(seed_splits) | set(part.survey.splits), set(splits))


def splits_agree(to: str, started: set[str], export: set[str]) -> bool:
    """Whether a part that started the splits ``started`` (the seed's and its
    own) wrote the files it writes with every split of the ``export``
    started (:meth:`~lbconvert.write.base.Writer.open_splits`).  A split
    started in a part with no item of it gives empty directories (yolo,
    masks) and empty lists (voc), which the other parts' merge gives too;
    what differs:

    * yolo: none started: the part makes ``images/train`` and
      ``labels/train`` (which the export need not have);
    * voc: the same, with empty ``train`` lists; and ``trainval`` (the
      items of train and val) is written when both are started and no
      split is named so;
    * masks: with one split its PNGs are in ``semantic/``, with more in a
      directory per split (so one started split must be the export's only one).

    ``data.yaml`` (which lists the splits) comes from :func:`write_shared_files`.
    """
    if to in ("yolo", "voc") and not started and export and "train" not in export:
        return False
    if to == "voc":
        return writes_trainval(started) == writes_trainval(export)
    if to == "masks":
        return len(started) != 1 or started == export
    return True


def write_shared_files(to: str, root: Path, options: Options, splits: list[str]) -> Report:
    """Write into ``root`` the files every part of the two-pass plan writes
    alike from the classes and splits (``data.yaml``, ``labelmap.txt``,
    ``classes.json``): a writer given no item, with the export's facts
    (``options.classes``), writes them as one process does (or refuses
    what one process refuses, e.g. a 0-class YOLO set).  Its report holds
    the warnings counted once per class."""
    scratch = root / "shared-files"
    writer = get_writer(to)(scratch, copy.deepcopy(options), report=Report())
    writer.open()
    try:
        writer.open_splits(splits)
    except BaseException:
        writer.abort()
        raise
    report = writer.close()
    for name in SAME_IN_EVERY_PART:
        if os.path.lexists(scratch / name):
            os.rename(scratch / name, root / name)
    shutil.rmtree(scratch)
    return report


def complete_voc_class_lists(
    directory: Path, started: set[str], known: int, classes: ClassMap, options: Options
) -> None:
    """Give a VOC part written with the first ``known`` classes of the export
    the class lists of the others, ``ImageSets/Main/<class>_<split>.txt``:
    ``<stem> -1`` for each of its items (it has no object of them, or it
    would have met them), as it writes them with every class."""
    void = options.segmentation and options.void_border
    names = VocNames(("background", "ignored") if void else ("background",))
    names.extend(classes.names)
    main = directory / "ImageSets" / "Main"
    for split in list_names(started):
        for name in names.names[known:]:
            with (
                open(main / f"{split}.txt", encoding="utf-8") as stems,
                open(main / f"{name}_{split}.txt", "w", encoding="utf-8", newline="\n") as listed,
            ):
                while batch := stems.readlines(1 << 16):
                    listed.write("".join([f"{stem[:-1]} -1\n" for stem in batch]))


def run_at_once(
    parts: list[ByteRange],
    to: str,
    staging: Any,
    options: Options,
    executor: Executor,
    report: Report,
    meter: Any,
    advance: Callable[[ByteRange], Callable[[], None]],
) -> Optional[Report]:
    """Steps 1–4 (see the module's docstring); the merged dataset is left in
    the staging directory.  None: a part failed in a way that may depend on
    the seed; nothing of this run is left, and the two-pass plan takes over."""
    root = staging_path(staging)
    writer_class = get_writer(to)
    require_size = getattr(writer_class, "needs_image_size", True)
    seed_classes, seed_splits = seed_facts(parts[0], options, require_size)
    # allow_empty: a part that met no class is no failure here; the shared
    # files are written with the export's classes and the real option.
    part_options = replace(options, classes=seed_classes, allow_empty=True)
    directories = [root / f"part-{part.index:05d}" for part in parts]
    stem_logs = [str(root / f".stems-{part.index:05d}") for part in parts]
    futures = [
        executor.submit(
            write_part_at_once,
            part,
            to,
            str(directory),
            copy.deepcopy(part_options),
            seed_splits,
            stems,
        )
        for part, directory, stems in zip(parts, directories, stem_logs)
    ]
    results: list[PartAtOnce] = []

    def arriving() -> Iterator[Survey]:
        for result in _arriving(futures, parts, advance, run_again):
            results.append(result)
            yield result.survey

    def run_again(part: ByteRange) -> "PartAtOnce | PartFailed":
        return write_part_at_once(
            part,
            to,
            str(root / "part-again"),
            copy.deepcopy(part_options),
            seed_splits,
            str(root / ".stems-again"),
        )

    changed: list[dict[int, tuple[str, str]]] = []
    try:  # the stems are settled part by part, while the later parts are written
        renamed = settle_stems(arriving(), changed)
    except _SeedDependent:
        _remove([*directories, root / "part-again"], [*stem_logs, str(root / ".stems-again")])
        return None
    classes, splits = export_facts(options, [result.survey for result in results])
    settled = replace(options, classes=classes)
    classes_report = write_shared_files(to, root, settled, splits)

    stale = [
        k
        for k, result in enumerate(results)
        if not agrees(to, result, seed_splits, classes, splits, changed[k])
    ]
    reports = [result.report for result in results]
    if to == "voc":
        for k, result in enumerate(results):
            known = len(result.survey.classes)
            if k not in stale and known < len(classes):
                complete_voc_class_lists(
                    directories[k],
                    set(seed_splits) | set(result.survey.splits),
                    known,
                    classes,
                    options,
                )
    if stale:
        meter.total_bytes += sum(parts[k].end - parts[k].start for k in stale)
        redo = [root / f"again-{parts[k].index:05d}" for k in stale]
        for k in stale:
            shutil.rmtree(directories[k])
        rewritten = write_parts(
            [parts[k] for k in stale], redo, to, settled, renamed, splits, executor, advance, root
        )
        for k, directory, rewritten_report in zip(stale, redo, rewritten):
            directories[k], reports[k] = directory, rewritten_report
    _log.debug("one pass: %d of %d parts written again", len(stale), len(parts))
    return merge_parts(to, directories, reports, root, report, classes_report)


class _SeedDependent(Exception):
    """A part failed in a way that may depend on the seed."""


def _arriving(
    futures: "list[Future[Any]]",
    parts: list[ByteRange],
    advance: Callable[[ByteRange], Callable[[], None]],
    again: Callable[[ByteRange], Any],
) -> Iterator[PartAtOnce]:
    """The parts' results in order, as they come.  The first failure (in part
    order) stops every part; a malformed record or a selection error is
    raised as the part, run once more here with its lines numbered as in the
    whole file, gives it; another failure raises :class:`_SeedDependent`
    (every part has stopped then)."""
    for future, part in zip(futures, parts):
        try:
            result = future.result()
        except BaseException:
            _cancel(futures)
            raise
        if isinstance(result, PartFailed):
            _cancel(futures)
            _wait(futures)
            if issubclass(result.kind, INPUT_ERRORS):
                rerun = again(replace(part, numbered=True))
                if isinstance(rerun, PartFailed) and issubclass(rerun.kind, INPUT_ERRORS):
                    raise rerun.error()
            raise _SeedDependent()
        advance(part)()
        yield result


def _cancel(futures: "list[Future[Any]]") -> None:
    for future in futures:
        future.cancel()


def _wait(futures: "list[Future[Any]]") -> None:
    """Wait for the parts already running (they write inside the staging directory)."""
    for future in futures:
        try:
            future.result()
        except (CancelledError, Exception):  # noqa: BLE001 - only their end matters here
            pass


def _remove(directories: list[Path], files: list[str]) -> None:
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)
    for name in files:
        try:
            os.remove(name)
        except FileNotFoundError:
            pass
