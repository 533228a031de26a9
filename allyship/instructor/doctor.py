"""``allyship doctor``: inspect a course's set-up and name each problem, before a class finds it.

Each check reads the machine as it is (configuration files, folder modes, the interpreter) and
says ``ok`` or names the problem and where it is. Nothing is changed. The checks are the glue a
JupyterHub trial needed by hand (``../shared/reviews/hub-trial.md``): an exchange ``allyship``
would not see, a course id the students do not use, reflections other accounts can read, an
interpreter students cannot run.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

from allyship.instructor.hub import ASSIGNMENT_LIST, FORMGRADER, role_config_path
from allyship.nbgrader_support import config_chain, merged_config, read_config_file

DEFAULT_EXCHANGE = "/usr/local/share/nbgrader/exchange"


@dataclass(frozen=True)
class Finding:
    ok: bool
    text: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'problem'}: {self.text}"


def inspect(
    root: Path, homes: Path | None = Path("/home"), hub: Path | None = None
) -> list[Finding]:
    """Every check, in the order an instructor would fix them. ``hub``: a folder written by
    ``allyship hub init``, whose students' settings are checked too."""
    chain = Chain(root)
    findings = _exchange(chain) + _course_id(chain)
    findings += _private(root, "the course folder", root)
    for name in ("gradebook.db", "submitted", "autograded", "feedback", "reports"):
        if (root / name).exists():
            findings += _private(root / name, name, root)
    if homes is not None and homes.is_dir():
        findings += _homes(homes)
    findings += interpreter_findings(Path(sys.prefix))
    findings += instructor_server(server_settings(None))
    if hub is not None:
        findings += student_server(server_settings(role_config_path(hub, "student")))
    return findings


@dataclass(frozen=True)
class ServerSettings:
    """What a Jupyter server started in this environment would use, as it loads it."""

    extensions: dict[str, bool]
    shell_command: list[str] | None
    frame_ancestors: str | None


def server_settings(config_path: str | None) -> ServerSettings:
    """Load the server's configuration with jupyter_server itself (the same files, the same
    precedence). ``config_path``: the ``JUPYTER_CONFIG_PATH`` to load with (None: this one)."""
    from jupyter_server.serverapp import ServerApp

    override = {} if config_path is None else {"JUPYTER_CONFIG_PATH": config_path}
    with patch.dict(os.environ, override):
        app = ServerApp()
        app.load_config_file()
        app.find_server_extensions()
    policy = (app.tornado_settings.get("headers") or {}).get("Content-Security-Policy", "")
    ancestors = next(
        (part.strip() for part in policy.split(";") if "frame-ancestors" in part), None
    )
    shell = app.terminado_settings.get("shell_command")
    return ServerSettings(dict(app.jpserver_extensions), shell, ancestors)


def instructor_server(settings: ServerSettings) -> list[Finding]:
    """Formgrader on, reachable inside JupyterLab on a hub, and terminals that find allyship."""
    findings = []
    if not settings.extensions.get(FORMGRADER):
        findings.append(
            Finding(
                False,
                "formgrader is switched off for this account (ServerApp.jpserver_extensions); "
                "allyship hub init writes an instructors' configuration that switches it on",
            )
        )
    on_hub = bool(os.environ.get("JUPYTERHUB_API_URL"))
    if on_hub and "'self'" not in (settings.frame_ancestors or ""):
        findings.append(
            Finding(
                False,
                "on this hub, formgrader inside JupyterLab stays blank: JupyterHub forbids "
                "framing (frame-ancestors 'none'); allow 'self' in the instructors' "
                "ServerApp.tornado_settings, or open formgrader in its own tab",
            )
        )
    findings += _terminal(settings)
    if not findings:
        findings.append(Finding(True, "formgrader, and terminals that find allyship"))
    return findings


def _terminal(settings: ServerSettings) -> list[Finding]:
    """Hub terminals start a login shell unless told otherwise, and a login shell's
    /etc/profile resets PATH: can such a shell find ``allyship``?"""
    if settings.shell_command:
        return []
    found = subprocess.run(
        ["bash", "-lc", "command -v allyship"], capture_output=True, text=True, timeout=30,
        check=False,
    )  # fmt: skip
    if found.returncode == 0 and found.stdout.strip():
        return []
    return [
        Finding(
            False,
            "in a terminal of a hub server (a login shell) allyship is not on PATH: set "
            "ServerApp.terminado_settings shell_command (allyship hub init does), or add the "
            "course environment's bin folder to PATH in /etc/profile.d",
        )
    ]


def student_server(settings: ServerSettings) -> list[Finding]:
    findings = []
    if not settings.extensions.get(ASSIGNMENT_LIST):
        findings.append(
            Finding(False, "students' servers have no Assignment List: they cannot fetch or submit")
        )
    if settings.extensions.get(FORMGRADER):
        findings.append(
            Finding(
                False,
                "students' servers offer formgrader (harmless while homes and the course folder "
                "are private, but confusing): switch it off in the students' configuration",
            )
        )
    return findings or [Finding(True, "students get the Assignment List and no formgrader")]


