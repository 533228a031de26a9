"""``allyship hub init``: a JupyterHub classroom for one course, written, not hand-made.

A trial on a real multi-user hub (``../shared/reviews/hub-trial.md``) needed about ten pieces of
glue: the exchange and course id for every account, students limited to the Assignment List,
the instructor's formgrader reachable inside JupyterLab, terminals that find ``allyship``,
private homes. Each is one file here, under one hub folder, so the set-up can be read,
re-generated and removed as a whole:

- ``jupyterhub_config.py``: users and groups from the roster, the course environment's
  single-user server, and a spawn hook that gives each role its own Jupyter configuration
  folder (``JUPYTER_CONFIG_PATH`` comes first in Jupyter's search path);
- ``jupyter/common/nbgrader_config.py``: the exchange and course id every account reads;
- ``jupyter/student/`` and ``jupyter/instructor/``: server extensions, JupyterLab plugins,
  terminals and framing per role; the instructor's file names the course folder;
- ``setup-system.sh``: what only root can do (accounts with private homes, the exchange
  folder), for the administrator to read and run;
- ``env.sh``: the same environment for a shell outside the hub (ssh, cron).

Hiding formgrader from students is convenience, not protection: what keeps reflections and
grades private is file permissions (private homes, the exchange's modes, a private course
folder), which ``setup-system.sh`` sets and ``allyship doctor`` checks.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

from allyship.errors import AllyshipError
from allyship.instructor.identity import id_problem, shown_id

#: nbgrader's server extensions and JupyterLab plugins that only instructors get.
FORMGRADER = "nbgrader.server_extensions.formgrader"
ASSIGNMENT_LIST = "nbgrader.server_extensions.assignment_list"
INSTRUCTOR_SERVER_EXTENSIONS = (FORMGRADER, "nbgrader.server_extensions.course_list")
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:create-assignment",
)
#: ngshare, the exchange for a hub on several machines, runs in an environment of its own: with
#: SQLAlchemy 2 a release "succeeds" and stores nothing (LibreTexts/ngshare#169), and alembic
#: 1.14 no longer works with SQLAlchemy 1.4.
NGSHARE_PINS = ("ngshare==0.6.0", "SQLAlchemy==1.4.54", "alembic==1.13.3")
#: Its nbgrader side goes into the course environment without its dependencies: it pins a
#: jupyter-core older than nbgrader 0.9 needs; rapidfuzz is the one it needs that is not there.
NGSHARE_EXCHANGE_PINS = ("ngshare_exchange==0.5.3",)
NGSHARE_EXCHANGE_DEPENDENCIES = ("rapidfuzz==3.14.6",)
EXCHANGES = ("filesystem", "ngshare")
NGSHARE_SCOPE = "access:services!service=ngshare"
#: How nbgrader learns a hub user's courses: from their groups nbgrader-<course> (students)
#: and formgrade-<course> (instructors).
AUTH_PLUGIN = "nbgrader.auth.JupyterHubAuthPlugin"

#: The course environment's packages: the pins of requirements.txt that a user's server needs
#: (the rest build the book, test, or train the model).
SERVER_PACKAGES = ("nbgrader", "ipywidgets", "anywidget", "ipykernel", "jupyterlab", "notebook",
                   "nbformat", "nbconvert", "traitlets")  # fmt: skip

#: A Unix login name: PAM's users are Unix accounts, so a hub user must be one.
UNIX_NAME_HELP = "a Unix login: lowercase letters, digits, '_' or '-', starting with a letter"


class HubError(AllyshipError):
    """The hub set-up cannot be written as asked; the message says why."""


@dataclass(frozen=True)
class CourseRecord:
    """One course of the hub: its folder, id and people (kept in the hub's state, so the
    courses of one hub are set up one ``hub init`` at a time)."""

    course_id: str
    course: Path  # the instructor's course folder
    instructors: tuple[str, ...]
    students: tuple[str, ...]


@dataclass(frozen=True)
class HubPlan:
    """What a hub classroom for one or several courses needs to know."""

    courses: tuple[CourseRecord, ...]
    out: Path  # the hub folder the files are written to
    venv: Path  # the course environment every user's server runs from
    exchange: Path
    bind_url: str = "http://127.0.0.1:8000"
    proxy: str = "configurable-http-proxy"
    exchange_service: str = "filesystem"  # or "ngshare"
    ngshare_port: int = 10101
    ngshare_url: str = ""  # where servers reach ngshare; default: through the hub's proxy

    @property
    def ngshare(self) -> bool:
        return self.exchange_service == "ngshare"

    @property
    def several(self) -> bool:
        """Several courses: students pick theirs from their hub groups (nbgrader's
        JupyterHubAuthPlugin) and fetch into a folder per course."""
        return len(self.courses) > 1

    @property
    def instructors(self) -> tuple[str, ...]:
        return tuple(sorted({n for record in self.courses for n in record.instructors}))

    @property
    def students(self) -> tuple[str, ...]:
        return tuple(sorted({n for record in self.courses for n in record.students}))

    @property
    def ngshare_env(self) -> Path:
        return self.out / "ngshare-env"

    @property
    def ngshare_state(self) -> Path:
        return self.out / "state" / "ngshare"

    def config_path(self, role: str, course_id: str | None = None) -> str:
        return role_config_path(self.out, role, course_id)

    @property
    def bin(self) -> Path:
        return self.venv / "bin"


def role_config_path(out: Path, role: str, course_id: str | None = None) -> str:
    """The ``JUPYTER_CONFIG_PATH`` of a role's servers: an instructor's course folder first
    (which course formgrader serves), then the role's own folder, then the common one."""
    folders = [out / "jupyter" / role, out / "jupyter" / "common"]
    if course_id is not None:
        folders.insert(0, course_folder(out, course_id))
    return ":".join(str(folder) for folder in folders)


