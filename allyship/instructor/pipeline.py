"""``allyship grade``: submissions in, grades, feedback, LMS files and a class report out.

Each step is nbgrader's own (collect, autograde, generate_feedback, release_feedback through
``NbGraderAPI`` in process, with the course's ``nbgrader_config.py``); this module decides what
needs doing, keeps going when one submission fails, and writes the exports from the gradebook.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from allyship.course import assignments, load_prompts
from allyship.instructor import exports, report
from allyship.instructor.intake import (
    Intake,
    Problem,
    assignment_shape,
    inspect_submitted,
    intake_archive,
    submission_hash,
)
from allyship.instructor.late import due_date
from allyship.instructor.progress import Progress
from allyship.instructor.results import StudentRow, build_rows
from allyship.instructor.roster import load_roster, markup_problem
from allyship.instructor.state import GradeState, grades_digest, setup_digest
from allyship.nbgrader_support import load_course_config


class GradeError(Exception):
    """The assignment cannot be graded at all (not a per-student problem)."""


@dataclass
class GradeRun:
    assignment: str
    rows: list[StudentRow] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)  # every file that could not be graded
    autograded: list[str] = field(default_factory=list)  # students autograded in this run
    unchanged: list[str] = field(default_factory=list)
    feedback_released: bool = False
    notes: list[str] = field(default_factory=list)  # about the run as a whole
    reports: Path | None = None

    @property
    def graded(self) -> int:
        return sum(r.status == "graded" for r in self.rows)

    @property
    def flagged(self) -> int:
        return sum(r.needs_review for r in self.rows)

    @property
    def missing(self) -> int:
        return sum(r.status == "missing" for r in self.rows)

    def summary(self) -> str:
        return (
            f"graded {self.graded}, flagged for review {self.flagged}, "
            f"missing {self.missing}, failed {len(self.failed)}"
        )


def grade_assignment(
    root: Path,
    assignment: str,
    archive: Path | None = None,
    include_text: bool = False,
    stream: TextIO | None = None,
) -> GradeRun:
    """Run the whole day's work for one assignment; see the module docstring."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    if not (root / "source" / assignment).is_dir():
        known = ", ".join(assignments(root)) or "no assignments"
        raise GradeError(f"no assignment {assignment!r} in source/; the course has: {known}")
    config = load_course_config(root)
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir, config=config)
    prompts = load_prompts(assignment, root)
    shape = assignment_shape(root, assignment)
    due = _ensure_assignment(api, assignment, due_date(config, assignment))
    roster = load_roster(config)
    out = root / "reports" / assignment
    state = GradeState.load(out / ".grade-state.json")
    submitted = Path(coursedir.root) / coursedir.submitted_directory

    intake = Intake()
    use_exchange = archive is None and bool(api.exchange_is_functional)
    run = GradeRun(assignment, reports=out)
    for student in roster:  # stored before import refused markup, or added by hand
        problem = markup_problem(vars(student))
        if problem:
            run.notes.append(
                f"student {student.id!r} in the gradebook: {problem}; "
                "fix it in the roster and import it again"
            )
    if use_exchange:
        result = api.collect(assignment, update=True)
        if not result["success"]:
            raise GradeError(f"nbgrader collect failed:\n{result.get('error', '')}")
    elif archive is None:
        run.notes.append(
            f"no nbgrader exchange for course {api.course_id!r} ({api.exchange_root}): "
            "grading what is already in submitted/ (use --zip for an LMS archive)"
        )
    if archive is not None:
        intake_archive(archive, submitted, shape, roster, due, intake)
    inspect_submitted(submitted, assignment, shape, intake)
    ready = sorted(intake.ready)
    digests = {s: submission_hash(submitted / s / assignment) for s in ready}
    for student in ready:  # notes belong to the submission they were made about
        if student in intake.notes or state.get(student, "notes_for") != digests[student]:
            notes = sorted(set(intake.notes.get(student, [])))
            state.set(student, notes=notes, notes_for=digests[student])

    failed = _autograde(api, root, assignment, digests, due, state, intake, run, stream)
    graded = {
        s for s in ready if s not in failed and (root / "autograded" / s / assignment).is_dir()
    }
    _feedback(api, assignment, sorted(graded), state, use_exchange, run, stream)

    run.failed = intake.problems + intake.unknown
    notes = {s: list(state.get(s, "notes") or []) for s in graded}
    with api.gradebook as gb:
        run.rows = build_rows(
            gb, root, assignment, prompts, roster, graded, notes, intake.problems, include_text
        )
    state.save()
    exports.write_all(out, assignment, prompts, run.rows, include_text)
    report.write(out / "report.html", assignment, prompts, run, include_text)
    return run


