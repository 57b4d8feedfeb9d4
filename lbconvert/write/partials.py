"""Temporary directories beside ``OUT`` and who owns them.

A writer's dataset grows in ``.OUT.<machine>-<pid>-<start>-<random>.partial``
(``.old`` for an old dataset moved aside while replacing ``OUT``, see
:mod:`lbconvert.write.outdir`).  ``machine`` hashes the boot id and pid
namespace and ``start`` is the process start time, so a reused pid is not
mistaken for the owner.  :func:`remove_stale` removes those whose owner is
provably gone (same machine and boot, no process with that pid and start
time), renaming an ``.old`` dataset back to ``OUT`` when ``OUT`` is missing;
directories of another machine, of an earlier boot, or without an owner in
their name are left alone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import socket
import time
from pathlib import Path
from typing import Optional

__all__ = ["PARTIAL", "OLD", "owner_token", "name_stem", "remove_stale", "remove_tree"]

log = logging.getLogger(__name__)

#: Suffixes of a dataset being written and of an old one moved aside.
PARTIAL, OLD = ".partial", ".old"
_OWNED = re.compile(
    r"(?P<machine>[0-9a-f]{10})-(?P<pid>[0-9]+)-(?P<start>[0-9]*)-[0-9a-f]{8}"
    r"(?P<kind>\.partial|\.old)"
)
#: Names longer than this are shortened in temporary names (NAME_MAX is 255).
_LONG_NAME = 180


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _machine() -> str:
    """Ten hex digits naming this kernel boot (or host) and pid namespace."""
    boot = (_read("/proc/sys/kernel/random/boot_id") or "").strip() or socket.gethostname()
    try:
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        namespace = ""
    return hashlib.sha1(f"{boot}/{namespace}".encode()).hexdigest()[:10]


def _start_time(pid: int) -> Optional[str]:
    """The process's start time in clock ticks since boot, from /proc (Linux);
    None when it has no such entry (no process, or no /proc)."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces
    if len(fields) < 20 or fields[0] in ("Z", "X"):  # a zombie does nothing any more
        return None
    return fields[19]  # field 22 of proc(5)


def owner_token() -> str:
    """``<machine>-<pid>-<start time>`` of this process."""
    pid = os.getpid()
    return f"{_machine()}-{pid}-{_start_time(pid) or ''}"


def _owner_gone(machine: str, pid: int, start: str) -> bool:
    """True only when the owner provably no longer runs."""
    if machine != _machine():
        return False  # another machine, boot or pid namespace: cannot tell
    if pid == os.getpid():
        return False
    now = _start_time(pid)
    if now is not None:
        return bool(start) and now != start  # a reused pid is another process
    if os.path.isdir("/proc/self"):
        return True  # /proc knows every process of this namespace
    if os.name == "nt":
        return False  # os.kill(pid, 0) would terminate the process there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def name_stem(name: str) -> str:
    """``name`` as used in temporary names: long names are cut and hashed."""
    if len(name) <= _LONG_NAME:
        return name
    return f"{name[: _LONG_NAME - 11]}~{hashlib.sha1(name.encode()).hexdigest()[:10]}"


def remove_stale(target: Path) -> None:
    """Remove the temporary directories beside ``target`` whose owner is gone
    (restoring an old dataset its owner had moved aside when ``target`` is missing)."""
    prefix = f".{name_stem(target.name)}."
    try:
        entries = [e for e in os.scandir(target.parent) if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in sorted(entries, key=lambda e: e.name.endswith(PARTIAL)):  # .old first
        owned = _OWNED.fullmatch(entry.name, len(prefix))
        if owned is None or not entry.is_dir(follow_symlinks=False):
            continue
        if not _owner_gone(owned["machine"], int(owned["pid"]), owned["start"]):
            continue
        path = Path(entry.path)
        if owned["kind"] == OLD:
            try:
                os.rename(path, target)  # only while target is missing or empty
            except OSError:
                pass
            else:
                log.warning(
                    "restored %s from %s (its run was killed while replacing it)", target, path
                )
                continue
        log.info("removing %s (left by a run that is gone)", path)
        remove_tree(path)


def remove_tree(path: Path) -> bool:
    """Remove a directory tree; True when it is gone.  Tries twice: a spool
    process of a dead owner may still add a file while the first pass runs."""
    for attempt in range(2):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            return True
        time.sleep(0.05 * (attempt + 1))
    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):
        log.warning("could not remove %s", path)
        return False
    return True
