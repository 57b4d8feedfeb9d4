"""Labelbox annotation-import NDJSON: one annotation per line, written atomically.

This is the payload that ``lb.MALPredictionImport.create_from_file`` (pre-labels),
``lb.LabelImport.create_from_file`` (ground truth) and
``model_run.add_predictions`` (model-run predictions) upload.  The field names
follow the Labelbox Python SDK's NDJSON serialisers
(``labelbox/data/serialization/ndjson/base.py`` and ``objects.py`` in
github.com/Labelbox/labelbox-python, SDK 7.x) and the docs page "Import image
annotations" (docs.labelbox.com/reference/import-image-annotations):

* every line: ``uuid`` (a UUID string), ``dataRow`` with exactly one of
  ``{"globalKey": …}`` or ``{"id": …}`` (``_validate_data_rows`` refuses
  both), ``name`` (the ontology tool's name; ``schemaId`` is the
  alternative, not written);
* ``bbox {top, left, height, width}`` (``NDRectangle``), ``polygon [{x, y}, …]``
  (``NDPolygon``, the ring without a closing point), ``line [{x, y}, …]``
  (``NDLine``), ``point {x, y}`` (``NDPoint``), ``mask`` (``NDMask``: either
  ``{"png": <base64 of a 1-channel PNG whose pixels are 0 or 1>}`` — what the
  SDK itself writes for a mask held as a numpy array — or
  ``{"instanceURI": <URL>, "colorRGB": [r, g, b]}`` for a mask PNG hosted
  where Labelbox can fetch it);
* ``confidence`` in [0, 1] when the input has scores (``ConfidenceMixin``;
  model-run predictions keep it, MAL imports ignore it with a warning);
* document pages: ``page`` and ``unit`` (``NDDocumentRectangle``) beside the
  box; lbconvert writes ``"unit": "POINTS"``, the unit of the export's
  ``page_dimensions`` that the writers used as the page size;
* video frames (the manifest's ``media_type`` is ``video``): the SDK's
  ``NDSegments`` shape, ``segments: [{keyframes: [{frame, bbox|point|line}]}]``
  (frames 1-based, as exported).  Annotations of one video that carry the
  same track (the ``feature_id`` of a COCO annotation lbconvert wrote) and
  class, arriving while the input stays on that video, become one object
  with one single-keyframe segment per frame, in frame order: the frames
  are the object's, but nothing says whether Labelbox should interpolate
  between them, so no segment spans two.  Annotations without a track
  (detections) become one object each.  Video import takes no polygons or masks (dropped as
  ``polygon not importable on video frames`` …) and no ``confidence``
  (left out, counted as a warning).

``uuid`` is ``uuid5`` of the data row (and frame or page), the input file's
name and the position of the annotation in it: reruns give byte-identical
files wherever the input is read from, and two annotations never share one.

The file is written to a temporary file beside the target and moved into
place with ``os.replace`` only when everything succeeded; a masks directory
(``mask_url``) likewise.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import os
import secrets
import shutil
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import IO, Any, NamedTuple, Optional

import orjson

from ..classes import ontology_tools
from ..errors import LbConvertError
from ..report import Report
from .index import ItemRef

__all__ = ["Annotation", "NdjsonSink", "Ontology", "UUID_NAMESPACE", "KIND_TOOLS", "masks_folder"]

#: The namespace of every uuid lbconvert writes (uuid5 of the input position).
UUID_NAMESPACE = uuid.UUID("6f1c3f4e-5b0a-5c2e-9a51-6c6263636f6e")

#: Ontology tool types (``Tool.Type`` values of the SDK) each geometry may be imported as.
KIND_TOOLS: dict[str, frozenset[str]] = {
    "bbox": frozenset({"rectangle"}),
    "polygon": frozenset({"polygon"}),
    "line": frozenset({"line"}),
    "point": frozenset({"point"}),
    "mask": frozenset({"raster-segmentation", "superpixel"}),
}
_VIDEO_KINDS = frozenset({"bbox", "point", "line"})


class Annotation(NamedTuple):
    """One input annotation, in pixels with the origin at the image's top-left.

    ``geometry`` by ``kind``: ``bbox`` ``(left, top, width, height)``;
    ``polygon`` a list of rings (one NDJSON line each), a ring a list of
    ``(x, y)``; ``line`` a list of ``(x, y)``; ``point`` ``(x, y)``; ``mask`` a
    2-D boolean numpy array of the image's size.  ``seed`` names the input
    position (the file's name and the line or array index) and, with the
    data row, frame and page, makes the uuid.  ``track`` names the object a
    video annotation belongs to across frames (the ``feature_id`` lbconvert's
    COCO writer keeps), or None.
    """

    item: ItemRef
    name: str
    kind: str
    geometry: Any
    confidence: Optional[float]
    seed: str
    track: Optional[str] = None


class Ontology:
    """Tool names and types of a Labelbox ontology JSON (``tools[].name``, ``tools[].tool``).

    Not :meth:`lbconvert.classes.ClassMap.from_ontology`, which keeps names
    only: the import also needs each name's tool type to match the geometry.
    """

    def __init__(self, tools: dict[str, set[str]]) -> None:
        self.tools = tools

    @classmethod
    def from_file(cls, path: "str | os.PathLike[str]") -> "Ontology":
        tools = ontology_tools(path)
        found: dict[str, set[str]] = {}
        for i, tool in enumerate(tools):
            name = tool.get("name") if isinstance(tool, dict) else None
            if not isinstance(name, str):
                raise LbConvertError(f"{os.fspath(path)}: tools[{i}] has no 'name'")
            kind = tool.get("tool")
            found.setdefault(name, set()).update([kind] if isinstance(kind, str) else [])
        return cls(found)

    def problem(self, name: str, kind: str) -> Optional[str]:
        """Why ``name`` cannot be imported as ``kind``, or None."""
        types = self.tools.get(name)
        if types is None:
            return "class not in ontology"
        if types and not types & KIND_TOOLS[kind]:
            return "geometry does not match the ontology tool"
        return None


def uuid5(name: str) -> str:
    """``str(uuid.uuid5(UUID_NAMESPACE, name))``, three times faster (one per line)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_NAMESPACE_BYTES = UUID_NAMESPACE.bytes


def _point(x: float, y: float) -> dict[str, float]:
    return {"x": x, "y": y}


def _mask_png(mask: Any, scale: int) -> bytes:
    """A 1-channel PNG of the mask, pixels ``scale`` (1 inline, 255 hosted) or 0."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(mask, dtype=bool).astype(np.uint8) * scale
    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, format="PNG")
    return buffer.getvalue()


def masks_folder(out: Path) -> Path:
    """Where the hosted mask PNGs of the NDJSON file ``out`` go (``mask_url``):
    ``<output stem>_masks`` beside it."""
    return out.with_name(out.stem + "_masks")


class NdjsonSink:
    """Writes :class:`Annotation` records as import lines and keeps the accounts.

    ``report.objects_read`` is counted by the readers; here each annotation
    is either written (``annotations_written``, once however many lines a
    multi-part polygon gives) or dropped with its reason.  Class names missing
    from the ontology (or whose geometry does not fit their tool) are
    collected and refused by :meth:`check` in one error listing them all,
    unless ``skip_unknown`` drops and counts them.  Call :meth:`close` on
    success (the output moves into place), :meth:`abort` on failure.
    """

    def __init__(
        self,
        out: "str | os.PathLike[str]",
        report: Report,
        *,
        ontology: Optional[Ontology] = None,
        skip_unknown: bool = False,
        mask_url: Optional[str] = None,
    ) -> None:
        self.out = Path(out)
        self.report = report
        self.ontology = ontology
        self.skip_unknown = skip_unknown
        self.mask_url = mask_url.rstrip("/") if mask_url else None
        self.lines = 0
        self.masks = 0
        self.unknown: Counter[str] = Counter()
        self._data_rows: set[str] = set()
        folder = self.out.parent
        #: the folders this run makes, deepest first: a failed run removes them
        self._made = [p for p in [folder, *folder.parents] if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        _remove_orphans(folder, (f".{self.out.name}.", f".{self.masks_dir.name}."))
        # open(…, "xb") rather than mkstemp: the file gets the umask's mode, not 0600
        self._temp = folder / f".{self.out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        self._file: Optional[IO[bytes]] = open(self._temp, "xb", buffering=1 << 20)
        self._mask_temp: Optional[Path] = None
        self._video: Optional[ItemRef] = None  # the video whose tracks are buffered
        self._tracks: dict[tuple[str, str], tuple[str, list[dict[str, Any]]]] = {}

    @property
    def masks_dir(self) -> Path:
        """Where hosted mask PNGs go (``mask_url``): ``<output stem>_masks`` beside it."""
        return masks_folder(self.out)

    def add(self, annotation: Annotation) -> None:
        reason = self._refusal(annotation)
        if reason is not None:
            self.report.drop(reason)
            return
        item = annotation.item
        video = item.media_type == "video" and item.frame is not None
        if self._video is not None and item.key != self._video.key:
            self._flush_tracks()
        if video and annotation.track is not None:
            self._keep_track(annotation)
        else:
            self._write_lines(annotation, video)
        if video and annotation.confidence is not None:
            self.report.warnings["confidence not importable on video frames (left out)"] += 1
        self.report.annotations_written += 1
        self._data_rows.add(item.key)

    def _keep_track(self, annotation: Annotation) -> None:
        """Buffer a keyframe of a tracked video object (one video's at a time)."""
        self._video = annotation.item
        key = (annotation.track or "", annotation.name)
        entry = self._tracks.setdefault(key, (annotation.seed, []))
        entry[1].append({"frame": annotation.item.frame, annotation.kind: self._shape(annotation)})

    def _flush_tracks(self) -> None:
        """Write the buffered tracks of the current video, one object each."""
        video, self._video = self._video, None
        tracks, self._tracks = self._tracks, {}
        if video is None:
            return
        for (track, name), (seed, keyframes) in tracks.items():
            keyframes.sort(key=lambda k: k["frame"])
            self._write(
                {
                    "uuid": uuid5(f"{video.key}\x00track\x00{track}\x00{name}\x00{seed}"),
                    "dataRow": video.data_row,
                    "name": name,
                    "segments": [{"keyframes": [k]} for k in keyframes],
                }
            )

    def _write_lines(self, annotation: Annotation, video: bool) -> None:
        item = annotation.item
        if annotation.kind == "polygon":
            shapes = [[_point(x, y) for x, y in ring] for ring in annotation.geometry]
        else:
            shapes = [self._shape(annotation)]
        for part, shape in enumerate(shapes):
            seed = annotation.seed if len(shapes) == 1 else f"{annotation.seed}#{part}"
            line: dict[str, Any] = {
                "uuid": uuid5(f"{item.key}\x00{item.frame}\x00{item.page}\x00{seed}"),
                "dataRow": item.data_row,
                "name": annotation.name,
            }
            if video:
                line["segments"] = [{"keyframes": [{"frame": item.frame, annotation.kind: shape}]}]
            else:
                line[annotation.kind] = shape
                if annotation.kind == "mask":
                    line["mask"] = self._mask(annotation, line["uuid"])
                if annotation.confidence is not None:
                    line["confidence"] = annotation.confidence
                if item.page is not None:
                    line.update(page=item.page, unit="POINTS")
            self._write(line)

    def _refusal(self, annotation: Annotation) -> Optional[str]:
        if self.ontology is not None:
            problem = self.ontology.problem(annotation.name, annotation.kind)
            if problem is not None:
                if not self.skip_unknown:
                    self.unknown[f"{annotation.name!r} ({annotation.kind}: {problem})"] += 1
                return problem
        confidence = annotation.confidence
        if confidence is not None and not 0.0 <= confidence <= 1.0:
            return "confidence outside [0, 1]"
        item = annotation.item
        if (
            item.media_type == "video"
            and item.frame is not None
            and annotation.kind not in _VIDEO_KINDS
        ):
            return f"{annotation.kind} not importable on video frames"
        if (
            annotation.kind == "mask"
            and item.width
            and item.height
            and annotation.geometry.shape != (item.height, item.width)
        ):
            return "mask size differs from the image"  # Labelbox refuses such masks
        if item.width and item.height and not _meets_image(annotation, item.width, item.height):
            return "entirely outside the image"
        return None

    def _shape(self, annotation: Annotation) -> Any:
        kind, geometry = annotation.kind, annotation.geometry
        if kind == "bbox":
            left, top, width, height = geometry
            return {"top": top, "left": left, "height": height, "width": width}
        if kind == "line":
            return [_point(x, y) for x, y in geometry]
        if kind == "point":
            return _point(*geometry)
        return None  # mask: filled in by _mask once the uuid is known

    def _mask(self, annotation: Annotation, name: str) -> dict[str, Any]:
        self.masks += 1
        if self.mask_url is None:
            return {"png": base64.b64encode(_mask_png(annotation.geometry, 1)).decode("ascii")}
        if self._mask_temp is None:
            self._mask_temp = self.out.parent / (
                f".{self.masks_dir.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
            )
            self._mask_temp.mkdir()
        (self._mask_temp / f"{name}.png").write_bytes(_mask_png(annotation.geometry, 255))
        return {"instanceURI": f"{self.mask_url}/{name}.png", "colorRGB": [255, 255, 255]}

    def _write(self, line: dict[str, Any]) -> None:
        assert self._file is not None
        self._file.write(orjson.dumps(line) + b"\n")
        self.lines += 1

    def check(self) -> None:
        """Raise when names were missing from the ontology (without ``skip_unknown``)."""
        if self.unknown:
            listed = ", ".join(f"{name} x{count}" for name, count in sorted(self.unknown.items()))
            raise LbConvertError(
                f"not importable with ontology: {listed} "
                "(fix the names, or --skip-unknown to drop them)"
            )

    def close(self) -> None:
        """Move the file (and the masks directory) into place."""
        self._flush_tracks()
        assert self._file is not None
        file, self._file = self._file, None
        file.close()
        self.report.data_rows = len(self._data_rows)
        if self._mask_temp is not None:
            _replace_directory(self._mask_temp, self.masks_dir)
            self._mask_temp = None
        os.replace(self._temp, self.out)

    def abort(self) -> None:
        """Remove everything this sink made; the target is left as it was."""
        if self._file is not None:
            file, self._file = self._file, None
            try:
                file.close()
            except OSError:
                pass
        self._temp.unlink(missing_ok=True)
        if self._mask_temp is not None:
            shutil.rmtree(self._mask_temp, ignore_errors=True)
            self._mask_temp = None
        for folder in self._made:
            try:
                folder.rmdir()  # only while empty: another run may have written there
            except OSError:
                break


def _meets_image(annotation: Annotation, width: float, height: float) -> bool:
    """Whether the shape's bounds meet the image (edges included); a
    non-finite coordinate does not.  Masks are of the image's size."""
    kind, geometry = annotation.kind, annotation.geometry
    if kind == "mask":
        return True
    if kind == "bbox":
        left, top, w, h = geometry
        xs, ys = [left, left + w], [top, top + h]
    elif kind == "point":
        xs, ys = [geometry[0]], [geometry[1]]
    else:
        points = [p for ring in geometry for p in ring] if kind == "polygon" else list(geometry)
        if not points:
            return True
        xs, ys = [p[0] for p in points], [p[1] for p in points]
    if not all(math.isfinite(v) for v in xs + ys):
        return False
    return bool(min(xs) <= width and max(xs) >= 0 and min(ys) <= height and max(ys) >= 0)


def _owner_is_gone(name: str) -> bool:
    """Whether the process whose pid is in the temporary name ``.<x>.<pid>.<hex>.tmp`` is gone."""
    parts = name.rsplit(".", 3)
    if len(parts) != 4 or not parts[1].isdigit() or parts[3] != "tmp":
        return False
    pid = int(parts[1])
    if pid == os.getpid() or pid <= 0 or os.name == "nt":
        return False  # on Windows os.kill(pid, 0) would terminate the process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def _remove_orphans(folder: Path, prefixes: tuple[str, ...]) -> None:
    """Remove temporary files and directories a killed earlier run left beside the output."""
    for path in folder.iterdir():
        if path.name.startswith(prefixes) and _owner_is_gone(path.name):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _replace_directory(source: Path, target: Path) -> None:
    """Put ``source`` at ``target``; an older ``target`` is removed only after
    the new one is in place under a temporary name."""
    if not target.exists():
        os.replace(source, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    try:
        os.replace(target, old / target.name)
        try:
            os.replace(source, target)
        except BaseException:
            os.replace(old / target.name, target)  # the old masks back: never none at all
            raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
