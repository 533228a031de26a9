"""A grader's override in the real formgrader survives a re-run of ``allyship grade`` (issue #5).

A small class is graded from a Canvas-style archive; then a real Jupyter server with nbgrader's
formgrader extension serves the course, and Chromium, driven like a grader would (Manage
Assignments → submissions → student → notebook), types a score and a comment. After
``allyship grade`` runs again, the override is still in the gradebook, in ``grades.csv`` and on
the formgrader page. The page must never run a student's ``<script>``.

formgrader (nbgrader 0.9.6) writes roster names into its submission page unescaped, so
``allyship roster import`` refuses a name with ``<`` or ``>``; the names it lets in (quotes, ``&``,
entity-looking text) must not run anything there either.

Nothing a student wrote can act (security review D-C1, D-H5, D-H6, D-H7, D-L7): links in an
answer stay clickable only for http(s) and mailto, and clicking the others runs nothing; no
remote image loads, in formgrader or in the feedback; a formgrader address that carries script
in an id is refused; and an id carrying script, planted in the exchange or in the roster, never
becomes a formgrader student.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from conftest import BIN, allyship, copy_course, free_port, tool_env
from nbgrader.api import Gradebook

from allyship.course import load_prompts
from allyship.instructor.demo import (
    HOSTILE_NAME,
    TRICKY_NAME,
    DemoStudent,
    canvas_archive,
    demo_class,
    notebook_bytes,
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
#: An answer's links and images, as a hostile student would write them (the hostile student's
#: second reflection starts with these). The second link writes a file with the grader's session.
WRITE_FILE_JS = (
    "javascript:fetch('/api/contents/pwned-by-link.txt',{method:'PUT',headers:{'X-XSRFToken':"
    "document.cookie.split('_xsrf=')[1].split(';')[0]},body:JSON.stringify({type:'file',"
    "format:'text',content:'pwned'})}).then(()=>window.__x=2)"
)
PLANTED = "/formgrader/manage_students/z%22;window.__h7=1;%22"  # D-H7, as a relative link
LINKS = (
    f"[my sources](javascript:window.__x=1) and [my notes]({WRITE_FILE_JS}) and [again][ref] "
    f"and [a planted address]({PLANTED}) and [a safe source](https://example.org/allyship) "
    "![a beacon](https://tracker.example/p.png) ![a local one](http://127.0.0.1:9/beacon.png)"
    "\n\n[ref]: JaVaScRiPt:window.__x=3\n\n"
)
#: What the grader sees instead of the first link: its words and its address, as text.
SHOWN_LINK = "my sources (javascript:window.__x=1)"
#: D-C1 (exchange folder name) and D-H6 (roster id): ids that are JavaScript in formgrader.
EXCHANGE_XSS_ID = 'x";window.__pwned_ex=1;"'
ROSTER_XSS_ID = 'q";window.__pwned_id=1;"'
FLAGS = ("__pwned", "__pwned_ex", "__pwned_id", "__x", "__h7")


def grades_rows(course: Path) -> dict[str, dict[str, str]]:
    with (course / "reports" / ASSIGNMENT / "grades.csv").open(encoding="utf-8") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Three students, graded once: one whose first reflection carries a ``<script>`` and whose
    second starts with hostile links and images (under a plain name), and one whose roster name
    first carried markup (refused at import, with a row whose id is JavaScript), then a name
    that only shows right when escaped (with plain answers). Then a submission planted in the
    exchange under an id that is JavaScript, and a run of ``allyship grade`` that collects it."""
    course = copy_course(tmp_path_factory.mktemp("formgrader") / "course")
    exchange = course.parent / "exchange"
    (exchange / "allyship" / "inbound").mkdir(parents=True)
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as fh:  # before grading
        fh.write(f"\nc.Exchange.root = {str(exchange)!r}\nc.ExchangeCollect.check_owner = False\n")
    everyone = {s.roster.id: s for s in demo_class(course, ASSIGNMENT, 7)}
    students = [everyone["nguyen"], everyone["hostile"], everyone["s006"]]
    assert [s.kind for s in students] == ["complete", "hostile", "complete"]
    students[1].roster = replace(students[1].roster, first_name="Hana")
    second = list(students[1].texts)[1]
    students[1].texts[second] = LINKS + students[1].texts[second]
    students[2].roster = replace(students[2].roster, first_name=HOSTILE_NAME)
    quote_id = DemoStudent(replace(students[0].roster, id=ROSTER_XSS_ID, lms_id="301"), "complete")
    write_roster(course / "roster.csv", [*students, quote_id])
    refused = allyship(course, "roster", "import", str(course / "roster.csv"))
    students[2].roster = replace(students[2].roster, first_name=TRICKY_NAME)  # the fixed roster
    write_roster(course / "roster.csv", students)
    imported = allyship(course, "roster", "import", str(course / "roster.csv"))
    assert imported.returncode == 0, imported.stderr
    archive = course / "submissions.zip"
    canvas_archive(archive, course, ASSIGNMENT, students, DUE)
    first = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    assert first.returncode == 0, first.stdout + first.stderr

    # D-C1: the inbound folder is writable by every student; its name becomes the student id.
    stamp = datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    planted = exchange / "allyship" / "inbound" / f"{EXCHANGE_XSS_ID}+{ASSIGNMENT}+{stamp}+r1"
    planted.mkdir()
    (planted / "timestamp.txt").write_text(stamp)
    (planted / "submission_secret.txt").write_text("secret")
    (planted / f"{ASSIGNMENT}.ipynb").write_bytes(notebook_bytes(course, ASSIGNMENT, students[2]))
    collected = allyship(course, "grade", ASSIGNMENT)
    prompts = load_prompts(ASSIGNMENT, course)
    return SimpleNamespace(
        course=course,
        students=students,
        prompts=prompts,
        refused=refused,
        collected=collected,
    )


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


