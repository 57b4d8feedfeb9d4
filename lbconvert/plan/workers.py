"""What the local worker processes of ``--jobs N`` set up once.

The per-image writers hand their small files (VOC XML, YOLO labels) to a
spool process (:class:`lbconvert.write.small_files.SmallFiles`): in one
process that puts the file system calls on the second core.  When the
plan's own workers already fill every core, a spool process per part only
competes with them and adds the cost of the pipe (measured with ``--jobs 2``
on 2 cores: less CPU and less wall time without it), so those workers write
their files themselves.  A Dask cluster's workers, or an executor given by
the caller, are left as they are.
"""

from __future__ import annotations

import os

__all__ = ["init_worker", "workers_fill_the_machine"]


def workers_fill_the_machine(workers: int) -> bool:
    """Whether ``workers`` processes leave no core for a spool process."""
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    return workers >= cores


def init_worker(spool: bool) -> None:
    """The initializer of a local worker process (it serves this conversion only)."""
    if not spool:
        from ..write.small_files import SmallFiles

        SmallFiles.SPOOL_AFTER = None
