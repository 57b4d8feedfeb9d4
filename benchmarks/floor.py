"""Lower bounds ("floors") and measurement helpers for the lbconvert timing script.

``orjson_floor(path)``
    Seconds to read a file in binary and ``orjson.loads`` every non-blank
    line, discarding the results: the cost of the bare JSON parse that any
    converter has to pay.  lbconvert's parse time is judged as a multiple of
    this number.

    * Reading is included by default (``open`` + ``read``; a gzip file - by its
      magic bytes, not its name - is decompressed in the timed region too).
      Pass ``include_read=False`` to time the parsing of bytes already in
      memory.
    * NDJSON: the file is split on ``\\n`` and each non-blank line is parsed.
      A file whose first non-blank line is not a JSON document by itself (a
      pretty-printed single object) is parsed with one ``orjson.loads``.
    * JSON array (first non-blank byte ``[``): the elements of an array cannot
      be parsed one by one without a parser of their own, so for arrays the
      floor is defined as the floor of the array's **NDJSON twin** (the same
      rows, one per line):
        - if ``twin=`` names the twin file, that file is timed;
        - otherwise, if the array has the layout ``benchmarks.generate`` writes
          (``[`` line, one element per line each followed by ``,``, ``]``
          line), the lines of the array *are* the twin's lines plus a
          trailing comma: each is parsed through a zero-copy
          ``memoryview`` without its comma, which costs what parsing the twin
          costs;
        - any other array (e.g. a pretty-printed real export) falls back to a
          single ``orjson.loads`` of the whole document.

``files_floor(n, out_dir, size=200)``
    Seconds to create ``n`` small files of ``size`` bytes in ``out_dir``
    (binary ``open`` / ``write`` / ``close`` per file; names are built before
    the clock starts; no fsync).  The floor for per-image outputs (YOLO txt,
    VOC xml, masks).  ``out_dir`` should be empty: overwriting existing files
    costs differently.  The files are deleted afterwards unless
    ``cleanup=False`` (deletion is not timed).

``peak_rss_of(cmd)``
    Runs ``cmd`` in a fresh child process and returns ``(wall_seconds,
    peak_rss_kib)``.  Method: ``subprocess.Popen`` then ``os.wait4(pid)``,
    which returns the ``rusage`` of *that* child (and of any of its own
    children it waited for), so ``ru_maxrss`` is exactly the peak resident
    set of this one run.  This is what a
    ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` difference tries to
    get, without its flaw: RUSAGE_CHILDREN's ``ru_maxrss`` is the *maximum*
    over all children ever reaped by this process, not a sum, so a "before /
    after" difference is 0 whenever an earlier child peaked higher.  Use one
    call (one child) per measurement.  ``ru_maxrss`` is KiB on Linux, bytes
    on macOS (converted).  Wall time includes interpreter start-up and
    imports of the child; measure ``[sys.executable, "-c", "import orjson"]``
    to know that baseline.  A non-zero exit raises
    ``subprocess.CalledProcessError`` unless ``check=False``.
    ``run_measured(cmd)`` returns the full record (wall, user, sys, peak RSS,
    return code).

``median_of(fn, runs=5)``
    Calls ``fn()`` ``runs`` times.  If ``fn`` returns a number, that number is
    the sample (e.g. ``lambda: orjson_floor(p)``); if it returns a tuple of
    numbers, the median is taken per position (e.g. ``lambda:
    peak_rss_of(cmd)``); if it returns None, the wall time of the call is the
    sample.  Returns the median.

CLI: ``python -m benchmarks.floor FILE [FILE ...] [--runs 5] [--twin TWIN]``
prints the median orjson floor of each file.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Sequence

import orjson

__all__ = ["orjson_floor", "files_floor", "peak_rss_of", "run_measured", "median_of"]

_perf = time.perf_counter


def _read(path: str | os.PathLike) -> bytes:
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def _first_byte(data: bytes) -> int:
    for b in data[:4096]:
        if b not in b" \t\r\n\xef\xbb\xbf":  # whitespace / UTF-8 BOM
            return b
    return 0


def _is_generator_array(lines: list[bytes]) -> bool:
    """True if `lines` look like the one-element-per-line array layout."""
    body = [ln for ln in lines if ln and not ln.isspace()]
    if len(body) < 2 or body[0].strip() != b"[" or body[-1].strip() != b"]":
        return False
    inner = body[1:-1]
    if not inner:
        return True
    for ln in inner[:-1]:
        if not ln.rstrip().endswith(b","):
            return False
    first = inner[0].lstrip()[:1]
    return first in (b"{", b"[", b'"') and not inner[-1].rstrip().endswith(b",")


def _first_line_parses(data: bytes) -> bool:
    """NDJSON if the first non-blank line is a JSON document on its own."""
    start = 0
    while True:
        end = data.find(b"\n", start)
        line = data[start:] if end < 0 else data[start:end]
        if line and not line.isspace():
            try:
                orjson.loads(line)
                return True
            except orjson.JSONDecodeError:
                return False
        if end < 0:
            return False
        start = end + 1


def _parse_lines(lines: list[bytes]) -> None:
    loads = orjson.loads
    for ln in lines:
        if ln and not ln.isspace():
            loads(ln)


def _parse_array_lines(lines: list[bytes]) -> None:
    loads = orjson.loads
    for ln in lines:
        ln = ln.rstrip(b"\r")
        if not ln or ln.isspace() or ln == b"[" or ln == b"]":
            continue
        if ln[-1:] == b",":
            loads(memoryview(ln)[:-1])
        else:
            loads(ln)


def orjson_floor(path: str | os.PathLike, twin: str | os.PathLike | None = None,
                 include_read: bool = True) -> float:
    """Seconds for read + ``orjson.loads`` of every line (see module docstring)."""
    data = _read(path)
    if _first_byte(data) == ord("["):
        if twin is not None:
            return orjson_floor(twin, include_read=include_read)
        lines = data.split(b"\n")
        if _is_generator_array(lines):
            parse: Callable[[bytes], None] = lambda d: _parse_array_lines(d.split(b"\n"))
        else:
            parse = orjson.loads  # whole-document fallback
    elif _first_line_parses(data):
        parse = lambda d: _parse_lines(d.split(b"\n"))  # noqa: E731
    else:
        parse = orjson.loads  # a single (pretty-printed) JSON document
    del data
    gc.collect()
    if include_read:
        t = _perf()
        parse(_read(path))
        return _perf() - t
    data = _read(path)
    t = _perf()
    parse(data)
    return _perf() - t


def files_floor(n: int, out_dir: str | os.PathLike, size: int = 200,
                cleanup: bool = True) -> float:
    """Seconds to open/write/close `n` files of `size` bytes in `out_dir`."""
    os.makedirs(out_dir, exist_ok=True)
    payload = (b"0 0.512345 0.498765 0.123456 0.234567\n" * (size // 38 + 1))[:size]
    names = [os.path.join(out_dir, f"floor_{i:08d}.txt") for i in range(n)]
    gc.collect()
    t = _perf()
    for p in names:
        with open(p, "wb") as f:
            f.write(payload)
    dt = _perf() - t
    if cleanup:
        for p in names:
            os.unlink(p)
    return dt


def run_measured(cmd: Sequence[str], *, cwd: str | os.PathLike | None = None,
                 env: dict[str, str] | None = None, stdout: Any = subprocess.DEVNULL,
                 stderr: Any = None, check: bool = True) -> dict[str, Any]:
    """Run `cmd` in a fresh child; return wall/user/sys seconds, peak RSS KiB, rc.

    `stdout`/`stderr` must not be ``subprocess.PIPE`` (nobody drains them).
    """
    if stdout is subprocess.PIPE or stderr is subprocess.PIPE:
        raise ValueError("PIPE is not supported; use DEVNULL, None or a file")
    t = _perf()
    p = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=stdout, stderr=stderr)
    try:
        _, status, ru = os.wait4(p.pid, 0)
    except BaseException:
        p.kill()
        p.wait()
        raise
    wall = _perf() - t
    rc = os.waitstatus_to_exitcode(status)
    p.returncode = rc  # reaped by wait4: keep Popen from waiting again
    if check and rc != 0:
        raise subprocess.CalledProcessError(rc, list(cmd))
    rss = ru.ru_maxrss // 1024 if sys.platform == "darwin" else ru.ru_maxrss
    return {
        "wall_s": wall,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "peak_rss_kib": int(rss),
        "returncode": rc,
    }


def peak_rss_of(cmd: Sequence[str], **kwargs: Any) -> tuple[float, int]:
    """(wall seconds, peak RSS KiB) of one run of `cmd` in a fresh child process."""
    r = run_measured(cmd, **kwargs)
    return r["wall_s"], r["peak_rss_kib"]


def median_of(fn: Callable[[], Any], runs: int = 5) -> Any:
    """Median of `runs` samples of `fn` (see module docstring)."""
    if runs < 1:
        raise ValueError("runs must be >= 1")
    samples = []
    for _ in range(runs):
        t = _perf()
        r = fn()
        dt = _perf() - t
        samples.append(dt if r is None else r)
    if isinstance(samples[0], tuple):
        return tuple(statistics.median(col) for col in zip(*samples))
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.floor",
                                 description="Median orjson floor of export files.")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--twin", help="NDJSON twin to time for a JSON-array file")
    ap.add_argument("--no-read", action="store_true", help="exclude reading the file")
    a = ap.parse_args(argv)
    for f in a.files:
        s = median_of(lambda: orjson_floor(f, a.twin, not a.no_read), a.runs)
        print(f"{f}\t{os.path.getsize(f)} bytes\torjson floor {s:.4f}s "
              f"(median of {a.runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
