"""What every writer shares: the protocol, atomic output, and accounting.

A writer writes into a temporary directory beside ``out`` and renames it into
place only in :meth:`Writer.close`; a failed conversion removes it, so no
half-written dataset is ever left at ``out``.  ``out`` must not exist, be an
empty directory, or be replaced with ``overwrite=True``.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Optional

from ..errors import OutputError
from ..model import Item, ObjectAnnotation
from ..options import Options
from ..report import Report

__all__ = ["Writer", "SmallFiles", "IMAGE_MEDIA"]

#: Media whose items have pixels to draw on.
IMAGE_MEDIA = frozenset({"image", "video", "dicom", "document", "geospatial", "unknown"})


class Writer:
    """Base class of the built-in writers; third-party writers may subclass it
    or just follow the same protocol (``name``, ``__init__(out, options)``,
    ``add(item)``, ``close() -> Report``)."""

    name: ClassVar[str] = ""
    #: False for writers that draw nothing: items of unknown size reach them too.
    needs_image_size: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass whose ``__init__`` fails after this base made the
        temporary directory removes it again, so a refused option never
        leaves a ``.partial`` directory behind."""
        super().__init_subclass__(**kwargs)
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

        cls.__init__ = guarded  # type: ignore[misc]

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

    def class_id(self, obj: ObjectAnnotation) -> Optional[int]:
        """The object's 0-based class id; drops and counts it when a fixed class
        list lacks it.  Runs once per object: ids are cached by name."""
        name = obj.name
        found = self._ids_by_name.get(name) if name else None  # type: ignore[arg-type]
        if found is None:
            found = self.classes.id_of(obj)
            if found is None:
                self.report.drop("class not in classes file")
            elif name and self.classes.key == "name":
                self._ids_by_name[name] = found
        return found

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


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
_DIR_FD = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")


class SmallFiles:
    """A directory receiving many small files, each written with one
    ``open``/``write``/``close`` of the OS (relative to an open directory
    descriptor where the OS allows it): Python's ``open()`` costs several
    times more per file, which dominates per-image formats."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._fd: Optional[int] = os.open(directory, _DIRECTORY) if _DIR_FD else None
        self._prefix = "" if self._fd is not None else f"{directory}{os.sep}"

    def write(self, name: str, data: bytes) -> None:
        fd = os.open(self._prefix + name, _CREATE, 0o666, dir_fd=self._fd)
        try:
            done = os.write(fd, data)
            while done < len(data):  # a short write: rare, but allowed
                done += os.write(fd, data[done:])
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _check_target(target: Path, overwrite: bool) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputError(f"{target} exists and is not a directory")
    if any(target.iterdir()) and not overwrite:
        raise OutputError(f"{target} is not empty; pass --overwrite to replace it")
