"""``allyship term``: the whole term's grades, every assignment, in one file per LMS."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from allyship.cli import plain
from allyship.course import find_course_root


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "term",
        help="the term's grades: every assignment per student, for the LMS",
        description=(
            "Read the gradebook (grader overrides and late penalties included) and write "
            "reports/term/{term.csv,canvas.csv,moodle.csv}: one row per student, one column per "
            "assignment of source/, blank where there is no grade. No reflection text. Exit "
            "status: 0 when the files were written, 2 when they cannot be (no gradebook yet)."
        ),
    )
    parser.add_argument("--course", type=Path, default=None, help="course folder (default: here)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from allyship.instructor.term import read_term, summary, write_term

    root = find_course_root(args.course)  # errors are reported once, by allyship.cli
    term = read_term(root)
    write_term(term)
    for note in term.notes:
        print(f"note: {plain(note)}", file=sys.stderr)
    for line in summary(term):
        print(plain(line))
    return 0
