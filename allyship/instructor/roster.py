"""The class roster: read a CSV, store it in the nbgrader gradebook as ``Student`` rows.

The gradebook is the one roster: formgrader, the exports and the intake of LMS archives all
read it from there.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config import Config

COLUMNS = ("id", "first_name", "last_name", "email", "lms_id")
#: Header spellings accepted for a column (compared after lower-casing and trimming).
ALIASES = {"lms_user_id": "lms_id", "student_id": "id"}
#: nbgrader uses the id as a folder name, in exchange file names and in comma-separated lists.
_BAD_ID = re.compile(r"[/\\+*,\s]|^\.")
#: nbgrader 0.9.6's formgrader writes names and ids into its pages unescaped (its submission page
#: template), so a field with ``<`` or ``>`` would be HTML there; such rows are refused at import.
_MARKUP = re.compile(r"[<>]")
#: The fields formgrader shows, and how a message names them.
_SHOWN = {"id": "id", "first_name": "name", "last_name": "name", "email": "email"}


class RosterError(Exception):
    """The roster file cannot be read at all; the message names the file."""


@dataclass(frozen=True)
class RosterStudent:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_id: str = ""

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.id

    @property
    def sortable_name(self) -> str:
        """``Last, First`` as the Canvas gradebook writes it."""
        if self.last_name and self.first_name:
            return f"{self.last_name}, {self.first_name}"
        return self.last_name or self.first_name or self.id


def has_markup(text: str) -> bool:
    """True when ``text`` holds ``<`` or ``>``: formgrader would show it as HTML, not text."""
    return bool(_MARKUP.search(text))


def markup_problem(fields: dict[str, str]) -> str | None:
    """Why a student's id, name or email cannot go into the gradebook, or None."""
    for key, what in _SHOWN.items():
        if has_markup(fields.get(key, "")):
            return f"the {what} contains < or >, which formgrader would show as HTML"
    return None


@dataclass
class RosterFile:
    students: list[RosterStudent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "line N: what is wrong"


def read_roster(path: Path) -> RosterFile:
    """Parse a roster CSV (UTF-8, BOM tolerated, extra columns ignored); bad rows reported."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise RosterError(f"{path}: file not found") from err
    except UnicodeDecodeError as err:
        raise RosterError(f"{path}: not UTF-8 text ({err.reason})") from err
    reader = csv.reader(text.splitlines(keepends=True))
    header = next(reader, None)
    if header is None:
        raise RosterError(f"{path}: empty file")
    names = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    if "id" not in names:
        raise RosterError(f"{path}: line 1: no 'id' column (columns: {', '.join(COLUMNS)})")
    result = RosterFile()
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(names)}
        problem = _row_problem(values, seen)
        if problem:
            result.problems.append(f"{path}: line {line}: {problem}")
            continue
        seen.add(values["id"])
        result.students.append(RosterStudent(**{k: values.get(k, "") for k in COLUMNS}))
    return result


def _row_problem(values: dict[str, str], seen: set[str]) -> str | None:
    student_id = values.get("id", "")
    if not student_id:
        return "no id"
    markup = markup_problem(values)
    if markup:
        return f"{markup}; fix it in the roster"
    if _BAD_ID.search(student_id):
        return f"id {student_id!r} cannot contain spaces, / \\ + * , or start with '.'"
    if student_id in seen:
        return f"id {student_id!r} appears twice (the first row was kept)"
    email = values.get("email", "")
    if email and "@" not in email:
        return f"email {email!r} of {student_id!r} has no '@'"
    return None


@dataclass(frozen=True)
class ImportCounts:
    added: int
    updated: int


def import_roster(config: Config, students: list[RosterStudent]) -> ImportCounts:
    """Create or update each student in the gradebook; says how many were new and how many known.

    A student whose fields hold markup is never written (see :func:`markup_problem`).
    """
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    for student in students:
        problem = markup_problem(vars(student))
        if problem:
            raise RosterError(f"student {student.id!r}: {problem}")
    coursedir = CourseDirectory(config=config)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        known = {s.id for s in gb.students}
        for student in students:
            gb.update_or_create_student(
                student.id,
                first_name=student.first_name or None,
                last_name=student.last_name or None,
                email=student.email or None,
                lms_user_id=student.lms_id or None,
            )
    updated = sum(s.id in known for s in students)
    return ImportCounts(added=len(students) - updated, updated=updated)


def load_roster(config: Config) -> list[RosterStudent]:
    """Every student in the gradebook, sorted by last then first name."""
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        students = [
            RosterStudent(
                id=s.id,
                first_name=s.first_name or "",
                last_name=s.last_name or "",
                email=s.email or "",
                lms_id=s.lms_user_id or "",
            )
            for s in gb.students
        ]
    return sorted(students, key=lambda s: (s.last_name.casefold(), s.first_name.casefold(), s.id))
