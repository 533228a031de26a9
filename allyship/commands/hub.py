"""``allyship hub init``: write a course's JupyterHub classroom (allyship.instructor.hub)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
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
            "Run it once per course into the same hub folder for several courses side by side; "
            "the hub-wide options (exchange, environment, address) are kept from the first run "
            "unless given again. Nothing outside the hub folder is changed."
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
        "--exchange", type=Path, help="nbgrader's exchange folder (default: /srv/nbgrader/exchange)"
    )
    init.add_argument(
        "--venv", type=Path, help="the course environment every server runs from (default: this)"
    )
    init.add_argument("--bind-url", help="the hub's address (default: http://127.0.0.1:8000)")
    init.add_argument(
        "--proxy", help="configurable-http-proxy command (npm install -g configurable-http-proxy)"
    )
    init.add_argument(
        "--exchange-service",
        choices=("filesystem", "ngshare"),
        help="nbgrader's exchange: a shared folder (one machine; the default), or ngshare as a "
        "hub service (a hub on several machines)",
    )
    init.add_argument(
        "--ngshare-port", type=int, help="ngshare's port on 127.0.0.1 (default: 10101)"
    )
    init.set_defaults(func=run_init)
    z2jh = actions.add_parser(
        "z2jh",
        help="write Zero to JupyterHub (Kubernetes) values and the single-user image for it",
        description=(
            "Write, into a folder of the course (a copy of this repository): values.yaml for "
            "the jupyterhub Helm chart (the roster's users and groups, the ngshare exchange, "
            "every role's Jupyter settings mounted into its pods), ngshare-values.yaml for "
            "ngshare's chart, and the Dockerfile of the single-user image."
        ),
    )
    z2jh.add_argument("--course", type=Path, default=None, help="course folder (default: here)")
    z2jh.add_argument("--out", type=Path, default=None, help="folder (default: deploy/z2jh)")
    z2jh.add_argument("--instructor", action="append", default=[], required=True)
    z2jh.add_argument("--roster", type=Path, default=None, help="roster CSV of the students")
    z2jh.add_argument("--image", required=True, help="the single-user image, NAME:TAG")
    z2jh.add_argument(
        "--authenticator",
        required=True,
        help="the hub's authenticator (github, generic-oauth, ltiauthenticator, ...): its user "
        "names must be the roster's ids",
    )
    z2jh.add_argument("--namespace", default="default", help="the charts' Kubernetes namespace")
    z2jh.add_argument(
        "--pod-course", default=None, help="the course folder in the instructor's pod "
        "(default: /home/jovyan/COURSE_ID)"
    )  # fmt: skip
    z2jh.set_defaults(func=run_z2jh)


#: The hub-wide options when neither this run nor an earlier one into the hub folder set them.
DEFAULTS: dict[str, object] = {
    "venv": Path(sys.prefix),
    "exchange": Path("/srv/nbgrader/exchange"),
    "bind_url": "http://127.0.0.1:8000",
    "proxy": "configurable-http-proxy",
    "exchange_service": "filesystem",
    "ngshare_port": 10101,
}


def hub_settings(args: argparse.Namespace, stored: dict[str, str]) -> dict[str, object]:
    """Each hub-wide option: this run's, else the hub folder's earlier one, else the default;
    a change to an earlier one is said, as it applies to every course of the hub."""
    settings = {}
    for name, default in DEFAULTS.items():
        given = getattr(args, name)
        kind = type(default) if not isinstance(default, Path) else Path
        before = kind(stored[name]) if name in stored else None
        value = given if given is not None else before if before is not None else default
        if isinstance(value, Path):
            value = value.resolve()
        if before is not None and value != before:
            flag = "--" + name.replace("_", "-")
            print(f"{flag}: {before} -> {value}, for every course of the hub", file=sys.stderr)
        settings[name] = value
    return settings


def course_people(args: argparse.Namespace) -> tuple[Path, str, list, list[str]]:
    """The course folder, its id, the roster's students (records) and every problem with
    them as hub users."""
    from allyship.instructor import hub
    from allyship.instructor.roster import load_roster, read_roster
    from allyship.nbgrader_support import load_course_config

    root = find_course_root(args.course)
    config = load_course_config(root)
    if args.roster is not None:
        roster = read_roster(args.roster)
        for problem in roster.problems:
            print(f"skipped: {problem}", file=sys.stderr)
        students = list(roster.students)
    else:
        students = list(load_roster(config))
    course_id = str(config.CourseDirectory.course_id or "")
    problems = hub.check_users(args.instructor, [s.id for s in students])
    if problem := hub.course_id_problem(course_id):
        problems.insert(0, f"{root / 'nbgrader_config.py'}: {problem}")
    return root, course_id, students, problems


def run_z2jh(args: argparse.Namespace) -> int:
    from allyship.instructor import hub, z2jh

    root, course_id, students, problems = course_people(args)
    if problems:
        raise hub.HubError("; ".join(problems))
    out = (args.out or root / "deploy" / "z2jh").resolve()
    pod_course = Path(args.pod_course or z2jh.POD_HOME / course_id)
    record = hub.CourseRecord(
        course_id, pod_course, tuple(args.instructor), tuple(s.id for s in students)
    )
    deployment = z2jh.Deployment(
        record=record, course=root, out=out, image=args.image,
        authenticator=args.authenticator, namespace=args.namespace,
        ngshare_token=z2jh.known_token(out),
    )  # fmt: skip
    for path in z2jh.write(deployment):
        print(f"wrote {path}")
    if args.roster is not None:  # for ngshare's course tool, in the instructor's pod
        print(f"wrote {hub.write_ngshare_students(replace(record, course=out), students)}")
    steps = "; ".join(hub.ngshare_course_steps(record))
    print(
        f"Next: docker build -f {out.relative_to(root) / 'Dockerfile'} -t {args.image} . (in "
        f"{root}) and push it; helm upgrade --install ngshare ngshare/ngshare -f "
        f"{out / 'ngshare-values.yaml'}; helm upgrade --install jhub jupyterhub/jupyterhub "
        f"--version {z2jh.CHART_VERSION} -f {out / 'values.yaml'}. Then, as the instructor in a "
        f"hub terminal in {pod_course}: {steps}"
    )
    return 0


def run_init(args: argparse.Namespace) -> int:
    from allyship.instructor import hub
    from allyship.instructor.doctor import interpreter_findings

    root, course_id, roster_students, problems = course_people(args)
    students = [s.id for s in roster_students]
    out = args.out.resolve()
    record = hub.CourseRecord(course_id, root, tuple(args.instructor), tuple(students))
    others = hub.load_records(out)
    problems += hub.check_courses(record, others)
    if problems:
        raise hub.HubError("; ".join(problems))
    courses = [r for r in others if r.course_id != course_id] + [record]
    plan = hub.HubPlan(
        courses=tuple(sorted(courses, key=lambda r: r.course_id)),
        out=out,
        **hub_settings(args, hub.load_settings(out)),
    )
    for path in hub.write(plan):
        print(f"wrote {path}")
    if plan.ngshare and args.roster is not None:
        print(f"wrote {hub.write_ngshare_students(record, roster_students)}")
    if plan.ngshare:
        steps = "; ".join(hub.ngshare_course_steps(record))
        print(
            f"Once the hub runs, as the instructor in a hub terminal in the course folder: {steps}"
        )
    for finding in interpreter_findings(plan.venv):
        print(finding.line())
    names = ", ".join(repr(r.course_id) for r in plan.courses)
    print(
        f"{len(record.instructors)} instructor(s), {len(record.students)} student(s), course "
        f"{course_id!r}; the hub has {len(plan.courses)} course(s): {names}. Next, as root: "
        f"sh {plan.out / 'setup-system.sh'}, then jupyterhub -f "
        f"{plan.out / 'jupyterhub_config.py'}; check with allyship doctor."
    )
    return 0
