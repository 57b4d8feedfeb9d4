"""The mutation runner (``python -m benchmarks.mutate``): the sites it finds
and the one-site edits it makes, on small sources and on a real module."""

from __future__ import annotations

import ast
from pathlib import Path

from benchmarks.mutate import _choose, find_sites, mutate

ROOT = Path(__file__).resolve().parent.parent

SOURCE = '''\
from math import floor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    LIMIT = 5

def f(a, b=None):
    """Docstring."""
    if a < 3 and b is None:
        return floor(a) + 1
    a -= 2
    return f"{a + 1}"
'''


def descriptions(source: str) -> list[str]:
    return [site.description for site in find_sites(source)]


def test_sites_of_a_small_function() -> None:
    found = descriptions(SOURCE)
    # in source order (by start, then end of the segment; ties by description)
    assert found == [
        "delete statement (if a < 3 and b is None:     return floor(a) + 1)",
        "< -> <= in a < 3",
        "and -> or in a < 3 and b is None",
        "constant 3 -> 2",
        "constant 3 -> 4",
        "is -> is not in b is None",
        "delete statement (return floor(a) + 1)",
        "floor -> ceil",
        "+ -> - in floor(a) + 1",
        "return floor(a) + 1 -> return None",
        "constant 1 -> 0",
        "constant 1 -> 2",
        "-= -> +=",
        "delete statement (a -= 2)",
        "constant 2 -> 1",
        "constant 2 -> 3",
        "delete statement (return f'{a + 1}')",
        "return f'{a + 1}' -> return None",
    ]
    # nothing under TYPE_CHECKING, in the docstring, the default value None or the f-string


def test_each_mutant_changes_only_its_site() -> None:
    sites = {site.description: site for site in find_sites(SOURCE)}
    flipped = mutate(SOURCE, sites["< -> <= in a < 3"])
    assert flipped == SOURCE.replace("if a < 3 and", "if (a <= 3) and")
    deleted = mutate(SOURCE, sites["delete statement (a -= 2)"])
    assert deleted == SOURCE.replace("    a -= 2\n", "    pass\n")
    rounded = mutate(SOURCE, sites["floor -> ceil"])
    assert rounded == SOURCE.replace("return floor(a)", "return ceil(a)")
    emptied = mutate(SOURCE, sites["return floor(a) + 1 -> return None"])
    assert emptied == SOURCE.replace("return floor(a) + 1", "return None")


def test_columns_count_utf8_bytes() -> None:
    source = 'def f(x):\n    s = "é…"; return x < 1\n'
    (site,) = [s for s in find_sites(source) if s.description.startswith("<")]
    assert mutate(source, site) == 'def f(x):\n    s = "é…"; return (x <= 1)\n'


def test_every_mutant_of_a_real_module_compiles_and_differs() -> None:
    source = (ROOT / "lbconvert" / "write" / "geometry.py").read_text(encoding="utf-8")
    sites = find_sites(source)
    assert len(sites) > 50
    for site in sites:
        mutated = mutate(source, site)
        assert mutated != source
        ast.parse(mutated)  # a SyntaxError would fail here


def test_the_sample_is_seeded_and_sorted() -> None:
    sites = find_sites((ROOT / "lbconvert" / "write" / "geometry.py")
                       .read_text(encoding="utf-8"))
    first = _choose(sites, 10, 1, [])
    assert first == _choose(sites, 10, 1, [])
    assert first != _choose(sites, 10, 2, [])
    assert [s.index for s in first] == sorted(s.index for s in first)
    assert [s.index for s in _choose(sites, None, 1, [5, 3])] == [5, 3]
