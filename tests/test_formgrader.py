"""A grader's override in the real formgrader survives a re-run of ``allyship grade`` (issue #5).

A small class is graded from a Canvas-style archive; then a real Jupyter server with nbgrader's
formgrader extension serves the course, and Chromium, driven like a grader would (Manage
Assignments → submissions → student → notebook), types a score and a comment. After
``allyship grade`` runs again, the override is still in the gradebook, in ``grades.csv`` and on
the formgrader page. The page must never run a student's ``<script>``.

formgrader (nbgrader 0.9.6) writes roster names into its submission page unescaped, so
``allyship roster import`` refuses a name with ``<`` or ``>``; the names it lets in (quotes, ``&``,
entity-looking text) must not run anything there either.
"""

from __future__ import annotations

import csv
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import BIN, allyship, copy_course, tool_env
from nbgrader.api import Gradebook

from allyship.course import load_prompts
from allyship.instructor.demo import (
    HOSTILE_NAME,
    TRICKY_NAME,
    canvas_archive,
    demo_class,
    write_roster,
)
from allyship.nbgrader_support import load_course_config
from allyship.reflection import evaluate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ASSIGNMENT = "introspection"
DUE = datetime(2026, 11, 20, 17, 0, 0)
OVERRIDE = 0.5
EXTRA = "Writing this again a week later, I notice I still avoid the topic at family dinners."
COMMENT = "Half credit for now: let's talk about the second half in office hours."
TIMEOUT_MS = 30_000


def grades_rows(course: Path) -> dict[str, dict[str, str]]:
    with (course / "reports" / ASSIGNMENT / "grades.csv").open(encoding="utf-8") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Three students, graded once: one whose first reflection carries a ``<script>`` (under a
    plain name), and one whose roster name first carried markup (refused at import), then a name
    that only shows right when escaped (with plain answers)."""
    course = copy_course(tmp_path_factory.mktemp("formgrader") / "course")
    everyone = {s.roster.id: s for s in demo_class(course, ASSIGNMENT, 7)}
    students = [everyone["nguyen"], everyone["hostile"], everyone["s006"]]
    assert [s.kind for s in students] == ["complete", "hostile", "complete"]
    students[1].roster = replace(students[1].roster, first_name="Hana")
    students[2].roster = replace(students[2].roster, first_name=HOSTILE_NAME)
    write_roster(course / "roster.csv", students)
    refused = allyship(course, "roster", "import", str(course / "roster.csv"))
    students[2].roster = replace(students[2].roster, first_name=TRICKY_NAME)  # the fixed roster
    write_roster(course / "roster.csv", students)
    imported = allyship(course, "roster", "import", str(course / "roster.csv"))
    assert imported.returncode == 0, imported.stderr
    archive = course / "submissions.zip"
    canvas_archive(archive, course, ASSIGNMENT, students, DUE)
    first = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    assert first.returncode == 0, first.stdout + first.stderr
    prompts = load_prompts(ASSIGNMENT, course)
    return SimpleNamespace(course=course, students=students, prompts=prompts, refused=refused)


@pytest.fixture(scope="module")
def formgrader(graded: SimpleNamespace) -> Iterator[str]:
    """A real Jupyter server on 127.0.0.1 with formgrader, rooted at the course; yields its URL.

    Home, config, data and runtime folders are temporary, so nothing of the user's leaks in; the
    nbgrader extensions come from the virtual environment's own config, the course config from
    ``nbgrader_config.py`` in the working directory (as when a grader starts it there).
    """
    port, token = free_port(), secrets.token_hex(16)
    tmp_path = graded.course.parent
    env = tool_env()
    for name in ("home", "config", "data", "runtime"):
        (tmp_path / "jupyter" / name).mkdir(parents=True)
    env.update(
        HOME=str(tmp_path / "jupyter" / "home"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter" / "config"),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter" / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter" / "runtime"),
        JUPYTER_PLATFORM_DIRS="0",
    )
    log = (tmp_path / "jupyter-server.log").open("w")
    server = subprocess.Popen(
        [
            str(BIN / "jupyter-server"),
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={graded.course}",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # containers often run as root
        ],
        cwd=graded.course,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, f"{base}/formgrader/api/status?token={token}", tmp_path)
        yield f"{base}/formgrader?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
        log.close()


def _wait_until_up(server: subprocess.Popen, url: str, tmp_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, (tmp_path / "jupyter-server.log").read_text()[-4000:]
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail("formgrader did not start:\n" + (tmp_path / "jupyter-server.log").read_text())


@pytest.fixture
def page(browser) -> Iterator[Any]:
    """A fresh Chromium page that records (and dismisses) every dialog a script opens."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def open_submission(page, start_url: str, student_id: str) -> None:
    """Manage Assignments → the assignment's submissions → the student → the notebook."""
    page.goto(start_url)
    page.locator(f'a[href$="/formgrader/manage_submissions/{ASSIGNMENT}"]').click()
    page.locator(f'a[href$="/formgrader/manage_students/{student_id}/{ASSIGNMENT}"]').click()
    page.locator('a[href*="/formgrader/submissions/"]', has_text=ASSIGNMENT).click()
    page.wait_for_url("**/formgrader/submissions/**")


