"""Seeded, structure-aware mutation fuzzing of every reader and writer.

    python -m benchmarks.fuzz --cases 10000 --seed 1 [--cli 50] [--keep DIR]

Each case takes a record of the hand-made fixtures (``fixtures/``), applies one
to three mutations that know the export's structure (delete or rename a key,
change a type, null, empty, huge / negative / out-of-range numbers, long and
odd strings, nesting 1,000-5,000 deep, duplicate keys, polygons of 0, 1 or
20,000 points, absurd image sizes, absurd coordinates), writes the file in one of the
input shapes (NDJSON, JSON array, a single object, gzip, leading blank lines,
CRLF) and sometimes damages its bytes (flip, insert, cut), then runs one call
on it: ``inspect`` or a writer (coco, yolo in every task, voc, masks, jsonl,
geojson) through the Python API.  Every call must end in a balanced report or
an :class:`lbconvert.LbConvertError` whose message is one line, and leave
nothing beside ``OUT`` (no ``.OUT.*.partial``).  Every eighth case instead
damages one file of a dataset lbconvert wrote (coco, coco results, yolo detect
/ segment with splits, voc with segmentation, masks with instances: a cut, flipped
bytes, junk, a deleted file, a manifest line dropped or doubled, a mutated
JSON, a malformed ``results.json``) and reads it back with ``preview`` or
``to-labelbox``: a page, a balanced report or a one-line error, and nothing
left behind.  ``--cli N`` also runs N cases
through ``python -m lbconvert`` and checks exit code 0/1/3/4, no traceback and
an error of one line.

The same engine runs a few hundred cases in the test suite
(``tests/test_fuzz.py``).  Cases are reproducible from ``(seed, case
number)``; a failure prints both and keeps the file under ``--keep``.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import lbconvert
from lbconvert.inspect import inspect_export

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

#: (name, call options); "inspect" is not a writer.
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("inspect", {}),
    ("coco", {}),
    ("coco", {"keypoints": True, "keypoint_names": ("traffic light",), "clip": True,
              "interpolate": True}),
    ("yolo", {"task": "detect", "boxes_from_shapes": True, "every": 2, "interpolate": True}),
    ("yolo", {"task": "segment", "boxes_as_polygons": True, "split_parts": True}),
    ("yolo", {"task": "pose", "keypoint_names": ("traffic light", "well"), "keypoints": True}),
    ("yolo", {"task": "obb", "images": "IMAGES", "image_mode": "copy"}),
    ("voc", {}),
    ("voc", {"segmentation": True, "void_border": True, "fix_geometry": True}),
    ("masks", {}),
    ("masks", {"instances": True, "overlap": "ignore", "line_width": 3.0}),
    ("jsonl", {}),
    ("geojson", {"fix_geometry": True}),
    ("coco", {"labels": "all", "split": {"train": 0.5, "val": 0.5}, "legacy_y_up": True}),
    ("yolo", {"task": "segment", "labels": "all", "images": "IMAGES",
              "split": {"train": 0.7, "val": 0.3}}),
]

HUGE_NUMBERS: list[Any] = [10 ** 400, -(10 ** 400), 2 ** 64, -(2 ** 63) - 1, 1e308, -1e308,
                           5e-324, -1, -0.0, 0, 1e15, 1e16, 123456789012345678901234567890]
ODD_STRINGS = ["", " ", "\n", "a\nb\r\nc", "\u2028\u2029", "\x00\x1b[31m", "../../etc/passwd",
               "/abs", "CON", ".", "..", "é" * 40, "\ud800", "🙂" * 10, "a" * 300,
               "x" * 100_000, "\\", '"', "{}", "NaN", "1e999"]
ODD_KEYS = ["", "1" * 400, str(2 ** 64), str(2 ** 53 + 1), "-1", "0", "x" * 300, "\n", "1.5",
            "data_row", "Label", "objects"]
WKT_STRINGS = ["POLYGON ((", "POLYGON EMPTY", "MULTIPOLYGON EMPTY", "POINT (nan nan)",
               "POLYGON ((1e400 0, 1 1, 0 1, 1e400 0))", "POLYGON ((0 0, 1 1, 0 0))",
               "POLYGON Z ((1 2 3, 4 5 6, 7 8 9, 1 2 3))", "GEOMETRYCOLLECTION (POINT (1 2))",
               "LINESTRING (0 0)", "POINT (1 2)", "MULTIPOINT ((1 2), (3 4))",
               "POLYGON ((0 0, 10 0, 0 10, 10 10, 0 0))", "POLYGON ((-1e308 0, 5 5, 0 9, -1e308 0))",
               "MULTIPOLYGON (" + ",".join(["((0 0, 9 0, 9 9, 0 0))"] * 3000) + ")",
               "POLYGON ((" + "(" * 2000, "CIRCULARSTRING (0 0, 1 1, 2 0)", "polygon ((0 0, 1 0, 1 1, 0 0))"]
SIZES: list[Any] = [0, -1, 1, 0.5, 1e9, 10 ** 30, 2 ** 64, 1e308, "640", None, 65536, 3, 1e-9]


class Dup:
    """An object with duplicate keys (serialised by :func:`dumps`)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


