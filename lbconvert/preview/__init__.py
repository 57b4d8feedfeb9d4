"""``lbconvert preview``: a self-contained HTML page of a dataset lbconvert wrote.

The dataset is read back from disk through its format's own conventions
(one reader per format: :mod:`.coco`, :mod:`.yolo`, :mod:`.voc`,
:mod:`.masks`), so the page shows what a training job will see; sizes that
the format does not store come from ``OUT/manifest.jsonl`` and the history
from ``OUT/lbconvert-report.json``.

``preview(out, dest)`` writes ``dest/index.html`` and ``dest/thumbs/NNN.png``
(``.jpg`` when drawn on a photo) and returns the files written.  The sample
is deterministic: items are ranked by a BLAKE2 hash of ``seed``, split and
stem and the first ``n`` are shown, in dataset order (the same ``seed`` and
dataset always give the same page, bytes included).  ``classes`` keeps the
items that have one of these classes and draws only them; ``splits`` keeps
those splits.  The summary always covers the whole dataset.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Union

from ..errors import LbConvertError
from ..write.outdir import check_target
from ..write.partials import owner_token, remove_stale
from .common import PreviewError, open_image
from .model import Dataset, Entry

__all__ = ["preview", "read_dataset", "detect_format", "FORMATS"]

FORMATS = ("coco", "yolo", "voc", "masks")
PathLike = Union[str, "os.PathLike[str]"]
#: The longest thumbnail side accepted: a larger one would allocate gigabytes per image.
MAX_THUMB_SIZE = 4096
_THUMB = re.compile(r"^\d{3,}\.(png|jpg)$")


def detect_format(out: PathLike) -> str:
    """The format of a dataset directory, from the files its writer leaves."""
    root = Path(out)
    if not root.is_dir():
        raise PreviewError(
            f"{os.fspath(root)}: "
            + ("not a directory" if os.path.lexists(root) else "no such directory")
        )
    from .coco import annotation_files

    if (root / "data.yaml").is_file() and (root / "labels").is_dir():
        return "yolo"
    if annotation_files(root):
        return "coco"
    if (root / "Annotations").is_dir():
        return "voc"
    if (root / "classes.json").is_file() and (root / "semantic").is_dir():
        return "masks"
    raise PreviewError(
        f"{os.fspath(root)}: not a dataset lbconvert writes (no data.yaml and "
        "labels/, annotations*.json, Annotations/ or classes.json and semantic/)"
    )


def read_dataset(
    out: PathLike, format: Optional[str] = None, images: Optional[PathLike] = None
) -> Dataset:
    """The dataset in ``out``, read by its format's reader."""
    root = Path(out)
    fmt = format or detect_format(root)
    if fmt not in FORMATS:
        raise LbConvertError(f"preview reads {', '.join(FORMATS)}, not {fmt!r}")
    if not root.is_dir():
        raise PreviewError(
            f"{os.fspath(root)}: "
            + ("not a directory" if os.path.lexists(root) else "no such directory")
        )
    if fmt == "coco":
        from .coco import read_coco

        return read_coco(root)
    if fmt == "yolo":
        from .yolo import read_yolo

        return read_yolo(root, Path(images) if images is not None else None)
    if fmt == "voc":
        from .voc import read_voc

        return read_voc(root)
    from .masks import read_masks

    return read_masks(root)