def raised_flags(page) -> list[str]:
    """The flags a student's script would have set in this page's window."""
    return page.evaluate("(names) => names.filter((name) => name in window)", list(FLAGS))


def click_words(page, words: str) -> None:
    """Click in the middle of ``words`` where they appear in the page, as a grader would."""
    point = page.evaluate(
        """(words) => {
            const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let node = walk.nextNode(); node; node = walk.nextNode()) {
                const at = node.data.indexOf(words);
                if (at < 0) continue;
                node.parentElement.scrollIntoView({block: "center"});
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + words.length);
                const box = range.getBoundingClientRect();
                return {x: box.x + box.width / 2, y: box.y + box.height / 2};
            }
            return null;
        }""",
        words,
    )
    assert point is not None, f"{words!r} is not on the page"
    page.mouse.click(point["x"], point["y"])


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
    assert "roster.csv: 2 added, 0 updated, 2 skipped" in refused.stdout  # and line 5 (D-H6)
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


def _inert_answer_checks(page: Any, requests: list[str]) -> None:
    """The hostile links are text, the safe one a link that opens elsewhere, and no image."""
    answer = page.locator(".allyship-answer", has_text=SHOWN_LINK)
    assert answer.count() == 1
    text = answer.inner_text()
    for shown in (
        SHOWN_LINK,
        "my notes (javascript:fetch('/api/contents/pwned-by-link.txt'",
        "again (JaVaScRiPt:window.__x=3)",
        'a planted address (/formgrader/manage_students/z";window.__h7=1;")',
        "[image: a beacon] (https://tracker.example/p.png)",
        "[image: a local one] (http://127.0.0.1:9/beacon.png)",
    ):
        assert shown in text
    links = answer.locator("a")
    assert links.count() == 1
    assert links.get_attribute("href") == "https://example.org/allyship"
    assert links.get_attribute("target") == "_blank"
    assert page.locator("a[href*='script:' i], a[href^='data:' i], img").count() == 0
    for words in ("my sources", "my notes", "again", "a planted address"):
        click_words(page, words)
    page.wait_for_timeout(300)  # time for anything a click started
    assert raised_flags(page) == []
    assert [u for u in requests if "tracker.example" in u or "beacon" in u] == []
    assert page.dialogs == []


