"""``allyship doctor``: check a course's set-up (hub or single machine) and name each problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from allyship.course import find_course_root


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the course's set-up and name each problem",
        description=(
            "Inspect the configuration chain, the exchange, the course id, who can read the "
            "course's files and the students' home folders, and whether students can run the "
            "course's Python. Changes nothing; exits 1 when there is a problem."
        ),
    )
    parser.add_argument("--course", type=Path, default=None, help="course folder (default: here)")
    parser.add_argument(
        "--homes",
        type=Path,
        default=Path("/home"),
        help="the folder holding the users' home folders (default: /home)",
    )
    parser.add_argument(
        "--hub",
        type=Path,
        default=None,
        help="the hub folder allyship hub init wrote: check the students' settings too",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from allyship.instructor.doctor import inspect

    findings = inspect(find_course_root(args.course), args.homes, args.hub)
    for finding in findings:
        print(finding.line())
    problems = sum(not f.ok for f in findings)
    print(f"{problems} problem{'s' if problems != 1 else ''}" if problems else "no problems")
    return 1 if problems else 0
