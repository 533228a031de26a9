"""PROVISIONAL: the interface of the reflection rules. The full rules replace the body of
``evaluate``; the signature and ``Verdict`` stay."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["complete", "incomplete", "flagged"]


@dataclass(frozen=True)
class Verdict:
    """The decision on one reflection.

    ``credit`` is the fraction of the prompt's points earned (0.0 or 1.0 today); ``flagged``
    means credited but sent to the instructor for review. ``reasons`` are sentences for the
    student, shown identically in the feedback, the self-check and the journal.
    """

    status: Status
    credit: float
    reasons: tuple[str, ...]
    words: int
    checks: tuple[str, ...] = field(default=())  # machine-readable codes of the checks that fired

    @property
    def needs_review(self) -> bool:
        return self.status == "flagged"


def evaluate(text: str, settings: Mapping[str, Any]) -> Verdict:
    """Judge one reflection against its prompt's trusted settings.

    ``settings`` holds ``min_words``, ``release_text`` and ``prompt`` (the prompt's text).
    """
    release = str(settings.get("release_text", "")).strip()
    body = text.strip()
    words = len(re.findall(r"\w+", body))
    if not body or body == release:
        return Verdict("incomplete", 0.0, ("No response.",), 0, ("empty",))
    minimum = int(settings.get("min_words", 0))
    if words < minimum:
        return Verdict(
            "incomplete",
            0.0,
            (f"You wrote {words} words; this prompt asks for at least {minimum}.",),
            words,
            ("too_short",),
        )
    return Verdict("complete", 1.0, (f"Complete: {words} words.",), words, ())
