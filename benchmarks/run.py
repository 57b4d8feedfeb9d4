"""Time lbconvert against its floors, in the same run, and measure peak RSS.

    python -m benchmarks.run --rows 100000 --cases read,coco --runs 5

For each case every run starts a fresh child process; the child times only
the work, not interpreter start-up, and reports its own peak RSS (VmHWM).
Its CPU time includes the processes it waited for (the spool process that
writes the small files of per-image formats).  Runs of the floor and of lbconvert are interleaved so that noise
on this shared machine hits both alike; the figures are medians.

Cases:

* ``floor``  -- ``orjson.loads`` of every line of the NDJSON file (the parse floor);
* ``read``   -- iterate ``lbconvert.read`` over the file;
* ``files``  -- create as many small files as the file has rows (the file-write floor);
* ``coco``, ``yolo``, ``voc``, ``masks``, ``jsonl`` … -- ``lbconvert.convert`` to that
  format (output on ``--out``, a tmpfs by default).

Ratios printed: ``read / floor``, ``coco / floor`` and, for per-image formats,
``FORMAT / (floor + files)``.  Export files are generated once into
``--data`` (deterministic, seed 0) and reused.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Optional

from .floor import files_floor, orjson_floor, run_measured

PER_IMAGE_FORMATS = {"yolo", "voc", "masks"}


# --- what a child process does ------------------------------------------------

def _task(argv: list[str]) -> None:
    """Run one measured piece of work and print its wall and CPU seconds on stdout."""
    kind, path = argv[0], argv[1]
    cpu = time.process_time()
    if kind == "floor":
        seconds = orjson_floor(path)
    elif kind == "files":
        count = int(argv[3]) if len(argv) > 3 else sum(1 for line in open(path, "rb")
                                                      if line.strip())
        cpu = time.process_time()
        seconds = files_floor(count, argv[2])
    elif kind == "read":
        import lbconvert

        cpu = time.process_time()
        start = time.perf_counter()
        for _ in lbconvert.read(path):
            pass
        seconds = time.perf_counter() - start
    else:
        import lbconvert

        out = Path(argv[2])
        options: dict[str, Any] = {}
        for pair in argv[3:]:
            key, _, value = pair.partition("=")
            options[key] = {"true": True, "false": False}.get(value, value)
        kind, _, jobs = kind.partition("@")  # coco@2: --jobs 2; coco@dask: a 2-worker cluster
        cluster = None
        if jobs == "dask":
            from distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
            options["executor"] = client.get_executor()
        elif jobs:
            options["jobs"] = int(jobs)
        cpu = time.process_time()
        start = time.perf_counter()
        lbconvert.convert(path, kind, out, **options)
        seconds = time.perf_counter() - start
        if cluster is not None:  # the workers' own peak RSS, before they go
            worker_rss = max(client.run(_peak_rss_kib).values())
            client.close()
            cluster.close()
            cpu = time.process_time() - cpu
            sys.stdout.write(f"{seconds} {cpu} {_peak_rss_kib()} {worker_rss}\n")
            return
    cpu = time.process_time() - cpu + _children_cpu()  # the spool process of per-image writers
    sys.stdout.write(f"{seconds} {cpu} {_peak_rss_kib()} {_children_peak_rss_kib()}\n")


def _children_cpu() -> float:
    """CPU seconds of the child processes this one has waited for."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _children_peak_rss_kib() -> int:
    """The largest peak RSS of the child processes waited for (the worker
    processes of ``--jobs``, the spool processes): ``ru_maxrss`` of the
    children, which for forked workers includes what they share with this one."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def _peak_rss_kib() -> int:
    """This process image's peak RSS (``VmHWM``).  Not ``ru_maxrss``: Linux
    carries that across ``exec`` from the forked parent, so every child would
    report at least the harness's own size."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --- the parent ---------------------------------------------------------------

