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
    from allyship.instructor.release import generate, refresh_reading

    root = find_course_root(args.course)
    names = args.assignment or assignments(root)
    failed = []
    for name in names:
        ok, message = generate(root, name)
        print(message)
        if not ok:
            failed.append(name)
    for line in refresh_reading(root):
        print(line)
    for name in failed:
        print(f"allyship release: could not generate {name} (see the log above)")
    return 1 if failed else 0