def test_links_in_an_answer_are_inert_and_its_images_never_load_in_formgrader(
    graded: SimpleNamespace, formgrader: str, page: Any
) -> None:
    """D-H5 and D-L7 in formgrader, where a live link would act with the grader's session."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    open_submission(page, formgrader, "hostile")
    wait_for_grades(page)
    _inert_answer_checks(page, requests)
    assert "/formgrader/submissions/" in page.url  # no click took the grader anywhere
    written = graded.course / "pwned-by-link.txt"
    assert not written.exists()

    # The link's script is real: run by hand in this page, it writes the file into the course.
    page.evaluate("() => " + WRITE_FILE_JS.removeprefix("javascript:"))
    page.wait_for_function("() => window.__x === 2")
    assert written.read_text() == "pwned"
    written.unlink()


def test_the_submission_page_requests_nothing_from_another_host(
    graded: SimpleNamespace, formgrader: str, page: Any
) -> None:
    """nbconvert's template loads MathJax from cdnjs; the course's stands in for it, so the
    page asks only its own server and formgrader still focuses the first score box."""
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_submission(page, formgrader, "nguyen")
    wait_for_grades(page)
    host = formgrader.split("/")[2]
    elsewhere = [
        u for u in requests if not u.startswith(("data:", "blob:")) and u.split("/")[2] != host
    ]
    assert not elsewhere, elsewhere
    assert not errors, errors
    page.wait_for_function("() => window.MathJax && MathJax.loaded === true")


def test_links_and_images_in_the_feedback_are_text(graded: SimpleNamespace, page: Any) -> None:
    """D-H5 and D-L7 in the feedback the student (and the instructor) opens."""
    feedback = graded.course / "feedback" / "hostile" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    source = feedback.read_text(encoding="utf-8")
    hrefs = re.findall(r"<a\b[^>]*?\shref=\"([^\"]*)\"", source)
    assert [h for h in hrefs if not h.startswith("#")] == ["https://example.org/allyship"]
    assert "<img" not in source.lower()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(feedback.as_uri(), wait_until="load")
    _inert_answer_checks(page, requests)


def test_a_formgrader_address_carrying_script_is_refused(
    graded: SimpleNamespace, formgrader: str, page: Any
) -> None:
    """D-H7: nbgrader 0.9.6 writes the ids of these addresses into an inline script."""
    base, query = formgrader.split("/formgrader?")
    script = "z%22;window.__h7=1;%22"
    for path in (
        PLANTED,
        f"/formgrader/manage_students/hostile/{script}",
        f"/formgrader/manage_submissions/{script}",
        f"/formgrader/gradebook/{script}",
        f"/formgrader/gradebook/{ASSIGNMENT}/{script}",
        f"/formgrader/manage_students/{script.replace('%22', '%2522')}/",  # encoded twice
    ):
        response = page.goto(f"{base}{path}?{query}")
        assert raised_flags(page) == [], path
        assert response is not None and response.status == 400, path
        assert "This formgrader address was refused" in page.inner_text("body")
    assert page.dialogs == []
    response = page.goto(f"{base}/formgrader/manage_students/hostile?{query}")  # a plain one
    assert response is not None and response.status == 200
    page.wait_for_function("() => window.models && models.loaded")
    assert page.locator("td", has_text=ASSIGNMENT).count() >= 1


def test_an_id_carrying_script_never_becomes_a_formgrader_student(
    graded: SimpleNamespace, formgrader: str, page: Any
) -> None:
    """D-C1 (an exchange folder named by a student) and D-H6 (a roster row), seen in formgrader."""
    collected = graded.collected
    assert collected.returncode in (0, 1), collected.stdout + collected.stderr
    assert "Traceback" not in collected.stderr
    expected = {s.roster.id for s in graded.students}
    config = load_course_config(graded.course)
    with Gradebook(config.CourseDirectory.db_url, "allyship") as gb:
        assert {s.id for s in gb.students} == expected
    assert not (graded.course / "submitted" / EXCHANGE_XSS_ID).exists()

    base, query = formgrader.split("/formgrader?")
    page.goto(f"{base}/formgrader/manage_students?{query}")
    page.wait_for_function("() => window.models && models.loaded")
    shown = set(page.locator("#main-table td.id").all_inner_texts())
    assert shown == expected
    pages = page.locator("#main-table td.name a")
    hrefs = [pages.nth(i).get_attribute("href") for i in range(pages.count())]
    assert len(hrefs) == len(expected)
    for href in hrefs:  # every student's page, as a grader opens it
        response = page.goto(f"{base}{href}?{query}")
        assert response is not None and response.status == 200, href
        page.wait_for_function("() => window.models && models.loaded")
        assert raised_flags(page) == []
    for sid in (EXCHANGE_XSS_ID, ROSTER_XSS_ID):  # had one got in, its page would not open
        response = page.goto(f"{base}/formgrader/manage_students/{quote(sid)}?{query}")
        assert raised_flags(page) == []
        assert response is not None and response.status == 400
    assert page.dialogs == []
