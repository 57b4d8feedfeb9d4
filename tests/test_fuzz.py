"""Seeded mutation fuzzing (the engine is ``benchmarks/fuzz.py``; run 10,000+
cases on demand with ``python -m benchmarks.fuzz --cases 10000 --seed N``).

Every case must end in a balanced report or a one-line ``LbConvertError``,
and leave nothing beside ``OUT``."""

from __future__ import annotations

import json
import random

import pytest

from benchmarks import fuzz

CASES_PER_SEED = 150  # 10 per call of fuzz.CALLS; every 8th case reads back a damaged dataset


@pytest.mark.parametrize("seed", [1, 2])
def test_mutated_exports_keep_every_promise(seed: int) -> None:
    outcome = fuzz.run(CASES_PER_SEED, seed, cli=3 if seed == 1 else 0)
    assert outcome.cases == CASES_PER_SEED
    assert outcome.failures == []
    # Both ends are exercised: conversions that succeed and inputs refused.
    assert outcome.converted > CASES_PER_SEED // 5 and outcome.refused > CASES_PER_SEED // 5


def test_the_mutator_makes_what_it_promises() -> None:
    rng = random.Random(0)
    records = fuzz.load_records()
    assert {kind for kind, _ in records} == {"v2", "legacy"}
    texts = [fuzz.dumps(fuzz.mutate(record, rng)) for _ in range(5) for _, record in records]
    changed = sum(text != json.dumps(record) for text, (_, record) in
                  zip(texts, [r for _ in range(5) for r in records]))
    assert changed > len(texts) * 0.8
    deep = fuzz.dumps(fuzz._deep(5000, rng))
    assert deep.count("[") + deep.count("{") >= 5000
    assert fuzz.dumps(fuzz.Dup([("a", 1), ("a", 2)])) == '{"a":1,"a":2}'
    assert fuzz.dumps([fuzz.Raw("NaN")]) == "[NaN]"
