"""Partitioned conversion: the same dataset from N processes or a Dask cluster.

:func:`convert_partitioned` is what ``convert(..., jobs=N)`` and
``convert(..., executor=...)`` call; see :mod:`.run` for the plan,
:mod:`.partition` for the cutting of the input and :mod:`.merge` for the
merge.  What runs in one process instead (and why) is decided by
:func:`serial_reason`.
"""

from __future__ import annotations

import copy
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, Callable, Optional

from ..errors import LbConvertError, StrictError
from ..options import Options
from ..read import ExportReader, Source
from ..report import Report
from ..write import get_writer
from ..write.base import release
from ..write.outdir import Staging
from .merge import MERGEABLE
from .partition import is_url, ndjson_ranges, open_input, open_url
from .run import staging_path, run_plan
from .workers import WorkerProcesses, init_worker, workers_fill_the_machine

__all__ = [
    "convert_partitioned",
    "open_url",
    "is_url",
    "serial_reason",
    "resolve_jobs",
    "PARTS_PER_JOB",
    "ONE_PART_PER_WORKER",
]

#: Parts per worker: more than one evens out parts of unequal cost.  COCO
#: uses one: its merge renumbers every part after the first, serially.
PARTS_PER_JOB = 2
#: The writers that use one part per worker: COCO (above); VOC and YOLO,
#: whose merge renames every small file of the parts after the first (a
#: file per image; measured with ``--jobs 2``: less CPU and wall time with
#: 2 parts than with 4).
ONE_PART_PER_WORKER = frozenset({"coco", "voc", "yolo"})


def resolve_jobs(jobs: Optional[int]) -> int:
    """``jobs`` as a number of processes: 0 (or None) is every core."""
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int)):
        raise LbConvertError(f"jobs must be a whole number of processes, not {jobs!r}")
    if not jobs:
        return (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1)
        )
    if jobs < 0:
        raise LbConvertError(f"jobs must be 0 (every core) or a positive number, not {jobs}")
    return jobs


def serial_reason(export: object, to: str, options: Options) -> Optional[str]:
    """Why this conversion runs in one process (None: it can be partitioned).

    Only plain NDJSON export v2 files are cut into parts; gzip files, JSON
    arrays and legacy exports (whose records of one data row may be far
    apart) are converted by one process, with the same output."""
    if to not in MERGEABLE:
        return f"the {to} writer has no part merge"
    if to == "coco" and options.layout != "default":
        return "the coco2017 layout is not merged"
    if to == "yolo" and options.absolute:
        return "yolo --absolute writes the output path into data.yaml"
    if not isinstance(export, (str, os.PathLike)):
        return "the export is a file object"
    source = os.fspath(export)
    with open_input(source) as handle:
        head = handle.read(2)
    if head == b"\x1f\x8b":
        return "gzip input cannot be cut into byte ranges"
    with ExportReader(_local_or_url(source), options.max_record_bytes) as reader:
        if reader.container != "ndjson":
            return "JSON arrays cannot be cut into byte ranges"
        first = next(iter(reader), None)
        if first is None:
            return "the export has no rows"
        if not (reader.format or "").startswith("v2"):
            return "legacy exports group records of a data row across the file"
    return None


def _local_or_url(source: str) -> Any:
    return open_url(source) if is_url(source) else source


def convert_partitioned(
    export: Source,
    to: str,
    out: "str | os.PathLike[str]",
    options: Options,
    jobs: int,
    executor: Optional[Executor] = None,
    progress: Optional[Callable[[Any], None]] = None,
    started: Optional[float] = None,
) -> Report:
    """Convert on ``executor`` (else a pool of ``jobs`` local processes);
    same files, bytes and report as one process.  The caller checked
    :func:`serial_reason`."""
    source = os.fspath(export)  # type: ignore[arg-type]  # a path: serial_reason checked
    writer_class = get_writer(to)
    staging = Staging(out, options.overwrite)
    try:
        staging.open()
        total = Report()
        total.started(options, to)  # the options as given (nothing below changes them)
        probe = writer_class(
            staging_path(staging) / ".options-check", copy.deepcopy(options), report=Report()
        )
        probe.abort()  # the writer refuses bad options as it would in one process
        workers = jobs if executor is None else max(jobs, 1)
        parts = ndjson_ranges(
            source, _name(export), workers * (1 if to in ONE_PART_PER_WORKER else PARTS_PER_JOB)
        )
        if executor is None:
            processes = min(jobs, len(parts))
            pool_workers = WorkerProcesses()
            with ProcessPoolExecutor(
                max_workers=processes,
                mp_context=pool_workers.context,
                initializer=init_worker,
                initargs=(not workers_fill_the_machine(processes),),
            ) as pool:
                try:
                    report = run_plan(parts, to, staging, options, pool, total, progress)
                except BaseException:  # Ctrl-C, a failed part: no part is of use any more
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool_workers.end()
                    raise
        else:
            report = run_plan(parts, to, staging, options, executor, total, progress)
        if options.strict:
            if report.fails_strict(options.allow):
                report.elapsed_seconds = _elapsed(started)
                raise StrictError(report, options.allow)
    except OSError as exc:
        release(staging.discard)
        if staging.failed_writing(exc):
            raise staging.output_error(exc) from exc
        raise
    except BaseException:
        release(staging.discard)
        raise
    staging.commit()
    report.elapsed_seconds = _elapsed(started)
    return report


def _elapsed(started: Optional[float]) -> Optional[float]:
    return None if started is None else time.monotonic() - started


def _name(export: Source) -> str:
    """The file's name as one process's messages give it."""
    if is_url(export):
        return str(export)
    return os.fspath(export)  # type: ignore[arg-type]  # partitioned runs take paths only
