"""Many small files (one per image: YOLO labels, VOC XML), each written with one
``open``/``write``/``close`` of the OS, the bulk of them by a spool process."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import IO, Optional, cast

from ..errors import OutputError
from .base import release

__all__ = ["SmallFiles"]

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
_DIR_FD = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")
_SPOOL = Path(__file__).with_name("spool.py")
_RECORD = struct.Struct("<II")  # name and data lengths, as spool.py reads them
_END = _RECORD.pack(0xFFFFFFFF, 0)  # "that was all": EOF without it means the writer died


class SmallFiles:
    """A directory receiving many small files (one per image: YOLO labels, VOC
    XML), each written with one ``open``/``write``/``close`` of the OS.

    The first :attr:`SPOOL_AFTER` files are written here, relative to an open
    directory descriptor (Python's ``open()`` costs several times more per
    file).  After that the files go, a batch at a time through a pipe, to a
    second process (:mod:`lbconvert.write.spool`) that makes the system calls
    while this one goes on parsing: file creation is about a third of a
    per-image conversion, and on a machine with a second core it then costs
    no wall time.  A full pipe (1 MiB) blocks the writer, so memory stays
    bounded by one batch.  :meth:`close` waits for every file and raises
    the ``OSError`` of a file that could not be written; :meth:`abort` stops
    the spool process without waiting.  The spool process stops by itself,
    writing nothing more, when this process dies (see :mod:`.spool`).
    """

    #: Files written here before the spool process is worth its start-up
    #: (~20 ms); None: never start it.
    SPOOL_AFTER: Optional[int] = 2000
    #: Bytes sent to the spool process at a time.
    BATCH_BYTES = 1 << 18

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._fd: Optional[int] = os.open(directory, _DIRECTORY) if _DIR_FD else None
        self._prefix = "" if self._fd is not None else f"{directory}{os.sep}"
        self._inline = self.SPOOL_AFTER
        self._spool: Optional[subprocess.Popen[bytes]] = None
        self._batch: list[bytes] = []
        self._batch_size = 0

    def write(self, name: str, data: bytes) -> None:
        """Write a file (replacing one of the same name: stems are unique, see
        :attr:`lbconvert.model.Item.stem`)."""
        if self._inline is not None:
            if self._inline > 0:
                self._inline -= 1
            else:
                self._inline = None
                self._spool = self._start_spool()
        if self._spool is not None:
            encoded = name.encode("utf-8")
            record = _RECORD.pack(len(encoded), len(data)) + encoded + data
            self._batch.append(record)
            self._batch_size += len(record)
            if self._batch_size >= self.BATCH_BYTES:
                self._send()
            return
        fd = os.open(self._prefix + name, _CREATE, 0o666, dir_fd=self._fd)
        try:
            done = os.write(fd, data)
            while done < len(data):  # a short write: rare, but allowed
                done += os.write(fd, data[done:])
        finally:
            os.close(fd)

    def close(self) -> None:
        """Wait until every file is written; the ``OSError`` of one that could not be.
        On any failure (or an interrupt) the spool process is stopped: call
        :meth:`abort` to be sure, it is harmless after close."""
        spool = self._spool
        if spool is None:
            self._close_directory()
            return
        try:
            self._batch.append(_END)
            self._send()
            _stdin(spool).close()
        except BrokenPipeError:  # it stopped early and said why
            pass
        except BaseException:
            self.abort()
            raise
        try:
            status = spool.wait()
        except BaseException:
            self.abort()
            raise
        self._spool = None
        self._close_directory()
        if status != 0:
            raise self._failure(spool)
        _stderr(spool).close()

    def abort(self) -> None:
        """Stop without waiting for the files still on their way (never raises OSError)."""
        spool, self._spool = self._spool, None
        if spool is not None:
            release(spool.kill, spool.wait, _stdin(spool).close, _stderr(spool).close)
        self._batch.clear()
        self._close_directory()

    def _start_spool(self) -> "Optional[subprocess.Popen[bytes]]":
        """The spool process, or None where none can start (an embedded
        interpreter without ``sys.executable``): files are then written here."""
        if not sys.executable:
            return None
        try:
            spool = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    os.fspath(_SPOOL),
                    os.fspath(self.directory),
                    str(os.getpid()),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError:
            return None
        _enlarge_pipe(_stdin(spool).fileno())
        return spool

    def _send(self) -> None:
        spool = self._spool
        if spool is None or not self._batch:
            return
        try:
            _stdin(spool).write(b"".join(self._batch))
            _stdin(spool).flush()
        except BrokenPipeError:  # the spool process failed and said why
            self._spool = None
            self._batch.clear()
            spool.wait()
            self._close_directory()
            raise self._failure(spool) from None
        self._batch.clear()
        self._batch_size = 0

    def _failure(self, spool: "subprocess.Popen[bytes]") -> "OSError | OutputError":
        """What the spool process said, its pipes closed: the ``OSError`` a
        write in this process would have raised (so the writer reports it as
        any other), else its one line as an :class:`OutputError`."""
        try:
            message = _stderr(spool).read().decode("utf-8", "replace").strip()
        except OSError:
            message = ""
        release(_stderr(spool).close, _stdin(spool).close)
        number, _, rest = message.partition("\t")
        if number.isdigit():
            strerror, _, path = rest.partition("\t")
            return OSError(int(number), strerror, path)
        message = " ".join(message.split())  # one line, whatever it printed
        return OutputError(
            message
            or f"writing files into {self.directory} failed (exit status {spool.returncode})"
        )

    def _close_directory(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _stdin(spool: "subprocess.Popen[bytes]") -> IO[bytes]:
    """The spool process's stdin: a pipe (``Popen(stdin=PIPE)``), never None."""
    return cast(IO[bytes], spool.stdin)


def _stderr(spool: "subprocess.Popen[bytes]") -> IO[bytes]:
    """The spool process's stderr: a pipe (``Popen(stderr=PIPE)``), never None."""
    return cast(IO[bytes], spool.stderr)


def _enlarge_pipe(fd: int) -> None:
    """Make a pipe hold 1 MiB (Linux; elsewhere nothing happens).  With the
    default 64 KiB the two processes keep waiting for each other: at 100,000
    VOC files that cost more than the second process saved."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass
