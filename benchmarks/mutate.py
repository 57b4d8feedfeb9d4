"""A small mutation runner: does the test suite notice one small change to the code?

    python -m benchmarks.mutate --module lbconvert/write/voc.py --sample 60 --seed 1
    python -m benchmarks.mutate --module lbconvert/select/items.py --list
    python -m benchmarks.mutate --module lbconvert/write/geometry.py --only 12 40

It parses ``--module`` with :mod:`ast`, enumerates every mutation site, picks
a seeded sample of them and applies one at a time to a *copy* of the source
tree (the files git knows, plus new untracked ones, in a temporary directory;
``../shared`` is linked beside it so the tests that read the public fixtures
still run).  For each mutant it runs the whole suite there (``pytest -x -q``
with ``PYTHONPATH`` pointing at the copy, and a timeout)
and records the outcome:

* ``killed``: some test failed (or the suite could not even be collected);
* ``survived``: every test passed -- the suite did not notice;
* ``timeout``: the suite ran longer than ``--timeout`` seconds (an endless
  loop, usually; counted apart, not as survived);
* ``invalid``: the mutated source does not compile (never run; not counted).

Mutations (one per mutant):

* ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``, ``is`` <-> ``is not``,
  ``in`` <-> ``not in`` (one mutant per operator of a chained comparison);
* an integer constant + 1 and - 1 (two mutants);
* ``floor`` <-> ``ceil`` (calls of ``floor``/``ceil``/``math.floor``/``math.ceil``);
* ``and`` <-> ``or``;
* ``+`` <-> ``-`` (binary operators and ``+=``/``-=``);
* ``return X`` -> ``return None``;
* a statement inside a function deleted (replaced by ``pass``); docstrings,
  ``pass``, imports and nested ``def``/``class`` are left alone.

Code under ``if TYPE_CHECKING:`` and inside f-strings is not mutated.  The
site list depends only on the module's source, so ``--seed`` and
``--sample`` pick the same mutants on any branch with the same module: quote
the seed with the rate.  Only the standard library and pytest are needed.
The exit code is 0 unless the unmutated suite fails in the copy (2).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Optional

__all__ = ["Site", "Result", "find_sites", "mutate", "main"]

_COMPARE_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.In: ast.NotIn, ast.NotIn: ast.In,
}
_BIN_SWAPS: dict[type, type] = {ast.Add: ast.Sub, ast.Sub: ast.Add}
_ROUNDING_SWAPS = {"floor": "ceil", "ceil": "floor"}


@dataclass(frozen=True)
class Site:
    """One mutation: replace the source between two (line, column) positions
    (1-based lines, 0-based columns, as :mod:`ast` gives them) by ``new``."""

    index: int
    line: int
    col: int
    end_line: int
    end_col: int
    new: str
    description: str


@dataclass
class Result:
    site: Site
    outcome: str  # killed, survived, timeout, invalid
    seconds: float
    failed_test: str = ""
    source_line: str = field(default="", repr=False)


def _segment(node: ast.AST) -> tuple[int, int, int, int]:
    # every node passed here is an expression or a statement: they have positions
    return (node.lineno, node.col_offset,  # type: ignore[attr-defined]
            node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


def _unparse(node: ast.AST) -> str:
    return ast.unparse(ast.fix_missing_locations(node))


class _SiteFinder(ast.NodeVisitor):
    """Collects the mutation sites of a module, in source order."""

    def __init__(self) -> None:
        self.raw: list[tuple[tuple[int, int, int, int], str, str]] = []
        self._function_depth = 0

    def _add(self, node: ast.AST, new: str, description: str) -> None:
        self.raw.append((_segment(node), new, description))

    # --- places not mutated ---

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # positions inside f-strings are not reliable before Python 3.12

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
            for child in node.orelse:
                self.visit(child)
            return
        self._statement(node)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        return  # annotations

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._statement(node)
        if node.value is not None:
            self.visit(node.value)

    def _function(self, node: "ast.FunctionDef | ast.AsyncFunctionDef") -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.visit(node.args)
        self._function_depth += 1
        for statement in node.body:
            self.visit(statement)
        self._function_depth -= 1

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.generic_visit(node)

    # --- statements ---

    def _statement(self, node: ast.stmt) -> None:
        if self._function_depth == 0:
            return
        if isinstance(node, (ast.Pass, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal,
                             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            return  # a docstring
        self._add(node, "pass", f"delete statement ({_first_line(node)})")

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.stmt) and not isinstance(node, ast.If):
            self._statement(node)
        super().generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        self._statement(node)
        value = node.value
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            self._add(value, "None", f"return {_short(value)} -> return None")
        self.generic_visit_children(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._statement(node)
        swap = _BIN_SWAPS.get(type(node.op))
        if swap is not None:
            mutated = ast.AugAssign(target=node.target, op=swap(), value=node.value)
            self._add(node, _unparse(mutated),
                      f"{_symbol(node.op)}= -> {_symbol(swap())}=")
        self.generic_visit_children(node)

    def generic_visit_children(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    # --- expressions ---

    def visit_Compare(self, node: ast.Compare) -> None:
        for position, op in enumerate(node.ops):
            swap = _COMPARE_SWAPS.get(type(op))
            if swap is None:
                continue
            ops = list(node.ops)
            ops[position] = swap()
            mutated = ast.Compare(left=node.left, ops=ops, comparators=node.comparators)
            self._add(node, f"({_unparse(mutated)})",
                      f"{_symbol(op)} -> {_symbol(swap())} in {_short(node)}")
        self.generic_visit_children(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        mutated = ast.BoolOp(op=other, values=node.values)
        self._add(node, f"({_unparse(mutated)})",
                  f"{_symbol(node.op)} -> {_symbol(other)} in {_short(node)}")
        self.generic_visit_children(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        swap = _BIN_SWAPS.get(type(node.op))
        if swap is not None:
            mutated = ast.BinOp(left=node.left, op=swap(), right=node.right)
            self._add(node, f"({_unparse(mutated)})",
                      f"{_symbol(node.op)} -> {_symbol(swap())} in {_short(node)}")
        self.generic_visit_children(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool):
            for delta in (1, -1):
                self._add(node, f"({value + delta})", f"constant {value} -> {value + delta}")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        if name in _ROUNDING_SWAPS:
            self._add(func, _unparse(func)[: -len(name)] + _ROUNDING_SWAPS[name],
                      f"{name} -> {_ROUNDING_SWAPS[name]}")
        self.generic_visit_children(node)


_SYMBOLS = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.And: "and",
    ast.Or: "or", ast.Add: "+", ast.Sub: "-",
}


def _symbol(op: ast.AST) -> str:
    return _SYMBOLS[type(op)]


def _short(node: ast.AST, limit: int = 60) -> str:
    text = ast.unparse(node).replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _first_line(node: ast.AST) -> str:
    return _short(node).split("\n")[0]


def find_sites(source: str) -> list[Site]:
    """Every mutation site of a module's source, in source order, numbered from 0."""
    finder = _SiteFinder()
    finder.visit(ast.parse(source))
    raw = sorted(finder.raw, key=lambda r: (r[0], r[2]))
    return [Site(index, *segment, new, description)
            for index, (segment, new, description) in enumerate(raw)]


def mutate(source: str, site: Site) -> str:
    """The source with one site replaced."""
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")
    start = offsets[site.line - 1] + site.col  # ast columns count UTF-8 bytes
    end = offsets[site.end_line - 1] + site.end_col
    return (data[:start] + site.new.encode("utf-8") + data[end:]).decode("utf-8")


# --- running the suite on a copy -------------------------------------------------

def _project_files(root: Path) -> list[Path]:
    """The files of the checkout: those git knows plus untracked, not ignored ones."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root, capture_output=True, check=True).stdout.decode()
        return [Path(name) for name in listed.split("\0") if name and (root / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache", "build",
                "dist"}
        generated = (Path("benchmarks", "data"), Path("benchmarks", "out"))
        return [relative for relative in (path.relative_to(root) for path in root.rglob("*"))
                if (root / relative).is_file() and not skip & set(relative.parts)
                and not any(relative.is_relative_to(g) for g in generated)]


def _copy_tree(root: Path, base: Path) -> Path:
    """A copy of the checkout at ``base/<name of root>``, with ``base/shared``
    linked to ``root/../shared`` when that exists (the tests look there)."""
    tree = base / root.name
    for relative in _project_files(root):
        target = tree / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)
    shared = root.parent / "shared"
    if shared.is_dir():
        (base / "shared").symlink_to(shared.resolve(), target_is_directory=True)
    return tree


def _environment(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTEST_ADDOPTS", None)
    return env


_RUNNING: set[subprocess.Popen] = set()  # suites under way, stopped on Ctrl-C


def _stop_running() -> None:
    for process in list(_RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _run_suite(tree: Path, tests: list[str], timeout: float) -> tuple[str, float, str]:
    """Run pytest in ``tree``: (outcome, seconds, first failing test)."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "--no-header", "-rf", *tests]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=tree, env=_environment(tree), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    _RUNNING.add(process)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the suite's own subprocesses too
        process.communicate()
        return "timeout", time.monotonic() - started, ""
    finally:
        _RUNNING.discard(process)
    seconds = time.monotonic() - started
    if process.returncode == 0:
        return "survived", seconds, ""
    failed = next((line[len("FAILED "):].split(" - ")[0] for line in output.splitlines()
                   if line.startswith(("FAILED ", "ERROR "))), "")
    if not failed:
        failed = next((line for line in output.splitlines() if line.startswith("ERROR")),
                      f"exit {process.returncode}")
    return "killed", seconds, failed


def _ordered_tests(tree: Path, module: str, first: list[str]) -> list[str]:
    """Test files, those named after the module (or given with ``--first``)
    first: a killed mutant then fails sooner.  Every file runs once."""
    files = sorted(str(p.relative_to(tree)) for p in (tree / "tests").glob("test_*.py"))
    stem = Path(module).stem
    preferred = [f for f in first if f in files] + [f for f in files if stem in Path(f).stem]
    return list(dict.fromkeys(preferred + files))


class _Worker:
    """A private copy of the tree in which mutants are applied one at a time."""

    def __init__(self, root: Path, base: Path, module: str) -> None:
        self.tree = _copy_tree(root, base)
        self.path = self.tree / module
        self.original = self.path.read_text(encoding="utf-8")
        self.mtime_ns = self.path.stat().st_mtime_ns

    def _write(self, text: str, mtime_ns: int) -> None:
        # Bytecode caches stay on (the suite compiles in half the time): a
        # .pyc is trusted when the source's size and whole-second mtime match,
        # so every mutant gets an mtime of its own, and the original its own back.
        self.path.write_text(text, encoding="utf-8")
        os.utime(self.path, ns=(mtime_ns, mtime_ns))

    def run(self, site: Site, source: str, tests: list[str], timeout: float) -> Result:
        line = self.original.splitlines()[site.line - 1].strip()
        mutated = mutate(source, site)
        try:
            compile(mutated, str(self.path), "exec")
        except SyntaxError:
            return Result(site, "invalid", 0.0, source_line=line)
        self._write(mutated, self.mtime_ns + (site.index + 1) * 1_000_000_000)
        try:
            outcome, seconds, failed = _run_suite(self.tree, tests, timeout)
        finally:
            self._write(self.original, self.mtime_ns)
        return Result(site, outcome, seconds, failed, line)


def _choose(sites: list[Site], sample: Optional[int], seed: int, only: list[int]) -> list[Site]:
    if only:
        return [sites[i] for i in only]
    if sample is None or sample >= len(sites):
        return list(sites)
    return sorted(random.Random(seed).sample(sites, sample), key=lambda s: s.index)


def _summary(module: str, results: list[Result], seed: int, total_sites: int) -> str:
    counted = [r for r in results if r.outcome != "invalid"]
    count = {o: sum(r.outcome == o for r in counted) for o in ("killed", "survived", "timeout")}
    rate = 100.0 * count["survived"] / len(counted) if counted else 0.0
    lines = [f"{module}: {len(counted)} mutants of {total_sites} sites (seed {seed}): "
             f"{count['killed']} killed, {count['survived']} survived, {count['timeout']} timeouts"
             f" -> {rate:.1f} % survived"
             + (f" ({len(results) - len(counted)} invalid, not counted)"
                if len(results) > len(counted) else "")]
    for result in counted:
        if result.outcome == "survived":
            lines.append(f"  SURVIVED #{result.site.index} line {result.site.line}: "
                         f"{result.site.description}    | {result.source_line}")
    return "\n".join(lines)


def _iterate(workers: list[_Worker], chosen: list[Site], source: str, tests: list[str],
             timeout: float) -> Iterator[Result]:
    free = list(workers)

    def job(site: Site) -> Result:
        worker = free.pop()
        try:
            return worker.run(site, source, tests, timeout)
        finally:
            free.append(worker)

    pool = ThreadPoolExecutor(max_workers=len(workers))
    try:
        yield from pool.map(job, chosen)
    finally:  # on Ctrl-C: no new mutant, and the suites under way stopped
        pool.shutdown(wait=False, cancel_futures=True)
        _stop_running()
        pool.shutdown(wait=True)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", required=True, help="the file to mutate, relative to --root")
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="the checkout (default: the current directory)")
    parser.add_argument("--sample", type=int, help="how many mutants (default: every site)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", type=int, nargs="+", default=[], metavar="INDEX",
                        help="run these site numbers (see --list) instead of a sample")
    parser.add_argument("--list", action="store_true", help="list the sites and stop")
    parser.add_argument("--timeout", type=float,
                        help="seconds per mutant (default: 3x the clean run + 30)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once")
    parser.add_argument("--first", nargs="*", default=[],
                        help="test files to run first (after them, those named after the module)")
    parser.add_argument("--json", type=Path, help="also write every result here")
    args = parser.parse_args(argv)

    root = args.root.resolve()
    module = (root / args.module).resolve()
    if not module.is_relative_to(root):  # the copy is mutated, never the checkout
        parser.error(f"--module must lie inside --root ({root})")
    args.module = str(module.relative_to(root))
    source = module.read_text(encoding="utf-8")
    sites = find_sites(source)
    if args.list:
        for site in sites:
            print(f"#{site.index} line {site.line}: {site.description}")
        return 0
    chosen = _choose(sites, args.sample, args.seed, args.only)
    with tempfile.TemporaryDirectory(prefix="lbconvert-mutate-") as temp:
        workers = [_Worker(root, Path(temp) / f"w{n}", args.module)
                   for n in range(max(1, args.jobs))]
        tests = _ordered_tests(workers[0].tree, args.module, args.first)
        outcome, clean_seconds, failed = _run_suite(workers[0].tree, tests, 3600)
        if outcome != "survived":
            print(f"the unmutated suite fails in the copy ({failed}): fix that first",
                  file=sys.stderr)
            return 2
        timeout = args.timeout or 3 * clean_seconds + 30
        print(f"{args.module}: {len(sites)} sites, running {len(chosen)} "
              f"(clean suite {clean_seconds:.1f} s, timeout {timeout:.0f} s)", file=sys.stderr)
        results = []
        try:
            for number, result in enumerate(_iterate(workers, chosen, source, tests, timeout),
                                            1):
                results.append(result)
                print(f"[{number}/{len(chosen)}] {result.outcome:8} #{result.site.index} "
                      f"line {result.site.line}: {result.site.description}"
                      + (f"  <- {result.failed_test}" if result.failed_test else ""),
                      file=sys.stderr, flush=True)
        except KeyboardInterrupt:
            _stop_running()  # the pool then ends at once; the copies are removed
            print(f"interrupted after {len(results)} mutants", file=sys.stderr)
            interrupted = True
        else:
            interrupted = False
    print(_summary(args.module, results, args.seed, len(sites)))
    if interrupted:
        return 130
    if args.json:
        args.json.write_text(json.dumps([{**asdict(r.site), "outcome": r.outcome,
                                          "seconds": round(r.seconds, 2),
                                          "failed_test": r.failed_test,
                                          "source_line": r.source_line} for r in results],
                                        indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
