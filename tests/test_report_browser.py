"""The class report in Chromium: it renders, shows the heatmap, and never runs a student's HTML."""

from __future__ import annotations

import shutil
import zipfile
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import allyship, copy_course

from allyship.instructor.demo import (
    HOSTILE_NAME,
    TRICKY_NAME,
    canvas_archive,
    demo_class,
    write_roster,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ASSIGNMENT = "introspection"
DUE = datetime(2026, 11, 20, 17, 0, 0)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    course = copy_course(tmp_path_factory.mktemp("report") / "course")
    students = demo_class(course, ASSIGNMENT, 12)
    write_roster(course / "roster.csv", students)
    assert allyship(course, "roster", "import", str(course / "roster.csv")).returncode == 0
    canvas_archive(course / "subs.zip", course, ASSIGNMENT, students, DUE)
    with zipfile.ZipFile(course / "subs.zip", "a") as zf:  # markup can only come in as a file name
        zf.writestr(f"{HOSTILE_NAME}_4242_assignsubmission_file_/{ASSIGNMENT}.ipynb", b"{}")
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(course / "subs.zip"))
    assert result.returncode == 1, result.stderr  # the broken and the wrong notebook
    return course, students


def open_report(browser, report: Path):
    """The report in a fresh page, recording dialogs and every request it makes."""
    page = browser.new_page()
    seen = {"dialogs": [], "requests": [], "errors": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    return page, seen


def test_report_renders_heatmap_and_no_student_script_runs(browser, graded) -> None:
    course, students = graded
    report = course / "reports" / ASSIGNMENT / "report.html"
    page, seen = open_report(browser, report)
    try:
        heatmap = page.locator("table.heatmap")
        assert heatmap.is_visible()
        rows = heatmap.locator("tbody tr")
        assert rows.count() == len(students)
        cells = heatmap.locator("td.cell")
        assert cells.count() == len(students) * 3
        labels = set(cells.all_inner_texts())
        assert any("complete" in t for t in labels) and any("not submitted" in t for t in labels)
        assert any("file failed" in t for t in labels)
        assert all(c.get_attribute("title") for c in cells.all())  # not colour alone
        nguyen = page.locator("tr[data-student='nguyen'] th")
        assert "Thị Ánh Nguyễn, Trần" in nguyen.inner_text()
        hostile = page.locator("tr[data-student='hostile'] th")
        assert TRICKY_NAME in hostile.inner_text()  # "&lt;b&gt;" as typed, not turned into <b>
        failed = page.locator("#failed").inner_text()
        assert HOSTILE_NAME in failed and "no student on the roster" in failed  # as text
        assert page.locator("img").count() == 0
        assert page.evaluate("window.__pwned") is None
        assert seen["dialogs"] == [] and seen["errors"] == []
        assert seen["requests"] == [report.as_uri()]  # nothing else loaded, nothing remote
        assert page.locator("#words svg").count() == 3
        assert "Bea Broken" in page.locator("#failed").inner_text()
        # each graded row links to that student's feedback, which exists
        href = page.locator("tr[data-student='nguyen'] a").get_attribute("href")
        target = Path(unquote(urlparse(report.parent.joinpath(href).as_uri()).path)).resolve()
        assert target == course / "feedback" / "nguyen" / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert target.is_file()
        assert "window.__pwned = 2" not in page.content()
    finally:
        page.close()


def test_included_text_is_shown_escaped_and_inert(browser, graded, tmp_path: Path) -> None:
    course = Path(shutil.copytree(graded[0], tmp_path / "course"))
    result = allyship(
        course, "grade", ASSIGNMENT, "--zip", str(course / "subs.zip"), "--include-text"
    )
    assert "autograded 0" in result.stdout, result.stderr
    report = course / "reports" / ASSIGNMENT / "report.html"
    page, seen = open_report(browser, report)
    try:
        page.locator("#texts details").first.wait_for(state="attached")
        for details in page.locator("#texts details").all():
            details.evaluate("d => d.open = true")
        text = page.locator("#texts").inner_text()
        assert "<script>window.__pwned = 2; alert('hi')</script>" in text
        assert page.locator("#texts script, #texts img").count() == 0
        assert page.evaluate("window.__pwned") is None
        assert seen["dialogs"] == [] and seen["errors"] == []
    finally:
        page.close()
    grades = (course / "reports" / ASSIGNMENT / "grades.csv").read_text(encoding="utf-8")
    assert "window.__pwned = 2" in grades  # the instructor asked for the texts


def test_feedback_linked_from_the_report_does_not_run_a_students_script(browser, graded) -> None:
    course, _ = graded
    feedback = course / "feedback" / "hostile" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    html = feedback.read_text(encoding="utf-8")
    assert "window.__pwned" in html  # the reflection is there, as text
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("http*://**", lambda route: route.abort())  # the test machine is offline anyway
    try:
        page.goto(feedback.as_uri(), wait_until="load")
        assert page.evaluate("window.__pwned") is None
        assert dialogs == []
        shown = page.locator("body").inner_text()
        assert "<script>window.__pwned = 2; alert('hi')</script>" in shown  # as typed, once
    finally:
        page.close()