def course_folder(out: Path, course_id: str) -> Path:
    return out / "jupyter" / f"course-{course_id}"


def course_id_problem(course_id: str) -> str | None:
    """Why ``course_id`` cannot name a course of the hub (it names hub groups, ``nbgrader-``
    and ``formgrade-`` followed by it, and a folder), or None."""
    if not course_id:
        return "no CourseDirectory.course_id"
    if not (course_id[0].isalnum() and all(c.isalnum() or c in "_-." for c in course_id)):
        return f"the course id {shown_id(course_id)} is not letters, digits, '_', '-' or '.'"
    if not course_id.isascii() or len(course_id) > 64:
        return f"the course id {shown_id(course_id)} is not 64 ASCII characters or fewer"
    return None


def unix_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a hub user's Unix login, or None."""
    problem = id_problem(name)
    if problem:
        return problem
    if not (name[0].islower() and all(c.islower() or c.isdigit() or c in "_-" for c in name)):
        return f"{shown_id(name)} is not {UNIX_NAME_HELP}"
    if len(name) > 32:
        return f"{shown_id(name)} is longer than the 32 characters of a Unix login"
    return None


def check_users(instructors: list[str], students: list[str]) -> list[str]:
    """Every reason the users cannot be hub accounts (empty when they all can)."""
    problems = [f"instructor {p}" for n in instructors if (p := unix_name_problem(n))]
    problems += [f"student {p}" for n in students if (p := unix_name_problem(n))]
    both = sorted(set(instructors) & set(students))
    if both:
        problems.append(f"{', '.join(both)}: listed as instructor and as student")
    if not instructors:
        problems.append("no instructor: name one with --instructor")
    return problems


def check_courses(new: CourseRecord, others: list[CourseRecord]) -> list[str]:
    """Why ``new`` cannot join the hub's other courses: a server runs one formgrader for one
    course, so an instructor teaches one course of the hub and is nobody's student there."""
    problems = []
    for other in others:
        if other.course_id == new.course_id:
            continue
        for name in sorted(set(new.instructors) & set(other.instructors)):
            problems.append(
                f"{name} already teaches {other.course_id!r} on this hub: a hub user runs one "
                "formgrader, for one course; give this course another instructor account"
            )
        for name in sorted(set(new.instructors) & set(other.students)):
            problems.append(f"{name} is a student of {other.course_id!r} on this hub")
        for name in sorted(set(new.students) & set(other.instructors)):
            problems.append(f"{name} teaches {other.course_id!r} on this hub")
    return problems


# ------------------------------------------------------------------------------ the files


