"""A real classroom on a real JupyterHub: separate Unix users, PAM logins, Chromium.

An instructor and three students get Unix accounts made by the ``setup-system.sh`` that
``allyship hub init`` writes; the hub runs with the generated ``jupyterhub_config.py`` on
127.0.0.1, from a course environment built from the system's Python, as an instructor on a
fresh Debian machine would (the instructor guide's hub section). Chromium logs in as each
student, who fetches the assignment in the Assignment List, writes in JupyterLab, runs the
self-check and submits. The instructor grades with ``allyship grade`` (with the settings of
the generated ``env.sh``); one student's submission under another's id is refused and
reported; each student fetches their feedback. Students cannot read each other's work or the
gradebook. The whole class runs twice: with nbgrader's shared exchange folder, and with
ngshare, the exchange service for a hub on several machines, run by the hub on 127.0.0.1 in an
environment of its own (students' LMS ids survive its course set-up).

Needs root (accounts, setuid spawning), ``/usr/bin/python3.11`` with venv, and the npm tools;
everything it creates (accounts, homes, processes, folders, ``/etc/login.defs``) is removed or
restored, even when it fails. Stage times and memory per user are printed (``-s`` shows them).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import BIN, REPO, copy_course, free_port

from allyship.instructor import hub
from allyship.instructor.demo import demo_class

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ASSIGNMENT = "introspection"
SYSTEM_PYTHON = Path("/usr/bin/python3.11")
PROXY = REPO / "tests" / "js" / "node_modules" / ".bin" / "configurable-http-proxy"

if os.geteuid() != 0 or not SYSTEM_PYTHON.is_file() or not shutil.which("useradd"):
    pytest.skip("needs root, useradd and /usr/bin/python3.11", allow_module_level=True)


def run(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, **kwargs)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def pins() -> list[str]:
    return hub.server_pins(REPO / "requirements.txt")


def course_env(hub: Path) -> str:
    """The shell prefix of a hub terminal: the generated env.sh, sourced."""
    return f". {hub / 'env.sh'} && "


class Stages:
    """Wall-clock time of each stage, for the note and the results file."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.start = time.monotonic()

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began = time.monotonic()
        yield
        self.times[name] = round(time.monotonic() - began, 1)


def as_user(user: str, command: str, cwd: Path | None = None, check: bool = True):
    return run("runuser", "-u", user, "--", "sh", "-c", command, cwd=cwd, check=check)


def memory_mb(user: str) -> float:
    done = run("ps", "-u", user, "-o", "rss=", check=False)
    return round(sum(int(x) for x in done.stdout.split()) / 1024, 1)


