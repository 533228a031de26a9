"""A synthetic class, to try ``allyship grade`` (and to test and benchmark it) without real data.

Students of several kinds: complete, partial, late, missing, a broken file, another assignment's
notebook, a renamed copy, and a student whose text tries to inject HTML and whose name needs
escaping (markup itself is refused in roster names, so :data:`HOSTILE_NAME` is for tests that
put it where the roster import cannot stop it, such as LMS file names). Answers start from the
instructor's example answers in ``source/`` with a sentence of each student's own, and go out
through the same channels real ones do: a Canvas-style archive or nbgrader's exchange.
"""

from __future__ import annotations

import csv
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from allyship.course import load_prompts, read_notebook_json, source_notebook
from allyship.instructor.matching import name_key
from allyship.instructor.roster import RosterStudent

#: Markup as a name: refused by ``allyship roster import``, but it can still arrive in file names.
HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">'
#: A name the roster accepts that is only shown right when escaped: quotes, ``&`` and an entity
#: that unescaped output would turn into ``<b>``.
TRICKY_NAME = 'Jo "JJ" O\'Neil & &lt;b&gt;'
HOSTILE_TEXT = (
    '<script>window.__pwned = 2; alert(\'hi\')</script> <img src="x" onerror="window.__pwned = 3"> '
)
FIRST = ["Amara", "Bo", "Carmen", "Dmitri", "Efua", "Farid", "Grace", "Hiro", "Imani", "Jonas"]
LAST = ["Okafor", "Lindqvist", "Reyes", "Petrov", "Mensah", "Haddad", "Kim", "Tanaka", "Diallo"]
#: The kinds of student, cycled through the class after the special ones.
CYCLE = ("complete", "complete", "partial", "complete", "missing", "late", "complete")


@dataclass
class DemoStudent:
    roster: RosterStudent
    kind: str  # complete, partial, late, missing, broken, wrong, renamed, hostile
    texts: dict[str, str] = field(default_factory=dict)  # grade_id -> answer

    @property
    def submits(self) -> bool:
        return self.kind != "missing"


def demo_class(root: Path, assignment: str, size: int) -> list[DemoStudent]:
    """``size`` students (at least 6) with answers for ``assignment``."""
    prompts = load_prompts(assignment, root)
    examples = _example_answers(root, assignment)
    special = [
        ("nguyen", "Thị Ánh", "Nguyễn, Trần", "complete"),
        ("hostile", TRICKY_NAME, "Tester", "hostile"),
        ("broken", "Bea", "Broken", "broken"),
        ("wrongnb", "Wen", "Wrongfile", "wrong"),
        ("renamed", "Rafa", "Renamed", "renamed"),
    ]
    students = []
    for i in range(size):
        if i < len(special):
            sid, first, last, kind = special[i]
        else:
            sid = f"s{i:03d}"
            first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
            kind = CYCLE[i % len(CYCLE)]
        roster = RosterStudent(sid, first, last, f"{sid}@example.edu", str(1000 + i))
        students.append(DemoStudent(roster, kind, _answers(prompts, examples, kind, i, first)))
    return students


def _example_answers(root: Path, assignment: str) -> dict[str, str]:
    data = read_notebook_json(source_notebook(assignment, root))
    found = {}
    for cell in data["cells"]:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if nbg.get("grade") and cell.get("cell_type") == "markdown":
            found[nbg["grade_id"]] = "".join(cell["source"])
    return found


def _answers(prompts, examples, kind: str, i: int, first: str) -> dict[str, str]:
    own = f"When I think about this as student number {i}, one more memory comes back to me. "
    texts = {p.grade_id: own + examples[p.grade_id] for p in prompts}
    if kind == "partial":
        ids = [p.grade_id for p in prompts]
        texts[ids[1]] = "I am not sure yet what to write here."
        texts[ids[-1]] = prompts[-1].release_text
    if kind == "hostile":
        first_id = prompts[0].grade_id
        texts[first_id] = HOSTILE_TEXT + texts[first_id]
    return texts


def write_roster(path: Path, students: list[DemoStudent]) -> None:
    """The roster CSV an instructor would import (UTF-8 with a BOM, like a spreadsheet's)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "first_name", "last_name", "email", "lms_id", "section"])
        for s in students:
            r = s.roster
            writer.writerow([r.id, r.first_name, r.last_name, r.email, r.lms_id, "A"])


def notebook_bytes(root: Path, assignment: str, student: DemoStudent) -> bytes:
    """The released notebook with the student's answers typed into its answer cells."""
    if student.kind == "broken":
        return b'{"cells": [{"cell_type": "markdown", "source": "half a no'
    other = "accountability" if assignment != "accountability" else "introspection"
    name = other if student.kind == "wrong" else assignment
    released = root / "assignments" / name / f"{name}.ipynb"
    data: dict[str, Any] = json.loads(released.read_text(encoding="utf-8"))
    for cell in data["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in student.texts:
            cell["source"] = student.texts[gid]
    return json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8")


def file_name(assignment: str, student: DemoStudent) -> str:
    return f"Copy of {assignment}.ipynb" if student.kind == "renamed" else f"{assignment}.ipynb"


def canvas_archive(
    path: Path, root: Path, assignment: str, students: list[DemoStudent], due: datetime
) -> None:
    """A Canvas-style "download all submissions" zip (``_LATE_`` marks late submissions)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, s in enumerate(students):
            if not s.submits:
                continue
            late = s.kind == "late"
            when = due + timedelta(hours=3) if late else due - timedelta(hours=2)
            lastfirst = name_key(s.roster.last_name + s.roster.first_name) or s.roster.id
            marker = "_LATE" if late else ""
            member = f"{lastfirst}{marker}_{s.roster.lms_id}_{50000 + n}_{file_name(assignment, s)}"
            info = zipfile.ZipInfo(member, date_time=when.timetuple()[:6])
            zf.writestr(info, notebook_bytes(root, assignment, s))


def submit_to_exchange(
    course: Path, exchange: Path, assignment: str, student: DemoStudent, home: Path
) -> None:
    """The student's ``nbgrader submit``, in process, from their own folder and cache."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeSubmit
    from traitlets.config import Config

    (home / assignment).mkdir(parents=True, exist_ok=True)
    (home / assignment / file_name(assignment, student)).write_bytes(
        notebook_bytes(course, assignment, student)
    )
    from allyship.nbgrader_support import load_course_config

    cfg = Config()
    cfg.CourseDirectory.course_id = load_course_config(course).CourseDirectory.course_id
    cfg.Exchange.root = str(exchange)
    cfg.Exchange.cache = str(home / ".cache")
    cfg.Exchange.assignment_dir = str(home)
    coursedir = CourseDirectory(config=cfg)
    coursedir.student_id = student.roster.id
    coursedir.assignment_id = assignment
    app = ExchangeSubmit(coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg)
    app.start()
