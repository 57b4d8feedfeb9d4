"""Classifications as a flat ``{question: answer}`` map, for formats with flat attributes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable, Optional, Union

from ..model import Answer, Classification

__all__ = ["flatten_classifications", "safe_key_part"]

AttributeValue = Union[str, list[str]]


_KEY_UNSAFE = re.compile(r"[%./$\x00]")


@lru_cache(maxsize=4096)  # names repeat (an ontology's questions and answers)
def safe_key_part(name: str) -> str:
    """A question or answer name as one part of a key that document stores
    accept (FiftyOne and MongoDB refuse ``.`` and a leading ``$``, and keep
    names starting with ``_`` for themselves): ``%``, ``.``, ``/``, ``$`` and
    NUL become ``%`` and two upper-case hex digits (``%25 %2E %2F %24 %00``),
    a leading ``_`` becomes ``%5F``; everything else is kept.  The mapping
    is one to one (``urllib.parse.unquote`` of a part gives the name back),
    so two different names never share a key."""
    if _KEY_UNSAFE.search(name) is None and not name.startswith("_"):
        return name
    text = _KEY_UNSAFE.sub(lambda found: "%%%02X" % ord(found.group()), name)
    return "%5F" + text[1:] if text.startswith("_") else text


def flatten_classifications(
    classifications: Iterable[Classification], prefix: str = "", safe_keys: bool = False
) -> dict[str, AttributeValue]:
    """Radio answers become a string, checklists a list of strings, free text
    its content.  A question nested under an answer is keyed by its path:
    ``"<question>/<answer>/<nested question>"``; its answers follow the same
    rules.  Names fall back to values when the export has no name.  With
    ``safe_keys`` each name in a key is :func:`safe_key_part` of it (the
    answers, which are values, are kept as they are)."""
    flat: dict[str, AttributeValue] = {}
    _flatten_into(flat, classifications, prefix, safe_key_part if safe_keys else None)
    return flat


def _flatten_into(
    flat: dict[str, AttributeValue],
    classifications: Iterable[Classification],
    prefix: str,
    part: Optional[Callable[[str], str]],
) -> None:
    """Add the answers to ``flat``; nested questions go straight in after their
    parent, so no intermediate dicts are built."""
    for question in classifications:
        question_name = question.name or question.value or question.feature_id or "?"
        key = prefix + (part(question_name) if part else question_name)
        radio = question.radio_answer or question.conversational_radio_answer
        if radio is not None:
            name = flat[key] = radio.name or radio.value or ""
            if radio.classifications:
                _flatten_nested(flat, radio, key, name, part)
            continue
        checklist = question.checklist_answers or question.conversational_checklist_answers
        if checklist is not None:
            names: list[str] = []
            flat[key] = names
            for answer in checklist:
                name = answer.name or answer.value or ""
                names.append(name)
                if answer.classifications:
                    _flatten_nested(flat, answer, key, name, part)
            continue
        text = question.text_answer or question.conversational_text_answer
        if text is not None:
            flat[key] = text.content


def _flatten_nested(
    flat: dict[str, AttributeValue],
    answer: Answer,
    key: str,
    name: str,
    part: Optional[Callable[[str], str]],
) -> None:
    """The questions nested under the answer ``name`` of question ``key``,
    keyed ``<key>/<name>/<nested question>``."""
    _flatten_into(flat, answer.classifications, f"{key}/{part(name) if part else name}/", part)
