"""What every writer shares: the protocol, atomic output, and accounting.

A writer writes into a temporary directory beside ``out`` and renames it into
place only in :meth:`Writer.close`; a failed conversion removes it, so no
half-written dataset is ever left at ``out``.  ``out`` must not exist, be an
empty directory, or be replaced with ``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Optional

from ..errors import OutputError
from ..model import Item, ObjectAnnotation
from ..options import Options, option_name
from ..report import Report

__all__ = ["Writer", "WriterOption", "SmallFiles", "IMAGE_MEDIA"]

#: Media whose items have pixels to draw on.
IMAGE_MEDIA = frozenset({"image", "video", "dicom", "document", "geospatial", "unknown"})


class Writer:
    """Base class of the built-in writers; third-party writers subclass it
    (``name``, ``__init__(out, options, report)``, ``add(item)``,
    ``finish()``; ``close() -> Report`` is inherited).

    Accounting: this base class counts ``report.items`` and the per-split and
    per-class tables around every ``add(item)`` of a subclass (whatever it
    overrides); a writer counts only ``annotations_written``, its drops and
    its warnings (see :mod:`lbconvert.report`)."""

    name: ClassVar[str] = ""
    #: One line for ``lbconvert formats``.
    description: ClassVar[str] = ""
    #: Options of this writer, given on the command line as ``--writer-option
    #: KEY=VALUE`` and read from ``self.options.extra[KEY]`` (already converted
    #: to the type declared here: ``str``, ``int``, ``float`` or ``bool``).
    writer_options: ClassVar[dict[str, "WriterOption"]] = {}
    _in_add = False  # see _count_items
    #: False for writers that draw nothing: items of unknown size reach them too.
    needs_image_size: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass whose ``__init__`` fails after this base made the
        temporary directory removes it again, so a refused option never
        leaves a ``.partial`` directory behind."""
        super().__init_subclass__(**kwargs)
        _count_items(cls)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def guarded(self: "Writer", *args: Any, **kw: Any) -> None:
            try:
                init(self, *args, **kw)
            except BaseException:
                if isinstance(getattr(self, "out", None), Path) and not self._closed:
                    shutil.rmtree(self.out, ignore_errors=True)
                    self._closed = True
                raise

        cls.__init__ = guarded  # type: ignore[method-assign]

    def __init__(self, out: "str | os.PathLike[str]", options: Optional[Options] = None,
                 report: Optional[Report] = None) -> None:
        self.options = options or Options()
        self.report = report or Report()
        self.classes = self.options.class_map()
        self._ids_by_name: dict[str, int] = {}  # see class_id
        self.target = Path(out)
        _check_target(self.target, self.options.overwrite)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.out = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".partial",
                                         dir=self.target.parent))
        self._closed = False

    # --- the protocol ---

    def add(self, item: Item) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Write whatever comes last (file tails, data.yaml, indexes) into ``self.out``."""

    def close(self) -> Report:
        """Finish, then move the dataset into place.  Returns the report."""
        if not self._closed:
            self._closed = True
            try:
                self.finish()
            except BaseException:
                self.abort()
                raise
            self._commit()
        return self.report

    def abort(self) -> None:
        """Throw away everything written so far."""
        self._closed = True
        shutil.rmtree(self.out, ignore_errors=True)

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()

    # --- helpers for subclasses ---

    def writer_option(self, key: str) -> Any:
        """This writer's own option ``key`` (declared in ``writer_options``):
        the value given (``--writer-option KEY=VALUE``, or ``extra={KEY: …}``
        from Python), else its declared default."""
        return self.options.extra.get(key, self.writer_options[key].default)

    def class_id(self, obj: ObjectAnnotation) -> Optional[int]:
        """The object's 0-based class id; drops and counts it when a fixed class
        list lacks it.  Runs once per object: ids are cached by name."""
        name = obj.name
        found = self._ids_by_name.get(name) if name else None
        if found is None:
            found = self.classes.id_of(obj)
            if found is None:
                self.report.drop("class not in classes file")
            elif name and self.classes.key == "name":
                self._ids_by_name[name] = found
        return found

    @staticmethod
    def file_stem(item: Item) -> str:
        """The item's stem, for its file names.  The select stage makes stems
        safe and unique (:attr:`Item.stem`); an Item built by hand with a
        path separator in its stem is refused rather than written elsewhere."""
        if "/" in item.stem or "\\" in item.stem:
            raise OutputError(f"unsafe file stem {item.stem!r}")
        return item.stem

    def drawable(self, item: Item) -> bool:
        """False (and every object dropped) when the item has no image to draw on."""
        if item.media_type in IMAGE_MEDIA and item.width and item.height:
            return True
        self.report.drop(f"{item.media_type} media not representable in {self.name}",
                         len(item.objects))
        return False

    def _commit(self) -> None:
        target = self.target
        old: Optional[Path] = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.out, 0o777 & ~umask)  # mkdtemp made it private
        os.replace(self.out, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self.out = target


class WriterOption(NamedTuple):
    """A writer's own option: its type, default and one line of help."""

    type: type = str
    default: Any = None
    help: str = ""


