"""``allyship grade ASSIGNMENT``: collect, check, autograde, feedback, exports and class report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from allyship.cli import plain
from allyship.course import find_course_root


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "grade",
        help="grade an assignment: submissions in; grades, feedback, LMS files, report out",
        description=(
            "Collect submissions from the nbgrader exchange (or file them from an LMS archive "
            "with --zip), check them, autograde what changed, generate feedback and write "
            "reports/ASSIGNMENT/{grades.csv,canvas.csv,moodle.csv,report.html}. Exit status: "
            "0 when everything was graded, 1 when a file failed or was refused in this run, "
            "2 when the assignment could not be graded at all."
        ),
    )
    parser.add_argument("assignment", help="assignment name (a folder of source/)")
    parser.add_argument(
        "--zip",
        type=Path,
        metavar="FILE",
        help="a Canvas or Moodle 'download all submissions' archive instead of the exchange",
    )
    parser.add_argument(
        "--include-text",
        action="store_true",
        help="also put the reflection texts in grades.csv and report.html (off by default)",
    )
    parser.add_argument("--course", type=Path, default=None, help="course folder (default: here)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import warnings

    from allyship.instructor.pipeline import grade_assignment
    from allyship.instructor.run import GradeError

    # nbgrader's own autoflush noise while it creates a submission; not the user's concern.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    root = find_course_root(args.course)
    if args.zip is not None and not args.zip.exists():
        raise GradeError(f"{args.zip}: file not found")
    result = grade_assignment(
        root, args.assignment, archive=args.zip, include_text=args.include_text
    )
    for note in result.notes:
        print(f"note: {plain(note)}", file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {plain(warning)}", file=sys.stderr)
    for problem in result.failed:
        label = "failed" if result.is_new(problem) else "still set aside (reported before)"
        print(
            f"{label}: {plain(problem.student)}: {plain(problem.file)}: {plain(problem.reason)}",
            file=sys.stderr,
        )
    print(
        f"autograded {len(result.autograded)}, unchanged since last run {len(result.unchanged)}"
        f"; reports in {result.reports}"
    )
    print(result.feedback_line())
    print(result.summary())
    return 1 if result.new_failures or result.feedback_released is False else 0
