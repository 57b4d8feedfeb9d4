"""YOLO label files and Ultralytics prediction files back to Labelbox annotations.

Input: a dataset directory lbconvert wrote (``data.yaml`` and
``labels/<split>/<stem>.txt``), a folder of label files (read recursively),
or one ``.txt`` file — in particular the ``labels/`` folder that Ultralytics
writes with ``model.predict(source, save_txt=True, save_conf=True)``.  Files
are read in sorted order of their relative path; ``classes.txt`` is not a
label file.

Class names come from ``data.yaml`` (``names``, a list or an id → name map;
``kpt_shape`` makes rows pose rows), found with ``data=`` / ``--data``, in the
input directory or one of its two parents; without one, from a darknet-style
``classes.txt`` beside the labels.  Every file is matched to a data row by its
stem in the manifest, which also gives the image size: YOLO numbers are
normalised, so ``x * width`` and ``y * height`` are pixels.

Rows (``%.6f`` numbers as lbconvert writes them: pixels come back within
``1e-6`` of the image size plus float error), told apart by their number of
columns ``n`` (``conf`` is Ultralytics' trailing confidence column):

* ``class cx cy w h [conf]`` (n = 5 or 6) → ``bbox`` with
  ``left = (cx - w/2) * W``, ``top = (cy - h/2) * H``, ``width = w * W``,
  ``height = h * H`` (``w`` or ``h`` of 0 or less: dropped as ``degenerate
  box``; a pose row's keypoints are still written);
* ``class x1 y1 … xk yk [conf]`` (n ≥ 7; odd: no confidence, even: the
  last column is the confidence) → ``polygon``.  OBB rows (4 corners) are
  the same shape and become a 4-point polygon: Labelbox has no rotated box;
* with ``kpt_shape: [K, D]`` in data.yaml: ``class cx cy w h`` then K
  keypoints of D numbers (``x y`` or ``x y v``) ``[conf]``
  (n = 5 + K·D, or one more) → the ``bbox`` and one ``point`` per labelled
  keypoint (``v > 0``; with D = 2, any point not at ``0 0``), named by
  ``keypoints=`` / ``--keypoints a,b,…`` in order (``kpt_names`` of data.yaml
  otherwise, else ``keypoint 1`` …); each point counts as one object read.

Ultralytics' tracking id column (``save_txt`` while tracking) is not read:
such rows are refused as a wrong column count.  A row with a class id not in
the names, a value that is not a number, or a column count of no shape above
is an error naming the file and line.
"""

from __future__ import annotations

import os
from math import isfinite
from pathlib import Path
from typing import Iterator, Optional, Sequence

from ..errors import ExportFormatError, LbConvertError
from ..report import Report
from .index import ItemRef, ManifestIndex, files_of_dataset, item_of_file
from .ndjson import Annotation

__all__ = ["YoloNames", "read_yolo", "label_files", "find_data_yaml"]


class YoloNames:
    """Class names by id, and the keypoint layout of pose datasets."""

    def __init__(
        self,
        names: dict[int, str],
        kpt_shape: Optional[tuple[int, int]] = None,
        keypoint_names: Sequence[str] = (),
    ) -> None:
        self.names = names
        self.kpt_shape = kpt_shape
        count = kpt_shape[0] if kpt_shape else 0
        given = list(keypoint_names)[:count]
        self.keypoint_names = given + [f"keypoint {k + 1}" for k in range(len(given), count)]

    @classmethod
    def from_yaml(
        cls, path: "str | os.PathLike[str]", keypoint_names: Sequence[str] = ()
    ) -> "YoloNames":
        import yaml

        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except UnicodeDecodeError:
            raise LbConvertError(f"{os.fspath(path)}: not UTF-8 text") from None
        except yaml.YAMLError as exc:
            problem = str(exc).replace("\n", " ")
            raise LbConvertError(f"{os.fspath(path)}: not valid YAML ({problem})") from None
        except RecursionError:
            raise LbConvertError(f"{os.fspath(path)}: nested too deeply") from None
        raw = data.get("names") if isinstance(data, dict) else None
        if isinstance(raw, list):
            names = dict(enumerate(raw))
        elif isinstance(raw, dict):  # {0: car} (or {"0": car} from other writers)
            names = {int(k) if isinstance(k, str) and k.isdigit() else k: v for k, v in raw.items()}
        else:
            raise LbConvertError(f"{os.fspath(path)}: data.yaml needs 'names' (a list or a map)")
        if not all(isinstance(k, int) for k in names):
            raise LbConvertError(f"{os.fspath(path)}: 'names' keys must be class ids")
        shape = data.get("kpt_shape")
        kpt_shape = None
        if shape is not None:
            if not (
                isinstance(shape, list)
                and len(shape) == 2
                and shape[1] in (2, 3)
                and isinstance(shape[0], int)
                and shape[0] > 0
            ):
                raise LbConvertError(f"{os.fspath(path)}: kpt_shape must be [K, 2] or [K, 3]")
            kpt_shape = (shape[0], shape[1])
        if not keypoint_names and isinstance(data.get("kpt_names"), (list, dict)):
            found = data["kpt_names"]
            found = found if isinstance(found, list) else found.get(0, [])
            keypoint_names = [str(n) for n in found] if isinstance(found, list) else []
        return cls({k: str(v) for k, v in names.items()}, kpt_shape, keypoint_names)

    @classmethod
    def from_classes_txt(cls, path: "str | os.PathLike[str]") -> "YoloNames":
        try:
            with open(path, encoding="utf-8") as handle:
                lines = [line.strip() for line in handle]
        except UnicodeDecodeError:
            raise LbConvertError(f"{os.fspath(path)}: not UTF-8 text") from None
        return cls(dict(enumerate(n for n in lines if n)))


