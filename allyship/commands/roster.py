"""``allyship roster import FILE``: put the class roster into the nbgrader gradebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from allyship.course import find_course_root


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("roster", help="manage the class roster in the gradebook")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    importer = actions.add_parser(
        "import",
        help="import a roster CSV (id, first_name, last_name, email, lms_id)",
        description=(
            "Create or update gradebook students from a CSV. Bad rows (no id, an unsafe or "
            "repeated id, < or > or invisible characters in a field, an lms_id another student "
            "has) are reported by line and skipped; the exit status is then 1. A file that "
            "cannot be read row by row for sure (a quote left open, a line break in a field, a "
            "column named twice, not comma-separated) is refused whole, with exit status 2."
        ),
    )
    importer.add_argument("file", type=Path, help="roster CSV (UTF-8)")
    importer.add_argument("--course", type=Path, default=None, help="course folder")
    importer.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    from allyship.instructor.roster import import_roster, read_roster, without_lms_clashes
    from allyship.nbgrader_support import load_course_config

    root = find_course_root(args.course)  # errors are reported once, by allyship.cli
    roster = read_roster(args.file)
    config = load_course_config(root)
    roster = without_lms_clashes(config, roster, args.file)
    for problem in roster.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    counts = import_roster(config, roster.students)
    print(
        f"{args.file.name}: {counts.added} added, {counts.updated} updated, "
        f"{len(roster.problems)} skipped"
    )
    return 1 if roster.problems else 0