def _json(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def terminals() -> dict[str, object]:
    """Terminals as a plain interactive shell: under a hub, jupyter_server_terminals starts a
    login shell, whose /etc/profile resets PATH and loses the course environment."""
    return {"shell_command": ["/bin/bash", "-i"]}


def student_server_config() -> str:
    return _json(
        {
            "ServerApp": {
                "jpserver_extensions": {name: False for name in INSTRUCTOR_SERVER_EXTENSIONS},
                "terminado_settings": terminals(),
            }
        }
    )


def instructor_server_config() -> str:
    """Formgrader shows inside JupyterLab in an iframe of the same origin; JupyterHub 4.1 and
    later forbid all framing (``frame-ancestors 'none'``), so the instructor's server allows
    its own origin. Students' servers keep the hub's default."""
    return _json(
        {
            "ServerApp": {
                "jpserver_extensions": {name: True for name in INSTRUCTOR_SERVER_EXTENSIONS},
                "terminado_settings": terminals(),
                "tornado_settings": {
                    "headers": {"Content-Security-Policy": "frame-ancestors 'self'"}
                },
            }
        }
    )


#: JupyterLab asks every new user whether to fetch Jupyter's news from the internet; a class
#: has no use for the question (and nothing is fetched either way).
QUIET_LAB_PLUGINS = ("@jupyterlab/apputils-extension:announcements",)


def page_config(disabled: bool) -> str:
    plugins = {name: disabled for name in INSTRUCTOR_LAB_PLUGINS}
    return _json({"disabledExtensions": {**plugins, **dict.fromkeys(QUIET_LAB_PLUGINS, True)}})


def common_nbgrader_config(plan: HubPlan) -> str:
    head = (
        '"""Read by every account of the hub (students and instructors): the course and its\n'
        'exchange. Written by `allyship hub init`; re-run it rather than edit."""\n\n'
    )
    if plan.ngshare:
        head += "import ngshare_exchange\n\n"
    body = "c = get_config()  # noqa: F821\n"
    if plan.several:
        # Each student sees the courses of their hub groups (nbgrader-<course>) and fetches
        # into a folder per course; an instructor's course folder names their course.
        body += "c.Exchange.path_includes_course = True\n"
        if not plan.ngshare:  # ngshare keeps each course's members itself
            body += f"c.Authenticator.plugin_class = {AUTH_PLUGIN!r}\n"
    else:
        body += f"c.CourseDirectory.course_id = {plan.courses[0].course_id!r}\n"
    if plan.ngshare:  # through the hub's proxy, which checks each user's token
        url = plan.ngshare_url or plan.bind_url.rstrip("/") + "/services/ngshare"
        return head + body + f"ngshare_exchange.configureExchange(c, {url!r})\n"
    return head + body + f"c.Exchange.root = {str(plan.exchange)!r}\n"


def course_nbgrader_config(record: CourseRecord) -> str:
    return (
        '"""The instructors\' course folder, so formgrader and nbgrader started anywhere find it\n'
        '(nbgrader then also reads its nbgrader_config.py). Written by `allyship hub init`."""\n\n'
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(record.course)!r}\n"
        f"c.CourseDirectory.course_id = {record.course_id!r}\n"
    )


def groups(plan: HubPlan) -> dict[str, dict[str, list[str]]]:
    """The hub's groups: instructors and students, and nbgrader's per course (``formgrade-``
    for its instructors, ``nbgrader-`` for its students), which its auth plugin reads."""
    found = {"instructors": list(plan.instructors), "students": list(plan.students)}
    for record in plan.courses:
        found[f"formgrade-{record.course_id}"] = sorted(record.instructors)
        found[f"nbgrader-{record.course_id}"] = sorted(record.students)
    return {name: {"users": users} for name, users in found.items()}


def server_token_scopes(plan: HubPlan) -> list[str]:
    """What each user's server may do with its hub token: JupyterHub's own two, reading its
    user's groups when they choose the courses, calling ngshare when it is the exchange."""
    scopes = ["users:activity!user", "access:servers!server"]
    if plan.several and not plan.ngshare:
        scopes += ["read:users:name!user", "read:users:groups!user"]
    if plan.ngshare:
        scopes.append(NGSHARE_SCOPE)
    return scopes


def people_lines(plan: HubPlan) -> list[str]:
    """The hub's users, their groups and what their servers' tokens may do."""
    teaches = {n: r.course_id for r in plan.courses for n in r.instructors}
    return [
        f"TEACHES = {dict(sorted(teaches.items()))!r}  # instructor -> their course",
        f"STUDENTS = {list(plan.students)!r}",
        "c.Authenticator.allowed_users = set(TEACHES) | set(STUDENTS)",
        f"c.JupyterHub.load_groups = {groups(plan)!r}",
        f"c.Spawner.server_token_scopes = {server_token_scopes(plan)!r}",
    ]


