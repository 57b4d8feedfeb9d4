"""The partitioned plan: survey, settle the global facts, write parts, merge.

(The per-image writers first try one pass, :mod:`.onepass`, and come back to
the two passes below only when a part fails in a way that may depend on its
seed; COCO runs in one pass, below.)

::

    export ──cut──▶ parts ──survey (read → select)──▶ classes, stems, splits ──settle──▶
           ──write (read → select → writer) per part──▶ part datasets ──merge──▶ OUT

1. **survey** (parallel): each part runs the select stage without a
   writer and returns its :class:`~lbconvert.classes.ClassMap`, the stems its
   items asked for (in order) and the splits of its image items.
2. **settle** (serial, cheap): the class maps merge in part order
   (:meth:`ClassMap.merge`: the first-seen ids of the whole export); the
   unique-stem rule is replayed over the asked-for stems in export order,
   giving each part the few stems renamed by it (a duplicate of an earlier
   part's name); the splits of the whole export, in first-seen order.
3. **write** (parallel): each part runs read → select → writer again, with
   the export's class map, its renamed stems and every split started
   (:meth:`Writer.open_splits`), into its own directory inside the one
   temporary directory of the output; its report comes back.
4. **merge** (serial, :mod:`.merge`): files of one item move, lists are
   concatenated in part order, reports are summed.

COCO runs in one pass instead: see :mod:`.coco`.

Functions given to the executor are module-level and their arguments
plain data, so any :class:`concurrent.futures.Executor` runs them: a local
process pool or a Dask ``distributed`` client's executor.
"""

from __future__ import annotations

import copy
import os
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, TypeVar

import orjson

from ..classes import ClassMap
from ..errors import LbConvertError
from ..options import Options
from ..report import Report
from ..names import NameSet, digest as _digest
from ..select import Selector
from ..write import get_writer
from ..write.base import IMAGE_MEDIA
from ..write.outdir import Staging
from .partition import ByteRange, PartReader

_T = TypeVar("_T")

__all__ = [
    "Survey",
    "StemLog",
    "SurveySelector",
    "PartFailed",
    "survey_part",
    "write_part",
    "settle_stems",
    "export_facts",
    "write_parts",
    "run_part",
    "gather_each",
    "staging_path",
    "run_plan",
]


@dataclass
class Survey:
    """What a part's select stage found: its classes in first-seen order,
    the stems asked for (with the key of a rename), the splits of its image items."""

    classes: ClassMap
    stems: str  # the file of asked stems (see StemLog)
    splits: list[str] = field(default_factory=list)
    rows: int = 0


