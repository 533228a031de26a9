"""The class roster: read a CSV, store it in the nbgrader gradebook as ``Student`` rows.

The gradebook is the one roster: formgrader, the exports and the intake of LMS archives all
read it from there.

Import refuses what it cannot take for sure: a file whose rows cannot be told apart (a quote
left open, a line break inside a field, a repeated column, a semicolon-separated file) is
refused whole, because any row of it might belong to someone else; a row that is readable but
unsafe (an id outside :mod:`allyship.instructor.identity`'s rule, markup, invisible or control
characters, an lms_id that is someone else's) is skipped and reported by line.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from traitlets.config import Config

from allyship.errors import AllyshipError
from allyship.instructor.identity import id_problem, shown_id

if TYPE_CHECKING:
    from nbgrader.api import Gradebook

COLUMNS = ("id", "first_name", "last_name", "email", "lms_id")
#: Header spellings accepted for a column (compared after lower-casing and trimming).
ALIASES = {"lms_user_id": "lms_id", "student_id": "id"}
#: nbgrader 0.9.6's formgrader writes names and ids into its pages unescaped (its submission page
#: template), so a field with ``<`` or ``>`` would be HTML there; such rows are refused at import.
_MARKUP = re.compile(r"[<>]")
#: The fields formgrader shows, and how a message names them.
_SHOWN = {"id": "id", "first_name": "name", "last_name": "name", "email": "email"}
#: How a message names each stored field.
_WHAT = {**_SHOWN, "lms_id": "lms_id"}
#: Unicode categories that are never text a person reads: controls (NUL, line breaks, U+0085),
#: format characters (bidi overrides and isolates, zero-width spaces, soft hyphens) and the
#: line and paragraph separators. They hide or reorder what a grader sees, or split a line in
#: the exports. A tab is tolerated: spreadsheets leave it around cells, and it is trimmed.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}
#: Zero-width (non-)joiners are part of how Persian and Indic names are spelled, between letters.
_JOINERS = {"\u200c", "\u200d"}


class RosterError(AllyshipError):
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


def invisible_character(text: str, *, joiners: bool = False) -> str | None:
    """The first invisible or control character in ``text``, described for a message, or None.

    With ``joiners``, a zero-width (non-)joiner between two letters is text, not a trick.
    """
    for i, char in enumerate(text):
        if char == "\t" or unicodedata.category(char) not in _INVISIBLE:
            continue
        if joiners and char in _JOINERS and _between_letters(text, i):
            continue
        return _describe(char)
    return None


def _between_letters(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and all(
        unicodedata.category(text[j])[0] in "LM" for j in (i - 1, i + 1)
    )


def _describe(char: str) -> str:
    if char == "\x00":
        return "a NUL byte"
    if char in "\n\r":
        return "a line break"
    name = unicodedata.name(char, "control character")
    return f"the invisible character U+{ord(char):04X} ({name})"


def markup_problem(fields: dict[str, str]) -> str | None:
    """Why a student's id, name or email cannot go into the gradebook, or None.

    Markup first (formgrader shows these fields as HTML), then the one id rule
    (:func:`~allyship.instructor.identity.id_problem`: the id also lands in paths, globs and a
    script string), then invisible or control characters in any field.
    """
    for key, what in _SHOWN.items():
        if has_markup(fields.get(key, "")):
            return f"the {what} contains < or >, which formgrader would show as HTML"
    if "id" in fields:
        problem = id_problem(fields["id"])
        if problem:
            return problem
    for key, what in _WHAT.items():
        found = invisible_character(fields.get(key, ""), joiners=what == "name")
        if found:
            return f"the {what} contains {found}"
    return None


@dataclass
class RosterFile:
    students: list[RosterStudent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "<file>: line N: what is wrong"
    lines: dict[str, int] = field(default_factory=dict)  # student id -> its line in the file


def read_roster(path: Path) -> RosterFile:
    """Parse a roster CSV (UTF-8, BOM tolerated, extra columns ignored); bad rows reported.

    A file whose rows cannot be trusted to be the rows the instructor wrote raises
    :class:`RosterError`; a row that is only wrong itself is left out and named in ``problems``.
    """
    records = _records(_read_text(path), path)
    if not records:
        raise RosterError(f"{path}: empty file")
    names = _column_names(records[0][1], path)
    result = RosterFile()
    seen: dict[str, int] = {}  # id, case folded -> line
    lms_seen: dict[str, tuple[str, int]] = {}  # lms_id -> (id, line)
    for line, row in records[1:]:
        if not any(cell.strip() for cell in row):
            continue
        values = _values(row, names)
        problem = _extra_cells(row, names) or _row_problem(values, seen, lms_seen)
        if problem:
            result.problems.append(f"{path}: line {line}: {problem}")
            continue
        student = RosterStudent(**{k: values.get(k, "") for k in COLUMNS})
        seen[student.id.casefold()] = line
        if student.lms_id:
            lms_seen[student.lms_id] = (student.id, line)
        result.lines[student.id] = line
        result.students.append(student)
    return result


def _read_text(path: Path) -> str:
    """The file's text, line ends untouched: a stray ``\\r`` must not become a new row."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as err:
        raise RosterError(f"{path}: file not found") from err
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RosterError(f"{path}: this is UTF-16 text; save it as CSV UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RosterError(f"{path}: not UTF-8 text ({err.reason})") from err


def _records(text: str, path: Path) -> list[tuple[int, list[str]]]:
    """Every CSV record with the line it starts on; a record spanning lines refuses the file.

    Only ``\\n`` (or ``\\r\\n``) ends a row, unlike ``str.splitlines``, which also splits at
    U+2028, U+0085, form feeds and the like. A quoted field that runs over a line break is
    nearly always a quote left open, which swallows the rows after it into one field; those
    students would vanish, so the file is refused naming the line where the quote opened.
    """
    reader = csv.reader(io.StringIO(text, newline="\n"), strict=True)
    records: list[tuple[int, list[str]]] = []
    end = 0
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return records
        except csv.Error as err:
            raise RosterError(_csv_error(path, text, start, reader.line_num, str(err))) from err
        end = reader.line_num
        if end > start:
            raise RosterError(
                f"{path}: line {start}: a quoted field opens on this line and runs over "
                f"{end - start} line break(s) to line {end}; {_OPEN_QUOTE}"
            )
        records.append((start, row))


_OPEN_QUOTE = (
    "a closing quote is probably missing, and the rows after it would be lost in one field. "
    "Close the quote (or remove the line breaks inside the field) and import again"
)


def _csv_error(path: Path, text: str, start: int, line: int, reason: str) -> str:
    """The csv module's complaint, said so the instructor can find and fix the line."""
    if line > start or reason == "unexpected end of data":
        return (
            f"{path}: line {start}: a quote opens on this line and is not closed before "
            f"{'the end of the file' if reason == 'unexpected end of data' else f'line {line}'}"
            f"; {_OPEN_QUOTE}"
        )
    if reason.startswith("new-line character"):
        if "\n" not in text:
            return (
                f"{path}: lines end with a carriage return only (an old Mac format); "
                "save the file as CSV UTF-8"
            )
        return (
            f"{path}: line {line}: a carriage return (\\r) inside a field; only a line end may "
            "end a row. Remove it and import again"
        )
    return f"{path}: line {line}: not valid CSV ({reason}); quote fields that hold a quote"


def _column_names(header: list[str], path: Path) -> list[str]:
    """The column each header cell names; a missing id, or a column named twice, is refused."""
    names = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in COLUMNS and name in first:
            raise RosterError(
                f"{path}: line 1: the column {name!r} appears twice (columns {first[name] + 1} "
                f"and {i + 1}: {header[first[name]].strip()!r}, {header[i].strip()!r}); "
                "keep one and import again"
            )
        first.setdefault(name, i)
    if "id" not in names:
        expected = ", ".join(COLUMNS)
        hint = _separator_hint(header)
        raise RosterError(f"{path}: line 1: no 'id' column (columns: {expected}){hint}")
    return names


def _separator_hint(header: list[str]) -> str:
    """Why the header may have been read as one column: a spreadsheet's other CSV flavours."""
    if len(header) == 1 and "\x00" in header[0]:
        return "; the file holds NUL bytes: is it UTF-16? save it as CSV UTF-8"
    if len(header) == 1 and ";" in header[0]:
        return "; this looks like a semicolon-separated file; save it as comma-separated CSV"
    if len(header) == 1 and "\t" in header[0]:
        return "; this looks like a tab-separated file; save it as comma-separated CSV"
    return ""


def _values(row: list[str], names: list[str]) -> dict[str, str]:
    return {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(names)}


def _extra_cells(row: list[str], names: list[str]) -> str | None:
    """A row with more filled cells than the header has columns: its values may have shifted."""
    if any(cell.strip() for cell in row[len(names) :]):
        return (
            f"{len(row)} fields but the header has {len(names)} columns (a comma in a field "
            "that is not quoted?); fix it in the roster"
        )
    return None


def _row_problem(
    values: dict[str, str], seen: dict[str, int], lms_seen: dict[str, tuple[str, int]]
) -> str | None:
    """Why this row cannot be imported, or None. ``seen`` and ``lms_seen`` are earlier rows."""
    student_id = values.get("id", "")
    if not student_id:
        return "no id"
    problem = markup_problem({k: values.get(k, "") for k in COLUMNS})
    if problem:
        return f"{problem}; fix it in the roster"
    if student_id.casefold() in seen:  # "Ada" and "ada" are one folder on macOS and Windows
        first = seen[student_id.casefold()]
        return f"id {student_id!r} appears twice (the first row, line {first}, was kept)"
    email = values.get("email", "")
    if email and "@" not in email:
        return f"email {email!r} of {student_id!r} has no '@'"
    lms_id = values.get("lms_id", "")
    if lms_id in lms_seen:
        other, line = lms_seen[lms_id]
        return (
            f"lms_id {lms_id!r} of {student_id!r} is also the lms_id of {other!r} (line {line}, "
            f"kept); {_WRONG_STUDENT}"
        )
    return None


_WRONG_STUDENT = (
    "two students with one lms_id means an LMS file is credited to the wrong one; fix it in "
    "the roster"
)


def lms_clashes(students: list[RosterStudent], known: dict[str, str]) -> dict[str, str]:
    """Students who would share an lms_id with another once imported: id -> the other's id.

    ``known`` maps each gradebook student to its lms_id. A student in ``students`` takes the
    lms_id the file gives (so two students may swap theirs); a student the file leaves out, or
    that is refused here, keeps the one in the gradebook, which may refuse another in turn.
    """
    refused: dict[str, str] = {}
    while True:
        taking = {s.id for s in students if s.id not in refused}
        owners = {lms: sid for sid, lms in sorted(known.items()) if lms and sid not in taking}
        new = {
            s.id: owners[s.lms_id]
            for s in students
            if s.id in taking and s.lms_id and s.lms_id in owners
        }
        if not new:
            return refused
        refused.update(new)


def _known_lms_ids(gb: Gradebook) -> dict[str, str]:
    return {s.id: s.lms_user_id or "" for s in gb.students}


def without_lms_clashes(config: Config, roster: RosterFile, path: Path) -> RosterFile:
    """``roster`` minus the students whose lms_id another gradebook student holds, reported."""
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        known = _known_lms_ids(gb)
    clashes = lms_clashes(roster.students, known)
    if not clashes:
        return roster
    kept = RosterFile(problems=list(roster.problems), lines=dict(roster.lines))
    for student in roster.students:
        other = clashes.get(student.id)
        if other is None:
            kept.students.append(student)
            continue
        line = roster.lines.get(student.id, "?")
        kept.problems.append(
            f"{path}: line {line}: lms_id {student.lms_id!r} of {student.id!r} already belongs "
            f"to {other!r} in the gradebook; {_WRONG_STUDENT} (or fix {other!r}'s)"
        )
    return kept


@dataclass(frozen=True)
class ImportCounts:
    added: int
    updated: int


def import_roster(config: Config, students: list[RosterStudent]) -> ImportCounts:
    """Create or update each student in the gradebook; says how many were new and how many known.

    Nothing is written when a student's fields are unsafe (see :func:`markup_problem`) or when
    two students would end up with one lms_id (see :func:`lms_clashes`): callers filter first,
    this is the last guard.
    """
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    for student in students:
        problem = markup_problem(vars(student))
        if problem:
            raise RosterError(f"student {shown_id(student.id)}: {problem}")
    holder: dict[str, str] = {}
    for student in students:
        if student.lms_id in holder:
            other = holder[student.lms_id]
            raise RosterError(f"students {other!r} and {student.id!r} share an lms_id")
        if student.lms_id:
            holder[student.lms_id] = student.id
    coursedir = CourseDirectory(config=config)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        clashes = lms_clashes(students, _known_lms_ids(gb))
        if clashes:
            sid, other = min(clashes.items())
            raise RosterError(f"student {sid!r}: its lms_id already belongs to {other!r}")
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
