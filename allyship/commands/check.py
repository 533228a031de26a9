"""``allyship check``: tell a student, per prompt, what the grader will say about a notebook.

Exit status: 0 when every prompt is complete, 1 when the notebook was checked and a prompt is
incomplete, 2 when a notebook could not be checked (a script must not mistake "unreadable" or
"another assignment's notebook" for "incomplete"). Every problem is one line naming the file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from allyship.check import check_path, format_report, unexpected
from allyship.course import CourseError, find_course_root

COMPLETE, INCOMPLETE, NOT_CHECKED = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check the reflections of a notebook the way the grader will",
        description=(
            "Print, for each prompt, the grader's verdict and reasons. The prompts come from the "
            "course's source/ notebooks when a course is found at or above the notebook (or given "
            "with --course), else from the notebook after comparing them with this package's "
            "trusted copy. Exit status: 0 when every prompt is complete, 1 when one is "
            "incomplete, 2 when a notebook cannot be checked."
        ),
    )
    parser.add_argument("notebook", nargs="+", type=Path, help="student notebook(s) (.ipynb)")
    parser.add_argument(
        "--course",
        type=Path,
        help="course folder whose source/ holds the trusted prompts (default: found above)",
    )
    parser.add_argument(
        "--assignment",
        help="the assignment the notebook is for (default: its file name)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    course = None if args.course is None else find_course_root(args.course)  # cli reports errors
    return max(check_one(path, course, args.assignment) for path in args.notebook)


def check_one(path: Path, course: Path | None, assignment: str | None) -> int:
    """Check one notebook, print its report or its one-line problem, return its exit status.

    Each notebook's problem is caught here, not in ``allyship.cli``, so the others are checked.
    """
    try:
        checked = check_path(path, course, assignment)
    except CourseError as err:
        print(f"allyship check: {err}", file=sys.stderr)
        return NOT_CHECKED
    except Exception as err:  # a student's tool: one line, never a traceback
        print(f"allyship check: {unexpected(path, err)}", file=sys.stderr)
        return NOT_CHECKED
    print(format_report(path, checked.results, checked.trusted))
    return COMPLETE if checked.complete else INCOMPLETE