@pytest.fixture(scope="module", params=["filesystem", "ngshare"])
def classroom(request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    """One hub per exchange: nbgrader's shared folder (one machine) and ngshare, the exchange
    service for a hub on several machines (run here as a hub service on 127.0.0.1)."""
    exchange_service = request.param
    stages = Stages()
    tag = secrets.token_hex(3)
    teacher, students = f"ah{tag}t", [f"ah{tag}s{i}" for i in (1, 2, 3)]
    users = [teacher, *students]
    base = Path(tempfile.mkdtemp(prefix="allyship-hub-", dir="/tmp"))
    base.chmod(0o755)
    login_defs = Path("/etc/login.defs")
    defs_before = login_defs.read_bytes() if login_defs.is_file() else None
    hub_process: subprocess.Popen | None = None
    try:
        with stages("course environment (venv + pip)"):
            venv, src = base / "venv", base / "src"
            src.mkdir()
            for name in ("allyship", "pyproject.toml", "README.md"):
                copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
                copy(REPO / name, src / name)
            run(str(SYSTEM_PYTHON), "-m", "venv", str(venv))
            run(str(venv / "bin/pip"), "install", "--quiet", *pins(), f"{src}[hub]")
        with stages("hub init + setup-system.sh"):
            home = Path(f"/home/{teacher}")
            hub_dir, exchange = base / "hub", base / "exchange"
            port = free_port()
            run("useradd", "--create-home", "--shell", "/bin/bash", teacher)  # the guide's step 3
            course = copy_course(home / "course")
            roster = course / "roster.csv"
            roster.write_text(
                "id,first_name,last_name,email,lms_id\n"
                + "".join(
                    f"{s},Student,{i},{s}@example.org,{900 + i}\n"
                    for i, s in enumerate(students, 1)
                )  # fmt: skip
            )
            run("chown", "-R", f"{teacher}:{teacher}", str(course))
            run(
                str(BIN / "allyship"), "hub", "init", "--course", str(course),
                "--instructor", teacher, "--roster", str(roster), "--out", str(hub_dir),
                "--exchange", str(exchange), "--venv", str(venv),
                "--bind-url", f"http://127.0.0.1:{port}", "--proxy", str(PROXY),
                "--exchange-service", exchange_service, "--ngshare-port", str(free_port()),
            )  # fmt: skip
            run("sh", str(hub_dir / "setup-system.sh"))
            passwords = {u: secrets.token_urlsafe(12) for u in users}
            run("chpasswd", input="".join(f"{u}:{p}\n" for u, p in passwords.items()))
            env = course_env(hub_dir)
            as_user(teacher, env + "allyship roster import roster.csv", cwd=course)
        with stages("hub start"):
            local = hub_dir / "test_config.py"
            local.write_text(
                "c = get_config()  # noqa: F821\n"
                "load_subconfig('jupyterhub_config.py')  # noqa: F821\n"
                f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{free_port()}'\n"
                f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'\n"
            )
            log = (base / "hub.log").open("w")
            hub_process = subprocess.Popen(
                [str(venv / "bin/jupyterhub"), "-f", str(local)], cwd=hub_dir, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            url = f"http://127.0.0.1:{port}"
            wait_for(f"{url}/hub/health", hub_process, base / "hub.log")
        yield SimpleNamespace(
            exchange_service=exchange_service,
            base=base, hub=hub_dir, url=url, teacher=teacher, students=students, course=course,
            passwords=passwords, env=env, stages=stages, exchange=exchange, venv=venv,
        )  # fmt: skip
    finally:
        if hub_process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(hub_process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                hub_process.wait(timeout=30)
        for user in users:
            run("pkill", "-KILL", "-u", user, check=False)
        time.sleep(0.5)
        for user in users:
            run("userdel", "-r", "-f", user, check=False)
        if defs_before is not None:
            login_defs.write_bytes(defs_before)
        if hub_process is not None and hub_process.poll() is None:
            os.killpg(hub_process.pid, signal.SIGKILL)
        shutil.rmtree(base, ignore_errors=True)


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the hub exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the hub did not answer at {url}:\n{log.read_text()[-3000:]}")


# ------------------------------------------------------------------------------ in Chromium


def open_lab(browser, room: SimpleNamespace, user: str):
    """A logged-in JupyterLab page of ``user``, through the hub's login form (PAM)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{room.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", room.passwords[user])
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{user}/lab"), timeout=180_000)
    page.locator(".jp-LabShell").wait_for()
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").wait_for()
    return context, page


def open_assignment_list(page) -> None:
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
    page.locator(".lm-Menu-item", has_text="Assignment List").click()
    page.locator("#released_assignments_list").wait_for()


def click_in_list(page, list_id: str, label: str) -> None:
    button = page.locator(f"#{list_id} button", has_text=re.compile(rf"^{label}$"))
    button.first.wait_for()
    button.first.click()


def nbgrader_menu(page) -> list[str]:
    """The items of JupyterLab's Nbgrader menu, as the user sees them."""
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
    items = page.locator(".lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel")
    items.first.wait_for()
    shown = [text.strip() for text in items.all_inner_texts() if text.strip()]
    page.keyboard.press("Escape")
    return shown


def in_terminal(page, user: str, command: str) -> str:
    """Run ``command`` in a JupyterLab terminal of the hub (a shell as the hub starts it, so
    whatever PATH and token it has are the terminal's own); returns what it printed."""
    out, done = f"/home/{user}/.terminal-out", f"/home/{user}/.terminal-done"
    page.locator(".lm-MenuBar-item", has_text="File").click()
    page.locator(".lm-Menu-itemLabel:visible", has_text=re.compile(r"^\s*New\s*$")).hover()
    page.locator(".lm-Menu-itemLabel:visible", has_text=re.compile(r"^\s*Terminal\s*$")).click()
    page.wait_for_timeout(500)  # the new terminal's tab becomes the current one
    screen = page.locator(".jp-Terminal .xterm-screen:visible").last
    screen.wait_for()
    screen.click()
    Path(done).unlink(missing_ok=True)
    page.keyboard.type(f"({command}) > {out} 2>&1; echo $? > {done}\n")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not Path(done).exists():
        time.sleep(0.5)
    assert Path(done).exists(), "the terminal command did not finish"
    text = Path(out).read_text()
    return text


def write_answers(page, texts: dict[str, str], released: dict) -> None:
    """Type each answer into its cell in JupyterLab's notebook, run the self-check, save."""
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    cells.first.wait_for()
    for index, cell in enumerate(released["cells"]):
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in texts:
            target = cells.nth(index)
            target.scroll_into_view_if_needed()
            target.dblclick()
            editor = target.locator(".cm-content")
            editor.wait_for()
            editor.click()
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(texts[grade_id])
            page.keyboard.press("Shift+Enter")
    page.keyboard.press("Control+S")
    check = cells.nth(len(released["cells"]) - 1)
    check.scroll_into_view_if_needed()
    check.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    check.locator(".jp-OutputArea-output").first.wait_for(timeout=120_000)


def test_a_class_on_a_real_hub(classroom: SimpleNamespace, browser) -> None:
    room = classroom
    released = json.loads((REPO / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    demo = demo_class(room.course, ASSIGNMENT, 12)
    complete = [s for s in demo if s.kind == "complete"]
    partial = next(s for s in demo if s.kind == "partial")
    answers = {room.students[0]: complete[0].texts, room.students[1]: complete[1].texts,
               room.students[2]: partial.texts}  # fmt: skip
    checks: dict[str, str] = {}
    memory: dict[str, float] = {}
    menus: dict[str, list[str]] = {}

    with room.stages("release (instructor, in a hub terminal)"):
        context, page = open_lab(browser, room, room.teacher)
        steps = [f"cd {room.course}"]
        if room.exchange_service == "ngshare":
            steps += hub.ngshare_course_steps(SimpleNamespace(
                course_id="allyship", instructors=(room.teacher,)))  # fmt: skip
        steps.append(f"nbgrader release_assignment {ASSIGNMENT}")
        out = in_terminal(page, room.teacher, " && ".join(steps))
        context.close()
    assert "Successfully released" in out or "Released as" in out, out

    for student in room.students:
        with room.stages(f"{student}: login, fetch, write, self-check, submit"):
            context, page = open_lab(browser, room, student)
            menus[student] = nbgrader_menu(page)
            open_assignment_list(page)
            click_in_list(page, "released_assignments_list", "Fetch")
            page.locator("#fetched_assignments_list", has_text=ASSIGNMENT).wait_for()
            page.goto(f"{room.url}/user/{student}/lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
            write_answers(page, answers[student], released)
            checks[student] = page.locator(".jp-OutputArea-output").last.inner_text()
            open_assignment_list(page)
            click_in_list(page, "fetched_assignments_list", "Submit")
            page.locator("#submitted_assignments_list", has_text=ASSIGNMENT).wait_for()
            memory[student] = memory_mb(student)
            context.close()

    assert "All 3 prompts are complete." in checks[room.students[0]], checks
    assert "2 of 3 prompts still need work." in checks[room.students[2]], checks
    assert menus[room.students[0]] == ["Assignment List"]  # no formgrader for students

    # The third student submits under the second's id, from a terminal of their own.
    attacker, victim = room.students[2], room.students[1]
    context, page = open_lab(browser, room, attacker)
    in_terminal(page, attacker, f"cd ~ && nbgrader submit {ASSIGNMENT} "
                f"--CourseDirectory.student_id={victim}")  # fmt: skip
    context.close()

    with room.stages("allyship grade (instructor, in a hub terminal)"):
        context, page = open_lab(browser, room, room.teacher)
        menus[room.teacher] = nbgrader_menu(page)
        out = in_terminal(page, room.teacher, f"cd {room.course} && allyship grade {ASSIGNMENT}")
        memory[room.teacher] = memory_mb(room.teacher)
        page.goto(f"{room.url}/user/{room.teacher}/formgrader")
        page.get_by_text("Manage Assignments").first.wait_for()
        context.close()
    assert "Formgrader" in menus[room.teacher], menus
    if room.exchange_service == "filesystem":  # ngshare files a submission under its sender
        refused = f"claims to be {victim}'s submission but belongs to the user {attacker!r}"
        assert refused in out, out
    assert "graded 3" in out, out
    grades = {r["student_id"]: r for r in csv_rows(room.course)}
    assert float(grades[room.students[0]]["total"]) == float(grades[room.students[0]]["max_score"])
    assert float(grades[victim]["total"]) == float(grades[victim]["max_score"])  # their own work
    assert float(grades[attacker]["total"]) < float(grades[attacker]["max_score"])
    lms = {r["student_id"]: r["lms_id"] for r in grades.values()}
    assert lms == {s: str(900 + i) for i, s in enumerate(room.students, 1)}  # kept by ngshare too

    shown: dict[str, str] = {}
    for student in room.students:
        with room.stages(f"{student}: fetch feedback"):
            context, page = open_lab(browser, room, student)
            open_assignment_list(page)
            click_in_list(page, "submitted_assignments_list", "Fetch Feedback")
            page.locator("#submitted_assignments_list button",
                         has_text="Fetch Feedback").first.wait_for()  # fmt: skip
            context.close()
        feedback = sorted(Path(f"/home/{student}/{ASSIGNMENT}/feedback").rglob("*.html"))
        assert feedback, f"no feedback fetched by {student}"
        shown[student] = feedback[-1].read_text()
    full = grades[room.students[0]]["max_score"]
    assert re.search(rf"Score: {float(full)}\s*/\s*{float(full)}", shown[room.students[0]])
    assert "this prompt asks for at least" in shown[room.students[2]]  # the partial answer

    # Nobody reads anyone else's work or the gradebook.
    intruder, other = room.students[0], room.students[1]
    for path in (f"/home/{other}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", f"{room.course}/gradebook.db",
                 f"{room.course}/roster.csv"):  # fmt: skip
        done = as_user(intruder, f"cat {path} > /dev/null", check=False)
        assert done.returncode != 0 and "Permission denied" in done.stderr, path

    print(json.dumps({"stages_s": room.stages.times, "memory_mb": memory}, indent=1))


def csv_rows(course: Path) -> list[dict[str, str]]:
    import csv

    with (course / "reports" / ASSIGNMENT / "grades.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