class StemLog:
    """The stems a part's items asked for, one JSON line ``[stem, key,
    parent]`` each, in a file beside the parts: the coordinator replays them
    one part at a time, so its memory does not grow with the export."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = open(path, "wb", buffering=1 << 20)
        self.count = 0

    def add(self, stem: str, key: str, parent: int) -> None:
        self._file.write(orjson.dumps((stem, key, parent)) + b"\n")
        self.count += 1

    def close(self) -> None:
        self._file.close()

    @staticmethod
    def read(path: str) -> Iterator[tuple[str, str, int]]:
        with open(path, "rb") as lines:
            for line in lines:
                stem, key, parent = orjson.loads(line)
                yield stem, key, parent


class SurveySelector(Selector):
    """The select stage, recording the stems asked for instead of claiming them.

    The stems of a video's frames (a document's pages) start with the row's
    stem, which the rule may rename: each is recorded with the number of the
    row's own stem, so that :func:`settle_stems` builds it on the new name."""

    def __init__(self, *args: Any, stems: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked = StemLog(stems)
        self._row_stem = -1

    def items(self, row: Any) -> list[Any]:
        self._row_stem = -1
        return super().items(row)

    def _claim_stem(self, stem: str, key: str) -> str:
        self.asked.add(stem, key, self._row_stem)
        if self._row_stem < 0:  # the row's own stem comes first
            self._row_stem = self.asked.count - 1
        return stem


class _PartSelector(Selector):
    """The select stage of one part, with the stems settled for the whole export."""

    def __init__(self, *args: Any, renamed: dict[int, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._renamed = renamed
        self._asked = 0

    def _claim_stem(self, stem: str, key: str) -> str:
        number = self._asked
        self._asked += 1
        renamed = self._renamed.get(number)
        if renamed is None:
            return stem
        self.report.warnings["duplicate file name, renamed"] += 1
        return renamed


def run_part(task: Callable[[], _T]) -> "_T | PartFailed":
    """Run a part's work; an lbconvert error comes back as a value (its
    class may not survive pickling as an exception: ``ExportFormatError``
    has keyword-only arguments)."""
    try:
        return task()
    except LbConvertError as exc:
        return PartFailed(type(exc), exc.args, dict(vars(exc)))


@dataclass
class PartFailed:
    kind: "type[LbConvertError]"
    args: tuple[Any, ...]
    state: dict[str, Any]

    def error(self) -> LbConvertError:
        exc: LbConvertError = LbConvertError.__new__(self.kind)
        exc.args = self.args
        vars(exc).update(self.state)
        return exc


def survey_part(
    part: ByteRange, options: Options, require_size: bool, stems: str
) -> "Survey | PartFailed":
    """Step 1 for one part (runs in a worker); the asked stems go to the file ``stems``."""

    def task() -> Survey:
        selector = SurveySelector(options, Report(), require_size=require_size, stems=stems)
        splits: dict[str, None] = {}
        reader = PartReader(part, options.max_record_bytes)
        rows = 0
        for row in reader:
            rows += 1
            for item in selector.items(row):
                if item.media_type in IMAGE_MEDIA and item.width and item.height:
                    splits.setdefault(item.split)
        selector.asked.close()
        return Survey(selector.classes, stems, list(splits), rows)

    return run_part(task)


def write_part(
    part: ByteRange,
    to: str,
    directory: str,
    options: Options,
    renamed: dict[int, str],
    splits: list[str],
) -> "Report | PartFailed":
    """Step 3 for one part (runs in a worker): its dataset in ``directory``."""

    def task() -> Report:
        report = Report()
        writer_class = get_writer(to)
        writer = writer_class(directory, options, report=report)
        try:
            writer.open()
            writer.open_splits(splits)
            selector = _PartSelector(
                options,
                report,
                renamed=renamed,
                require_size=getattr(writer_class, "needs_image_size", True),
            )
            for row in PartReader(part, options.max_record_bytes):
                for item in selector.items(row):
                    writer.add(item)
        except BaseException:
            writer.abort()
            raise
        return writer.close()

    return run_part(task)


def settle_stems(
    surveys: Iterable[Survey], changed: Optional[list[dict[int, tuple[str, str]]]] = None
) -> list[dict[int, str]]:
    """The unique-stem rule of :meth:`Selector._claim_stem` replayed over the
    whole export: for each part, ``{number of the asked stem: its new name}``
    for the stems renamed (only duplicates are).  ``changed`` receives, per
    part, every stem that differs from the one asked, as ``(asked, new)``
    (the renamed ones and the frames of a renamed video)."""
    taken = NameSet()
    renamed_by_part = []
    for survey in surveys:
        renamed: dict[int, str] = {}
        moved: dict[int, tuple[str, str]] = {}
        if changed is not None:
            changed.append(moved)
        row_stem = ""  # the asked stem of the last row (a frame's parent)
        for number, (asked, key, parent) in enumerate(StemLog.read(survey.stems)):
            stem = asked
            if parent < 0:
                row_stem = asked
            elif parent in renamed:  # a frame of a renamed video
                stem = renamed[parent] + asked[len(row_stem) :]
                moved[number] = (asked, stem)
            if taken.add(stem.lower()):
                continue
            new = f"{stem}__{_digest(key):016x}"
            attempt = 1
            while not taken.add(new.lower()):
                attempt += 1
                new = f"{stem}__{_digest(key):016x}_{attempt}"
            renamed[number] = new
            moved[number] = (asked, new)
        renamed_by_part.append(renamed)
        os.remove(survey.stems)
    return renamed_by_part


class _Progress:
    """What the progress callback reads: bytes done across all parts (each
    part counts once per pass)."""

    def __init__(self, total: int) -> None:
        self.total_bytes = 2 * total
        self.done = 0

    def bytes_read(self) -> int:
        return self.done


def run_plan(
    parts: list[ByteRange],
    to: str,
    staging: Staging,
    options: Options,
    executor: Executor,
    report: Report,
    progress: Optional[Callable[[Any], None]] = None,
) -> Report:
    """Steps 1–4 on ``executor``; the merged dataset is left in ``staging_path(staging)``
    and the parts' reports are added to ``report`` (returned).  COCO runs in
    one pass (see below), the other writers too when they can
    (:mod:`.onepass`), else in the two passes of the module's docstring."""
    total = sum(p.end - p.start for p in parts)
    meter = _Progress(total)
    writer_class = get_writer(to)
    require_size = getattr(writer_class, "needs_image_size", True)

    def advance(part: ByteRange) -> Callable[[], None]:
        def done() -> None:
            meter.done += part.end - part.start
            if progress is not None:
                progress(meter)

        return done

    if to == "coco":  # one pass, ids fixed by the workers: see .coco
        from .coco import run_one_pass

        return run_one_pass(parts, staging, options, executor, advance, report)
    from .onepass import run_at_once

    meter.total_bytes = total  # one pass, plus the parts written again
    done = run_at_once(parts, to, staging, options, executor, report, meter, advance)
    if done is not None:
        return done
    meter.total_bytes = meter.done + 2 * total
    return _run_two_passes(parts, to, staging, options, executor, report, advance, require_size)


def _run_two_passes(
    parts: list[ByteRange],
    to: str,
    staging: Staging,
    options: Options,
    executor: Executor,
    report: Report,
    advance: Callable[[ByteRange], Callable[[], None]],
    require_size: bool,
) -> Report:
    """Steps 1–4 of the module's docstring (for the writers other than COCO,
    when a part written at once failed in a way that may depend on the seed,
    see :mod:`.onepass`)."""
    from .merge import merge_parts

    futures = [
        executor.submit(
            survey_part,
            part,
            copy.deepcopy(options),
            require_size,
            os.path.join(staging_path(staging), f".stems-{part.index:05d}"),
        )
        for part in parts
    ]
    surveys = gather_each(
        futures,
        parts,
        advance,
        lambda part: survey_part(
            part,
            copy.deepcopy(options),
            require_size,
            os.path.join(staging_path(staging), ".stems-again"),
        ),
    )
    classes, splits = export_facts(options, surveys)
    renamed = settle_stems(surveys)
    del surveys
    root = Path(staging_path(staging))
    directories = [root / f"part-{part.index:05d}" for part in parts]
    reports = write_parts(
        parts,
        directories,
        to,
        replace(options, classes=classes),
        renamed,
        splits,
        executor,
        advance,
        root,
    )
    return merge_parts(to, directories, reports, root, report)


def export_facts(options: Options, surveys: Iterable[Survey]) -> tuple[ClassMap, list[str]]:
    """The classes (the parts' maps merged in part order: first-seen ids of
    the whole export) and the splits (first-seen order) of the whole export."""
    classes = copy.deepcopy(options).class_map()
    splits: dict[str, None] = {}
    for survey in surveys:
        classes.merge(survey.classes)
        splits.update(dict.fromkeys(survey.splits))
    return classes, list(splits)


def write_parts(
    parts: list[ByteRange],
    directories: list[Path],
    to: str,
    options: Options,
    renamed: list[dict[int, str]],
    splits: list[str],
    executor: Executor,
    advance: Callable[[ByteRange], Callable[[], None]],
    root: Path,
) -> list[Report]:
    """Step 3 for ``parts`` (``directories[i]`` is ``parts[i]``'s; ``renamed``
    is indexed by ``part.index``), on ``executor``: their reports, in order."""
    futures = [
        executor.submit(
            write_part,
            part,
            to,
            str(directory),
            copy.deepcopy(options),
            renamed[part.index],
            splits,
        )
        for part, directory in zip(parts, directories)
    ]
    return gather_each(
        futures,
        parts,
        advance,
        lambda part: write_part(
            part, to, str(root / "part-again"), copy.deepcopy(options), renamed[part.index], splits
        ),
    )


def gather_each(
    futures: "list[Future[Any]]",
    parts: list[ByteRange],
    advance: Callable[[ByteRange], Callable[[], None]],
    again: Callable[[ByteRange], Any],
) -> list[Any]:
    """The parts' results in order; the first failure in part order raises
    the error of ``again(part)``: the part run once more, here, with the
    lines numbered as in the whole file (the same work fails the same way)."""
    results = []
    try:
        for future, part in zip(futures, parts):
            result = future.result()
            if isinstance(result, PartFailed):
                for future_after in futures:
                    future_after.cancel()
                rerun = again(replace(part, numbered=True))
                raise (rerun if isinstance(rerun, PartFailed) else result).error()
            results.append(result)
            advance(part)()
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return results


def staging_path(staging: Staging) -> Path:
    """The temporary directory of the run (an internal error once it is gone)."""
    if staging.path is None:
        raise LbConvertError("internal error: the temporary directory is gone")
    return staging.path