def find_data_yaml(source: Path, levels: int = 2) -> Optional[Path]:
    """``data.yaml`` in ``source`` (a directory) or one of its ``levels`` parents."""
    folder = source.resolve() if source.is_dir() else source.resolve().parent
    for candidate in [folder, *list(folder.parents)[:levels]]:
        if (candidate / "data.yaml").is_file():
            return candidate / "data.yaml"
    return None


def label_files(source: Path) -> list[Path]:
    """The ``.txt`` label files of ``source``, sorted by relative path."""
    if not source.is_dir():
        return [source]
    root = source / "labels" if (source / "labels").is_dir() else source
    return sorted(
        (p for p in root.rglob("*.txt") if p.name != "classes.txt"),
        key=lambda p: p.relative_to(root).as_posix(),
    )


def _numbers(fields: list[str], file: str, line: int) -> list[float]:
    try:
        values = [float(f) for f in fields]
    except ValueError:
        values = []
    if len(values) != len(fields) or not all(map(isfinite, values)):
        bad = next(f for f in fields if not _is_finite(f))
        raise ExportFormatError(file, f"{bad!r} is not a number", line=line)
    return values


def _is_finite(text: str) -> bool:
    try:
        return isfinite(float(text))
    except ValueError:
        return False


def _shape_of(count: int, names: YoloNames, file: str, line: int) -> tuple[str, bool]:
    """``(kind, has_confidence)`` of a row of ``count`` columns."""
    if names.kpt_shape is not None:
        size = 5 + names.kpt_shape[0] * names.kpt_shape[1]
        if count in (size, size + 1):
            return "pose", count == size + 1
        raise ExportFormatError(
            file,
            f"a pose row of kpt_shape {list(names.kpt_shape)} has "
            f"{size} or {size + 1} columns, not {count}",
            line=line,
        )
    if count in (5, 6):
        return "bbox", count == 6
    if count >= 7:
        return "polygon", count % 2 == 0
    raise ExportFormatError(file, f"a YOLO row has at least 5 columns, not {count}", line=line)


def _row(
    values: list[float],
    kind: str,
    names: YoloNames,
    item: ItemRef,
    seed: str,
    confidence: Optional[float],
    report: Report,
) -> Iterator[Annotation]:
    name = names.names[int(values[0])]
    width, height = item.width, item.height
    assert width is not None and height is not None  # checked by read_yolo
    if kind == "polygon":
        coords = values[1:]
        ring = [(coords[k] * width, coords[k + 1] * height) for k in range(0, len(coords), 2)]
        report.objects_read += 1
        yield Annotation(item, name, "polygon", [ring], confidence, seed)
        return
    cx, cy, w, h = values[1:5]
    box = ((cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height)
    report.objects_read += 1
    if w > 0 and h > 0:
        yield Annotation(item, name, "bbox", box, confidence, seed)
    else:  # Labelbox takes no empty or negative box (its keypoints still count)
        report.drop("degenerate box")
    if kind != "pose":
        return
    assert names.kpt_shape is not None
    count, dims = names.kpt_shape
    for k in range(count):
        x, y = values[5 + k * dims], values[6 + k * dims]
        labelled = values[7 + k * dims] > 0 if dims == 3 else (x, y) != (0.0, 0.0)
        if labelled:
            report.objects_read += 1
            yield Annotation(
                item,
                names.keypoint_names[k],
                "point",
                (x * width, y * height),
                confidence,
                f"{seed}\x00kp{k}",
            )


def read_yolo(
    source: Path, names: YoloNames, index: ManifestIndex, report: Report
) -> Iterator[Annotation]:
    """Every row of every label file under ``source``."""
    files = files_of_dataset(
        source,
        index,
        label_files,
        what="YOLO label files (.txt)",
        needs_manifest="YOLO coordinates are normalised: the manifest of "
        "the dataset is needed for the image sizes",
    )
    for path in files:
        item = item_of_file(index, path)
        if not item.width or not item.height:
            raise ExportFormatError(str(path), f"the manifest has no image size for {item.stem!r}")
        report.items += 1
        yield from _file_rows(path, item, names, report)


def _file_rows(path: Path, item: ItemRef, names: YoloNames, report: Report) -> Iterator[Annotation]:
    file = str(path)
    for number, text in _lines(path):
        fields = text.split()
        if not fields:
            continue
        values = _numbers(fields, file, number)
        kind, has_confidence = _shape_of(len(values), names, file, number)
        class_id = values[0]
        if class_id != int(class_id) or int(class_id) not in names.names:
            raise ExportFormatError(
                file,
                f"class id {fields[0]} is not in the names ({len(names.names)} classes)",
                line=number,
            )
        confidence = values.pop() if has_confidence else None
        yield from _row(values, kind, names, item, f"{path.name}:{number}", confidence, report)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a label file, streaming.  Lines end where
    ``str.splitlines`` ends them, as Ultralytics reads labels (and the
    preview): a lone ``\\r`` (classic Mac) ends a line too, rather than
    joining two rows into one of another shape."""
    number = 0
    with open(path, "rb") as handle:
        for raw in handle:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ExportFormatError(str(path), "not UTF-8 text", line=number + 1) from None
            for line in text.splitlines():
                number += 1
                yield number, line
