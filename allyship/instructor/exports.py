"""CSV exports of an assignment: the full grade sheet and the Canvas and Moodle imports.

Written with the ``csv`` module (every field quoted as needed) in UTF-8. They carry scores,
word counts and reasons; the reflection text only with ``include_text``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from allyship.course import Prompt
from allyship.instructor.roster import RosterStudent
from allyship.instructor.rows import StudentRow


def _cell(value: object) -> object:
    """Neutralise text a spreadsheet would run as a formula (a name starting with ``=``)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows([_cell(v) for v in row] for row in rows)


def grades_header(prompts: Sequence[Prompt], include_text: bool) -> list[str]:
    header = [
        "student_id",
        "last_name",
        "first_name",
        "email",
        "lms_id",
        "status",
        "submitted_at_utc",
        "hours_late",
    ]
    for p in prompts:
        header += [p.grade_id, f"{p.grade_id} words"]
        if include_text:
            header.append(f"{p.grade_id} text")
    header += ["raw_score", "late_penalty", "total", "max_score", "needs_review", "flags"]
    return header


def grades_rows(rows: Sequence[StudentRow], include_text: bool) -> Iterable[list[object]]:
    for row in rows:
        s = row.student
        when = row.submitted_at.strftime("%Y-%m-%d %H:%M:%S") if row.submitted_at else ""
        line: list[object] = [
            s.id,
            s.last_name,
            s.first_name,
            s.email,
            s.lms_id,
            row.status,
            when,
            f"{row.seconds_late / 3600:.2f}" if row.seconds_late else "0",
        ]
        for p in row.prompts:
            line += [_num(p.score), "" if p.words is None else p.words]
            if include_text:
                line.append(p.text or "")
        flags = row.flags + [
            f"{p.file}: {p.reason}" for p in row.problems if row.status == "failed"
        ]
        line += [
            _num(row.raw_score),
            _num(row.late_penalty) if row.raw_score is not None else "",
            _num(row.total),
            _num(row.max_score) if row.status == "graded" else "",
            "yes" if row.needs_review else "no",
            "; ".join(flags),
        ]
        yield line


CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_HEADER = ("ID number", "Email address", "Full name")


def canvas_identity(student: RosterStudent) -> list[object]:
    """The :data:`CANVAS_HEADER` cells of a student: the roster's LMS id is Canvas's user ID."""
    return [student.sortable_name, student.lms_id, "", "", ""]


def moodle_identity(student: RosterStudent) -> list[object]:
    """The :data:`MOODLE_HEADER` cells of a student: the LMS id is Moodle's ID number."""
    return [student.lms_id, student.email, student.display_name]


def lms_rows(rows: Sequence[StudentRow]) -> list[StudentRow]:
    """Students the LMS can identify (an LMS id in the roster); a blank grade when not graded.

    A missing or failed submission is left blank, so an import never overwrites a grade the
    LMS already holds with a zero.
    """
    return [r for r in rows if r.student.lms_id]


def write_all(
    out: Path,
    assignment: str,
    prompts: Sequence[Prompt],
    rows: Sequence[StudentRow],
    include_text: bool = False,
) -> None:
    """``grades.csv``, ``canvas.csv`` and ``moodle.csv`` in ``out``."""
    _write(
        out / "grades.csv", grades_header(prompts, include_text), grades_rows(rows, include_text)
    )
    keyed = lms_rows(rows)
    _write(
        out / "canvas.csv",
        [*CANVAS_HEADER, assignment],
        ([*canvas_identity(r.student), _num(r.total)] for r in keyed),
    )
    _write(
        out / "moodle.csv",
        [*MOODLE_HEADER, assignment],
        ([*moodle_identity(r.student), _num(r.total)] for r in keyed),
    )