def role_hook_lines(plan: HubPlan) -> list[str]:
    """A spawn hook giving each role its Jupyter configuration folders (``people_lines``
    defines TEACHES)."""
    paths = {r.course_id: plan.config_path("instructor", r.course_id) for r in plan.courses}
    return [
        "# Each role reads its own Jupyter configuration folder first; an instructor's names",
        "# their course.",
        f"INSTRUCTOR_PATHS = {paths!r}",
        f"STUDENT_PATH = {plan.config_path('student')!r}",
        "",
        "",
        "def per_role(spawner):",
        "    course = TEACHES.get(spawner.user.name)",
        "    path = STUDENT_PATH if course is None else INSTRUCTOR_PATHS[course]",
        '    spawner.environment = {**spawner.environment, "JUPYTER_CONFIG_PATH": path}',
        "",
        "",
        "c.Spawner.pre_spawn_hook = per_role",
        "",
    ]


def hub_config(plan: HubPlan) -> str:
    state = plan.out / "state"
    names = ", ".join(repr(r.course_id) for r in plan.courses)
    lines = [
        f"# JupyterHub for the allyship course(s) {names}. Written by `allyship hub init`:",
        "# re-run it after a roster change rather than edit (your own settings belong in a file",
        "# of yours that loads this one with load_subconfig).",
        "",
        "c = get_config()  # noqa: F821",
        "",
        f"c.JupyterHub.bind_url = {plan.bind_url!r}",
        'c.JupyterHub.hub_ip = "127.0.0.1"',
        f"c.ConfigurableHTTPProxy.command = [{plan.proxy!r}]",
        "# The hub's own state (database, cookie secret) is root's alone.",
        f"c.JupyterHub.db_url = {'sqlite:///' + str(state / 'jupyterhub.sqlite')!r}",
        f"c.JupyterHub.cookie_secret_file = {str(state / 'jupyterhub_cookie_secret')!r}",
        f"c.JupyterHub.pid_file = {str(state / 'jupyterhub.pid')!r}",
        "",
        "# Accounts: PAM (the machine's Unix users) by default; another authenticator works the",
        "# same way as long as its user names are the roster's ids.",
        *people_lines(plan),
        "",
        "# Every user's server runs from the course environment, in JupyterLab.",
        'c.JupyterHub.spawner_class = "localprocess"',
        f"c.Spawner.cmd = [{str(plan.bin / 'jupyterhub-singleuser')!r}]",
        'c.Spawner.default_url = "/lab"',
        "c.Spawner.environment = {",
        f'    "PATH": {str(plan.bin) + ":/usr/local/bin:/usr/bin:/bin"!r},',
        f'    "VIRTUAL_ENV": {str(plan.venv)!r},',
        "}",
        "c.Spawner.start_timeout = 120",
        "c.Spawner.http_timeout = 120",
        "",
        *role_hook_lines(plan),
    ]
    if plan.ngshare:
        lines += ngshare_service(plan)
    return "\n".join(lines)


def ngshare_service(plan: HubPlan) -> list[str]:
    """ngshare as a hub-managed service on 127.0.0.1, which every user's server may call."""
    state = plan.ngshare_state
    command = [
        str(plan.ngshare_env / "bin" / "python"), str(plan.out / "run-ngshare.py"),
        "--admins", ",".join(plan.instructors),
        "--database", f"sqlite:///{state / 'ngshare.db'}", "--storage", f"{state / 'files'}/",
    ]  # fmt: skip
    return [
        "# The exchange: ngshare, a hub service (instructors are its admins: they create the",
        "# course). It records who submits from the hub's token, so nobody submits as another.",
        "c.JupyterHub.services = [",
        f'    {{"name": "ngshare", "url": "http://127.0.0.1:{plan.ngshare_port}",',
        f'     "command": {command!r}}},',
        "]",
        f'c.JupyterHub.load_roles = [{{"name": "user", "scopes": ["self", {NGSHARE_SCOPE!r}]}}]',
        "",
    ]


def ngshare_launcher() -> str:
    return (
        '"""ngshare as a hub service, listening on 127.0.0.1 only (ngshare 0.6 itself listens on\n'
        'every interface). Written by `allyship hub init`."""\n\n'
        "import sys\n\n"
        "from tornado.tcpserver import TCPServer\n\n"
        "_listen = TCPServer.listen\n\n\n"
        "def _loopback(self, port, address='', *args, **kwargs):\n"
        "    return _listen(self, port, '127.0.0.1', *args, **kwargs)\n\n\n"
        "TCPServer.listen = _loopback\n\n"
        "from ngshare.ngshare import main  # noqa: E402\n\n"
        "main(sys.argv[1:])\n"
    )


