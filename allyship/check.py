"""The student's self-check: what the grader will say about a notebook, before it is submitted.

Cells become verdicts through :mod:`allyship.answers`, the funnel the grader uses too, so the
self-check says exactly what the grader will say, provided both judge with the same prompts.
The grader reads them from the instructor's ``source/`` notebook and identifies a submission by
the ``grade_id``s of its answer cells, never by its name or by the metadata a student can edit.
The self-check does the same when it finds the course (at or above the notebook, or
``--course``). A learner with only the downloaded notebook has no ``source/``: the notebook's
own record (written at release under ``metadata.allyship``) is then used only if it matches
:data:`PACKAGED_PROMPTS`, this package's fingerprints of the course's prompts; otherwise the
check refuses to predict a grade. Only ``json`` is used here: no Jupyter.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from allyship.answers import (  # noqa: F401 (re-exported: released notebooks import from here)
    ADOPTED_REASON,
    ANSWERS_KEY,
    ItemResult,
    adopted_index,
    adopted_verdict,
    answers_metadata,
    check_cells,
    deleted_verdict,
    find_answer,
    grade_id,
    judge,
    nbgrader_ids,
)
from allyship.course import (
    MAX_NOTEBOOK_BYTES,
    METADATA_KEY,
    NESTED_TOO_DEEPLY,
    PACKAGED_PATH,
    CourseError,
    Prompt,
    assignments,
    cell_text,
    find_course_root,
    load_prompts,
    prompt_titles,
    prompts_from_notebook,
    read_notebook_json,
    source_notebook,
)

#: What a student is told to do with a notebook that cannot be checked as it is.
FRESH_COPY = "copy your answers into a fresh copy of the notebook"


class PackagedPrompt(NamedTuple):
    """One trusted prompt as this package knows it: enough to verify a notebook's own record."""

    grade_id: str
    title: str
    points: float
    fingerprint: str  # see prompt_fingerprint
    prompt_id: str  # the grade_id of the locked prompt cell above the answer (see adopted_index)


def _load_packaged(
    path: Path = PACKAGED_PATH,
) -> tuple[dict[str, tuple[PackagedPrompt, ...]], dict[str, frozenset[str]]]:
    """Assignment -> its prompts in order, and assignment -> every grade_id of its source."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, {}
    prompts = {a: tuple(PackagedPrompt(**p) for p in ps) for a, ps in data["prompts"].items()}
    return prompts, {a: frozenset(ids) for a, ids in data["cell_ids"].items()}


PACKAGED_PROMPTS, PACKAGED_CELL_IDS = _load_packaged()


@dataclass(frozen=True)
class Trusted:
    """The prompts a notebook is judged with, and, for the report, what they were compared with."""

    assignment: str
    prompts: tuple[Prompt, ...]
    compared: str  # one sentence for the student: where the prompts came from
    notes: tuple[str, ...] = ()
    verified: bool = True
    #: answer grade_id -> grade_id of its prompt cell, and every id the course knows in this
    #: notebook: what the grader needs to find an answer whose id was changed (D-L11).
    prompt_ids: Mapping[str, str] = field(default_factory=dict)
    known_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Checked:
    """The outcome of checking one notebook file."""

    path: Path
    trusted: Trusted
    results: list[ItemResult]

    @property
    def complete(self) -> bool:
        return all(item.verdict.status != "incomplete" for item in self.results)


def judge_notebook(cells: Sequence[Mapping[str, Any]], trusted: Trusted) -> list[ItemResult]:
    """:func:`check_cells`, plus the grader's search for an answer cell whose id was changed."""
    results = []
    for number, prompt in enumerate(trusted.prompts, start=1):
        answer = find_answer(cells, prompt)
        at = None
        if answer is None:
            at = adopted_index(cells, trusted.prompt_ids.get(prompt.grade_id), trusted.known_ids)
        if at is None:
            verdict = judge(answer, prompt, number)
        else:
            verdict = adopted_verdict(judge(cell_text(cells[at]), prompt, number))
        results.append(ItemResult(number, prompt, verdict))
    return results


