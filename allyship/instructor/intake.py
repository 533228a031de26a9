"""Getting submissions into ``submitted/<student>/<assignment>/`` and checking them first.

Two sources: nbgrader's exchange (``nbgrader collect``) and an LMS "download all submissions"
archive (Canvas or Moodle naming). Every notebook is checked before grading: a file that is not a
notebook, not valid JSON, or not this assignment's notebook is reported by student and file, and
the other students go on.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from allyship.course import read_notebook_json
from allyship.instructor.roster import RosterStudent, markup_problem

CANVAS = re.compile(
    r"^(?P<name>[^_/]+)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<sid>\d+)_(?P<orig>.+)$"
)
MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<uid>\d+)_assignsubmission_[a-z]+_$")
#: Canvas appends ``-1``, ``-2``... to a resubmitted file's name.
CANVAS_COPY_SUFFIX = re.compile(r"-\d+$")
MAX_FILE_BYTES = 50 * 1024 * 1024
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


@dataclass(frozen=True)
class Problem:
    """A file that could not be graded, with the reason in plain words."""

    student: str  # roster id, or the name found in the archive when no student matched
    file: str
    reason: str


@dataclass(frozen=True)
class Shape:
    """What this assignment's notebooks look like: their names and answer-cell ids."""

    assignment: str
    notebooks: dict[str, frozenset[str]]  # notebook stem -> grade_ids of its nbgrader cells
    others: dict[str, frozenset[str]]  # other assignment -> grade_ids of its cells