def setup_script(plan: HubPlan) -> str:
    """What only root can do, in the order it must happen, safe to run twice."""
    q = shlex.quote
    users = [*plan.instructors, *plan.students]
    lines = [
        "#!/bin/sh",
        "# Written by `allyship hub init`: the system side of the hub classroom. Read it, then run",
        "# it as root. Safe to run again after a roster change.",
        "set -eu",
        "# Accounts with private homes (students' notebooks live there).",
        f"for user in {' '.join(q(u) for u in users)}; do",
        '  id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"',
        '  home=$(getent passwd "$user" | cut -d: -f6)',
        '  chmod 700 "$home"',
        "done",
        "# New accounts made by other tools get private homes too.",
        "if [ -f /etc/login.defs ] && ! grep -q '^HOME_MODE' /etc/login.defs; then",
        "  echo 'HOME_MODE 0700' >> /etc/login.defs",
        "fi",
        *exchange_steps(plan),
        "# The hub's state is root's alone; the Jupyter configuration is read by every account.",
        f"mkdir -p {q(str(plan.out / 'state'))}",
        f"chmod 700 {q(str(plan.out / 'state'))}",
        f"chmod -R a+rX {q(str(plan.out / 'jupyter'))}",
        "# Each course folder (grades, submissions, the roster) is its instructors' alone.",
        *(f"chmod o-rwx {q(str(record.course))}" for record in plan.courses),
        "",
    ]
    return "\n".join(lines)


def exchange_steps(plan: HubPlan) -> list[str]:
    q = shlex.quote
    if not plan.ngshare:
        return [
            "# The exchange: everyone writes, the sticky bit keeps each submission its owner's.",
            f"mkdir -p {q(str(plan.exchange))}",
            f"chmod 1777 {q(str(plan.exchange))}",
        ]
    env, pip = plan.ngshare_env, str(plan.bin / "pip")
    return [
        "# The exchange: ngshare in an environment of its own, its nbgrader side in the course's.",
        f"[ -x {q(str(env / 'bin' / 'python'))} ] || {q(str(plan.bin / 'python'))} -m venv "
        f"{q(str(env))}",
        f"{q(str(env / 'bin' / 'pip'))} install --quiet {' '.join(NGSHARE_PINS)}",
        f"{q(pip)} install --quiet --no-deps {' '.join(NGSHARE_EXCHANGE_PINS)}",
        f"{q(pip)} install --quiet {' '.join(NGSHARE_EXCHANGE_DEPENDENCIES)}",
        f"mkdir -p {q(str(plan.ngshare_state))}",
    ]


def env_script(plan: HubPlan) -> str:
    """The instructor's settings for a shell outside the hub, chosen by who runs it."""
    q = shlex.quote
    only = None if plan.several else plan.courses[0].course_id
    default = plan.config_path("instructor", only)
    cases = [
        f"  {q(name)}) JUPYTER_CONFIG_PATH={q(plan.config_path('instructor', record.course_id))} ;;"
        for record in plan.courses
        for name in sorted(record.instructors)
    ]
    return "\n".join(
        [
            "# Written by `allyship hub init`. Source it in a shell outside the hub (ssh, cron) to",
            f"# work on your course as your hub server does:  . {plan.out / 'env.sh'}",
            f"export VIRTUAL_ENV={q(str(plan.venv))}",
            f'export PATH={q(str(plan.bin))}:"$PATH"',
            'case "$(id -un)" in',
            *cases,
            f"  *) JUPYTER_CONFIG_PATH={q(default)} ;;",
            "esac",
            "export JUPYTER_CONFIG_PATH",
            "",
        ]
    )


def files(plan: HubPlan) -> dict[str, str]:
    """Every file of the hub folder: relative path -> text."""
    courses = {
        f"{course_folder(plan.out, r.course_id).relative_to(plan.out)}/nbgrader_config.py": (
            course_nbgrader_config(r)
        )
        for r in plan.courses
    }
    return {
        "jupyterhub_config.py": hub_config(plan),
        "jupyter/common/nbgrader_config.py": common_nbgrader_config(plan),
        **courses,
        "jupyter/instructor/jupyter_server_config.json": instructor_server_config(),
        "jupyter/instructor/labconfig/page_config.json": page_config(disabled=False),
        "jupyter/student/jupyter_server_config.json": student_server_config(),
        "jupyter/student/labconfig/page_config.json": page_config(disabled=True),
        "setup-system.sh": setup_script(plan),
        "env.sh": env_script(plan),
        **({"run-ngshare.py": ngshare_launcher()} if plan.ngshare else {}),
    }


