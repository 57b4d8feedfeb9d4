"""Classifications as a flat ``{question: answer}`` map, for formats with flat attributes."""

from __future__ import annotations

from typing import Iterable, Union

from .model import Classification

__all__ = ["flatten_classifications"]

AttributeValue = Union[str, list[str]]


def flatten_classifications(classifications: Iterable[Classification],
                            prefix: str = "") -> dict[str, AttributeValue]:
    """Radio answers become a string, checklists a list of strings, free text
    its content.  A question nested under an answer is keyed by its path:
    ``"<question>/<answer>/<nested question>"``; its answers follow the same
    rules.  Names fall back to values when the export has no name."""
    flat: dict[str, AttributeValue] = {}
    for question in classifications:
        key = prefix + (question.name or question.value or question.feature_id or "?")
        kind = question.type
        if kind == "text":
            flat[key] = question.text or ""
            continue
        names = [a.name or a.value or "" for a in question.answers]
        if kind == "radio":
            flat[key] = names[0]
        elif kind == "checklist":
            flat[key] = names
        for answer, answer_name in zip(question.answers, names):
            if answer.classifications:
                flat.update(flatten_classifications(answer.classifications,
                                                    f"{key}/{answer_name}/"))
    return flat