class Raw:
    """A token written as is (``NaN``, ``Infinity``, ``-0``)."""

    def __init__(self, text: str) -> None:
        self.text = text


def dumps(value: Any, indent: bool = False) -> str:
    """JSON text of a mutated tree (iterative: the tree may nest 5,000 deep)."""
    try:
        return json.dumps(value, indent=1 if indent else None)
    except (TypeError, RecursionError, ValueError):
        pass  # Dup, Raw or deep nesting: the slow way
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Text):
            out.append(item.text)
        elif isinstance(item, Raw):
            out.append(item.text)
        elif isinstance(item, (dict, Dup)):
            pairs = list(item.items()) if isinstance(item, dict) else item.pairs
            parts: list[Any] = [_Text("{")]
            for i, (key, child) in enumerate(pairs):
                if i:
                    parts.append(_Text(","))
                parts.append(_Text(("\n " if indent else "") + json.dumps(key) + ":"))
                parts.append(child)
            parts.append(_Text("}"))
            stack.extend(reversed(parts))
        elif isinstance(item, list):
            parts = [_Text("[")]
            for i, child in enumerate(item):
                if i:
                    parts.append(_Text(","))
                parts.append(child)
            parts.append(_Text("]"))
            stack.extend(reversed(parts))
        elif isinstance(item, float) and item != item:
            out.append("NaN")
        else:
            out.append(json.dumps(item))
    return "".join(out)