def write_ngshare_students(record: CourseRecord, students: list) -> Path:
    """The roster as ngshare's course tool reads it, in the course folder, the instructor's
    alone (it holds e-mail addresses). Added with ``--no-gb``: the tool would otherwise
    re-add each student to the gradebook and wipe the LMS ids the roster import stored."""
    import csv

    path = record.course / "ngshare-students.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_id", "first_name", "last_name", "email"])
        writer.writerows([s.id, s.first_name, s.last_name, s.email] for s in students)
    owner = record.course.stat()
    path.chmod(0o600)
    with contextlib.suppress(PermissionError):
        os.chown(path, owner.st_uid, owner.st_gid)
    return path


def ngshare_course_steps(record: CourseRecord) -> list[str]:
    """What the instructor runs once, in a hub terminal, before releasing through ngshare."""
    tool = "ngshare-course-management"
    return [
        f"{tool} create_course {record.course_id} {' '.join(sorted(record.instructors))}",
        f"{tool} add_students {record.course_id} ngshare-students.csv --no-gb",
    ]


def write(plan: HubPlan) -> list[Path]:
    """Write the hub folder and its course records; returns the files written. Readable by
    all but the hub's state; a Jupyter setting no course needs any more is removed."""
    written, wanted = [], files(plan)
    for relative, text in wanted.items():
        path = plan.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in (plan.out, *path.parents):
            if folder == plan.out.parent:
                break
            folder.chmod(0o755)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755 if relative.endswith(".sh") else 0o644)
        written.append(path)
    for stale in sorted((plan.out / "jupyter").rglob("*"), reverse=True):
        if stale.is_file() and str(stale.relative_to(plan.out)) not in wanted:
            stale.unlink()
        elif stale.is_dir() and not any(stale.iterdir()):
            stale.rmdir()
    save_records(plan)
    return written


# ------------------------------------------------------------------------ the hub's state


def _state(out: Path) -> Path:
    state = out / "state"
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(stat.S_IRWXU)
    return state


#: The hub-wide settings ``hub init`` keeps between runs: a second course's run must not
#: silently move the first course's exchange.
HUB_SETTINGS = ("venv", "exchange", "bind_url", "proxy", "exchange_service", "ngshare_port")


def save_records(plan: HubPlan) -> None:
    state = _state(plan.out)
    settings = {name: getattr(plan, name) for name in HUB_SETTINGS}
    (state / "hub.json").write_text(_json({k: str(v) for k, v in settings.items()}))
    courses = state / "courses"
    courses.mkdir(exist_ok=True)
    for record in plan.courses:
        data = {
            "course_id": record.course_id,
            "course": str(record.course),
            "instructors": list(record.instructors),
            "students": list(record.students),
        }
        (courses / f"{record.course_id}.json").write_text(_json(data))


def load_settings(out: Path) -> dict[str, str]:
    """The hub-wide settings of an earlier ``hub init`` into ``out`` (empty: none)."""
    path = out / "state" / "hub.json"
    return _read_json(path) if path.is_file() else {}


def load_records(out: Path) -> list[CourseRecord]:
    """The courses an earlier ``hub init`` set up in ``out``."""
    records = []
    for path in sorted((out / "state" / "courses").glob("*.json")):
        data = _read_json(path)
        try:
            records.append(
                CourseRecord(
                    course_id=str(data["course_id"]),
                    course=Path(data["course"]),
                    instructors=tuple(data["instructors"]),
                    students=tuple(data["students"]),
                )
            )
        except (KeyError, TypeError) as err:
            raise HubError(f"{path}: not a course record of allyship hub init ({err})") from err
    return records


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise HubError(f"{path}: cannot be read ({err})") from err
    if not isinstance(data, dict):
        raise HubError(f"{path}: not a JSON object")
    return data


def server_pins(requirements: Path) -> list[str]:
    """The pins of ``requirements`` (a requirements.txt) that a user's server needs."""
    try:
        lines = requirements.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise HubError(f"{requirements}: cannot be read ({err})") from err
    pins = [ln.strip() for ln in lines if ln.split("==")[0].strip() in SERVER_PACKAGES]
    missing = sorted(set(SERVER_PACKAGES) - {pin.split("==")[0] for pin in pins})
    if missing:
        raise HubError(f"{requirements}: no pin for {', '.join(missing)}")
    return pins
