"""Checking submissions in ``submitted/<student>/<assignment>/`` before anything grades them.

Every value there is the student's: the folder name (the id), the file names, their types and
their bytes. A folder whose id breaks :mod:`allyship.instructor.identity`'s rule, a link, a
special file, a file that is not a notebook, not valid JSON or not this assignment's notebook
is reported by student and file, and the other students go on.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from allyship.answers import nbgrader_ids
from allyship.course import MAX_NOTEBOOK_BYTES, NESTED_TOO_DEEPLY, read_notebook_json
from allyship.errors import GradeError
from allyship.instructor.identity import id_problem, shown_id
from allyship.instructor.paths import CoursePaths


@dataclass(frozen=True)
class Problem:
    """A file that could not be graded, with the reason in plain words.

    ``key`` identifies this exact file (its content included), so a problem already reported by
    an earlier run is recognised as set aside rather than reported as new.
    """

    student: str  # roster id, or the name found in the archive when no student matched
    file: str
    reason: str
    key: str = ""


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
        notes = self.notes.setdefault(student, [])
        if text not in notes:
            notes.append(text)


# --- the assignment's shape -------------------------------------------------------------------


def assignment_shape(paths: CoursePaths, assignment: str) -> Shape:
    """Read the notebook names and answer ids from the instructor's ``source/`` folders."""

    def ids_of(folder: Path) -> dict[str, frozenset[str]]:
        return {
            p.stem: nbgrader_ids(read_notebook_json(p)["cells"])
            for p in sorted(folder.glob("*.ipynb"))
        }

    notebooks = ids_of(paths.source(assignment))
    if not notebooks:
        raise GradeError(f"{paths.source(assignment)}: no notebooks for {assignment!r}")
    others = {
        folder.name: frozenset().union(*ids_of(folder).values())
        for folder in sorted(paths.source_folders().iterdir())
        if folder.is_dir() and folder.name != assignment
    }
    shared = frozenset().union(*notebooks.values()) & frozenset().union(*others.values())
    return Shape(  # an id several assignments use (a common self-check cell) tells nothing
        assignment,
        {name: ids - shared for name, ids in notebooks.items()},
        {name: ids - shared for name, ids in others.items()},
    )


# --- checking one file ------------------------------------------------------------------------


def _parse(text: str) -> tuple[Any, str]:
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as err:
        return None, f"not valid JSON (line {err.lineno}: {err.msg}); the file is damaged"
    except RecursionError:
        return None, NESTED_TOO_DEEPLY


def identify(data: bytes, filename: str, shape: Shape) -> tuple[str | None, str]:
    """Which of the assignment's notebooks ``data`` is, or None and why not.

    Identity comes from the cells' ``grade_id``s (compared with the instructor's source), so a
    renamed copy is still recognised and another assignment's notebook is not. The cells' flags
    are not read: a student can flip them, and the grader restores them from ``source/``.
    """
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix != ".ipynb":
        return None, f"not a notebook ({suffix or 'no extension'}); upload the .ipynb file"
    if len(data) > MAX_NOTEBOOK_BYTES:
        return None, too_large()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return None, f"not a notebook: not UTF-8 text ({err.reason})"
    nb, reason = _parse(text)
    if reason:
        return None, reason
    if isinstance(nb, dict) and "worksheets" in nb:
        return None, (
            "an old Jupyter notebook format (nbformat 3): open it in Jupyter, save it, "
            "and submit it again"
        )
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "not a Jupyter notebook (no list of cells)"
    try:
        import nbformat

        nbformat.reads(text, as_version=4)
    except RecursionError:
        return None, NESTED_TOO_DEEPLY
    except Exception as err:  # nbformat raises several types for unreadable notebooks
        return None, f"not a readable notebook ({type(err).__name__}: {str(err)[:200]})"
    ids = nbgrader_ids(nb["cells"])
    stem = PurePosixPath(filename).stem
    ranked = sorted(shape.notebooks, key=lambda name: (not stem.startswith(name), name))
    for name in ranked:
        if ids & shape.notebooks[name]:
            return name, ""
    for other, other_ids in shape.others.items():
        if ids & other_ids:
            return None, f"this is the {other!r} notebook, not {shape.assignment!r}"
    expected = ", ".join(f"{name}.ipynb" for name in shape.notebooks)
    if not ids and any(name in stem for name in shape.notebooks):  # named as ours, ids gone
        return None, (
            f"its grading information (the nbgrader cell metadata) was removed, so its "
            f"answers cannot be found; copy the answers into a fresh {expected} and submit that"
        )
    return None, f"not this assignment's notebook (none of the answer cells of {expected})"


