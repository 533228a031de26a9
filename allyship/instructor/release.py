"""Releasing the student versions: ``source/`` through nbgrader into ``assignments/``.

``generate`` runs the real ``nbgrader generate_assignment`` in process with the course's
configuration; ``refresh_reading`` re-fingerprints the course reading that copy detection
compares answers against (the book and the notebooks are part of it) and the prompts the
student's self-check verifies a downloaded notebook against.
"""

from __future__ import annotations

from pathlib import Path

from allyship.instructor.paths import CoursePaths
from allyship.nbgrader_support import load_course_config


def generate(root: Path, assignment: str) -> tuple[bool, str]:
    """Release one assignment; returns success and what to tell the instructor."""
    from nbgrader.apps import NbGraderAPI

    config = load_course_config(root)
    paths = CoursePaths.from_config(config)
    api = NbGraderAPI(paths.coursedir, config=config)
    result = api.generate_assignment(assignment, force=True)
    if not result["success"]:
        return False, f"{result.get('log', '')}\n{result.get('error', '')}"
    return True, f"released {assignment} -> {paths.release(assignment)}"


def refresh_reading(root: Path) -> list[str]:
    """Re-fingerprint the course reading (essay + book) that copy detection compares against,
    into the course folder. When the package itself is part of this course folder (this
    repository), also what the package carries: the reading and the prompts a downloaded
    notebook is checked against without ``source/``. Says what changed."""
    from allyship.check import PACKAGED_PATH, write_packaged
    from allyship.reflection.reading import (
        COURSE_READING,
        READING_PATH,
        reading_note,
        update_reading,
    )

    note = reading_note(root)
    changed = [f"note: {note}"] if note else []
    if update_reading(root, root / COURSE_READING):
        changed.append(f"updated the course reading fingerprints in {root / COURSE_READING}")
    if not carries_package(root):
        return changed
    if update_reading(root):
        changed.append(f"updated the package's reading fingerprints in {READING_PATH}")
    if write_packaged(root):
        changed.append(f"updated the course's prompts for the self-check in {PACKAGED_PATH}")
    return changed


def carries_package(root: Path) -> bool:
    """True when the installed ``allyship`` package lives inside the course folder ``root``
    (a development checkout): only then is the package's data the course's to rewrite."""
    import allyship

    return Path(allyship.__file__).resolve().parent.is_relative_to(root.resolve())
