"""The select stage: each DataRow becomes zero or more Items.

Rules (see the README for the full list):

* **Which labels** (:mod:`.labels`): the row's project or model run, its
  selected label(s), its split.  Every object of every label considered is
  counted in ``report.objects_read``; the objects of labels or items left
  out are dropped with a reason (``label skipped``, ``other project``,
  ``workflow status filtered``, ``image size unknown``, ...).
* **Items.**  An image is one item; a video or DICOM label gives one item per
  frame that has annotations (stem ``<stem>_<frame:06d>``, DICOM
  ``<stem>_<group>_<frame:06d>``); a document gives one item per page with
  boxes (``<stem>_p<page>``).  Text-like media give one item without size,
  which image writers count as not representable.
* **Names.**  The stem is the global key, else the external id, else the
  data row id (``name_by`` puts one first), without a trailing image
  extension, made safe (see :func:`safe_stem`), unique by a deterministic
  suffix.
* **Class ids.**  The objects of the chosen labels register their classes
  in ``options.class_map()`` (:meth:`lbconvert.classes.ClassMap.register`)
  in the order the items list them (a video's frames in frame order, a
  document's pages in page order), before any writer sees the item, also
  when the select stage then drops them (image or page size unknown, frame
  not kept by ``every``): class ids are first seen among the selected
  labels' objects, whatever a writer keeps, and do not change with
  ``images`` or ``every``.
"""

from __future__ import annotations

from typing import Iterator, Optional

import msgspec

from ..errors import LbConvertError, SelectionError
from ..images import frame_size, image_file, ordered_names, read_image_size, url_name
from ..model import (
    DataRow,
    DocumentBoxAnnotation,
    DocumentEntityAnnotation,
    Frame,
    Item,
    Label,
    ObjectAnnotation,
)
from ..names import NameSet, digest, safe_stem, split_image_extension
from ..options import Options, option_name
from ..report import Report
from .interpolate import interpolate
from .labels import Choice, LabelChooser, split_of

__all__ = ["Selector", "split_of", "MAX_SIDE"]

#: Larger claimed sides are not believed (the size counts as unknown).
MAX_SIDE = 1 << 20
_TEXT_MEDIA = {"text", "html", "audio", "conversational", "llm"}