def too_large(limit: int = MAX_NOTEBOOK_BYTES) -> str:
    return f"file too large (more than {limit >> 20} MB)"


def read_regular_file(path: Path, limit: int = MAX_NOTEBOOK_BYTES) -> tuple[bytes | None, str]:
    """The bytes of ``path`` if it is a regular file (never through a link), else why not."""
    try:
        info = path.lstat()
    except OSError as err:
        return None, f"cannot be read ({err.strerror})"
    kind = file_kind(info.st_mode)
    if kind != "file":
        return None, f"is {kind}, not a file; not graded"
    if info.st_size > limit:
        return None, too_large(limit)
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError as err:
        return None, f"cannot be read ({err.strerror})"
    try:
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as err:  # replaced by a folder between the checks and the read
        return None, f"cannot be read ({err.strerror})"
    if len(data) > limit:
        return None, too_large(limit)
    return data, ""


def file_kind(mode: int) -> str:
    """What a directory entry is, in words (links and special files are never followed)."""
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    return "a special file"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def unsafe_entries(folder: Path) -> list[tuple[str, str]]:
    """Every link or special file under ``folder`` (relative name, what it is), not followed."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            try:
                kind = file_kind(path.lstat().st_mode)
            except OSError:
                kind = "unreadable"
            if kind not in ("file", "a folder"):
                found.append((str(path.relative_to(folder)), kind))
    return sorted(found)


# --- a collected submission -------------------------------------------------------------------


def inspect_submitted(paths: CoursePaths, assignment: str, shape: Shape, intake: Intake) -> None:
    """Check every collected submission in place; a misnamed copy is renamed to the right name."""
    pattern = paths.submitted("*", assignment).relative_to(paths.root)
    for folder in sorted(paths.root.glob(str(pattern))):
        student = folder.parent.name
        problem = id_problem(student)
        kinds = {file_kind(p.lstat().st_mode) for p in (folder, folder.parent)}
        if not problem and kinds != {"a folder"}:
            what = (kinds - {"a folder"}).pop()
            reason = f"is {what}, not a folder; not graded"
            intake.problems.append(Problem(student, folder.name, reason, key=f"kind|{student}"))
            continue
        if problem:
            intake.unknown.append(
                Problem(
                    shown_id(student), folder.name, f"{problem}; not graded", key=f"id|{student}"
                )
            )
            continue
        inspect_one(folder, student, shape, intake)


def inspect_one(folder: Path, student: str, shape: Shape, intake: Intake) -> None:
    """Decide whether one student's folder can be graded, renaming a misnamed copy."""
    links = unsafe_entries(folder)
    if links:
        name, kind = links[0]
        more = f" (and {len(links) - 1} more)" if len(links) > 1 else ""
        intake.problems.append(
            Problem(
                student,
                name,
                f"is {kind}{more}: a submission may hold only its own files; not graded",
                key=f"unsafe|{student}|{links}",
            )
        )
        return
    accepted: dict[str, Path] = {}
    broken: list[Problem] = []
    candidates = sorted(
        folder.glob("*.ipynb"), key=lambda p: (p.stem not in shape.notebooks, p.name)
    )
    for path in candidates:
        data, reason = read_regular_file(path)
        name = None
        if data is not None:
            name, reason = identify(data, path.name, shape)
        if name is None:
            key = f"file|{student}|{path.name}|{digest(data) if data is not None else reason}"
            broken.append(Problem(student, path.name, reason, key=key))
        elif name in accepted:
            intake.note(student, f"{path.name} ignored: {accepted[name].name} was also submitted")
        else:
            accepted[name] = path
    missing = [name for name in shape.notebooks if name not in accepted]
    if broken and (missing or not accepted):
        intake.problems.extend(broken)
        return
    for problem in broken:
        intake.note(student, f"{problem.file} ignored: {problem.reason}")
    if not accepted:
        intake.problems.append(
            Problem(student, folder.name, "no notebook in the submission", key=f"empty|{student}")
        )
        return
    for name, path in accepted.items():
        target = folder / f"{name}.ipynb"
        if path != target:
            if target.exists():  # the right name holds a file that is not this notebook
                target.rename(folder / f"{name}.ipynb.not-graded")
            path.rename(target)
            intake.note(student, f"submitted as {path.name!r}; graded as {name}.ipynb")
    intake.ready.add(student)
