"""What the local worker processes of ``--jobs N`` set up once.

The per-image writers hand their small files (VOC XML, YOLO labels) to a
spool process (:class:`lbconvert.write.small_files.SmallFiles`): in one
process that puts the file system calls on the second core.  When the
plan's own workers already fill every core, a spool process per part only
competes with them and adds the cost of the pipe (measured with ``--jobs 2``
on 2 cores: less CPU and less wall time without it), so those workers write
their files themselves.  A Dask cluster's workers, or an executor given by
the caller, are left as they are.

A worker serves one conversion: when its parent dies (``kill -9``, where
no ``finally`` runs) it exits too, instead of writing on into a temporary
directory that a later run will remove.
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["init_worker", "workers_fill_the_machine"]

#: How often a worker looks whether its parent is still there (seconds).
PARENT_CHECK_SECONDS = 0.2


def workers_fill_the_machine(workers: int) -> bool:
    """Whether ``workers`` processes leave no core for a spool process."""
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    return workers >= cores


def init_worker(spool: bool, parent: int) -> None:
    """The initializer of a local worker process of the process ``parent``."""
    if not spool:
        from ..write.small_files import SmallFiles

        SmallFiles.SPOOL_AFTER = None
    threading.Thread(target=_exit_without, args=(parent,), daemon=True).start()


def _exit_without(parent: int) -> None:
    """Exit at once when ``parent`` is no longer this process's parent.

    (Polling ``getppid`` rather than ``PR_SET_PDEATHSIG``: that signal
    fires when the parent *thread* that started the worker ends, which a
    caller's short-lived thread would do.)"""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)
