"""``allyship check``: tell a student, per prompt, what the grader will say about a notebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from allyship.check import check_file, format_report
from allyship.course import CourseError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check the reflections of a notebook the way the grader will",
        description=(
            "Print, for each prompt, the grader's verdict and reasons. Exit status: 0 when every "
            "prompt is complete, 1 when one is incomplete, 2 when a file cannot be read."
        ),
    )
    parser.add_argument("notebook", nargs="+", type=Path, help="student notebook(s) (.ipynb)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    status = 0
    for path in args.notebook:
        try:
            results = check_file(path)
        except CourseError as err:
            print(f"allyship check: {err}", file=sys.stderr)
            status = 2
            continue
        print(format_report(path, results))
        if any(item.verdict.status == "incomplete" for item in results):
            status = max(status, 1)
    return status