# ----------------------------------------------------------------------- reading the file


def file_problem(path: Path) -> str:
    """Why ``path`` cannot be read as a notebook, or "" when it is a regular ``.ipynb`` file.

    Decided with ``stat`` before anything opens the file: opening a named pipe would wait for a
    writer forever, and a folder passed by mistake deserves a sentence, not a traceback.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return f"{path}: file not found"
    except OSError as err:
        return f"{path}: cannot be read ({err.strerror or err})"
    if stat.S_ISDIR(info.st_mode):
        return f"{path}: is a folder, not a notebook file"
    if stat.S_ISFIFO(info.st_mode):
        return f"{path}: is a named pipe, not a notebook file (not opened)"
    if not stat.S_ISREG(info.st_mode):
        return f"{path}: is a special file (a device or a socket), not a notebook file"
    if path.suffix.lower() != ".ipynb":
        return f"{path} is not a Jupyter notebook (.ipynb file)"
    if info.st_size > MAX_NOTEBOOK_BYTES:
        return f"{path}: {too_large(info.st_size)}"
    return ""


def too_large(size: int) -> str:
    """The words for a file over the size cap (no notebook of this course comes close)."""
    return (
        f"too large for a notebook ({size / 2**20:.0f} MB; the check reads at most "
        f"{MAX_NOTEBOOK_BYTES >> 20} MB)"
    )


def read_capped(path: Path, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of a regular file, reading at most ``limit``; raises CourseError naming it.

    ``O_NONBLOCK`` and the ``fstat`` after opening cover a file swapped for a pipe or a device
    after :func:`file_problem` looked at it; the read is capped for a file that grew meanwhile.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise CourseError(f"{path}: cannot be read ({err.strerror or err})") from err
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CourseError(f"{path}: is no longer a regular file, not read")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise CourseError(f"{path}: {too_large(len(data))}")
    return data


def parse_notebook(data: bytes, path: Path) -> dict[str, Any]:
    """The notebook's JSON, checked to be shaped like a notebook; raises CourseError naming it."""
    not_a_notebook = f"{path} is not a Jupyter notebook (.ipynb file)"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CourseError(f"{not_a_notebook}: not UTF-8 text ({err.reason})") from err
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as err:  # e.g. a text file renamed to .ipynb
        detail = f"not valid JSON (line {err.lineno}: {err.msg})"
        raise CourseError(f"{not_a_notebook}: {detail}") from err
    except RecursionError as err:
        raise CourseError(f"{path}: {NESTED_TOO_DEEPLY}") from err
    problem = notebook_problem(nb)
    if problem:
        raise CourseError(f"{path}: {problem}")
    return nb


def notebook_problem(nb: Any) -> str:
    """What is wrong with the shape of a notebook's JSON, or "" when the check can read it.

    Only what the check and the grader read is required: a list of cells, each a mapping with a
    cell type, text source and mapping metadata. Anything else would crash the code that reads
    the answers, so it is named here instead.
    """
    if not isinstance(nb, dict):
        return "not a Jupyter notebook (its JSON is not an object)"
    if "worksheets" in nb:
        return (
            "an old Jupyter notebook format (nbformat 3): open it in Jupyter, save it, "
            "and check it again"
        )
    if not isinstance(nb.get("cells"), list):
        return "not a Jupyter notebook (no list of cells)"
    if not isinstance(nb.get("metadata", {}), dict):
        return f"the notebook is damaged: its metadata is not a mapping; {FRESH_COPY}"
    for number, cell in enumerate(nb["cells"], start=1):
        problem = cell_problem(cell)
        if problem:
            return f"the notebook is damaged: cell {number} {problem}; {FRESH_COPY}"
    return ""


def cell_problem(cell: Any) -> str:
    """What is wrong with one cell's JSON, or "" (the words complete "cell N ...")."""
    if not isinstance(cell, dict):
        return "is not a notebook cell"
    if not isinstance(cell.get("cell_type"), str):
        return "has no cell type"
    source = cell.get("source", "")
    if not (isinstance(source, str) or (isinstance(source, list) and all_text(source))):
        return "has a source that is not text"
    if not isinstance(cell.get("metadata", {}), dict):
        return "has metadata that is not a mapping"
    return ""


