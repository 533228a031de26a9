"""One row per student for an assignment, read from the gradebook after grading.

The exports and the report are written from these rows (:mod:`allyship.instructor.rows`) only,
so they always agree. The reflection text is read only when the instructor asks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from allyship.answers import find_answer
from allyship.course import Prompt
from allyship.instructor.fingerprints import FingerprintStore, course_texts
from allyship.instructor.roster import RosterStudent
from allyship.instructor.rows import PromptResult, StudentRow, prompt_status
from allyship.reflection import evaluate
from allyship.reflection.copies import Supplied, fingerprint, near_identical
from allyship.reflection.reading import load_reading

if TYPE_CHECKING:
    from allyship.instructor.run import GradeRun


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
    texts: dict[str, dict[str, str]] = {}
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
        texts[student.id] = _fill_graded(row, run, submission)
        row.flags.extend(notes.get(student.id, []))
        kept = " (the earlier submission is graded)" if student.id in run.earlier else ""
        row.flags.extend(f"{p.file}: {p.reason}{kept}" for p in own)
        if not row.in_roster:
            row.flags.append("not on the roster")
        rows.append(row)
    flag_copies(rows, texts, run)
    return rows


def flag_copies(rows: list[StudentRow], texts: dict[str, dict[str, str]], run: GradeRun) -> None:
    """Flag near-identical answers for the instructor, naming both students (never the text).

    Compared with the class and with the fingerprints of earlier terms the course keeps in
    ``fingerprints/earlier/``; this term's are written to ``fingerprints/<assignment>.json``.
    """
    supplied = Supplied(course_texts(run), load_reading(run.paths.root))
    current = {
        p.grade_id: {
            s: fingerprint(t[p.grade_id], supplied) for s, t in texts.items() if t.get(p.grade_id)
        }
        for p in run.prompts
    }
    store = FingerprintStore(run.paths.root / "fingerprints", run.assignment)
    store.write(current)
    earlier = store.earlier()
    run.notes.extend(store.skipped)
    by_id = {row.student.id: row for row in rows}
    for match in near_identical(current, earlier):
        for me, other in ((match.first, match.second), (match.second, match.first)):
            if me in by_id:
                by_id[me].flags.append(
                    f"{match.grade_id}: nearly identical to the answer of {other} "
                    f"({match.share:.0%} of the shorter answer's own wording shared)"
                )


def _fill_graded(row: StudentRow, run: GradeRun, submission) -> dict[str, str]:
    """Scores, reasons and word counts of one graded submission, from the gradebook; returns
    the answers as written (for the copy check, never stored)."""
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
            words=evaluate(text, prompt.rule_settings(), model=False).words,  # same count
            overridden=grade.manual_score is not None,
            text=text if run.include_text else None,
        )
        row.prompts.append(result)
        if result.status == "review":
            row.flags.append(f"{prompt.grade_id}: {result.reason or 'needs manual grading'}")
    return texts
