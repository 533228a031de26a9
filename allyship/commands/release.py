"""``allyship release``: regenerate the student versions in ``assignments/`` from ``source/``."""

from __future__ import annotations

import argparse
from pathlib import Path

from allyship.course import assignments, find_course_root


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "release",
        help="generate the student notebooks in assignments/ from source/",
        description="Run nbgrader generate_assignment for each assignment (all by default).",
    )
    parser.add_argument("assignment", nargs="*", help="assignment names (default: all)")
    parser.add_argument("--course", type=Path, default=None, help="course folder (default: here)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root = find_course_root(args.course)
    names = args.assignment or assignments(root)
    failed = [name for name in names if not generate(root, name)]
    refresh_reading(root)
    for name in failed:
        print(f"allyship release: could not generate {name} (see the log above)")
    return 1 if failed else 0


def refresh_reading(root: Path) -> None:
    """Re-fingerprint the course reading (essay + book) that copy detection compares against."""
    from allyship.reflection.reading import READING_PATH, update_reading

    if update_reading(root):
        print(f"updated the course reading fingerprints in {READING_PATH}")


def generate(root: Path, assignment: str) -> bool:
    """Run the real ``nbgrader generate_assignment`` in process; True when it succeeded."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from allyship.nbgrader_support import load_course_config

    config = load_course_config(root)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    result = api.generate_assignment(assignment, force=True)
    if not result["success"]:
        print(result.get("log", ""))
        print(result.get("error", ""))
    else:
        print(f"released {assignment} -> {root / 'assignments' / assignment}")
    return bool(result["success"])