def all_text(items: list[Any]) -> bool:
    return all(isinstance(item, str) for item in items)


def read_student_notebook(path: Path) -> dict[str, Any]:
    """A student's notebook, safely read: raises CourseError with one line naming the file."""
    problem = file_problem(path)
    if problem:
        raise CourseError(problem)
    return parse_notebook(read_capped(path), path)


# ----------------------------------------------------------------------- the notebook's own record


def prompt_cell(cells: Sequence[Mapping[str, Any]], index: int) -> Mapping[str, Any]:
    """The prompt above the answer cell ``index``: the cell before it, as the release wrote it.

    When the student inserted a cell of their own in between (one without nbgrader metadata),
    the nearest nbgrader cell above is the locked prompt.
    """
    above = cells[:index]
    if not above:
        return {}
    if grade_id(above[-1]) is None:
        for cell in reversed(above):
            if grade_id(cell) is not None:
                return cell
    return above[-1]


def recorded_prompt(
    cells: Sequence[Mapping[str, Any]],
    index: int,
    assignment: str,
    nbgrader: Mapping[str, Any] | None = None,
) -> Prompt | None:
    """The prompt as this notebook records it around answer cell ``index``; None if damaged.

    Read exactly as :func:`allyship.course.prompts_from_notebook` reads the source, so an
    untouched notebook gives equal prompts; the nbgrader flags are not required (a student can
    flip them, and the grader restores them). ``nbgrader`` replaces the cell's own nbgrader
    metadata (an adopted cell, whose id and points the grader restores).
    """
    meta = cells[index].get("metadata", {})
    nbg = dict(nbgrader) if nbgrader is not None else meta.get("nbgrader")
    settings = meta.get(METADATA_KEY)
    if not isinstance(nbg, dict) or not isinstance(settings, dict):
        return None
    stand_in = {
        "cell_type": "markdown",
        "source": "",
        "metadata": {"nbgrader": {**nbg, "solution": True, "grade": True}, METADATA_KEY: settings},
    }
    try:
        found = prompts_from_notebook({"cells": [prompt_cell(cells, index), stand_in]}, assignment)
    except (TypeError, ValueError, AttributeError):  # e.g. points that are not a number
        return None
    return found[-1] if found else None


def recorded_prompts(cells: Sequence[Mapping[str, Any]], assignment: str) -> dict[str, Prompt]:
    """The notebook's own record of each answer cell, by grade_id (a copied cell: the first)."""
    found: dict[str, Prompt] = {}
    for index, cell in enumerate(cells):
        gid = grade_id(cell)
        if gid and gid not in found and is_answer_cell(cell):
            prompt = recorded_prompt(cells, index, assignment)
            if prompt is not None:
                found[gid] = prompt
    return found


def is_answer_cell(cell: Mapping[str, Any]) -> bool:
    """A Markdown nbgrader solution+grade cell carrying our settings, as the release wrote it."""
    meta = cell.get("metadata", {})
    nbg = meta.get("nbgrader")
    return (
        cell.get("cell_type") == "markdown"
        and isinstance(meta.get(METADATA_KEY), dict)
        and isinstance(nbg, dict)
        and bool(nbg.get("solution") and nbg.get("grade"))
    )


def released_prompts(data: Mapping[str, Any], assignment: str) -> list[Prompt]:
    """The prompts of a released (student) notebook, from the metadata the release wrote.

    Only for a notebook nothing trusted can be compared with (see :func:`check_path`). Settings
    come from the answer cells; the notebook-level list adds the prompts whose answer cell was
    deleted, so they are reported instead of silently skipped.
    """
    found = recorded_prompts(data["cells"], assignment)
    meta = data.get("metadata", {}).get(METADATA_KEY, {})
    expected = meta.get(ANSWERS_KEY) if isinstance(meta, dict) else None
    if not isinstance(expected, list):
        return list(found.values())
    prompts = []
    for entry in expected:
        if not isinstance(entry, dict):
            continue
        gid = str(entry.get("grade_id"))
        prompts.append(found.get(gid) or placeholder(assignment, gid, entry))
    return prompts


