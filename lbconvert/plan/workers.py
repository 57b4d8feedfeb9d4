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

import multiprocessing
import os
import threading
import time
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, Callable

__all__ = ["init_worker", "workers_fill_the_machine", "WorkerProcesses"]

#: How often a worker looks whether its parent is still there (seconds).
PARENT_CHECK_SECONDS = 0.2


def workers_fill_the_machine(workers: int) -> bool:
    """Whether ``workers`` processes leave no core for a spool process."""
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    return workers >= cores


def init_worker(spool: bool) -> None:
    """The initializer of a local worker process (it serves this conversion only).

    Its parent is the converting process, or with the ``forkserver`` start
    method the fork server, which ends with the converting process."""
    if not spool:
        from ..write.small_files import SmallFiles

        SmallFiles.SPOOL_AFTER = None
    threading.Thread(target=_exit_without, args=(os.getppid(),), daemon=True).start()


def _exit_without(parent: int) -> None:
    """Exit at once when ``parent`` is no longer this process's parent.

    (Polling ``getppid`` rather than ``PR_SET_PDEATHSIG``: that signal
    fires when the parent *thread* that started the worker ends, which a
    caller's short-lived thread would do.)"""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


class WorkerProcesses:
    """The processes of one local pool, recorded as they start, so that a
    Ctrl-C or a failed part ends them at once (:meth:`end`) instead of the
    pool's exit waiting for parts nobody will use.

    Each is recorded before it is forked: an interrupt that arrives while the
    pool starts its workers cannot leave one unknown (which the interpreter
    would then wait for at exit).  ``ProcessPoolExecutor`` has no public way
    to end its workers before Python 3.14; it takes this :attr:`context`."""

    def __init__(self) -> None:
        self.started: list[BaseProcess] = []
        base: Any = multiprocessing.get_context()  # the start method's own context
        self.context: BaseContext = type(base)()
        # the pool makes each worker with context.Process(...), then starts it
        self.context.Process = self._recorded(base.Process)

    def _recorded(self, make: Callable[..., BaseProcess]) -> Callable[..., BaseProcess]:
        def process(*args: Any, **kwargs: Any) -> BaseProcess:
            made = make(*args, **kwargs)
            self.started.append(made)
            return made

        return process

    def end(self) -> None:
        """Terminate every worker started, and wait until each is gone (with
        the files it held open)."""
        running = [process for process in self.started if process.pid is not None]
        for process in running:
            process.terminate()
        for process in running:
            process.join()