def _count_items(cls: type) -> None:
    """Wrap ``cls.add`` so that the base class counts every item exactly once
    (an ``add`` calling ``super().add`` is counted by the outermost call)."""
    add = cls.__dict__.get("add")
    if add is None or getattr(add, "_counts_items", False):
        return

    @functools.wraps(add)
    def counted(self: "Writer", item: Item) -> None:
        if self._in_add:
            return add(self, item)  # type: ignore[no-any-return]
        self._in_add = True
        self.report.item_started(item)
        try:
            add(self, item)
        finally:
            self._in_add = False
            self.report.item_finished(item)

    counted._counts_items = True  # type: ignore[attr-defined]
    cls.add = counted  # type: ignore[attr-defined]


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
_DIR_FD = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")
_SPOOL = Path(__file__).with_name("spool.py")
_RECORD = struct.Struct("<II")  # name and data lengths, as spool.py reads them


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
    :class:`OutputError` if one could not be written; :meth:`abort` stops
    the spool process without waiting.
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
        """Wait until every file is written; OutputError if one could not be."""
        try:
            if self._spool is not None:
                self._send()
                spool, self._spool = self._spool, None
                spool.stdin.close()  # type: ignore[union-attr]
                if spool.wait() != 0:
                    raise self._failure(spool)
        finally:
            self._close_directory()

    def abort(self) -> None:
        """Stop without waiting for the files still on their way."""
        spool, self._spool = self._spool, None
        if spool is not None:
            spool.kill()
            spool.wait()
            with contextlib.suppress(BrokenPipeError):
                spool.stdin.close()  # type: ignore[union-attr]
            spool.stderr.close()  # type: ignore[union-attr]
        self._close_directory()

    def _start_spool(self) -> "Optional[subprocess.Popen[bytes]]":
        """The spool process, or None where none can start (an embedded
        interpreter without ``sys.executable``): files are then written here."""
        if not sys.executable:
            return None
        try:
            spool = subprocess.Popen(
                [sys.executable, "-I", "-S", os.fspath(_SPOOL), os.fspath(self.directory)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError:
            return None
        _enlarge_pipe(spool.stdin.fileno())  # type: ignore[union-attr]
        return spool

    def _send(self) -> None:
        spool = self._spool
        if spool is None or not self._batch:
            return
        try:
            spool.stdin.write(b"".join(self._batch))  # type: ignore[union-attr]
            spool.stdin.flush()  # type: ignore[union-attr]
        except BrokenPipeError:  # the spool process failed and said why
            self._spool = None
            spool.wait()
            raise self._failure(spool) from None
        self._batch.clear()
        self._batch_size = 0

    def _failure(self, spool: "subprocess.Popen[bytes]") -> OutputError:
        message = spool.stderr.read().decode("utf-8", "replace").strip()  # type: ignore[union-attr]
        spool.stderr.close()  # type: ignore[union-attr]
        with contextlib.suppress(BrokenPipeError):
            spool.stdin.close()  # type: ignore[union-attr]
        return OutputError(message or f"writing files into {self.directory} failed "
                                      f"(exit status {spool.returncode})")

    def _close_directory(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _enlarge_pipe(fd: int) -> None:
    """Make a pipe hold 1 MiB (Linux; elsewhere nothing happens).  With the
    default 64 KiB the two processes keep waiting for each other: at 100,000
    VOC files that cost more than the second process saved."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


def _check_target(target: Path, overwrite: bool) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputError(f"{target} exists and is not a directory")
    if any(target.iterdir()) and not overwrite:
        raise OutputError(f"{target} is not empty; pass {option_name('overwrite')} to replace it")