def wait_for_grades(page) -> None:
    """The page has fetched the grades and comments and bound them to the inputs."""
    page.wait_for_function(
        "() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
        " && formgrader.comments && formgrader.comments.loaded"
    )


def test_override_in_formgrader_survives_a_rerun_and_student_html_stays_inert(
    graded: SimpleNamespace, formgrader: str, page: Any
) -> None:
    course, prompts = graded.course, graded.prompts
    target = prompts[0].grade_id  # the hostile student's first reflection carries a <script>
    class_before = grades_rows(course)
    before = class_before["hostile"]
    assert float(before[target]) != OVERRIDE

    open_submission(page, formgrader, "hostile")
    wait_for_grades(page)
    # The student's markup is shown as text, and none of it ran.
    assert page.get_by_text("<script>window.__pwned = 2", exact=False).count() >= 1
    assert page.evaluate("() => window.__pwned") is None

    score = page.locator(f"input.score#{target}")
    assert score.get_attribute("placeholder") == f"{float(before[target]):g}"
    with page.expect_response(
        lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT"
    ) as saved:
        score.fill(str(OVERRIDE))
        score.press("Tab")  # formgrader saves on change, i.e. when the input loses focus
    assert saved.value.ok and saved.value.json()["manual_score"] == OVERRIDE
    comment = page.locator(f"textarea.comment#{target}-comment")
    with page.expect_response(
        lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT"
    ) as saved:
        comment.fill(COMMENT)
        comment.press("Tab")
    assert saved.value.ok and saved.value.json()["manual_comment"] == COMMENT

    # The student hands in again with one more sentence: autograde runs on that notebook.
    hostile = graded.students[1]
    hostile.texts[prompts[-1].grade_id] += " " + EXTRA
    archive = course / "resubmissions.zip"
    canvas_archive(archive, course, ASSIGNMENT, graded.students, DUE)
    rerun = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "autograded 1, unchanged since last run 2" in rerun.stdout, rerun.stdout

    config = load_course_config(course)
    with Gradebook(config.CourseDirectory.db_url, "allyship") as gb:
        grade = gb.find_grade(target, ASSIGNMENT, ASSIGNMENT, "hostile")
        assert grade.manual_score == OVERRIDE and grade.score == OVERRIDE
        assert gb.find_comment(target, ASSIGNMENT, ASSIGNMENT, "hostile").manual_comment == (
            COMMENT
        )
    after = grades_rows(course)["hostile"]
    assert float(after[target]) == OVERRIDE
    rules = [
        evaluate(hostile.texts[p.grade_id], p.rule_settings()).credit * p.points
        for p in prompts[1:]
    ]
    assert [float(after[p.grade_id]) for p in prompts[1:]] == pytest.approx(rules)
    assert float(after["total"]) == pytest.approx(OVERRIDE + sum(rules))
    class_after = grades_rows(course)
    for student in ("nguyen", "s006"):  # nobody else's grade moved
        assert class_after[student]["total"] == class_before[student]["total"]

    page.reload()
    wait_for_grades(page)
    assert page.locator(f"input.score#{target}").input_value() == f"{OVERRIDE:g}"
    assert page.locator(f"textarea.comment#{target}-comment").input_value() == COMMENT
    assert page.evaluate("() => window.__pwned") is None
    assert page.dialogs == []


def test_a_roster_name_with_markup_is_refused_and_names_let_in_do_not_run(
    graded: SimpleNamespace, formgrader: str, page: Any
) -> None:
    refused = graded.refused
    assert refused.returncode == 1
    assert (
        "roster.csv: line 4: the name contains < or >, which formgrader would show as HTML; "
        "fix it in the roster"
    ) in refused.stderr
    assert "roster.csv: 2 added, 0 updated, 1 skipped" in refused.stdout
    config = load_course_config(graded.course)
    with Gradebook(config.CourseDirectory.db_url, "allyship") as gb:
        names = {s.id: f"{s.first_name} {s.last_name}" for s in gb.students}
    assert names["s006"].startswith(TRICKY_NAME)  # the corrected row, imported afterwards
    assert not any("<" in name or ">" in name for name in names.values())

    for student in graded.students:
        open_submission(page, formgrader, student.roster.id)
        wait_for_grades(page)
        assert page.locator(".breadcrumb img, .breadcrumb script").count() == 0
        assert page.evaluate("() => window.__pwned") is None
    assert page.dialogs == []
