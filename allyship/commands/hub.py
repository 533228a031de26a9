"""``allyship hub init``: write a course's JupyterHub classroom (allyship.instructor.hub)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from allyship.course import find_course_root


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hub", help="set up a JupyterHub classroom for the course")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        help="write the hub's configuration for this course",
        description=(
            "Write a hub folder: jupyterhub_config.py (users and groups from the roster, every "
            "server from this environment), the nbgrader configuration every account reads (the "
            "exchange, the course id), per-role Jupyter settings (students get the Assignment "
            "List, instructors formgrader too), terminals that find allyship, and "
            "setup-system.sh, the root-only steps (accounts with private homes, the exchange). "
            "Nothing outside the hub folder is changed."
        ),
    )
    init.add_argument("--course", type=Path, default=None, help="course folder (default: here)")
    init.add_argument(
        "--out", type=Path, default=Path("/srv/allyship-hub"), help="hub folder to write"
    )
    init.add_argument(
        "--instructor", action="append", default=[], required=True, help="instructor login"
    )
    init.add_argument(
        "--roster",
        type=Path,
        default=None,
        help="roster CSV of the students (default: the students in the gradebook)",
    )
    init.add_argument(
        "--exchange",
        type=Path,
        default=Path("/srv/nbgrader/exchange"),
        help="nbgrader's exchange folder (default: /srv/nbgrader/exchange)",
    )
    init.add_argument(
        "--venv",
        type=Path,
        default=Path(sys.prefix),
        help="the course environment every server runs from (default: this one)",
    )
    init.add_argument("--bind-url", default="http://127.0.0.1:8000", help="the hub's address")
    init.add_argument(
        "--proxy",
        default="configurable-http-proxy",
        help="configurable-http-proxy command (npm install -g configurable-http-proxy)",
    )
    init.add_argument(
        "--exchange-service",
        choices=("filesystem", "ngshare"),
        default="filesystem",
        help="nbgrader's exchange: a shared folder (one machine), or ngshare as a hub service "
        "(a hub on several machines)",
    )
    init.add_argument("--ngshare-port", type=int, default=10101, help="ngshare's port on 127.0.0.1")
    init.set_defaults(func=run_init)


def run_init(args: argparse.Namespace) -> int:
    from allyship.instructor import hub
    from allyship.instructor.doctor import interpreter_findings
    from allyship.instructor.roster import load_roster, read_roster
    from allyship.nbgrader_support import load_course_config

    root = find_course_root(args.course)
    config = load_course_config(root)
    if args.roster is not None:
        roster = read_roster(args.roster)
        for problem in roster.problems:
            print(f"skipped: {problem}", file=sys.stderr)
        students = [s.id for s in roster.students]
    else:
        students = [s.id for s in load_roster(config)]
    problems = hub.check_users(args.instructor, students)
    if problems:
        raise hub.HubError("; ".join(problems))
    plan = hub.HubPlan(
        course=root,
        course_id=str(config.CourseDirectory.course_id or ""),
        out=args.out.resolve(),
        venv=args.venv.resolve(),
        exchange=args.exchange.resolve(),
        instructors=tuple(args.instructor),
        students=tuple(students),
        bind_url=args.bind_url,
        proxy=args.proxy,
        exchange_service=args.exchange_service,
        ngshare_port=args.ngshare_port,
    )
    if not plan.course_id:
        raise hub.HubError(f"{root / 'nbgrader_config.py'}: no CourseDirectory.course_id")
    for path in hub.write(plan):
        print(f"wrote {path}")
    if plan.ngshare and args.roster is not None:
        print(f"wrote {hub.write_ngshare_students(plan, roster.students)}")
    if plan.ngshare:
        steps = "; ".join(hub.ngshare_course_steps(plan))
        print(
            f"Once the hub runs, as the instructor in a hub terminal in the course folder: {steps}"
        )
    for finding in interpreter_findings(plan.venv):
        print(finding.line())
    print(
        f"{len(plan.instructors)} instructor(s), {len(plan.students)} student(s), course "
        f"{plan.course_id!r}. Next, as root: sh {plan.out / 'setup-system.sh'}, then "
        f"jupyterhub -f {plan.out / 'jupyterhub_config.py'}; check with allyship doctor."
    )
    return 0
