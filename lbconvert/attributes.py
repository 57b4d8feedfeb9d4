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
    _flatten_into(flat, classifications, prefix)
    return flat


def _flatten_into(flat: dict[str, AttributeValue], classifications: Iterable[Classification],
                  prefix: str) -> None:
    """Add the answers to ``flat``; nested questions go straight in after their
    parent, so no intermediate dicts are built."""
    for question in classifications:
        key = prefix + (question.name or question.value or question.feature_id or "?")
        radio = question.radio_answer or question.conversational_radio_answer
        if radio is not None:
            name = flat[key] = radio.name or radio.value or ""
            if radio.classifications:
                _flatten_into(flat, radio.classifications, f"{key}/{name}/")
            continue
        checklist = question.checklist_answers or question.conversational_checklist_answers
        if checklist is not None:
            names: list[str] = []
            flat[key] = names
            for answer in checklist:
                name = answer.name or answer.value or ""
                names.append(name)
                if answer.classifications:
                    _flatten_into(flat, answer.classifications, f"{key}/{name}/")
            continue
        text = question.text_answer or question.conversational_text_answer
        if text is not None:
            flat[key] = text.content