class Selector:
    """Turns DataRows into Items under the given options, counting into ``report``."""

    def __init__(self, options: Options, report: Report, require_size: bool = True) -> None:
        """``require_size=False`` keeps items whose image size is unknown (for
        writers that draw nothing, such as ``jsonl``)."""
        self.options = options
        self.report = report
        self.require_size = require_size
        self.classes = options.class_map()
        self._labels = LabelChooser(options, report)
        self._stems = NameSet()
        self._fractions = list(options.split.items()) if options.split else None

    # --- entry point ---

    def items(self, row: DataRow) -> list[Item]:
        """The items of one data row (a list: most rows give exactly one)."""
        self.report.data_rows += 1
        choice = self._labels.container(row)
        if choice is None:
            return []
        if self.options.status and (choice.status or "").lower() != self.options.status.lower():
            self._labels.drop_labels(choice.labels, "workflow status filtered")
            self.report.skip_item("workflow status filtered")
            return []
        labels = self._labels.labels(choice)
        if labels is None:
            self.report.skip_item("all labels skipped")
            return []
        if not labels and self.options.skip_unlabeled:
            self.report.skip_item("unlabeled")
            return []
        return self._make_items(row, labels, self._split(row, choice))

    def _split(self, row: DataRow, choice: Choice) -> str:
        if choice.split:
            return choice.split
        if self._fractions:
            return split_of(row.id, self._fractions)
        return "train"

    # --- items ---

    def _make_items(self, row: DataRow, labels: tuple[Label, ...], split: str) -> list[Item]:
        stem, extension = self._unique_stem(row)
        media = row.media_type
        if len(labels) == 1:  # the usual case: no merging needed
            only = labels[0].annotations
            objects, relationships = only.objects, only.relationships
            classifications, has_frames = only.classifications, bool(only.frames or only.groups)
        else:
            annotations = [label.annotations for label in labels]
            objects = tuple(o for a in annotations for o in a.objects)
            relationships = tuple(r for a in annotations for r in a.relationships)
            classifications = tuple(c for a in annotations for c in a.classifications)
            has_frames = any(a.frames or a.groups for a in annotations)
        if not (has_frames or media == "document"):  # else per frame or page
            self.classes.register(objects)
        width = height = None
        if not (has_frames or media == "document" or media in _TEXT_MEDIA):
            width, height = self._size(row)
            if width is None and self.require_size:
                self.report.drop("image size unknown", len(objects))
                self.report.skip_item("image size unknown")
                if self.options.strict and "image size unknown" not in self.options.allow:
                    raise LbConvertError(
                        f"data row {row.id} (record {row.position}): image size "
                        f"unknown; pass {option_name('images')} with the image "
                        "directory to read it"
                    )
                return []
        info = row.data_row
        item = Item(
            stem=stem,
            file_name=stem + extension,
            width=width,
            height=height,
            split=split,
            objects=objects,
            classifications=classifications,
            relationships=relationships,
            media_type=media,
            data_row_id=info.id,
            global_key=info.global_key,
            external_id=info.external_id,
            row_data=info.row_data,
            source_position=row.position,
        )
        if has_frames:
            return list(self._frame_items(row, labels, item, extension))
        if media == "document":
            return list(self._page_items(item, extension))
        return [item]

    def _frame_items(
        self, row: DataRow, labels: tuple[Label, ...], video: Item, extension: str
    ) -> Iterator[Item]:
        """One item per frame: ``video`` (the row as one item) with the frame's
        objects, size and name."""
        width, height = self._size(row)
        if width is None and self.options.frames_dir is not None:
            width, height = frame_size(self.options.frames_dir / video.stem)
        frames: dict[tuple[str, int], list[Frame]] = {}
        added: dict[tuple[str, int], list[ObjectAnnotation]] = {}
        for label in labels:
            annotations = label.annotations
            groups = {"": (annotations.frames, annotations.segments)}
            for name, group in annotations.groups.items():
                segments = annotations.segments.get(name)
                groups[name] = (group.frames, segments if isinstance(segments, dict) else {})
            for name, (group_frames, segments) in groups.items():
                for number, frame in group_frames.items():
                    frames.setdefault((name, number), []).append(frame)
                if self.options.interpolate:
                    try:
                        for number, obj in interpolate(group_frames, segments):
                            added.setdefault((name, number), []).append(obj)
                    except ValueError as exc:  # a segment too long to fill
                        raise SelectionError(
                            f"data row {row.id} (record {row.position}): {exc}"
                        ) from None
        for key in added:
            frames.setdefault(key, [])
        for (group_name, number), parts in sorted(frames.items()):
            filled = added.get((group_name, number), ())
            self.report.annotations_interpolated += len(filled)
            objects = tuple(o for frame in parts for o in frame.objects.values()) + tuple(filled)
            self.classes.register(objects)
            if (number - 1) % self.options.every:
                self.report.drop("frame not kept (--every)", len(objects))
                continue
            if width is None and self.require_size:
                self.report.drop("image size unknown", len(objects))
                self.report.skip_item("image size unknown")
                continue
            prefix = f"{video.stem}_{safe_stem(group_name)}" if group_name else video.stem
            frame_stem = self._claim_stem(
                f"{prefix}_{number:06d}", f"{video.data_row_id}\0{group_name}\0{number}"
            )
            yield msgspec.structs.replace(
                video,
                stem=frame_stem,
                file_name=frame_stem + extension,
                width=width,
                height=height,
                objects=objects,
                relationships=(),
                frame=number,
                classifications=video.classifications
                + tuple(c for frame in parts for c in frame.classifications),
            )

    def _page_items(self, document: Item, extension: str) -> Iterator[Item]:
        """One item per page: ``document`` (the row as one item) with the page's
        objects, size and name."""
        pages: dict[int, list[ObjectAnnotation]] = {}
        sizes: dict[int, tuple[int, int]] = {}
        for obj in document.objects:
            page = 1
            if isinstance(obj, DocumentBoxAnnotation):
                page = obj.page_number
                dimensions = obj.page_dimensions
                if (
                    dimensions is not None
                    and 0 < dimensions.width <= MAX_SIDE
                    and 0 < dimensions.height <= MAX_SIDE
                ):  # else not believed
                    sizes[page] = (round(dimensions.width), round(dimensions.height))
            elif isinstance(obj, DocumentEntityAnnotation) and obj.location.groups:
                page = obj.location.groups[0].page_number
            pages.setdefault(page, []).append(obj)
        for page, found in sorted(pages.items()):
            self.classes.register(found)
            width, height = sizes.get(page, (None, None))
            if width is None and self.require_size:
                self.report.drop("page size unknown", len(found))
                self.report.skip_item("page size unknown")
                continue
            page_stem = self._claim_stem(
                f"{document.stem}_p{page}", f"{document.data_row_id}\0p{page}"
            )
            yield msgspec.structs.replace(
                document,
                stem=page_stem,
                file_name=page_stem + extension,
                width=width,
                height=height,
                objects=tuple(found),
                relationships=(),
                page=page,
            )

    # --- names and sizes ---

    def _unique_stem(self, row: DataRow) -> tuple[str, str]:
        """The row's stem, made unique across the conversion, and its image extension."""
        info = row.data_row
        if self.options.name_by is None:
            name = info.global_key or info.external_id or info.id
        else:
            name = ordered_names(info.global_key, info.external_id, info.id, self.options.name_by)[
                0
            ]
        base, extension = split_image_extension(name)
        stem = safe_stem(base) or safe_stem(info.id) or "item"
        if not extension:
            extension = split_image_extension(url_name(info.row_data))[1] or ".jpg"
        return self._claim_stem(stem, info.id), extension

    def _claim_stem(self, stem: str, key: str) -> str:
        """``stem``, or when an earlier item took it (compared case-insensitively,
        as file names on Windows and macOS are), ``stem__<16 hex digits of a
        hash of key>``, counted as a warning: every item gets its own files."""
        if self._stems.add(stem.lower()):
            return stem
        self.report.warnings["duplicate file name, renamed"] += 1
        renamed = f"{stem}__{digest(key):016x}"
        attempt = 1
        while not self._stems.add(renamed.lower()):  # only a row named like a renamed one
            attempt += 1
            renamed = f"{stem}__{digest(key):016x}_{attempt}"
        return renamed

    def image_size(self, row: DataRow) -> tuple[Optional[int], Optional[int]]:
        """The row's image size as its items get it (None, None when unknown)."""
        return self._size(row)

    def _size(self, row: DataRow) -> tuple[Optional[int], Optional[int]]:
        media = row.media_attributes
        if media is not None:
            width, height = media.width, media.height
            if width and height and 0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE:
                return round(width), round(height)
        if self.options.images is not None:
            info = row.data_row
            names = ordered_names(info.global_key, info.external_id, info.id, self.options.name_by)
            found = image_file(self.options.images, [*names, url_name(info.row_data)])
            if found is not None:
                return read_image_size(found)
        return None, None
