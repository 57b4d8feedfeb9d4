"""What every writer shares: the protocol, atomic output, and accounting.

Lifecycle: ``__init__`` checks the options and the target and makes nothing
on disk (a failing ``__init__`` leaves nothing to clean); :meth:`Writer.open`
(called by ``__enter__``, the first ``add()``, or ``close()``) makes the
temporary directory beside ``out`` and the format's files in it
(:meth:`Writer.prepare`); :meth:`Writer.close` finishes and moves it into
place; :meth:`Writer.abort` removes it.  So no half-written dataset is ever
left at ``out``.  ``out`` must not exist, be an
empty directory, or be replaced with ``overwrite=True``.  The guarantees
under faults (old-or-new at every instant, stale temporary directories,
concurrent runs) are described in :mod:`lbconvert.write.outdir`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, ClassVar, NamedTuple, Optional, Sequence

import orjson

from ..errors import OutputError
from ..model import Item, ObjectAnnotation
from ..options import Options
from ..report import Report, class_of
from .manifest import REPORT, Manifest
from .outdir import Staging
from .shapes import not_representable

__all__ = ["Writer", "IMAGE_MEDIA", "release", "WriterOption"]

log = logging.getLogger(__name__)

#: Media whose items have pixels to draw on.
IMAGE_MEDIA = frozenset({"image", "video", "dicom", "document", "geospatial", "unknown"})


class Writer:
    """Base class of the built-in writers; third-party writers subclass it
    (``name``, ``__init__(out, options, report)``, ``add(item)``,
    ``finish()``; ``close() -> Report`` is inherited).

    A subclass implements ``write(item)``; ``add(item)`` belongs to this base
    class, which counts ``report.items`` and the per-split and per-class
    tables and lists the item in the manifest around every ``write``.  A
    writer counts only ``annotations_written``, its drops and its warnings
    (see :mod:`lbconvert.report`)."""

    name: ClassVar[str] = ""
    #: One line for ``lbconvert formats``.
    description: ClassVar[str] = ""
    #: Options of this writer, given on the command line as ``--writer-option
    #: KEY=VALUE`` and read from ``self.options.extra[KEY]`` (already converted
    #: to the type declared here: ``str``, ``int``, ``float`` or ``bool``).
    writer_options: ClassVar[dict[str, "WriterOption"]] = {}
    #: False for writers that draw nothing: items of unknown size reach them too.
    needs_image_size: ClassVar[bool] = True
    #: True for image writers: every item with pixels is listed in
    #: ``OUT/manifest.jsonl`` and written; the objects of the others are dropped.
    writes_manifest: ClassVar[bool] = False
    #: ``(model class, method name)`` pairs: :meth:`handler` gives objects of
    #: the class, or of a subclass, to that method; the first match wins.
    handlers: ClassVar[Sequence[tuple[type, str]]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a subclass that overrides ``add`` (see :meth:`add`)."""
        super().__init_subclass__(**kwargs)
        if "add" in cls.__dict__:
            raise TypeError(
                f"{cls.__qualname__}: a writer implements write(item); add(item) is "
                "the base class's (it counts the item and lists it in the manifest)"
            )

    def __init__(
        self,
        out: "str | os.PathLike[str]",
        options: Optional[Options] = None,
        report: Optional[Report] = None,
    ) -> None:
        self.options = options or Options()
        self.report = report or Report()
        self.classes = self.options.class_map()
        #: The map's own {name: id} (it grows with the map), or {} when names do
        #: not key the classes: one lookup before :meth:`ClassMap.id_of`
        #: (2-3 % of the writer stage of coco, yolo and voc).
        ids = self.classes.ids_by_name
        self._ids_by_name: dict[str, int] = {} if ids is None else ids
        #: ``handler_of[type(obj)]``: the method for objects of that class (see :meth:`handler`).
        self.handler_of = _HandlerTable(self)
        self._opened = False
        self._closed = False
        self._staging = Staging(out, self.options.overwrite)  # checks; makes nothing yet
        #: Where the dataset goes (a symbolic link or ``.``/``..`` resolved).
        self.target = self._staging.target
        self._manifest: Optional[Manifest] = None
        self._out: Optional[Path] = None

    @property
    def out(self) -> Path:
        """Where the dataset is written until :meth:`close` moves it to
        :attr:`target` (then the target).  Asking for it opens the writer
        (:meth:`open`), so a writer that makes its files in ``__init__``, as
        before :meth:`prepare` existed, still works."""
        if self._out is None:
            self.open()
        return self._out  # type: ignore[return-value]  # open() set it or raised

    def open(self) -> "Writer":
        """Make the temporary directory and the format's files in it
        (:meth:`prepare`), once; ``__enter__``, the first :meth:`add` and
        :meth:`close` call it.  A failure removes what it made."""
        if not self._opened:
            self._opened = True
            try:
                self._out = self._staging.open()
                self._manifest = Manifest(self.out) if self.writes_manifest else None
                self.prepare()
            except BaseException:
                release(self.abort)
                raise
        return self

    def prepare(self) -> None:
        """Make the format's directories and open its files in ``self.out``
        (what a format needs before its first item)."""

    # --- the protocol ---

    def add(self, item: Item) -> None:
        """Write one item: count it and :meth:`write` it.  An image writer
        (:attr:`writes_manifest`) lists it in the manifest first, or, when it
        has no pixels, drops its objects (:meth:`drawable`) instead of
        writing it: its ``write`` sees only items with a width and height."""
        if not self._opened:
            self.open()
        self.report.item_started(item)
        try:
            if self._manifest is None:
                self.write(item)
            elif self.drawable(item):
                self._manifest.add(item)
                self.write(item)
        finally:
            self.report.item_finished(item)

    def write(self, item: Item) -> None:
        """Write one item's files (what each format implements)."""
        raise NotImplementedError

    def open_splits(self, splits: "list[str]") -> None:
        """Start these splits now, in this order, as if items of each had
        come (hook of a partitioned run, :mod:`lbconvert.plan`: every part
        starts the splits of the whole export, so that file names, image
        sets and directories come out as one process writes them).  Writers
        whose output does not depend on the splits present ignore it."""

    def finish(self) -> None:
        """Write whatever comes last (file tails, data.yaml, indexes) into ``self.out``."""

    def close(self) -> Report:
        """Finish, then move the dataset into place.  Returns the report.

        A failure removes the temporary directory; a file system error
        (full disk, …) becomes an :class:`OutputError`.  When another run
        filled ``out`` meanwhile, the OutputError says where this run's
        dataset was kept."""
        if not self._closed:
            self.open()  # no item came: still a complete, empty dataset
            self._closed = True
            try:
                self.finish()
                self._write_history()
            except OSError as exc:
                self.abort()
                raise self.output_error(exc) from exc
            except BaseException:
                self.abort()
                raise
            self._out = self._staging.commit()
        return self.report

    def abort(self) -> None:
        """Throw away everything written so far.  Subclasses close their files
        first with :func:`release` (which never raises) and then call this."""
        self._closed = True
        manifest: Optional[Manifest] = getattr(self, "_manifest", None)
        if manifest is not None:
            manifest.discard()
        staging = getattr(self, "_staging", None)
        if staging is not None:
            staging.discard()

    def failed_writing(self, exc: OSError) -> bool:
        """Whether ``exc`` came from writing the dataset (a full disk, a file
        of the temporary directory), not from reading the export or images."""
        return self._staging.failed_writing(exc)

    def output_error(self, exc: OSError) -> OutputError:
        """A file system error while writing, as one line naming the target."""
        return self._staging.output_error(exc)

    def __enter__(self) -> "Writer":
        return self.open()

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
        """The object's 0-based class id (the select stage gave it, see
        :mod:`lbconvert.classes`); drops and counts it when a fixed class
        list lacks it."""
        found = self._ids_by_name.get(obj.name)  # type: ignore[arg-type]  # None: not found
        if found is None:
            found = self.classes.id_of(obj)
            if found is None:
                self.report.drop(self.classes.missing_reason)
        return found

    def handler(self, cls: type) -> Callable[..., Any]:
        """The method for objects of ``cls`` (:attr:`handlers`, or
        :meth:`handler_table` where options choose), found once per class
        (:attr:`handler_of` caches it); a class without one gets a function
        that drops the object with :meth:`unsupported_reason` and returns None."""
        name = next((name for base, name in self.handler_table() if issubclass(cls, base)), None)
        return getattr(self, name) if name else _dropper(self.report, self.unsupported_reason(cls))

    def handler_table(self) -> Sequence[tuple[type, Optional[str]]]:
        """The ``(model class, method name)`` pairs :meth:`handler` looks in; a
        name of None drops the class's objects."""
        return self.handlers

    def unsupported_reason(self, cls: type) -> str:
        """Why objects of a class without a handler are dropped."""
        return not_representable(getattr(cls, "kind", "object"), self.name)

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
        reason = f"{item.media_type} media not representable in {self.name}"
        for obj in item.objects:  # one by one, for the per-class table
            self.report.current_class = class_of(obj)
            self.report.drop(reason)
        return False

    def _write_history(self) -> None:
        """The manifest's last lines and ``lbconvert-report.json`` (see :mod:`.manifest`)."""
        if self._manifest is not None:
            self._manifest.close()
        with open(self.out / REPORT, "wb") as handle:
            handle.write(orjson.dumps(self.report.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")


class _HandlerTable(dict):  # type: ignore[type-arg]  # dict[type, Callable[..., Any]]
    """Model class -> the writer's handler, filled on first use: a dict
    lookup per object, no Python call on a hit.  Measured gain (with
    :func:`.shapes.clipped`'s comparisons): YOLO detect went from 8 % to 2 %
    above the per-writer caches it replaced (tests/test_shapes.py)."""

    def __init__(self, writer: Writer) -> None:
        super().__init__()
        self.writer = writer

    def __missing__(self, cls: type) -> Callable[..., Any]:
        found = self[cls] = self.writer.handler(cls)
        return found


def _dropper(report: Report, reason: str) -> Callable[..., None]:
    """A handler that counts its object as dropped for ``reason``."""
    drop_one = report.drop

    def drop(*_: Any) -> None:
        drop_one(reason)

    return drop


def release(*steps: Callable[[], object]) -> None:
    """Run every step of a cleanup even when some fail: on a full disk,
    closing a file raises ENOSPC, and the steps after it (and the removal of
    the temporary directory) must still run.  Failures are logged, not raised."""
    for step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001 - cleanup of a run that already failed
            log.debug("cleanup step %r failed", step, exc_info=True)


class WriterOption(NamedTuple):
    """A writer's own option: its type, default and one line of help."""

    type: type = str
    default: Any = None
    help: str = ""