def _ensure_assignment(api, assignment: str, due: datetime | None) -> datetime | None:
    """The gradebook must know the assignment's cells (``generate_assignment``) and due date.

    A due date set in the course config is written to the gradebook; without one, a due date
    already in the gradebook (set with formgrader or ``nbgrader db``) is kept and returned.
    """
    from nbgrader.api import MissingEntry

    with api.gradebook as gb:
        try:
            known = bool(gb.find_assignment(assignment).notebooks)
        except MissingEntry:
            known = False
    if not known:
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise GradeError(f"nbgrader generate_assignment failed:\n{result.get('error', '')}")
    with api.gradebook as gb:
        stored = gb.find_assignment(assignment).duedate
        if due is not None and stored != due:
            gb.update_or_create_assignment(assignment, duedate=due)
    return due if due is not None else stored


def _chunks(students: list[str]) -> list[list[str]]:
    """About ten batches: nbgrader compiles its templates once per call, not per student."""
    size = max(5, math.ceil(len(students) / 10))
    return [students[i : i + size] for i in range(0, len(students), size)]


@contextmanager
def _only(api, folder: Path, assignment: str, students: list[str]) -> Iterator[None]:
    """Make the next ``student_id="*"`` call of ``api`` see only ``students``."""
    others = (
        sorted(p.parent.name for p in folder.glob(f"*/{assignment}")) if folder.is_dir() else []
    )
    saved = api.coursedir.student_id_exclude
    wanted = set(students)
    api.coursedir.student_id_exclude = ",".join(s for s in others if s not in wanted)
    try:
        yield
    finally:
        api.coursedir.student_id_exclude = saved


def _batch(api, step: str, assignment: str, students: list[str], source: Path, output: Path):
    """Run ``step`` on ``students`` in one nbgrader call; returns {student: result or None}.

    Students whose output is missing or older than the call are run again alone, so each
    failure gets its own reason and one bad notebook never stops the batch's others.
    """
    start = time.time()
    with _only(api, source, assignment, students):
        result = getattr(api, step)(assignment, "*", force=True)
    done = {}
    for student in students:
        out = output / student / assignment
        fresh = out.is_dir() and out.stat().st_mtime >= start - 1
        if result["success"] and fresh:
            done[student] = None
        else:
            alone = getattr(api, step)(assignment, student, force=True)
            done[student] = None if alone["success"] else alone
    return done


def _in_batches(
    api,
    step: str,
    label: str,
    assignment: str,
    students: list[str],
    source: Path,
    output: Path,
    stream,
) -> Iterator[tuple[str, dict | None]]:
    """Run ``step`` over ``students`` in batches, with a progress bar; yields each student
    with None when it succeeded, else nbgrader's failed result."""
    bar = Progress(label, len(students), stream)
    for chunk in _chunks(students):
        for student, error in _batch(api, step, assignment, chunk, source, output).items():
            bar.step(student)
            yield student, error


def _autograde(api, root, assignment, digests, due, state, intake, run, stream) -> set[str]:
    """Autograde the submissions that changed since their last autograde; returns failures."""
    setup = setup_digest(root, assignment, due)
    todo = []
    for student, digest in digests.items():
        unchanged = (
            state.get(student, "submission") == digest
            and state.get(student, "setup") == setup
            and (root / "autograded" / student / assignment).is_dir()
        )
        (run.unchanged if unchanged else todo).append(student)
    failed = set()
    batches = _in_batches(
        api,
        "autograde",
        "autograde",
        assignment,
        todo,
        root / "submitted",
        root / "autograded",
        stream,
    )
    for student, error in batches:
        if error is None:
            run.autograded.append(student)
            state.set(student, submission=digests[student], setup=setup)
        else:
            failed.add(student)
            state.set(student, submission=None)
            reason = _last_error(error)
            intake.problems.append(Problem(student, f"{assignment} (autograde)", reason))
    return failed


def _feedback(api, assignment, graded, state, release, run, stream) -> None:
    """Generate (and release) feedback only where the grades or comments changed."""
    with api.gradebook as gb:
        digests = {s: grades_digest(gb.find_submission(assignment, s)) for s in graded}
    root = Path(api.coursedir.root)
    todo = [
        s
        for s in graded
        if state.get(s, "feedback") != digests[s]
        or not (root / "feedback" / s / assignment).is_dir()
    ]
    batches = _in_batches(
        api,
        "generate_feedback",
        "feedback",
        assignment,
        todo,
        root / "autograded",
        root / "feedback",
        stream,
    )
    for student, error in batches:
        if error is None:
            state.set(student, feedback=digests[student])
    if todo and release:  # one call; feedback already released is simply released again
        with _only(api, root / "feedback", assignment, graded):
            run.feedback_released = bool(api.release_feedback(assignment)["success"])


def _last_error(result: dict) -> str:
    """The most telling line of a failed nbgrader step, for the report."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("[ERROR]") or "Error" in ln]
    return (errors or lines or ["autograde failed"])[-1][:300]
