"""One row per student for an assignment, read from the gradebook after grading.

The exports and the report are written from these rows only, so they always agree. Rows carry
scores, word counts and reasons; the reflection text is read only when the instructor asks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from allyship.check import find_answer
from allyship.course import Prompt
from allyship.instructor.intake import Problem
from allyship.instructor.roster import RosterStudent
from allyship.reflection import evaluate

if TYPE_CHECKING:
    from allyship.instructor.run import GradeRun


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


def answers(notebook: Path, prompts: list[Prompt]) -> dict[str, str]:
    """grade_id -> the answer as the student wrote it (the rules' own reading of the cells).

    Read from ``submitted/``: the autograded copy is for display and may be escaped.
    """
    try:
        data = json.loads(notebook.read_text(encoding="utf-8"))
        cells = data["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    found = {}
    for prompt in prompts:
        text = find_answer(cells, prompt)
        if text is not None:
            found[prompt.grade_id] = text
    return found


def build_rows(gb, run: GradeRun) -> list[StudentRow]:  # gb: nbgrader.api.Gradebook
    """Rows for the roster plus anyone graded who is not on it, in roster order."""
    from nbgrader.api import MissingEntry

    known = {s.id for s in run.roster}
    everyone = list(run.roster) + [RosterStudent(id=s) for s in sorted(run.graded - known)]
    notes = {s: list(run.state.get(s, "notes") or []) for s in run.graded}
    rows = []
    for student in everyone:
        own = [p for p in run.intake.problems if p.student == student.id]
        try:
            submission = gb.find_submission(run.assignment, student.id)
        except MissingEntry:
            submission = None
        if submission is None or student.id not in run.graded:
            status = "failed" if own else "missing"
            row = StudentRow(student, status, problems=own, in_roster=student.id in known)
            row.prompts = [PromptResult(p.grade_id, None, p.points, status) for p in run.prompts]
            rows.append(row)
            continue
        row = StudentRow(student, "graded", problems=own, in_roster=student.id in known)
        _fill_graded(row, run, submission)
        row.flags.extend(notes.get(student.id, []))
        kept = " (the earlier submission is graded)" if student.id in run.earlier else ""
        row.flags.extend(f"{p.file}: {p.reason}{kept}" for p in own)
        if not row.in_roster:
            row.flags.append("not on the roster")
        rows.append(row)
    return rows


def _fill_graded(row: StudentRow, run: GradeRun, submission) -> None:
    """Scores, reasons and word counts of one graded submission, from the gradebook."""
    student = row.student.id
    row.submitted_at = submission.timestamp
    row.seconds_late = float(submission.total_seconds_late or 0)
    row.late_penalty = float(submission.late_submission_penalty or 0)
    row.raw_score = float(submission.score) if submission.score is not None else None
    row.max_score = float(submission.max_score or 0)
    grades, comments = {}, {}
    texts: dict[str, str] = {}
    for nb in submission.notebooks:
        grades.update({g.name: g for g in nb.grades})
        comments.update({c.name: c for c in nb.comments})
        folder = run.paths.submitted(student, run.assignment)
        texts.update(answers(folder / f"{nb.name}.ipynb", run.prompts))
        feedback = run.paths.feedback(student, run.assignment) / f"{nb.name}.html"
        if feedback.is_file() and row.feedback is None:
            row.feedback = Path(os.path.relpath(feedback, run.reports)).as_posix()
            row.feedback = quote(row.feedback)
    for prompt in run.prompts:
        grade, comment = grades.get(prompt.grade_id), comments.get(prompt.grade_id)
        if grade is None:
            row.prompts.append(PromptResult(prompt.grade_id, None, prompt.points, "missing"))
            continue
        score = grade.score
        text = texts.get(prompt.grade_id, "")
        max_score = float(grade.max_score or prompt.points)
        result = PromptResult(
            prompt.grade_id,
            None if score is None else float(score),
            max_score,
            prompt_status(score, max_score, grade.needs_manual_grade),
            reason=(comment.comment or "") if comment is not None else "",
            words=evaluate(text, prompt.rule_settings()).words,
            overridden=grade.manual_score is not None,
            text=text if run.include_text else None,
        )
        row.prompts.append(result)
        if result.status == "review":
            row.flags.append(f"{prompt.grade_id}: {result.reason or 'needs manual grading'}")


def duration(seconds: float) -> str:
    """A lateness in words, e.g. ``2 h 05 min``."""
    hours, rest = divmod(int(round(seconds)), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60} s"
