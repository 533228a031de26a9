"""What was graded last time, so a re-run regrades only what changed.

Kept in ``reports/<assignment>/.grade-state.json``: per student, the digest of the submitted
files and of the grading setup (rules, config, source notebook, due date) at the last autograde,
the digest of the grades the feedback was generated from, and intake notes. Grades themselves
live only in the gradebook; losing this file only costs a full regrade.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import allyship

if TYPE_CHECKING:
    from allyship.instructor.paths import CoursePaths

#: Bump when the way feedback is rendered changes, so existing feedback is regenerated.
FEEDBACK_FORMAT = "inert-student-markdown-4"


@dataclass
class GradeState:
    path: Path
    students: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Problems already reported (``Problem.key`` -> when first seen): set aside, not news.
    set_aside: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> GradeState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        students, set_aside = data.get("students"), data.get("set_aside")
        return cls(
            path,
            students if isinstance(students, dict) else {},
            set_aside if isinstance(set_aside, dict) else {},
        )

    def get(self, student: str, key: str) -> Any:
        return self.students.get(student, {}).get(key)

    def set(self, student: str, **values: Any) -> None:
        self.students.setdefault(student, {}).update(values)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        data = {"students": self.students, "set_aside": self.set_aside}
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(self.path)


def setup_digest(paths: CoursePaths, assignment: str, due: object) -> str:
    """Digest of everything that decides a grade besides the submission itself."""
    digest = hashlib.sha256(f"{allyship.__version__}|{due}".encode())
    package = Path(allyship.__file__).parent
    files = [paths.config_file, *sorted(paths.source(assignment).rglob("*"))]
    files += sorted(
        p
        for p in package.rglob("*.py")
        if p.parts[len(package.parts)].startswith(("reflection", "nbgrader", "course"))
    )
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def grades_digest(submission) -> str:
    """Digest of a submission's scores and comments in the gradebook (what feedback shows)."""
    parts = [FEEDBACK_FORMAT, str(submission.timestamp), str(submission.late_submission_penalty)]
    for nb in sorted(submission.notebooks, key=lambda n: n.name):
        for g in sorted(nb.grades, key=lambda g: g.name):
            parts.append(f"{g.name}|{g.auto_score}|{g.manual_score}|{g.extra_credit}")
        for c in sorted(nb.comments, key=lambda c: c.name):
            parts.append(f"{c.name}|{c.auto_comment}|{c.manual_comment}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def submission_hash(folder: Path) -> str:
    """A digest of every file of a submission, to regrade only what changed (links not followed)."""
    hasher = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        hasher.update(str(path.relative_to(folder)).encode())
        hasher.update(b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()
