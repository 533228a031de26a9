"""``allyship roster import FILE``: put the class roster into the nbgrader gradebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from allyship.course import CourseError, find_course_root


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("roster", help="manage the class roster in the gradebook")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    importer = actions.add_parser(
        "import",
        help="import a roster CSV (id, first_name, last_name, email, lms_id)",
        description="Create or update gradebook students from a CSV; bad rows are reported.",
    )
    importer.add_argument("file", type=Path, help="roster CSV (UTF-8)")
    importer.add_argument("--course", type=Path, default=None, help="course folder")
    importer.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    from allyship.instructor.roster import RosterError, import_roster, read_roster
    from allyship.nbgrader_support import load_course_config

    try:
        root = find_course_root(args.course)
        roster = read_roster(args.file)
    except (CourseError, RosterError) as err:
        print(f"allyship roster: {err}", file=sys.stderr)
        return 2
    for problem in roster.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    count = import_roster(load_course_config(root), roster.students)
    print(f"imported {count} students, skipped {len(roster.problems)} rows")
    return 1 if roster.problems else 0
