"""Ring helpers and classification flattening, checked against their plain definitions."""

from __future__ import annotations

import random

from lbconvert.write.attributes import flatten_classifications
from lbconvert.write.geometry import extent, ring_xy
from lbconvert.model import Answer, Classification, Point, TextAnswer


def test_extent_is_min_and_max() -> None:
    rng = random.Random(7)
    for size in (1, 2, 3, 8, 31, 200):
        values = [round(rng.uniform(-1e4, 1e4), rng.randint(0, 4)) for _ in range(size)]
        values += values[: size // 3]  # repeated coordinates
        assert extent(values) == (min(values), max(values))


def test_ring_xy_drops_only_the_closing_point() -> None:
    closed = (Point(x=1.0, y=2.0), Point(x=5.0, y=2.0), Point(x=5.0, y=7.0), Point(x=1.0, y=2.0))
    assert ring_xy(closed) == ([1.0, 5.0, 5.0], [2.0, 2.0, 7.0])
    assert ring_xy(closed[:3]) == ([1.0, 5.0, 5.0], [2.0, 2.0, 7.0])
    assert ring_xy(closed[:1]) == ([1.0], [2.0])


def _radio(question: str, answer: str, *nested: Classification) -> Classification:
    return Classification(name=question, radio_answer=Answer(name=answer, classifications=nested))


def test_flatten_keys_nested_answers_by_path_in_export_order() -> None:
    classifications = (
        _radio("occlusion", "partial",
               Classification(name="visible parts", checklist_answers=(
                   Answer(name="front"), Answer(value="left_side", classifications=(
                       _radio("how much", "half"),))))),
        Classification(value="notes", text_answer=TextAnswer(content="n – 1")),
        Classification(name="empty"),
        Classification(feature_id="f1", conversational_radio_answer=Answer(value="yes")),
    )
    flat = flatten_classifications(classifications)
    assert list(flat.items()) == [
        ("occlusion", "partial"),
        ("occlusion/partial/visible parts", ["front", "left_side"]),
        ("occlusion/partial/visible parts/left_side/how much", "half"),
        ("notes", "n – 1"),
        ("f1", "yes"),
    ]
    assert flatten_classifications(classifications[:1], "p/") == {
        "p/occlusion": "partial", "p/occlusion/partial/visible parts": ["front", "left_side"],
        "p/occlusion/partial/visible parts/left_side/how much": "half"}