def placeholder(assignment: str, gid: str, entry: Mapping[str, Any]) -> Prompt:
    """A prompt known only from the notebook-level list (its answer cell was deleted)."""
    points = entry.get("points", 0)
    return Prompt(
        assignment=assignment,
        grade_id=gid,
        title=str(entry.get("title", "")),
        text="",
        points=float(points) if isinstance(points, int | float) else 0.0,
    )


# ----------------------------------------------------------------------- fingerprints


def prompt_fingerprint(prompt: Prompt) -> str:
    """A short digest of everything in a prompt that can change its verdict or its score.

    The grade_id, title and wording (the rules compare an answer with the prompt), the points and
    the answer cell's settings (minimum words, release text).
    """
    fields = [prompt.grade_id, prompt.title, prompt.text, prompt.points, prompt.settings]
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("ascii")).hexdigest()[:16]


def prompt_ids_of(
    source_cells: Sequence[Mapping[str, Any]], prompts: Iterable[Prompt]
) -> dict[str, str]:
    """Answer grade_id -> grade_id of the cell above it in the source (its locked prompt)."""
    wanted = {p.grade_id for p in prompts}
    found = {}
    for index, cell in enumerate(source_cells):
        gid = grade_id(cell)
        above = grade_id(source_cells[index - 1]) if index else None
        if gid in wanted and above:
            found[gid] = above
    return found


def packaged(root: Path, assignment: str) -> tuple[PackagedPrompt, ...]:
    """What :data:`PACKAGED_PROMPTS` holds for an assignment of the course at ``root``."""
    prompts = load_prompts(assignment, root)
    above = prompt_ids_of(read_notebook_json(source_notebook(assignment, root))["cells"], prompts)
    return tuple(
        PackagedPrompt(
            p.grade_id, p.title, p.points, prompt_fingerprint(p), above.get(p.grade_id, "")
        )
        for p in prompts
    )


def packaged_data(root: Path) -> dict[str, Any]:
    """What ``course_prompts.json`` holds for the course at ``root``."""
    names = assignments(root)
    return {
        "prompts": {a: [p._asdict() for p in packaged(root, a)] for a in names},
        "cell_ids": {a: sorted(ids) for a, ids in source_ids(root, names).items()},
    }


def write_packaged(root: Path, path: Path = PACKAGED_PATH) -> bool:
    """Write the packaged prompts from ``source/``; True when they changed."""
    text = json.dumps(packaged_data(root), indent=1, sort_keys=True) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    prompt_titles.cache_clear()
    return True


# ----------------------------------------------------------------------- which assignment


def claimed_assignment(path: Path, flag: str | None, known: Iterable[str]) -> str | None:
    """The assignment the student says this is: the flag, else the file name if it names one.

    A file name that names no assignment ("Copy of ...") claims nothing: the notebook is then
    identified from its cells, as the grader recognises a renamed copy.
    """
    if flag:
        return flag
    return path.stem if path.stem in set(known) else None


def identify(
    ids: frozenset[str], claimed: str | None, known: Mapping[str, frozenset[str]]
) -> tuple[str | None, str]:
    """Which assignment a notebook is, from its cells' grade_ids, or None and why not.

    Decided as the grader decides: the claimed assignment wins when any of its answer cells is
    there; otherwise a notebook holding another assignment's cells is that assignment's
    notebook, whatever its name says. ``known`` maps assignment -> its identifying grade_ids
    (from ``source/``, or this package's answer ids).
    """
    if claimed in known and ids & known[claimed]:
        return claimed, ""
    matches = [name for name, answer_ids in known.items() if ids & answer_ids]
    if matches and claimed:
        return None, (
            f"this is the {matches[0]!r} notebook, not {claimed!r}: its answer cells are those of "
            f"{matches[0]}.ipynb, so the grader would not accept it for {claimed!r}"
        )
    if matches:
        return matches[0], ""
    if not ids:
        return None, (
            "its grading information (the nbgrader cell metadata) was removed, so its answers "
            f"cannot be found; {FRESH_COPY}"
        )
    names = ", ".join(f"{name}.ipynb" for name in known)
    return None, f"not a notebook of this course (it has none of the cells of {names})"


