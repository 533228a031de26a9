"""Faults an instructor can cause during ``allyship grade``: Ctrl-C, and a locked gradebook.

nbgrader's ``capture_log`` swallows every exception, Ctrl-C included, so an interrupted run used
to go on to the end (D-L3); a locked gradebook used to end in a raw traceback (D-L4).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import BIN, allyship, copy_course, tool_env

from allyship.instructor.demo import canvas_archive, demo_class, write_roster

pytestmark = pytest.mark.slow
ASSIGNMENT = "introspection"


def graded_class(course: Path, size: int) -> Path:
    from datetime import datetime

    students = demo_class(course, ASSIGNMENT, size)
    write_roster(course / "roster.csv", students)
    assert allyship(course, "roster", "import", str(course / "roster.csv")).returncode == 0
    archive = course / "submissions.zip"
    canvas_archive(archive, course, ASSIGNMENT, students, datetime(2026, 11, 20, 17))
    return archive


def test_ctrl_c_stops_the_run_at_once_and_keeps_what_was_graded(tmp_path: Path) -> None:
    course = copy_course(tmp_path / "course")
    archive = graded_class(course, 60)
    proc = subprocess.Popen(
        [
            str(BIN / "allyship"),
            "grade",
            ASSIGNMENT,
            "--zip",
            str(archive),
            "--course",
            str(course),
        ],
        cwd=course,
        env=tool_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = ""
        while "autograde  [##" not in seen:  # the first batch is graded
            line = proc.stderr.readline()
            assert line, f"the run ended before autograde progressed:\n{seen}"
            seen += line
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        out, err = proc.communicate(timeout=60)
        stopped_after = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, seen + err
    assert "interrupted; what was done is kept, run it again to go on" in err
    assert "Traceback" not in err
    assert "feedback   [" not in err  # it stopped in autograde, not at the end of the run
    assert stopped_after < 30
    again = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    first = again.stdout.split("autograded ")[1]
    autograded, unchanged = int(first.split(",")[0]), int(first.split("run ")[1].split(";")[0])
    assert unchanged > 0 and autograded > 0, again.stdout  # it went on from where it stopped


def test_a_locked_gradebook_is_reported_in_words(tmp_path: Path) -> None:
    course = copy_course(tmp_path / "course")
    archive = graded_class(course, 6)
    lock = sqlite3.connect(course / "gradebook.db", isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        result = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    finally:
        lock.close()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().endswith(
        "allyship grade: the gradebook is locked by another program "
        "(formgrader saving, or another run); try again in a moment"
    )


def test_feedback_that_cannot_be_generated_is_reported_for_each_student(tmp_path: Path) -> None:
    """A broken feedback template (an instructor's edit) leaves grades in place but students
    with nothing to read: the run says so, per student, and exits non-zero."""
    course = copy_course(tmp_path / "course")
    archive = graded_class(course, 6)
    broken = tmp_path / "templates" / "feedback"
    broken.mkdir(parents=True)
    (broken / "mathjax.html.j2").write_text("{% macro mathjax(url='') %}{% if %}{% endmacro %}")
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
        fh.write(
            "\nc.HTMLExporter.extra_template_basedirs = "
            f"[{str(tmp_path / 'templates')!r}] + c.HTMLExporter.extra_template_basedirs\n"
        )
    done = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert out.count("feedback could not be generated") >= 4, out  # every graded student
    assert "TemplateSyntaxError" in out, out
    assert (course / "reports" / ASSIGNMENT / "grades.csv").is_file()  # the grades stand
