"""The rows the exports and the class report are written from: plain data, no Jupyter.

One :class:`StudentRow` per student, one :class:`PromptResult` per prompt: scores, word counts
and reasons; the reflection text only when the instructor asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from allyship.instructor.intake import Problem
from allyship.instructor.roster import RosterStudent


@dataclass
class PromptResult:
    grade_id: str
    score: float | None
    max_score: float
    status: str  # complete, partial, incomplete, review, missing, failed
    reason: str = ""
    words: int | None = None
    overridden: bool = False
    text: str | None = None  # only with --include-text


@dataclass
class StudentRow:
    student: RosterStudent
    status: str  # graded, missing, failed
    prompts: list[PromptResult] = field(default_factory=list)
    submitted_at: datetime | None = None
    seconds_late: float = 0.0
    raw_score: float | None = None
    late_penalty: float = 0.0
    max_score: float = 0.0
    flags: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    feedback: str | None = None  # link relative to reports/<assignment>/
    in_roster: bool = True

    @property
    def total(self) -> float | None:
        if self.raw_score is None:
            return None
        return max(self.raw_score - self.late_penalty, 0.0)

    @property
    def needs_review(self) -> bool:
        return self.status == "graded" and bool(self.flags)


def prompt_status(score: float | None, max_score: float, needs_manual: bool) -> str:
    if needs_manual or score is None:
        return "review"
    if score >= max_score:
        return "complete"
    return "incomplete" if score <= 0 else "partial"


def duration(seconds: float) -> str:
    """A lateness in words, e.g. ``2 h 05 min``."""
    hours, rest = divmod(int(round(seconds)), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60} s"