# ----------------------------------------------------------------------- the trusted prompts


def course_prompts(root: Path, claimed: str | None) -> dict[str, list[Prompt]]:
    """Every assignment's trusted prompts from the course's ``source/``, as the grader reads them.

    An assignment without readable reflection prompts is left out (it cannot be the one this
    notebook answers), except the claimed one: its broken source is then the message.
    """
    found = {}
    for assignment in assignments(root):
        try:
            found[assignment] = load_prompts(assignment, root)
        except CourseError:
            if assignment == claimed:
                raise
    return found


def source_ids(root: Path, names: Iterable[str]) -> dict[str, frozenset[str]]:
    """Every grade_id of each assignment's source notebook."""
    return {
        name: nbgrader_ids(read_notebook_json(source_notebook(name, root))["cells"])
        for name in names
    }


def identifying_ids(ids: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """Per assignment, the grade_ids only its source notebook has, as the grader's intake uses.

    Every cell counts (a notebook whose answer cells were all deleted is still recognised by its
    prompts), except ids several assignments share, such as the self-check cell.
    """
    return {
        name: own.difference(*(other for n, other in ids.items() if n != name))
        for name, own in ids.items()
    }


def from_course(
    path: Path, cells: Sequence[Mapping[str, Any]], root: Path, flag: str | None
) -> Trusted:
    """The trusted prompts of this notebook's assignment, read from the course's ``source/``."""
    by_assignment = course_prompts(root, flag or path.stem)
    known = identifying_ids(source_ids(root, by_assignment))
    if flag and flag not in known:
        names = ", ".join(known) or "none"
        raise CourseError(f"{path}: {flag!r} is not an assignment of {root} (found: {names})")
    claimed = claimed_assignment(path, flag, known)
    assignment, problem = identify(nbgrader_ids(cells), claimed, known)
    if assignment is None:
        raise CourseError(f"{path}: {problem}")
    prompts = by_assignment[assignment]
    shown = source_notebook(assignment, root)
    source_cells = read_notebook_json(shown)["cells"]
    compared = (
        f"Checked with the course's prompts in {shown} (the copy the grader reads), "
        "not with the copy saved in this notebook."
    )
    notes = identified_note(path, assignment, claimed)
    notes += record_notes(cells, prompts, assignment)
    return Trusted(
        assignment,
        tuple(prompts),
        compared,
        notes,
        prompt_ids=prompt_ids_of(source_cells, prompts),
        known_ids=nbgrader_ids(source_cells),
    )


def identified_note(path: Path, assignment: str, claimed: str | None) -> tuple[str, ...]:
    """A note when the notebook was recognised by its cells rather than by its name."""
    if claimed:
        return ()
    return (
        f"{path.name} was recognised from its nbgrader cells as the {assignment!r} notebook, "
        "as the grader recognises a renamed copy.",
    )


def record_notes(
    cells: Sequence[Mapping[str, Any]], prompts: Sequence[Prompt], assignment: str
) -> tuple[str, ...]:
    """One note per prompt whose copy saved in the notebook differs from the trusted one.

    The verdicts do not depend on it (the trusted copy is used), but a student should know
    that the notebook's own copy is not the course's.
    """
    recorded = recorded_by_id(cells, assignment)
    notes = []
    for number, prompt in enumerate(prompts, start=1):
        if prompt.grade_id not in recorded:
            continue  # a deleted answer cell is reported with its verdict
        mine = recorded[prompt.grade_id]
        what = differences(mine, prompt) if mine else ["its record is damaged"]
        if what:
            notes.append(
                f"The copy of prompt {number} saved in this notebook differs from the course's "
                f"({', '.join(what)}); the course's copy was used, as the grader does."
            )
    return tuple(notes)


def recorded_by_id(cells: Sequence[Mapping[str, Any]], assignment: str) -> dict[str, Prompt | None]:
    """The notebook's own record of every answer cell present (None: damaged), by grade_id."""
    found: dict[str, Prompt | None] = {}
    for index, cell in enumerate(cells):
        gid = grade_id(cell)
        if gid and gid not in found:
            found[gid] = recorded_prompt(cells, index, assignment)
    return found


def differences(mine: Prompt, trusted: Prompt) -> list[str]:
    """What differs between a notebook's copy of a prompt and the trusted one, in words."""
    what = []
    if (mine.title, mine.text) != (trusted.title, trusted.text):
        what.append("its wording")
    if mine.points != trusted.points:
        what.append("its points")
    if mine.settings != trusted.settings:
        what.append("its settings")
    return what


def from_package(
    path: Path, cells: Sequence[Mapping[str, Any]], flag: str | None
) -> Trusted | None:
    """The notebook's own prompts, verified against :data:`PACKAGED_PROMPTS`; None if unknown.

    None when the notebook is not one of the packaged assignments (another course). A notebook
    that is one of them but whose saved prompts differ is refused: without the course's
    ``source/`` nothing says what the grader will use, so nothing is reported complete.
    """
    known = identifying_ids(PACKAGED_CELL_IDS)
    claimed = claimed_assignment(path, flag, known)
    ids = nbgrader_ids(cells)
    if not any(ids & own for own in known.values()):
        return None
    assignment, problem = identify(ids, claimed, known)
    if assignment is None:
        raise CourseError(f"{path}: {problem}")
    entries = PACKAGED_PROMPTS[assignment]
    prompt_ids = {entry.grade_id: entry.prompt_id for entry in entries}
    known_ids = PACKAGED_CELL_IDS[assignment]
    recorded = recorded_by_id(cells, assignment)
    prompts: list[Prompt] = []
    differing: list[int] = []
    for number, entry in enumerate(entries, start=1):
        if entry.grade_id in recorded:
            mine = recorded[entry.grade_id]
        else:
            at = adopted_index(cells, entry.prompt_id, known_ids)
            if at is None:  # deleted: the verdict needs only number and title
                prompts.append(Prompt(assignment, entry.grade_id, entry.title, "", entry.points))
                continue
            trusted_nbgrader = {"grade_id": entry.grade_id, "points": entry.points}
            mine = recorded_prompt(cells, at, assignment, trusted_nbgrader)
        if mine is None or prompt_fingerprint(mine) != entry.fingerprint:
            differing.append(number)
        else:
            prompts.append(mine)
    if differing:
        raise CourseError(
            f"{path}: cannot say what the grader will: this notebook's saved copy of "
            f"{listing(differing)} does not match this package's trusted copy of the "
            f"{assignment!r} prompts (compared: grade id, title, wording, points and settings of "
            f"each answer cell); check it in the course folder or with --course, or {FRESH_COPY}"
        )
    compared = (
        f"Checked with the prompts saved in this notebook, after comparing them with this "
        f"package's trusted copy of the {assignment!r} prompts (grade id, title, wording, points "
        "and settings of each answer cell present): they match."
    )
    notes = identified_note(path, assignment, claimed)
    return Trusted(
        assignment, tuple(prompts), compared, notes, prompt_ids=prompt_ids, known_ids=known_ids
    )


def listing(numbers: Sequence[int]) -> str:
    """Prompt numbers in words: "prompt 2", "prompts 1 and 3", "prompts 1, 2 and 3"."""
    if len(numbers) == 1:
        return f"prompt {numbers[0]}"
    return "prompts " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"


def from_record(path: Path, data: Mapping[str, Any], flag: str | None) -> Trusted:
    """The notebook's own prompts, unverified: no course, and not a packaged assignment."""
    assignment = flag or path.stem
    prompts = released_prompts(data, assignment)
    if not prompts:
        raise CourseError(f"{path}: no reflection prompts found (is this an allyship notebook?)")
    compared = (
        "Not verified: no course folder was found at or above this notebook (see --course) and "
        "this package does not know its prompts, so the prompts saved in the notebook were "
        "used; the grader uses your instructor's copy."
    )
    return Trusted(assignment, tuple(prompts), compared, verified=False)


# ----------------------------------------------------------------------- checking a file


def course_for(path: Path, course: Path | str | None) -> Path | None:
    """The course whose ``source/`` holds the trusted prompts: given, or found above the file."""
    if course is not None:
        return find_course_root(course)
    try:
        return find_course_root(path.parent)
    except CourseError:
        return None


def check_path(
    path: Path | str, course: Path | str | None = None, assignment: str | None = None
) -> Checked:
    """Check a student notebook file as the grader will; raises CourseError naming the file.

    ``course`` is the course folder (default: found at or above the notebook); ``assignment``
    the assignment it is for (default: its file name, else recognised from its cells).
    """
    path = Path(path)
    data = read_student_notebook(path)
    cells = data["cells"]
    try:
        root = course_for(path, course)
        if root is not None:
            trusted = from_course(path, cells, root, assignment)
        else:
            trusted = from_package(path, cells, assignment) or from_record(path, data, assignment)
        results = judged(path, cells, trusted)
    except RecursionError as err:
        raise CourseError(f"{path}: {NESTED_TOO_DEEPLY}") from err
    return Checked(path, trusted, results)


def judged(path: Path, cells: Sequence[Mapping[str, Any]], trusted: Trusted) -> list[ItemResult]:
    """The verdicts; unverified settings a student damaged give a message, not a traceback."""
    if trusted.verified:
        return judge_notebook(cells, trusted)
    try:
        return judge_notebook(cells, trusted)
    except (TypeError, ValueError, AttributeError) as err:
        raise CourseError(
            f"{path}: the prompt settings saved in this notebook are damaged; {FRESH_COPY}"
        ) from err


def check_file(
    path: Path | str, course: Path | str | None = None, assignment: str | None = None
) -> list[ItemResult]:
    """The verdicts of :func:`check_path` alone (what the agreement test compares)."""
    return check_path(path, course, assignment).results


def format_report(
    path: Path | str, results: Sequence[ItemResult], trusted: Trusted | None = None
) -> str:
    """A plain-text summary: what was compared, then one block per prompt with its verdict."""
    lines = [f"Self-check of {Path(path).name}"]
    if trusted is not None:
        lines.append(trusted.compared)
        lines.extend(f"Note: {note}" for note in trusted.notes)
    for item in results:
        title = f": {item.prompt.title}" if item.prompt.title else ""
        label = {"complete": "complete", "flagged": "complete, an instructor will read it"}.get(
            item.verdict.status, "incomplete"
        )
        lines.append("")
        lines.append(
            f"Prompt {item.number}{title}: {label} "
            f"({item.score:g} of {item.prompt.points:g} points, {item.verdict.words} words)"
        )
        lines.extend(f"  - {reason}" for reason in item.verdict.reasons)
    todo = sum(item.verdict.status == "incomplete" for item in results)
    lines.append("")
    if todo:
        lines.append(f"{todo} of {len(results)} prompts still need work.")
    else:
        lines.append(f"All {len(results)} prompts are complete.")
    return "\n".join(lines)


def unexpected(path: Path | str, err: Exception) -> str:
    """The one line shown for an error nobody foresaw, instead of a traceback."""
    return (
        f"{path}: could not be checked ({type(err).__name__}: {str(err)[:200]}); please report this"
    )


def check_notebook(path: Path | str) -> None:
    """Check a saved notebook and print the summary; made for the last cell of each assignment.

    Inside the notebook, errors are printed rather than raised, so the cell shows one clear line.
    Returns nothing: as a cell's last expression, a value would be shown as a long repr.
    """
    try:
        checked = check_path(path)
    except CourseError as err:
        print(f"Could not check the notebook: {err}", file=sys.stderr)
        return
    except Exception as err:  # the student's cell shows one line, never a traceback
        print(f"Could not check the notebook: {unexpected(path, err)}", file=sys.stderr)
        return
    print(format_report(path, checked.results, checked.trusted))