def interpreter_findings(venv: Path) -> list[Finding]:
    """Can every user's hub server start from the course environment ``venv``?"""
    findings = _interpreter(venv / "bin" / "python")
    if not (venv / "bin" / "jupyterhub-singleuser").is_file():
        findings.append(
            Finding(
                False,
                f"{venv} has no jupyterhub-singleuser, so a hub cannot start servers from it: "
                "pip install 'allyship[hub]' there (make setup does)",
            )
        )
    return findings


class Chain:
    """The configuration chain, each file read once: what the course uses (all of it) and what
    every account reads (all but the course's own file)."""

    def __init__(self, root: Path) -> None:
        course_file = (root / "nbgrader_config.py").resolve()
        self.files = [(path, read_config_file(path)) for path in config_chain(root)]
        self.course = merged_config(root, [config for _, config in self.files])
        self.shared = [(path, config) for path, config in self.files if path != course_file]

    def shared_value(self, section: str, name: str) -> tuple[object, Path | None]:
        """The value the last shared file sets, and that file (None, None when none does)."""
        value, source = None, None
        for path, config in self.shared:
            if (found := config[section].get(name)) is not None:
                value, source = found, path
        return value, source


def _exchange(chain: Chain) -> list[Finding]:
    config = chain.course
    service = config.ExchangeFactory.get("exchange")
    if service is not None:  # ngshare or another exchange service: no shared folder to check
        name = getattr(service, "__module__", str(service)).split(".")[0]
        return [Finding(True, f"exchange service {name} (no shared folder)")]
    ours = str(config.Exchange.root) if "root" in config.Exchange else DEFAULT_EXCHANGE
    theirs, source = chain.shared_value("Exchange", "root")
    theirs = str(theirs) if theirs is not None else DEFAULT_EXCHANGE
    findings = []
    if ours != theirs:
        where = source or "nbgrader's default"
        findings.append(
            Finding(
                False,
                f"this course collects from the exchange {ours}, but students' nbgrader reads "
                f"{theirs} (from {where}): set Exchange.root once, in the hub-wide "
                "/etc/jupyter/nbgrader_config.py",
            )
        )
    folder = Path(ours)
    if not folder.is_dir():
        findings.append(Finding(False, f"the exchange {folder} does not exist"))
        return findings
    mode = folder.stat().st_mode
    if not (mode & stat.S_IWOTH and mode & stat.S_ISVTX):
        findings.append(
            Finding(
                False,
                f"the exchange {folder} has mode {stat.filemode(mode)}: students need to write "
                "to it (o+w) and the sticky bit (chmod 1777) keeps them from removing each "
                "other's submissions",
            )
        )
    if not findings:
        findings.append(Finding(True, f"exchange {folder} (mode {stat.filemode(mode)})"))
    return findings


def _course_id(chain: Chain) -> list[Finding]:
    ours = str(chain.course.CourseDirectory.course_id or "")
    theirs, source = chain.shared_value("CourseDirectory", "course_id")
    if not ours:
        return [Finding(False, "no course id: set c.CourseDirectory.course_id")]
    if theirs is not None and str(theirs) != ours:
        return [
            Finding(
                False,
                f"this course's id is {ours!r}, but students' nbgrader uses {theirs!r} (from "
                f"{source}): their submissions go to another course",
            )
        ]
    return [Finding(True, f"course id {ours!r}")]


def _private(path: Path, label: str, root: Path) -> list[Finding]:
    mode = path.stat().st_mode
    if mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IXOTH):
        return [
            Finding(
                False,
                f"{label} ({path}) has mode {stat.filemode(mode)}: other accounts can reach "
                "reflections, grades or the roster (chmod o-rwx)",
            )
        ]
    return [Finding(True, f"{label} is private")] if path == root else []


def _homes(homes: Path) -> list[Finding]:
    open_homes = []
    for home in sorted(homes.iterdir()):
        if home.is_dir() and not home.is_symlink():
            mode = home.stat().st_mode
            if mode & (stat.S_IROTH | stat.S_IXOTH | stat.S_IRGRP | stat.S_IXGRP):
                open_homes.append(f"{home} ({stat.filemode(mode)})")
    if open_homes:
        shown = ", ".join(open_homes[:5]) + (" ..." if len(open_homes) > 5 else "")
        count = "1 home folder" if len(open_homes) == 1 else f"{len(open_homes)} home folders"
        return [
            Finding(
                False,
                f"{count} other users can enter or list: {shown}. "
                "Students' notebooks live there: chmod 700 each home (and set HOME_MODE 0700 "
                "in /etc/login.defs for new accounts)",
            )
        ]
    return [Finding(True, f"home folders in {homes} are private")]


def _interpreter(python: Path) -> list[Finding]:
    """Students' servers run this interpreter: every folder above it must be enterable by all,
    and the file itself readable and runnable by all."""
    target = python.resolve()
    blocked = [
        str(folder)
        for folder in reversed(target.parents)
        if not os.stat(folder).st_mode & stat.S_IXOTH
    ]
    mode = target.stat().st_mode
    if blocked or not (mode & stat.S_IROTH and mode & stat.S_IXOTH):
        where = f"the folder {blocked[0]}" if blocked else f"{target} ({stat.filemode(mode)})"
        return [
            Finding(
                False,
                f"students cannot run the course's Python {python}: {where} is closed to "
                "other accounts; install the environment somewhere every user can read",
            )
        ]
    return [Finding(True, f"students can run {python}")]
