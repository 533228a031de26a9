"""Releasing the student versions: ``source/`` through nbgrader into ``assignments/``.

``generate`` runs the real ``nbgrader generate_assignment`` in process with the course's
configuration; ``refresh_reading`` re-fingerprints the course reading that copy detection
compares answers against, since the book and the notebooks are part of it.
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


def refresh_reading(root: Path) -> str | None:
    """Re-fingerprint the course reading (essay + book); says where when it changed."""
    from allyship.reflection.reading import READING_PATH, update_reading

    if update_reading(root):
        return f"updated the course reading fingerprints in {READING_PATH}"
    return None