@dataclass
class Intake:
    """The outcome of intake: who has a gradable submission, notes for review, problems."""

    ready: set[str] = field(default_factory=set)
    notes: dict[str, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unknown: list[Problem] = field(default_factory=list)  # files whose student is not on the roster

    def note(self, student: str, text: str) -> None:
        self.notes.setdefault(student, []).append(text)


# --- the assignment's shape -------------------------------------------------------------------


def _nbgrader_ids(data: dict[str, Any]) -> frozenset[str]:
    ids = set()
    for cell in data.get("cells", []):
        meta = cell.get("metadata") if isinstance(cell, dict) else None
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        if isinstance(nbg, dict) and (nbg.get("grade") or nbg.get("solution")):
            ids.add(str(nbg.get("grade_id")))
    return frozenset(ids)


def assignment_shape(root: Path, assignment: str) -> Shape:
    """Read the notebook names and answer ids from the instructor's ``source/`` folders."""

    def ids_of(folder: Path) -> dict[str, frozenset[str]]:
        found = {}
        for path in sorted(folder.glob("*.ipynb")):
            found[path.stem] = _nbgrader_ids(read_notebook_json(path))
        return found

    source = root / "source"
    notebooks = ids_of(source / assignment)
    if not notebooks:
        raise FileNotFoundError(f"{source / assignment}: no notebooks for {assignment!r}")
    others = {
        folder.name: frozenset().union(*ids_of(folder).values())
        for folder in sorted(source.iterdir())
        if folder.is_dir() and folder.name != assignment
    }
    return Shape(assignment, notebooks, others)


# --- checking one file ------------------------------------------------------------------------


def identify(data: bytes, filename: str, shape: Shape) -> tuple[str | None, str]:
    """Which of the assignment's notebooks ``data`` is, or None and why not.

    Identity comes from the answer cells' ``grade_id``s (compared with the instructor's source),
    so a renamed copy is still recognised and another assignment's notebook is not.
    """
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix != ".ipynb":
        return None, f"not a notebook ({suffix or 'no extension'}); upload the .ipynb file"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return None, f"not a notebook: not UTF-8 text ({err.reason})"
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as err:
        return None, f"not valid JSON (line {err.lineno}: {err.msg}); the file is damaged"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "not a Jupyter notebook (no list of cells)"
    try:
        import nbformat

        nbformat.reads(text, as_version=4)
    except Exception as err:  # nbformat raises several types for unreadable notebooks
        return None, f"not a readable notebook ({type(err).__name__}: {err})"
    ids = _nbgrader_ids(nb)
    stem = CANVAS_COPY_SUFFIX.sub("", PurePosixPath(filename).stem)
    ranked = sorted(shape.notebooks, key=lambda name: (name != stem, name))
    for name in ranked:
        if ids & shape.notebooks[name]:
            return name, ""
    for other, other_ids in shape.others.items():
        if ids & other_ids:
            return None, f"this is the {other!r} notebook, not {shape.assignment!r}"
    expected = ", ".join(f"{name}.ipynb" for name in shape.notebooks)
    return None, f"not this assignment's notebook (none of the answer cells of {expected})"


def submission_hash(folder: Path) -> str:
    """A digest of every file of a submission, to regrade only what changed."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# --- exchange ---------------------------------------------------------------------------------


def inspect_submitted(submitted: Path, assignment: str, shape: Shape, intake: Intake) -> None:
    """Check every collected submission in place; a misnamed copy is renamed to the right name.

    A folder whose student id holds ``<`` or ``>`` is refused: autograde would create that
    student in the gradebook, and formgrader shows ids as HTML.
    """
    for folder in sorted(submitted.glob(f"*/{assignment}")):
        student = folder.parent.name
        if not folder.is_dir():
            continue
        markup = markup_problem({"id": student})
        if markup:
            intake.unknown.append(Problem(student, folder.name, f"{markup}; not graded"))
            continue
        accepted: set[str] = set()
        failed = False
        for path in sorted(folder.glob("*.ipynb")):
            name, reason = identify(path.read_bytes(), path.name, shape)
            if name is None:
                intake.problems.append(Problem(student, path.name, reason))
                failed = True
            elif name in accepted:
                intake.note(student, f"{path.name} ignored: {name}.ipynb was also submitted")
            elif path.stem != name:
                target = folder / f"{name}.ipynb"
                if target.exists() and target.stat().st_size:
                    intake.note(student, f"{path.name} ignored: {name}.ipynb was also submitted")
                    continue
                path.rename(target)
                intake.note(student, f"submitted as {path.name!r}; graded as {name}.ipynb")
                accepted.add(name)
            else:
                accepted.add(name)
        if not failed and accepted:
            intake.ready.add(student)
        elif not accepted and not failed:
            intake.problems.append(Problem(student, folder.name, "no notebook in the submission"))


# --- LMS archives -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveFile:
    member: str
    filename: str  # the student's original file name
    name: str  # the name the LMS wrote ("lastfirst" on Canvas, "Full Name" on Moodle)
    lms_id: str
    late: bool  # marked late by the LMS (Canvas only)
    modified: datetime  # the archive's time for the file (naive, read as UTC)
    lms: str  # "canvas" or "moodle"


def read_archive_names(zf: zipfile.ZipFile) -> tuple[list[ArchiveFile], list[Problem]]:
    """Parse LMS file names; files named neither way are problems (student unknown)."""
    files, problems = [], []
    for info in zf.infolist():
        parts = PurePosixPath(info.filename).parts
        if info.is_dir() or not parts or parts[0] == "__MACOSX" or parts[-1] == ".DS_Store":
            continue
        modified = datetime(*info.date_time)
        moodle = next((m for p in parts[:-1] if (m := MOODLE_FOLDER.match(p))), None)
        canvas = CANVAS.match(parts[-1])
        if moodle:
            files.append(
                ArchiveFile(
                    info.filename,
                    parts[-1],
                    moodle["name"],
                    moodle["uid"],
                    False,
                    modified,
                    "moodle",
                )
            )
        elif canvas:
            files.append(
                ArchiveFile(
                    info.filename,
                    canvas["orig"],
                    canvas["name"],
                    canvas["uid"],
                    bool(canvas["late"]),
                    modified,
                    "canvas",
                )
            )
        else:
            problems.append(
                Problem(
                    "?",
                    info.filename,
                    "cannot tell whose file this is "
                    "(not named the way Canvas or Moodle name downloads)",
                )
            )
    return files, problems


def name_key(text: str) -> str:
    """Letters and digits only, accents removed, case folded: how LMS names are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


class RosterIndex:
    """Find a roster student by LMS id, else by name (unique matches only)."""

    def __init__(self, students: Iterable[RosterStudent]) -> None:
        self.by_lms: dict[str, RosterStudent] = {}
        self.by_name: dict[str, list[RosterStudent]] = {}
        for student in students:
            if student.lms_id:
                self.by_lms[student.lms_id] = student
            keys = {
                name_key(student.last_name + student.first_name),
                name_key(student.first_name + student.last_name),
            }
            for key in keys - {""}:
                self.by_name.setdefault(key, []).append(student)

    def find(self, lms_id: str, name: str) -> tuple[RosterStudent | None, str]:
        if lms_id in self.by_lms:
            return self.by_lms[lms_id], ""
        matches = self.by_name.get(name_key(name), [])
        if len(matches) == 1:
            return matches[0], f"matched by name (LMS id {lms_id} is not in the roster)"
        if len(matches) > 1:
            return None, f"{len(matches)} students on the roster are called {name!r}"
        return None, f"no student on the roster has LMS id {lms_id} or the name {name!r}"


def _timestamp(file: ArchiveFile, due: datetime | None) -> tuple[datetime, str]:
    """The submission time to record, and a note when it is not the LMS's own time.

    Canvas archives mark lateness (``_LATE_``) but carry no reliable submission time. A file
    marked late is recorded after the due date (its archive time when that is later, else one
    second after the due date, so the smallest late penalty applies and the grader is told);
    an on-time file is never recorded after the due date.
    """
    if file.lms != "canvas":
        return file.modified, ""
    if file.late:
        if due is None:
            return file.modified, "Canvas marked it late, but no due date is set: no penalty"
        if file.modified > due:
            return file.modified, ""
        return due + timedelta(seconds=1), (
            "Canvas marked it late without saying when it was submitted: recorded 1 second "
            "after the due date (smallest late penalty); check the time in Canvas"
        )
    if due is not None and file.modified > due:
        return due, ""
    return file.modified, ""


def intake_archive(
    archive: Path,
    submitted: Path,
    shape: Shape,
    roster: Iterable[RosterStudent],
    due: datetime | None,
    intake: Intake,
) -> None:
    """File each notebook of an LMS archive under its student; report the rest."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as err:
        raise ValueError(f"{archive}: not a readable zip archive ({err})") from err
    index = RosterIndex(roster)
    with zf:
        files, unknown = read_archive_names(zf)
        intake.unknown.extend(unknown)
        chosen: dict[str, dict[str, tuple[ArchiveFile, bytes]]] = {}
        for file in files:
            student, how = index.find(file.lms_id, file.name)
            if student is None:
                intake.unknown.append(Problem(file.name, file.filename, how))
                continue
            if (
                how and file.lms == "canvas"
            ):  # Moodle folders carry a participant id, not the user's
                intake.note(student.id, how)
            info = zf.getinfo(file.member)
            if info.file_size > MAX_FILE_BYTES:
                intake.problems.append(Problem(student.id, file.filename, "file too large"))
                continue
            data = zf.read(file.member)
            name, reason = identify(data, file.filename, shape)
            if name is None:
                intake.problems.append(Problem(student.id, file.filename, reason))
                continue
            if file.filename != f"{name}.ipynb" and not CANVAS_COPY_SUFFIX.search(
                PurePosixPath(file.filename).stem
            ):
                intake.note(student.id, f"submitted as {file.filename!r}; graded as {name}.ipynb")
            previous = chosen.setdefault(student.id, {}).get(name)
            if previous is None or previous[0].modified <= file.modified:
                chosen[student.id][name] = (file, data)
    for student_id, notebooks in chosen.items():
        _file_submission(
            submitted / student_id / shape.assignment, notebooks, due, intake, student_id
        )


def _file_submission(
    folder: Path,
    notebooks: dict[str, tuple[ArchiveFile, bytes]],
    due: datetime | None,
    intake: Intake,
    student_id: str,
) -> None:
    """Write a student's notebooks and ``timestamp.txt``; unchanged files are left untouched."""
    stamps = [_timestamp(file, due) for file, _ in notebooks.values()]
    when = max(stamp for stamp, _ in stamps)
    for _, note in stamps:
        if note:
            intake.note(student_id, note)
    wanted = {f"{name}.ipynb": data for name, (_, data) in notebooks.items()}
    wanted["timestamp.txt"] = when.strftime(TIMESTAMP_FORMAT).encode()
    current = (
        {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
    )
    if current != wanted:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, data in wanted.items():
            (folder / name).write_bytes(data)
    intake.ready.add(student_id)