class _Text:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def load_records() -> list[tuple[str, Any]]:
    """("v2" | "legacy", record) for every record of the fixtures."""
    records: list[tuple[str, Any]] = []
    for name in ("images.ndjson", "media.ndjson", "model_run.ndjson"):
        for line in (FIXTURES / "v2" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(("v2", json.loads(line)))
    for name in ("array.json", "schema2019.json", "schema2018_xy.json", "schema2018_wkt.json",
                 "relabelled.json"):
        records += [("legacy", r) for r in json.loads((FIXTURES / "legacy" / name).read_text())]
    records.append(("legacy", json.loads((FIXTURES / "legacy/single.json").read_text())))
    return records


def _paths(value: Any) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, node) for the nodes a mutation may pick: at most 30 deep, and
    a sample of the children of long lists (a 20,000-point polygon)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        yield path, node
        if len(path) >= 30:
            continue
        if isinstance(node, dict):
            stack.extend((child, path + (key,)) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((node[i], path + (i,)) for i in range(min(len(node), 20)))


def _get(root: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        root = root[step]
    return root


def _deep(depth: int, rng: random.Random) -> Any:
    value: Any = rng.choice([[], {}, 1, "x"])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"a": value}
    return value


def _points(count: int, rng: random.Random) -> list[dict[str, Any]]:
    if count > 1000:  # a big circle-ish ring, cheap to make
        return [{"x": 500 + 400 * ((i * 7919) % count) / count, "y": 300 + (i % 97)}
                for i in range(count)]
    return [{"x": rng.uniform(-50, 700), "y": rng.uniform(-50, 500)} for _ in range(count)]


def _replacement(rng: random.Random, old: Any) -> Any:
    """A value for one of the operators that replace a node."""
    operator = rng.randrange(10)
    if operator == 9:
        return rng.choice(WKT_STRINGS)
    if operator == 0:
        return None
    if operator == 1:
        return {str: "", list: [], dict: {}}.get(type(old), rng.choice(["", [], {}, 0]))
    if operator == 2:  # another type
        return rng.choice([1, 1.5, True, "12", [1, 2], {"x": 1}, None, "text"])
    if operator == 3:
        return rng.choice(HUGE_NUMBERS)
    if operator == 4:
        return rng.choice([Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1e999"),
                           Raw("-1e999"), Raw("01"), Raw("1.")])
    if operator == 5:
        return rng.choice(ODD_STRINGS)
    if operator == 6:
        return _deep(rng.choice([10, 300, 1000, 5000]), rng)
    if operator == 7 and isinstance(old, (int, float)) and not isinstance(old, bool):
        return -old if old else -1
    if operator == 8 and isinstance(old, dict) and old:
        pairs = list(old.items())
        key, value = rng.choice(pairs)
        return Dup(pairs + [(key, _replacement(rng, value))])
    return rng.choice(HUGE_NUMBERS + ODD_STRINGS[:8])


def mutate(record: Any, rng: random.Random) -> Any:
    """One to three structure-aware mutations of a copy of ``record``."""
    record = copy.deepcopy(record)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        record = _mutate_once(record, rng)
    return record


def _mutate_once(record: Any, rng: random.Random) -> Any:
    if isinstance(record, Dup) or not isinstance(record, (dict, list)):
        return record
    nodes = [(p, node) for p, node in _paths(record) if p]
    if not nodes:
        return record
    paths = [p for p, _ in nodes]
    kind = rng.random()
    try:
        if kind < 0.12:  # polygons of 0, 1 or 20,000 points; absurd coordinates
            lists = [p for p, node in nodes if isinstance(node, list) and node
                     and isinstance(node[0], dict) and "x" in node[0]]
            if lists:
                target = rng.choice(lists)
                count = rng.choice([0, 1, 2, 3, 20_000])
                points = _points(count, rng)
                if points and rng.random() < 0.5:
                    points[rng.randrange(len(points))]["x"] = rng.choice(
                        [-1e308, 1e308, 2 ** 64, 10 ** 400, Raw("NaN"), -1e15, 1e20])
                *parent, key = target
                _get(record, tuple(parent))[key] = points
                return record
        if kind < 0.22:  # absurd image sizes
            media = record.get("media_attributes") if isinstance(record, dict) else None
            if isinstance(record, dict) and ("Label" in record or not isinstance(media, dict)):
                media = record.setdefault("Media Attributes", {}) if "Label" in record else None
            if isinstance(media, dict):
                media["width"], media["height"] = rng.choice(SIZES), rng.choice(SIZES)
                return record
        if kind < 0.3:  # numbers in numeric fields
            numeric = [p for p, node in nodes if isinstance(node, (int, float))
                       and not isinstance(node, bool)]
            if numeric:
                *parent, key = rng.choice(numeric)
                _get(record, tuple(parent))[key] = rng.choice(HUGE_NUMBERS + [Raw("NaN")])
                return record
        if kind < 0.33 and isinstance(record, dict) and isinstance(record.get("Label"), dict) \
                and record["Label"]:  # a class-keyed legacy Label (2018/2019 schemas)
            label = record["Label"]
            name = rng.choice(list(label))
            label[name] = rng.choice([
                rng.choice(WKT_STRINGS), [_points(rng.choice([0, 1, 3, 20_000]), rng)],
                [{"geometry": rng.choice(WKT_STRINGS)}], [{"geometry": {"x": 1}}],
                [[{"x": "1", "y": None}]], [[]], [["a", "b"]], {"x": 1, "y": 2}])
            return record
        if kind < 0.36:  # a key renamed: frame numbers, ids and class names are keys too
            objects = [node for _, node in nodes if isinstance(node, dict) and node]
            if objects:
                target = rng.choice(objects)
                key = rng.choice(list(target))
                target[rng.choice(ODD_KEYS)] = target.pop(key)
                return record
        *parent, key = rng.choice(paths)
        container = _get(record, tuple(parent))
        if isinstance(container, dict) and rng.random() < 0.25:
            del container[key]
        else:
            container[key] = _replacement(rng, container[key])
    except (KeyError, IndexError, TypeError, AttributeError):
        pass  # a path through a node an earlier mutation replaced
    return record


def _relabel(record: Any, rng: random.Random) -> Any:
    """The same data row labelled again (another record with its ``DataRow ID``):
    empty, skipped or mutated."""
    if not isinstance(record, dict):
        return record
    again = dict(record)  # shallow: the record may nest 5,000 deep; nothing below is changed
    again["ID"] = f"relabel{rng.randrange(10 ** 6)}"
    again["Label"] = rng.choice([{}, "Skip", again.get("Label"), [], None])
    if rng.random() < 0.3:
        again.pop("DataRow ID", None)
    return again


def write_case(path: Path, kind: str, records: list[Any], rng: random.Random) -> str:
    """Write the records in one of the input shapes, maybe damaged; the shape's name."""
    shape = rng.choice(["ndjson", "ndjson", "array", "pretty", "single"] if kind == "v2"
                       else ["array", "pretty", "single", "ndjson"])
    if shape == "single":
        text = dumps(records[0], indent=True)
    elif shape in ("array", "pretty"):
        text = "[" + ",\n".join(dumps(r, indent=shape == "pretty") for r in records) + "]"
    else:
        text = "".join(dumps(r) + "\n" for r in records)
    if rng.random() < 0.1:
        text = "\n" * rng.choice([1, 70_000]) + text
    if rng.random() < 0.05:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.15:
        data = _damage(data, rng)
        shape += "+damaged"
    if rng.random() < 0.15:
        data = gzip.compress(data, compresslevel=1, mtime=0)
        if rng.random() < 0.3:
            data = data[: rng.randrange(1, len(data))]
            shape += "+cut-gzip"
        shape += "+gzip"
    path.write_bytes(data)
    return shape


def _damage(data: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(data)
    action = rng.randrange(4)
    if action == 0 and buffer:
        for _ in range(rng.randint(1, 8)):
            buffer[rng.randrange(len(buffer))] = rng.randrange(256)
    elif action == 1:
        at = rng.randrange(len(buffer) + 1)
        buffer[at:at] = rng.choice([b"\x00", b"\xff\xfe", b"{", b"]", b"\n", b'"', b"\\"])
    elif action == 2 and buffer:
        del buffer[rng.randrange(len(buffer)):]
    else:
        return b"\xef\xbb\xbf" + bytes(buffer)
    return bytes(buffer)


@dataclass
class Outcome:
    cases: int = 0
    converted: int = 0  # ended in a balanced report
    refused: int = 0    # ended in a one-line LbConvertError
    failures: list[str] = field(default_factory=list)


def _leftovers(parent: Path, out: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("." + out.name))


def run_call(export: Path, call: tuple[str, dict[str, Any]], out: Path, images: Path
             ) -> tuple[Optional[str], bool]:
    """Run one call: (None when it kept every promise, else what went wrong;
    whether it ended in an LbConvertError)."""
    name, options = call
    options = {k: (images if v == "IMAGES" else v) for k, v in options.items()}
    try:
        if name == "inspect":
            inspect_export(export)
        else:
            report = lbconvert.convert(export, name, out, max_pixels=1 << 22, **options)
            if not report.is_balanced():
                return f"unbalanced report {report.to_dict()}", False
            if not out.is_dir():
                return "no output directory after success", False
    except lbconvert.LbConvertError as exc:
        message = str(exc)
        if len(message.splitlines()) != 1:
            return f"multi-line error: {message!r}", True
        refused = True
    except Exception:  # noqa: BLE001 - that is what is looked for
        return "traceback: " + traceback.format_exc(), False
    else:
        refused = False
    left = _leftovers(out.parent, out)
    if left:
        return f"left beside OUT: {left}", refused
    return None, refused


def run_cli(export: Path, call: tuple[str, dict[str, Any]], out: Path) -> Optional[str]:
    name, _ = call
    args = [sys.executable, "-m", "lbconvert"]
    args += ["inspect", str(export)] if name == "inspect" else \
        ["convert", str(export), "--to", name, "-o", str(out), "--max-pixels", str(1 << 22)]
    done = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=120,
                          cwd=ROOT)
    stderr = done.stderr
    if done.returncode not in (0, 1, 3, 4):  # 4: nothing useful written (a hint, not an error)
        return f"exit {done.returncode}: {stderr[-2000:]}"
    if "Traceback" in stderr or "internal error" in stderr:
        return f"traceback: {stderr[-2000:]}"
    if done.returncode == 1 and len(stderr.strip().splitlines()) != 1:
        return f"multi-line error: {stderr!r}"
    left = _leftovers(out.parent, out)
    return f"left beside OUT: {left}" if left else None


#: (format written, options) of the datasets that preview and to-labelbox read back.
DATASETS: list[tuple[str, dict[str, Any]]] = [
    ("coco", {}), ("coco", {"results": True}), ("yolo", {"split": {"train": 0.5, "val": 0.5}}),
    ("yolo", {"task": "segment"}), ("voc", {"segmentation": True}), ("masks", {"instances": True}),
]


def make_datasets(work: Path) -> list[tuple[str, Path]]:
    """Clean datasets of the fixture, one per :data:`DATASETS` entry."""
    made = []
    for number, (name, options) in enumerate(DATASETS):
        out = work / f"dataset{number}"
        lbconvert.convert(FIXTURES / "v2" / "images.ndjson", name, out,
                          project="cl3vyrz2zafeq76e6zyfvrz89", **options)
        made.append((name, out))
    return made


def damage_dataset(root: Path, rng: random.Random) -> str:
    """Damage one file of a dataset: cut, flip bytes, junk, delete, or a
    format-aware change (a manifest line dropped or doubled, a bad data.yaml,
    a results list that is not one); what was done."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    target = rng.choice(files)
    data = target.read_bytes()
    action = rng.randrange(7)
    if action == 0:
        target.write_bytes(data[: rng.randrange(len(data) + 1)])
    elif action == 1:
        target.write_bytes(_damage(data, rng))
    elif action == 2:
        target.write_bytes(rng.choice([b"", b"{", b"[]", b"null", b"\xff\xfe\x00",
                                       b"names: [", b"0 0.5 0.5 nan 1\n", b"<a>", b"{}\n{}\n",
                                       b'{"images": 1}', b"\n" * 1000, b"[{\"image_id\": 1e400}]"]))
    elif action == 3:
        target.unlink()
    elif action == 4 and target.suffix in (".jsonl", ".txt"):
        lines = data.splitlines(keepends=True)
        if lines:
            at = rng.randrange(len(lines))
            lines.insert(at, lines[at]) if rng.random() < 0.5 else lines.pop(at)
            target.write_bytes(b"".join(lines))
    elif action == 5 and target.suffix == ".json":
        try:
            tree = json.loads(data)
        except ValueError:
            return f"{target.name}: not JSON"
        target.write_text(dumps(mutate(tree, rng)), encoding="utf-8", errors="surrogatepass")
    elif action == 6:
        (root / "results.json").write_text(rng.choice(
            ['{"a": 1}', "[1, 2]", '[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1e400, 1],'
             ' "score": 0.5}]', '[{"image_id": "x", "category_id": null, "bbox": "b"}]',
             '[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": -3}]', "[",
             '[{"image_id": 1, "category_id": 1, "segmentation": {"size": [1, 1], '
             '"counts": "zzz"}, "score": 0.1}]']))
        return "results.json written"
    return f"{target.relative_to(root)}: action {action}"


def run_dataset_call(dataset: Path, name: str, work: Path, rng: random.Random
                     ) -> tuple[Optional[str], bool]:
    """preview or to-labelbox over a (damaged) dataset: a result, or a one-line
    LbConvertError; nothing left beside what -o names."""
    dest = work / "read-back"
    try:
        if rng.random() < 0.5:
            lbconvert.preview(dataset, dest / "pv", n=rng.choice([0, 1, 5]), thumb_size=32,
                              overwrite=True)
        else:
            from lbconvert.reverse import to_labelbox

            source = "coco-results" if (dataset / "results.json").exists() and \
                rng.random() < 0.5 else name
            if source == "masks":
                source = "coco"
            dest.mkdir(exist_ok=True)
            report = to_labelbox(dataset, source, dest / "p.ndjson", overwrite=True)
            if not report.is_balanced():
                return f"unbalanced to-labelbox report {report.to_dict()}", False
    except lbconvert.LbConvertError as exc:
        if len(str(exc).splitlines()) != 1:
            return f"multi-line error: {str(exc)!r}", True
        refused = True
    except Exception:  # noqa: BLE001 - that is what is looked for
        return "traceback: " + traceback.format_exc(), False
    else:
        refused = False
    left = sorted(p.name for p in dest.rglob(".*")) if dest.exists() else []
    shutil.rmtree(dest, ignore_errors=True)
    return (f"left behind: {left}" if left else None), refused


class _Slow(BaseException):
    """A case ran past its time limit (a hang is a failure too)."""


def _alarm(signum: int, frame: Any) -> None:
    raise _Slow()


def run(cases: int, seed: int, cli: int = 0, keep: Optional[Path] = None,
        progress: Optional[Callable[[int, Outcome], None]] = None,
        case_timeout: float = 60.0) -> Outcome:
    """Run ``cases`` cases (the first ``cli`` of them through the command line too);
    a case that takes longer than ``case_timeout`` seconds is a failure."""
    records = load_records()
    outcome = Outcome()
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") else None  # rmdir is slow on overlays
    with tempfile.TemporaryDirectory(prefix="lbconvert-fuzz-", dir=scratch) as tmp:
        work = Path(tmp)
        images = work / "images"
        images.mkdir()
        _write_images(images)
        datasets = make_datasets(work)
        for case in range(cases):
            rng = random.Random(f"{seed}:{case}")
            if case % 8 == 7:  # a damaged dataset read back by preview / to-labelbox
                _dataset_case(case, seed, rng, datasets, work, outcome, keep, case_timeout)
                if progress is not None:
                    progress(case + 1, outcome)
                continue
            kind, _ = rng.choice(records)
            pool = [r for k, r in records if k == kind]
            mutated = [mutate(rng.choice(pool), rng) for _ in range(rng.choice([1, 1, 2, 3]))]
            if kind == "legacy" and rng.random() < 0.2:
                mutated.append(_relabel(mutated[0], rng))
            export = work / f"case{case}.export"
            shape = write_case(export, kind, mutated, rng)
            call = CALLS[case % len(CALLS)]
            out = work / f"out{case}"
            previous = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, case_timeout)
            try:
                problem, refused = run_call(export, call, out, images)
            except _Slow:
                problem, refused = f"took more than {case_timeout:g} s", False
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            if problem is None and case < cli:
                shutil.rmtree(out, ignore_errors=True)
                problem = run_cli(export, call, out)
            outcome.cases += 1
            if problem is None:
                outcome.refused += refused
                outcome.converted += not refused
            else:
                label = f"seed {seed} case {case} ({kind}, {shape}, {call[0]} {call[1]}): {problem}"
                outcome.failures.append(label)
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(export, keep / f"seed{seed}-case{case}.export")
            export.unlink()
            shutil.rmtree(out, ignore_errors=True)
            if progress is not None:
                progress(case + 1, outcome)
    return outcome


def _dataset_case(case: int, seed: int, rng: random.Random,
                  datasets: list[tuple[str, Path]], work: Path, outcome: Outcome,
                  keep: Optional[Path], case_timeout: float) -> None:
    name, clean = rng.choice(datasets)
    dataset = work / f"damaged{case}"
    shutil.copytree(clean, dataset, symlinks=True)
    damage = damage_dataset(dataset, rng)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, case_timeout)
    try:
        problem, refused = run_dataset_call(dataset, name, work, rng)
    except _Slow:
        problem, refused = f"took more than {case_timeout:g} s", False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    outcome.cases += 1
    if problem is None:
        outcome.refused += refused
        outcome.converted += not refused
    else:
        outcome.failures.append(f"seed {seed} case {case} ({name} dataset, {damage}): {problem}")
        if keep is not None:
            shutil.copytree(dataset, keep / f"seed{seed}-case{case}.dataset", symlinks=True,
                            dirs_exist_ok=True)
    shutil.rmtree(dataset, ignore_errors=True)
    shutil.rmtree(work / "read-back", ignore_errors=True)


def _write_images(images: Path) -> None:
    """Tiny images under the fixtures' keys, so that --images finds some."""
    from PIL import Image

    for name in ("street-001.jpg", "run-001.jpg", "legacy-001.jpg", "street-099.jpg"):
        Image.new("RGB", (64, 48)).save(images / name)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cli", type=int, default=0, help="run the first N cases via the CLI too")
    parser.add_argument("--keep", type=Path, help="copy failing inputs here")
    parser.add_argument("--case-timeout", type=float, default=60.0,
                        help="a case taking longer (seconds) is a failure")
    parser.add_argument("--max-memory", type=int, default=4096, metavar="MB",
                        help="address-space limit (a case past it fails with MemoryError "
                             "instead of taking the machine; 0: none)")
    args = parser.parse_args(argv)
    if args.max_memory:
        import resource

        limit = args.max_memory << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    started = time.monotonic()

    def progress(done: int, outcome: Outcome) -> None:
        if done % 500 == 0:
            print(f"{done} cases, {len(outcome.failures)} failures, "
                  f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)

    outcome = run(args.cases, args.seed, args.cli, args.keep, progress, args.case_timeout)
    for failure in outcome.failures:
        print(failure[:3000])
    print(f"{outcome.cases} cases (seed {args.seed}): {outcome.converted} converted with a "
          f"balanced report, {outcome.refused} refused with a one-line error, "
          f"{len(outcome.failures)} failures, in {time.monotonic() - started:.0f} s")
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
