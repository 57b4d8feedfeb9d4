"""The reverse direction: datasets and model predictions back to Labelbox import NDJSON.

    import lbconvert
    report = lbconvert.to_labelbox("runs/detect/predict/labels", "yolo", "preds.ndjson",
                                   manifest="OUT/manifest.jsonl", data="OUT/data.yaml")

Readers (one module per input format) turn each input annotation into an
:class:`~lbconvert.reverse.ndjson.Annotation` keyed by the data row the
manifest names; :class:`~lbconvert.reverse.ndjson.NdjsonSink` writes the
import lines (field names and sources in :mod:`lbconvert.reverse.ndjson`).
Input formats: ``coco`` (:mod:`.coco`), ``coco-results`` (:mod:`.coco`),
``yolo`` (:mod:`.yolo`), ``voc`` (:mod:`.voc`).

The accounting contract of ``convert``: ``report.objects_read`` counts every
input annotation, each one is either written (``annotations_written``) or
counted in ``report.dropped`` with its reason; ``strict`` fails (and writes
nothing) when anything was dropped or warned about; the output appears only
when everything succeeded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Optional, Sequence

from ..errors import LbConvertError, OutputError, StrictError
from ..report import Report
from .index import ItemRef, ManifestIndex, find_manifest
from .ndjson import Annotation, NdjsonSink, Ontology, masks_folder

__all__ = ["to_labelbox", "SOURCE_FORMATS", "Annotation", "ItemRef", "ManifestIndex"]

#: The ``--from`` choices.
SOURCE_FORMATS = ("coco", "coco-results", "yolo", "voc")


def to_labelbox(
    source: "str | os.PathLike[str]",
    from_format: str,
    out: "str | os.PathLike[str]",
    *,
    manifest: "Optional[str | os.PathLike[str]]" = None,
    gt: "Optional[str | os.PathLike[str]]" = None,
    data: "Optional[str | os.PathLike[str]]" = None,
    ontology: "Optional[str | os.PathLike[str]]" = None,
    skip_unknown: bool = False,
    strict: bool = False,
    allow: Sequence[str] = (),
    keypoints: Sequence[str] = (),
    mask_url: Optional[str] = None,
    overwrite: bool = False,
) -> Report:
    """Write the annotations of ``source`` as Labelbox annotation-import NDJSON at ``out``.

    ``source`` is a dataset directory lbconvert wrote (its ``manifest.jsonl``
    is found inside it, or up to two folders above a file or folder given)
    or a file / folder of another origin with ``manifest``.  ``gt`` is the
    COCO ground truth of ``coco-results`` (found beside ``results*.json`` in
    an lbconvert dataset); ``data`` the YOLO ``data.yaml``.  ``ontology``
    checks every class name (and its tool type) against a Labelbox ontology
    JSON: names it lacks are one error listing them, or dropped and counted
    with ``skip_unknown``.  ``mask_url``: masks go to ``<out stem>_masks/``
    beside the output, referenced as ``<mask_url>/<uuid>.png`` (upload the
    folder there), instead of inline PNGs.  An existing ``out`` (or masks
    folder) is an :class:`~lbconvert.errors.OutputError` unless
    ``overwrite``, as for :func:`lbconvert.convert`'s ``OUT``.

    Returns the :class:`~lbconvert.report.Report`; raises
    :class:`~lbconvert.errors.StrictError` under ``strict`` when anything
    was dropped or warned about for a reason not in ``allow`` (nothing is
    written then).
    """
    if from_format not in SOURCE_FORMATS:
        raise LbConvertError(
            f"unknown input format {from_format!r}; known: " + ", ".join(SOURCE_FORMATS)
        )
    source = Path(source)
    if not source.exists():
        raise LbConvertError(f"{source}: no such file or directory")
    out = _output_file(Path(out))
    manifest_path = Path(manifest) if manifest is not None else find_manifest(source)
    _refuse_input_as_output(out, source, [manifest_path, gt, data, ontology])
    if not overwrite:
        _refuse_existing(out, masks_folder(out) if mask_url else None)
    index = ManifestIndex(manifest_path)
    checked = Ontology.from_file(ontology) if ontology is not None else None
    report = Report()
    annotations = _annotations(source, from_format, index, report, gt, data, keypoints)
    sink = NdjsonSink(out, report, ontology=checked, skip_unknown=skip_unknown, mask_url=mask_url)
    try:
        for annotation in annotations:
            sink.add(annotation)
        sink.check()
        if strict and report.fails_strict(allow):
            raise StrictError(report, allow)
        sink.close()
    except OSError as exc:
        sink.abort()
        if exc.filename is not None:
            raise
        raise LbConvertError(
            f"cannot write {out}: {exc.strerror or exc}; nothing was written, {out} is as it was"
        ) from exc
    except BaseException:
        sink.abort()
        raise
    return report


def _refuse_existing(out: Path, masks: Optional[Path]) -> None:
    """OutputError when the NDJSON file or a non-empty masks folder exists."""
    if out.exists():
        raise OutputError(f"{out} exists; pass --overwrite to replace it")
    if masks is not None and masks.is_dir() and any(masks.iterdir()):
        raise OutputError(f"{masks} is not empty; pass --overwrite to replace it")


def _output_file(out: Path) -> Path:
    """The file ``-o`` names: a link to a file is written through (the link
    stays), a link to nothing or a directory is refused."""
    if out.is_dir():
        raise LbConvertError(f"{out}: is a directory; -o names the NDJSON file to write")
    if out.is_symlink():
        if not out.exists():
            raise LbConvertError(
                f"{out} is a symbolic link to {os.readlink(out)}, which is "
                "nothing; give a file name (or a link to a file)"
            )
        return Path(os.path.realpath(out))
    return out


def _refuse_input_as_output(
    out: Path, source: Path, inputs: "list[Optional[str | os.PathLike[str]]]"
) -> None:
    """An existing ``out`` that is one of the files read (the source, the
    manifest, ``--gt``, ``--data``, ``--ontology``) or a file of the source
    dataset other than an earlier NDJSON output would be destroyed: refuse it."""
    if not out.is_file():
        return
    for path in [source, *inputs]:
        if path is not None and Path(path).exists() and os.path.samefile(path, out):
            raise LbConvertError(
                f"-o {out} is an input of this run (it would be replaced); name another file"
            )
    if (
        source.is_dir()
        and out.suffix != ".ndjson"
        and Path(os.path.realpath(out)).is_relative_to(os.path.realpath(source))
    ):
        raise LbConvertError(
            f"-o {out} is a file of the input dataset {source} (it would be "
            "replaced); name another file, e.g. preds.ndjson"
        )


def _annotations(
    source: Path,
    from_format: str,
    index: ManifestIndex,
    report: Report,
    gt: "Optional[str | os.PathLike[str]]",
    data: "Optional[str | os.PathLike[str]]",
    keypoints: Sequence[str],
) -> Iterator[Annotation]:
    """The reader of ``from_format`` over ``source`` (arguments checked before the first item)."""
    if from_format == "coco":
        from .coco import coco_files, read_coco

        files = coco_files(source, results=False)
        return _chain(read_coco(path, index, report) for path in files)
    if from_format == "coco-results":
        from .coco import coco_files, read_coco_results, results_ground_truth

        pairs = []
        for path in coco_files(source, results=True):
            truth = Path(gt) if gt is not None else results_ground_truth(path)
            if truth is None:
                raise LbConvertError(
                    f"{path}: COCO results need the ground-truth file for "
                    "their image and category ids (--gt annotations.json)"
                )
            pairs.append((path, truth))
        return _chain(read_coco_results(path, truth, index, report) for path, truth in pairs)
    if from_format == "yolo":
        from .yolo import YoloNames, find_data_yaml, read_yolo

        data_path = Path(data) if data is not None else find_data_yaml(source)
        if data_path is not None:
            names = YoloNames.from_yaml(data_path, keypoints)
        else:
            classes = (source if source.is_dir() else source.parent) / "classes.txt"
            if not classes.is_file():
                raise LbConvertError(
                    "YOLO class ids need names: give the dataset's data.yaml (--data OUT/data.yaml)"
                )
            names = YoloNames.from_classes_txt(classes)
        return read_yolo(source, names, index, report)
    from .voc import read_voc

    return read_voc(source, index, report)


def _chain(readers: Iterator[Iterator[Annotation]]) -> Iterator[Annotation]:
    for reader in readers:
        yield from reader
