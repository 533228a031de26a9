"""A term's grading: every assignment of the course, one row per student, read from the gradebook.

Read from nbgrader's gradebook, so a grader's override in formgrader counts without another
``allyship grade``; each assignment is scored as its own exports score it (a
:class:`~allyship.instructor.rows.StudentRow`: the gradebook's score, overrides included,
minus nbgrader's late penalty); and the files are written with the exports' helpers. Scores
only: no notebook and no reflection text is ever read.

A grade counts once nbgrader has graded the submission (it is in the gradebook and its
``autograded/`` folder exists, as for ``allyship grade``); a failed autograde leaves a
submission in the gradebook without that folder, and its grade is left blank.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allyship.course import CourseError, assignments, load_prompts
from allyship.errors import AllyshipError
from allyship.instructor.exports import (
    CANVAS_HEADER,
    MOODLE_HEADER,
    _cell,
    _num,
    _write,
    canvas_identity,
    moodle_identity,
)
from allyship.instructor.identity import id_problem, shown_id
from allyship.instructor.paths import CoursePaths
from allyship.instructor.roster import RosterStudent, load_roster, markup_problem
from allyship.instructor.rows import StudentRow
from allyship.nbgrader_support import load_course_config

#: The folder of ``reports/`` the term files go to (an assignment's reports use its name).
TERM = "term"
FILES = ("term.csv", "canvas.csv", "moodle.csv")
NEEDS_GRADING = "needs a grader's score"


class TermError(AllyshipError):
    """The term files cannot be written (no gradebook yet, nobody in it); names the file."""


@dataclass
class TermAssignment:
    name: str
    max_score: float | None  # None: neither the gradebook nor source/ says
    graded: int = 0  # students with a grade

    @property
    def started(self) -> bool:
        """Graded for at least one student: only then does a blank mean "missing"."""
        return self.graded > 0


@dataclass
class TermRow:
    student: RosterStudent
    cells: dict[str, StudentRow] = field(default_factory=dict)  # assignment -> its row
    problem: str = ""  # why the gradebook student is not on the roster

    @property
    def in_roster(self) -> bool:
        return not self.problem

    @property
    def shown_id(self) -> str:
        """The id as written: an off-roster id is unsafe, so its hidden characters are shown."""
        return self.student.id if self.in_roster else shown_id(self.student.id)

    def with_status(self, status: str, among: list[TermAssignment]) -> list[str]:
        return [a.name for a in among if self.cells[a.name].status == status]

    def needs_grading(self, among: list[TermAssignment]) -> list[str]:
        return [a.name for a in among if NEEDS_GRADING in self.cells[a.name].flags]


@dataclass
class Term:
    paths: CoursePaths
    assignments: list[TermAssignment]
    rows: list[TermRow]
    notes: list[str] = field(default_factory=list)

    @property
    def out(self) -> Path:
        return self.paths.reports(TERM)

    @property
    def started(self) -> list[TermAssignment]:
        return [a for a in self.assignments if a.started]

    @property
    def possible(self) -> float:
        """Points of the assignments graded so far: a missing one counts as zero of them."""
        return sum(a.max_score or 0.0 for a in self.started)

    def total(self, row: TermRow) -> float | None:
        if not self.started:
            return None
        return sum(row.cells[a.name].total or 0.0 for a in self.started)

    def percent(self, row: TermRow) -> str:
        total = self.total(row)
        return "" if total is None or not self.possible else f"{100 * total / self.possible:.1f}"

    def missing(self, row: TermRow) -> list[str]:
        """Assignments graded so far with nothing from a roster student (an id not on the
        roster was never expected to hand anything in)."""
        return row.with_status("missing", self.started) if row.in_roster else []

    def not_graded(self, row: TermRow) -> list[str]:
        return row.with_status("failed", self.assignments)

    @property
    def keyed(self) -> list[TermRow]:
        """Rows the LMS can identify, as :func:`~allyship.instructor.exports.lms_rows` keeps."""
        return [r for r in self.rows if r.in_roster and r.student.lms_id]


# --- reading the gradebook --------------------------------------------------------------------


def read_term(root: Path) -> Term:
    """Every student of the gradebook against every assignment of ``source/``."""
    config = load_course_config(root)
    paths = CoursePaths.from_config(config)
    names = assignments(root)
    _check_course(paths, names)
    where = _gradebook_name(paths.coursedir.db_url)
    with _gradebook_errors(where):
        roster = load_roster(config)
        if not roster:
            raise TermError(
                f"{where}: no students in the gradebook; import the roster "
                "(allyship roster import FILE) and run `allyship grade ASSIGNMENT` first"
            )
        term = Term(paths, [], [_term_row(s) for s in roster])
        _fill(term, names, paths.coursedir.course_id, root)
    off_roster = sorted((r for r in term.rows if not r.in_roster), key=lambda r: r.student.id)
    term.rows = [r for r in term.rows if r.in_roster] + off_roster
    term.notes.extend(
        f"student {r.shown_id} in the gradebook: {r.problem}; in term.csv only, marked "
        "'not on the roster'"
        for r in off_roster
    )
    return term


def _check_course(paths: CoursePaths, names: list[str]) -> None:
    """Refuse, naming the file, what would give no term or overwrite another report."""
    if not names:
        raise TermError(f"{paths.source_folders()}: no assignments")
    if TERM in names:
        raise TermError(
            f"{paths.source(TERM)}: an assignment named {TERM!r} would share reports/{TERM}/ "
            "with the term files; rename that assignment"
        )
    missing = _missing_gradebook(paths.coursedir.db_url)
    if missing is not None:
        raise TermError(
            f"{missing}: no gradebook yet; import the roster (allyship roster import FILE) and "
            "run `allyship grade ASSIGNMENT` first"
        )


def _term_row(student: RosterStudent) -> TermRow:
    """A roster row, or an id-only row for a gradebook student ``allyship grade`` refuses."""
    problem = id_problem(student.id) or markup_problem(vars(student))  # as grade's open_run
    return TermRow(RosterStudent(id=student.id) if problem else student, problem=problem or "")


def _fill(term: Term, names: list[str], course_id: str, root: Path) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(term.paths.coursedir.db_url, course_id) as gb:
        for name in names:
            try:
                known = gb.find_assignment(name)
            except MissingEntry:
                known = None
            submissions = gb.assignment_submissions(name) if known is not None else []
            by_student = {s.student.id: s for s in submissions}
            gb_max = float(known.max_score or 0) if known is not None else 0.0
            assignment = TermAssignment(name, gb_max or _source_max(term, name, root))
            for row in term.rows:
                cell = _cell_row(term.paths, name, row.student, by_student.get(row.student.id))
                row.cells[name] = cell
                assignment.graded += cell.status == "graded"
            term.assignments.append(assignment)
        for extra in sorted({a.name for a in gb.assignments} - set(names)):
            count = len(gb.assignment_submissions(extra))
            term.notes.append(
                f"assignment {shown_id(extra)} is in the gradebook ({count} submissions) but "
                "has no folder in source/: left out of the term files"
            )


def _source_max(term: Term, name: str, root: Path) -> float | None:
    """Points of an assignment the gradebook does not know yet, from its prompts in source/."""
    try:
        return sum(p.points for p in load_prompts(name, root))
    except CourseError as err:
        term.notes.append(f"{name}: points unknown ({err})")
        return None


def _cell_row(
    paths: CoursePaths, assignment: str, student: RosterStudent, submission: Any
) -> StudentRow:
    """The student's row for one assignment, with the fields the per-assignment row reads.

    ``submission`` is nbgrader's ``SubmittedAssignment`` or None. ``failed``: handed in
    (a ``submitted/`` folder) but without a grade, a file that failed or is not graded yet.
    """
    if submission is not None and paths.autograded(student.id, assignment).is_dir():
        row = StudentRow(student, "graded", submitted_at=submission.timestamp)
        row.raw_score = float(submission.score) if submission.score is not None else None
        row.late_penalty = float(submission.late_submission_penalty or 0)
        row.max_score = float(submission.max_score or 0)
        if submission.needs_manual_grade:
            row.flags.append(NEEDS_GRADING)
        return row
    handed_in = paths.submitted(student.id, assignment).is_dir()
    return StudentRow(student, "failed" if handed_in else "missing")


def _missing_gradebook(db_url: str) -> Path | None:
    """The SQLite file of ``db_url`` when it does not exist (opening it would create it)."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    return None if path.is_file() else path


