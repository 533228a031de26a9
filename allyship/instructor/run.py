"""One grade run: the course it works on, its paths, the roster, and what it found.

Every step of ``allyship grade`` (:mod:`allyship.instructor.pipeline`) takes this one object,
and the exports and the report are written from it, so no step passes loose values to another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from allyship.course import Prompt
from allyship.errors import GradeError  # noqa: F401 (the grade run's error, re-exported)
from allyship.instructor.intake import Intake, Problem, Shape
from allyship.instructor.paths import CoursePaths
from allyship.instructor.roster import RosterStudent
from allyship.instructor.rows import StudentRow
from allyship.instructor.state import GradeState


@dataclass
class GradeRun:
    # --- what the run works on
    assignment: str
    paths: CoursePaths
    api: Any  # nbgrader.apps.NbGraderAPI, with the course's configuration
    prompts: list[Prompt]
    shape: Shape
    roster: list[RosterStudent]
    due: datetime | None
    state: GradeState
    include_text: bool = False
    stream: TextIO | None = None
    use_exchange: bool = False
    from_archive: bool = False  # submissions came from an LMS archive (--zip)
    set_aside_before: frozenset[str] = frozenset()  # problems reported by earlier runs
    # --- what it found
    intake: Intake = field(default_factory=Intake)
    graded: set[str] = field(default_factory=set)  # students with a grade in the gradebook
    earlier: set[str] = field(default_factory=set)  # graded from an earlier submission
    rows: list[StudentRow] = field(default_factory=list)
    autograded: list[str] = field(default_factory=list)  # students autograded in this run
    unchanged: list[str] = field(default_factory=list)
    feedback_released: bool | None = None  # None: nothing to release, or no exchange
    notes: list[str] = field(default_factory=list)  # about the run as a whole
    warnings: list[str] = field(default_factory=list)  # nbgrader's, about a student
    logs: list[str] = field(default_factory=list)  # nbgrader's captured logs, for warnings

    @property
    def reports(self) -> Path:
        return self.paths.reports(self.assignment)

    @property
    def failed(self) -> list[Problem]:
        """Every file that could not be graded or was refused, in this run."""
        return self.intake.problems + self.intake.unknown

    def is_new(self, problem: Problem) -> bool:
        """False for a problem an earlier run already reported, on the same unchanged file."""
        return not problem.key or problem.key not in self.set_aside_before

    @property
    def new_failures(self) -> list[Problem]:
        return [p for p in self.failed if self.is_new(p)]

    @property
    def count_graded(self) -> int:
        return sum(r.status == "graded" for r in self.rows)

    @property
    def flagged(self) -> int:
        return sum(r.needs_review for r in self.rows)

    @property
    def missing(self) -> int:
        return sum(r.status == "missing" for r in self.rows)

    def summary(self) -> str:
        return (
            f"graded {self.count_graded}, flagged for review {self.flagged}, "
            f"missing {self.missing}, failed {len(self.failed)}"
        )

    def feedback_line(self) -> str:
        if self.feedback_released is None:
            if self.from_archive:
                return "feedback: generated in feedback/ (from an LMS archive: share it there)"
            if not self.use_exchange:
                return "feedback: generated in feedback/ (no exchange: not released)"
            return "feedback: nothing new to release"
        if self.feedback_released:
            return "feedback: released through the exchange"
        return "feedback: NOT released (see the warnings above)"