def _ensure_export(data: Path, rows: int, video_rows: int) -> Path:
    from .generate import generate

    data.mkdir(parents=True, exist_ok=True)
    path = data / f"export-{rows}-v{video_rows}.ndjson"
    if not path.exists():
        partial = path.with_suffix(".partial")
        generate(partial, rows, shape="v2-ndjson", video_rows=video_rows, seed=0)
        os.replace(partial, path)
    return path


def _measure(case: str, export: Path, out: Path, options: list[str],
             files_count: Optional[int] = None) -> tuple[float, float, int, int]:
    result_file = out.parent / f".{case}.seconds"
    if case in ("floor", "read"):
        args = [case, str(export)]
    elif case == "files":
        args = [case, str(export), str(out / "files")]
        if files_count is not None:
            args.append(str(files_count))
    else:
        args = [case, str(export), str(out / case), *options]
    with open(result_file, "w") as stdout:
        run_measured([sys.executable, "-m", "benchmarks.run", "--task", *args],
                     stdout=stdout)
    wall, cpu, rss, workers_rss = result_file.read_text().split()
    result_file.unlink()
    if case not in ("floor", "read", "files"):  # deleted here, not in the measured child
        shutil.rmtree(out / case, ignore_errors=True)
    return float(wall), float(cpu), int(rss), int(workers_rss)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--task"]:
        _task(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000],
                        help="image rows of the generated export")
    parser.add_argument("--video-rows", type=int, default=0)
    parser.add_argument("--cases", default="floor,read,coco")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=Path("benchmarks/data"))
    parser.add_argument("--out", type=Path, default=Path("/dev/shm/lbconvert-bench"))
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="an option for lbconvert.convert, e.g. task=segment")
    parser.add_argument("--files-count", type=int, metavar="N",
                        help="files the floor writes (default: one per row); for video, "
                             "the number of frames the conversion writes")
    args = parser.parse_args(argv)
    cases = args.cases.split(",")
    args.out.mkdir(parents=True, exist_ok=True)
    for rows in args.rows:
        export = _ensure_export(args.data, rows, args.video_rows)
        samples: dict[str, list[tuple[float, float, int, int]]] = {case: [] for case in cases}
        for _ in range(args.runs):
            for case in cases:
                samples[case].append(_measure(case, export, args.out, args.option,
                                              args.files_count))
        _print(rows, export, samples)
    return 0


def _print(rows: int, export: Path, samples: dict[str, list[tuple[float, float, int, int]]]) -> None:
    runs = len(next(iter(samples.values())))
    print(f"\n{rows} rows ({export.name}, {export.stat().st_size / 1e6:.0f} MB), "
          f"median of {runs} runs; ratios of wall time (and of CPU time)")
    print(f"{'case':<10} {'wall s':>8} {'cpu s':>8} {'peak RSS MiB':>13} {'children':>9}  ratio")
    wall = {case: statistics.median(s[0] for s in runs) for case, runs in samples.items()}
    cpu = {case: statistics.median(s[1] for s in runs) for case, runs in samples.items()}
    rss = {case: max(s[2] for s in runs) for case, runs in samples.items()}
    children = {case: max(s[3] for s in runs) for case, runs in samples.items()}
    for case in samples:
        ratio = ""
        serial = case.partition("@")[0]
        if "@" in case and serial in wall:
            ratio = f"speed-up {wall[serial] / wall[case]:.2f}x over {serial}; "
        if "floor" in wall and case not in ("floor", "files"):
            ratio += _ratio(case, wall, "floor") + f" ({_ratio(case, cpu, 'floor')})" + " floor"
            if serial in PER_IMAGE_FORMATS and "files" in wall:
                ratio += (f", {_ratio(case, wall, 'floor', 'files')} "
                          f"({_ratio(case, cpu, 'floor', 'files')}) floor + files")
        print(f"{case:<10} {wall[case]:8.3f} {cpu[case]:8.3f} {rss[case] / 1024:13.1f} "
              f"{children[case] / 1024:9.1f}  {ratio}")


def _ratio(case: str, times: dict[str, float], *floors: str) -> str:
    return f"{times[case] / sum(times[f] for f in floors):.2f}x"


if __name__ == "__main__":
    raise SystemExit(main())