def _gradebook_name(db_url: str) -> str:
    """How a message names the gradebook: its file, or its URL without a password."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.drivername.startswith("sqlite") and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


@contextmanager
def _gradebook_errors(where: str) -> Iterator[None]:
    """A gradebook that is not one (a damaged file, no permission) named in the message; a
    locked one is left to :func:`allyship.cli.main`, which says to try again."""
    from sqlalchemy.exc import DatabaseError

    try:
        yield
    except DatabaseError as err:
        if "locked" in str(err):
            raise
        reason = getattr(err, "orig", None) or err
        raise TermError(f"{where}: cannot be read as an nbgrader gradebook ({reason})") from err


# --- writing ----------------------------------------------------------------------------------


def write_term(term: Term) -> list[Path]:
    """``term.csv``, ``canvas.csv`` and ``moodle.csv`` in ``reports/term/``; their paths."""
    out = term.out
    _write(out / "term.csv", _header(term_header(term)), (term_line(term, r) for r in term.rows))
    names = [a.name for a in term.assignments]
    points = ["Points Possible", "", "", "", "", *(_num(a.max_score) for a in term.assignments)]
    canvas = [points] + [[*canvas_identity(r.student), *_scores(term, r)] for r in term.keyed]
    _write(out / "canvas.csv", _header([*CANVAS_HEADER, *names]), canvas)
    moodle = ([*moodle_identity(r.student), *_scores(term, r)] for r in term.keyed)
    _write(out / "moodle.csv", _header([*MOODLE_HEADER, *names]), moodle)
    return [out / name for name in FILES]


def _header(names: list[str]) -> list[str]:
    """Header cells go through the same formula guard as the rows (folder names included)."""
    return [str(_cell(n)) for n in names]


def _scores(term: Term, row: TermRow) -> list[str]:
    """One cell per assignment: its total after the late penalty, blank without a grade (an
    import then keeps what the LMS holds, as the per-assignment files do)."""
    return [_num(row.cells[a.name].total) for a in term.assignments]


def term_header(term: Term) -> list[str]:
    columns = ["student_id", "last_name", "first_name", "email", "lms_id"]
    for a in term.assignments:
        columns.append(a.name if a.max_score is None else f"{a.name} (out of {a.max_score:g})")
    return columns + [
        "total",
        "total_possible",
        "percent",
        "missing",
        "not_graded",
        "needs_grading",
        "notes",
    ]


def term_line(term: Term, row: TermRow) -> list[object]:
    s = row.student
    total = term.total(row)
    return [
        row.shown_id,
        s.last_name,
        s.first_name,
        s.email,
        s.lms_id,
        *_scores(term, row),
        _num(total),
        _num(term.possible) if total is not None else "",
        term.percent(row),
        "; ".join(term.missing(row)),
        "; ".join(term.not_graded(row)),
        "; ".join(row.needs_grading(term.assignments)),
        "; ".join(_row_notes(row)),
    ]


def _row_notes(row: TermRow) -> list[str]:
    if not row.in_roster:
        return [f"not on the roster: {row.problem}; not in canvas.csv or moodle.csv"]
    if not row.student.lms_id:
        return ["no LMS id in the roster: not in canvas.csv or moodle.csv"]
    return []


def summary(term: Term) -> list[str]:
    """What the command prints: where, how many, what is missing."""
    started = [a.name for a in term.started]
    waiting = [a.name for a in term.assignments if not a.started]
    lines = [
        f"term grades in {term.out}: {', '.join(FILES)}",
        f"{len(term.rows)} students × {len(term.assignments)} assignments; graded so far: "
        f"{', '.join(started) or 'none'}"
        + (f"; not graded yet: {', '.join(waiting)}" if waiting else ""),
        f"missing {sum(len(term.missing(r)) for r in term.rows)}, "
        f"handed in but not graded {sum(len(term.not_graded(r)) for r in term.rows)}, "
        f"{NEEDS_GRADING} {sum(len(r.needs_grading(term.assignments)) for r in term.rows)}",
    ]
    left_out = len(term.rows) - len(term.keyed)
    if left_out:
        lines.append(
            f"not in canvas.csv and moodle.csv (no LMS id, or not on the roster): {left_out}"
        )
    return lines