def preview(
    out: PathLike,
    dest: PathLike,
    *,
    images: Optional[PathLike] = None,
    n: int = 24,
    seed: Union[int, str] = 0,
    splits: Optional[Iterable[str]] = None,
    classes: Optional[Iterable[str]] = None,
    format: Optional[str] = None,
    thumb_size: int = 480,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``dest/index.html`` and its thumbnails for the dataset in ``out``;
    return the files written (index.html first).  A ``dest`` that exists and
    is not empty is an :class:`~lbconvert.errors.OutputError` unless
    ``overwrite`` (then ``index.html`` and ``thumbs/`` are replaced, other
    files stay), as for :func:`lbconvert.convert`'s ``OUT``."""
    splits = [splits] if isinstance(splits, str) else splits  # one name, not its letters
    classes = [classes] if isinstance(classes, str) else classes
    if n < 0:
        raise LbConvertError(f"-n must be 0 or more, not {n}")
    if not 16 <= thumb_size <= MAX_THUMB_SIZE:
        raise LbConvertError(
            f"the thumbnail size must be 16 to {MAX_THUMB_SIZE} pixels, not {thumb_size}"
        )
    dataset = read_dataset(out, format, images)
    wanted = _wanted_classes(dataset, classes)
    chosen = sample(dataset, n, seed, splits, wanted)
    destination = _destination(Path(dest), Path(out))
    if destination.is_dir():
        remove_stale(destination / "thumbs")  # a killed run's thumbnails are not the user's
    check_target(destination, overwrite)
    made = not destination.exists()
    thumbs = destination / "thumbs"
    index = destination / "index.html"
    staging: Optional[Path] = None
    try:
        staging = _staging(destination, thumbs)
        return _write_page(
            dataset,
            out,
            images,
            n,
            seed,
            splits,
            wanted,
            chosen,
            staging,
            thumbs,
            index,
            staging / "index.html",
            thumb_size,
        )
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise LbConvertError(
            f"cannot write the preview in {destination}: "
            f"{exc.strerror or exc}; the earlier page is as it was"
        ) from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if made and destination.is_dir() and not index.exists():
            shutil.rmtree(destination, ignore_errors=True)  # only what this run made


def _destination(dest: Path, out: Path) -> Path:
    """``dest``, refused when it is the dataset itself (the page and its
    thumbnails would become files of the dataset) or a link to nothing."""
    if dest.is_symlink() and not dest.exists():
        raise LbConvertError(
            f"{dest} is a symbolic link to {os.readlink(dest)}, which is "
            "nothing; give a directory (or a link to one)"
        )
    if dest.exists() and not dest.is_dir():
        raise LbConvertError(f"{dest}: not a directory; -o names the preview directory")
    if dest.exists() and out.exists() and os.path.samefile(dest, out):
        raise LbConvertError(
            f"-o {dest} is the dataset itself; name another directory, e.g. -o preview"
        )
    return dest


def _staging(destination: Path, thumbs: Path) -> Path:
    """A private directory for the new thumbnails."""
    destination.mkdir(parents=True, exist_ok=True)
    staging = destination / f".thumbs.{owner_token()}-{secrets.token_hex(4)}.partial"
    staging.mkdir()
    return staging


def _write_page(
    dataset: Dataset,
    out: PathLike,
    images: Optional[PathLike],
    n: int,
    seed: Union[int, str],
    splits: Optional[Iterable[str]],
    wanted: Optional[set[str]],
    chosen: list[Entry],
    staging: Path,
    thumbs: Path,
    index: Path,
    partial: Path,
    thumb_size: int,
) -> list[Path]:
    """Draw into ``staging`` and write the page beside it; only when all of that
    succeeded (a full disk, a bad image fail before) are the old thumbnails
    replaced and the page moved into place."""
    from .draw import render
    from .page import Tile, page

    colors = {c.name: c.color for c in dataset.classes}
    find = _image_finder(dataset, Path(images) if images is not None else None)
    notes: Counter[str] = Counter(dataset.notes)
    tiles, written = [], []
    for number, entry in enumerate(chosen, 1):
        shapes = [s for s in dataset.load(entry) if wanted is None or s.name in wanted]
        image_path = find(entry)
        if image_path is not None and not _same_size(image_path, entry):
            notes["image size differs from the dataset's (drawn scaled to the dataset's)"] += 1
        thumbnail = render(shapes, entry.width, entry.height, colors, thumb_size, image_path)
        name = f"{number:03d}." + ("jpg" if image_path is not None else "png")
        path = staging / name
        if image_path is not None:
            thumbnail.save(path, format="JPEG", quality=90, subsampling=0)
        else:
            thumbnail.save(path, format="PNG")
        written.append(thumbs / name)
        tiles.append(
            Tile(
                f"thumbs/{name}",
                thumbnail.width,
                thumbnail.height,
                entry.stem,
                entry.split,
                entry.width,
                entry.height,
                sum(
                    count for cls, count in entry.counts.items() if wanted is None or cls in wanted
                ),
                image_path.name if image_path is not None else None,
            )
        )
    on_canvas = sum(t.image is None for t in tiles)
    if on_canvas:
        notes[
            "no --images: items drawn on a neutral canvas"
            if images is None
            else "image not found in --images: drawn on a neutral canvas"
        ] += on_canvas
    selection = _selection_text(n, seed, splits, wanted)
    text = page(dataset, tiles, f"lbconvert preview: {Path(out).resolve().name}", notes, selection)
    partial.write_text(text, encoding="utf-8")
    with _locked(index.parent):
        thumbs.mkdir(exist_ok=True)
        _remove_old_thumbnails(thumbs)
        for path in written:
            os.replace(staging / path.name, path)
        os.replace(partial, index)
    return [index, *written]


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` (POSIX), so that two previews
    into one place publish one after the other, never a mix of both."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; publishing is short
        yield
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def sample(
    dataset: Dataset,
    n: int,
    seed: Union[int, str],
    splits: Optional[Iterable[str]],
    wanted: Optional[set[str]],
) -> list[Entry]:
    """``n`` entries ranked by hash of (seed, split, stem), returned in dataset order."""
    entries = dataset.entries
    if splits is not None:
        split_set = set(splits)
        known = {e.split for e in entries}
        unknown = sorted(split_set - known)
        if unknown:
            raise LbConvertError(
                f"no split {unknown[0]!r} in {dataset.root} (splits: "
                f"{', '.join(sorted(known)) or 'none'})"
            )
        entries = [e for e in entries if e.split in split_set]
    if wanted is not None:
        entries = [e for e in entries if any(e.counts.get(name) for name in wanted)]
    order = {id(e): i for i, e in enumerate(entries)}
    ranked = sorted(entries, key=lambda e: _rank(seed, e))[:n]
    return sorted(ranked, key=lambda e: order[id(e)])


def _rank(seed: Union[int, str], entry: Entry) -> bytes:
    key = f"{seed}\x00{entry.split}\x00{entry.stem}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(key, digest_size=8).digest()


def _wanted_classes(dataset: Dataset, classes: Optional[Iterable[str]]) -> Optional[set[str]]:
    if classes is None:
        return None
    wanted = set(classes)
    known = {c.name for c in dataset.classes}
    for entry in dataset.entries:
        known.update(entry.counts)
    unknown = sorted(wanted - known)
    if unknown:
        raise LbConvertError(
            f"no class {unknown[0]!r} in {dataset.root} (classes: "
            f"{', '.join(sorted(known)) or 'none'})"
        )
    return wanted


def _image_finder(dataset: Dataset, images: Optional[Path]) -> Callable[[Entry], Optional[Path]]:
    """How an entry's image is found: in ``--images`` as YOLO's ``--images``
    looks it up (:func:`lbconvert.images.find_image`), else where the format
    keeps its images (YOLO ``images/<split>/``, VOC ``JPEGImages/``)."""
    from ..model import Item
    from ..options import Options
    from ..images import find_image, image_file

    options = Options(images=images) if images is not None else None

    def find(entry: Entry) -> Optional[Path]:
        record = entry.record
        if options is not None:
            item = Item(
                stem=entry.stem,
                file_name=entry.file_name,
                width=entry.width,
                height=entry.height,
                split=entry.split,
                media_type=str(record.get("media_type") or "image"),
                data_row_id=str(record.get("data_row_id") or ""),
                global_key=record.get("global_key"),
                external_id=record.get("external_id"),
                frame=record.get("frame"),
                page=record.get("page"),
            )
            found = find_image(item, options)
            if found is not None:
                return found
        for split, directory in dataset.image_dirs:
            if split and split != entry.split:
                continue
            found = image_file(Path(directory), [entry.file_name, entry.stem])
            if found is not None:
                return found
        return None

    return find


def _same_size(path: Path, entry: Entry) -> bool:
    with open_image(path) as image:
        return bool(image.size == (entry.width, entry.height))


def _remove_old_thumbnails(thumbs: Path) -> None:
    """Thumbnails of an earlier preview into the same directory (only ours: NNN.png/jpg)."""
    for path in thumbs.iterdir():
        if _THUMB.match(path.name) and path.is_file():
            path.unlink()


def _selection_text(
    n: int, seed: Union[int, str], splits: Optional[Iterable[str]], wanted: Optional[set[str]]
) -> str:
    text = f"sample of up to {n}, seed {seed}"
    if splits is not None:
        text += ", splits " + ", ".join(sorted(set(splits)))
    if wanted is not None:
        text += ", classes " + ", ".join(sorted(wanted))
    return text
