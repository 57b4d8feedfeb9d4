"""How fast JSON-array exports are framed and decoded: lbconvert against ijson.

    python -m benchmarks.json_array [--sizes 8 16 32 64] [--rows 20000] [--runs 3]

Two workloads, each timed in this process (best of ``--runs``, seconds):

* ``long string``: a 3-element array whose middle element carries one string
  of N MB (an export padded by a hostile or broken tool);
* ``export``: a synthetic v2 JSON array of ``--rows`` rows
  (:mod:`benchmarks.generate`), the ordinary case.

Contenders: ``ijson.items(f, "item", use_float=True)`` with the C backend
(``yajl2_c``, what lbconvert used before) and the pure-Python backend, and
lbconvert's own framing (:func:`lbconvert.read.records.array_elements`:
msgspec finds each element's end, then one decode per element) with and
without turning the element into the model (``lbconvert.read``).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import ijson
import msgspec

import lbconvert
from lbconvert.read import records

from .generate import generate


def _ijson(backend: str) -> Callable[[Path], int]:
    items = ijson.get_backend(backend).items

    def run(path: Path) -> int:
        with open(path, "rb") as f:
            return sum(1 for _ in items(f, "item", use_float=True))
    return run


def _framing(path: Path) -> int:
    with open(path, "rb") as f:
        stream = io.BufferedReader(f, 1 << 16)
        return sum(1 for _, element in records.array_elements(stream, 1 << 30)
                   if msgspec.json.decode(element) is not None)


def _lbconvert(path: Path) -> int:
    return sum(1 for _ in lbconvert.read(path, max_record_bytes=1 << 30))


CONTENDERS: dict[str, Callable[[Path], int]] = {
    "ijson yajl2_c": _ijson("yajl2_c"),
    "ijson python": _ijson("python"),
    "lbconvert framing + msgspec.decode": _framing,
    "lbconvert.read (to the model)": _lbconvert,
}


def _best(run: Callable[[Path], int], path: Path, runs: int, budget: float) -> Optional[float]:
    best = None
    for _ in range(runs):
        started = time.perf_counter()
        run(path)
        took = time.perf_counter() - started
        best = took if best is None else min(best, took)
        if took > budget:
            break
    return best


def _long_string_file(directory: Path, megabytes: int) -> Path:
    path = directory / f"string{megabytes}.json"
    row = b'{"data_row": {"id": "r%d", "global_key": "k%d"}, "media_attributes": {}}'
    with open(path, "wb") as out:
        out.write(b"[" + row % (0, 0) + b',\n{"data_row": {"id": "r1", "pad": "')
        block = b"x" * (1 << 20)
        for _ in range(megabytes):
            out.write(block)
        out.write(b'"}, "media_attributes": {}},\n' + row % (2, 2) + b"]\n")
    return path


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32, 64],
                        help="string lengths, MB")
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the export case")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, default=30.0,
                        help="stop repeating a contender after a run this long (s)")
    args = parser.parse_args(argv)
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="lbconvert-bench-", dir=scratch) as tmp:
        directory = Path(tmp)
        cases = [(f"long string {mb} MB", _long_string_file(directory, mb)) for mb in args.sizes]
        export = directory / "export.json"
        generate(str(export), args.rows, "v2-json")
        size = export.stat().st_size / 1e6
        cases.append((f"export {args.rows} rows ({size:.0f} MB)", export))
        names = list(CONTENDERS)
        print("| case | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        for label, path in cases:
            cells = []
            for name in names:
                took = _best(CONTENDERS[name], path, args.runs, args.budget)
                cells.append("-" if took is None else f"{took:.2f} s")
            print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
