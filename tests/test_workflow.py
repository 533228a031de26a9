"""The whole course workflow with the real nbgrader commands and a local exchange.

Instructor: generate, release, collect, autograde, generate and release feedback, export.
Three students, each with their own folder and exchange cache: fetch, answer, submit, fetch
feedback. Outcomes are read where people see them: the gradebook, the export file and the
feedback HTML each student fetched.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest
from conftest import nbgrader
from test_autograde import ASSIGNMENT, GENUINE, answered, grades

from allyship.check import find_answer, judge
from allyship.course import load_prompts
from allyship.nbgrader_plugins import comment_text

pytestmark = pytest.mark.slow

COURSE_ID = "allyship"


def student_home(base: Path, name: str, exchange: Path) -> Path:
    """A student's own folder and config: same exchange, their own cache and id."""
    home = base / name
    home.mkdir(parents=True)
    (home / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.student_id = {name!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(home / 'cache')!r}\n"
    )
    return home


def test_full_workflow(course: Path, tmp_path: Path) -> None:
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(
            f"\nc.Exchange.root = {str(exchange)!r}\nc.ExchangeCollect.check_owner = False\n"
        )
    prompts = load_prompts(ASSIGNMENT, course)
    ids = [p.grade_id for p in prompts]

    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "release_assignment", ASSIGNMENT)

    one_answer = {ids[0]: GENUINE[ids[0]]}
    markup = "\n\n<script>alert('hi')</script> <b>really</b>"
    alice = {**GENUINE, ids[2]: GENUINE[ids[2]] + markup}
    plans = {"alice": alice, "bob": {}, "carol": one_answer}
    homes = {}
    for name, answers in plans.items():
        home = homes[name] = student_home(tmp_path / "students", name, exchange)
        nbgrader(home, "fetch_assignment", ASSIGNMENT)
        path = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        fetched = json.loads(path.read_text())
        path.write_text(json.dumps(answered(fetched, answers)))
        nbgrader(home, "submit", ASSIGNMENT)

    nbgrader(course, "collect", ASSIGNMENT)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(plans)
    nbgrader(course, "autograde", ASSIGNMENT)
    nbgrader(course, "generate_feedback", ASSIGNMENT)
    nbgrader(course, "release_feedback", ASSIGNMENT)

    # the gradebook: per cell score and the rules' reasons as the comment
    totals = {"alice": 3.0, "bob": 0.0, "carol": 1.0}
    for name, answers in plans.items():
        stored = grades(course, name)
        assert sum(g["score"] for g in stored.values()) == totals[name]
        for number, prompt in enumerate(prompts, start=1):
            text = answers.get(prompt.grade_id, prompt.release_text)
            verdict = judge(find_answer([cell(text, prompt.grade_id)], prompt), prompt, number)
            assert stored[prompt.grade_id]["score"] == (1.0 if prompt.grade_id in answers else 0)
            assert stored[prompt.grade_id]["comment"] == comment_text(verdict.reasons)
            if prompt.grade_id not in answers:
                assert verdict.status == "incomplete"

    # each student fetches their own feedback and sees scores and reasons
    for name, answers in plans.items():
        nbgrader(homes[name], "fetch_feedback", ASSIGNMENT)
        found = list((homes[name] / ASSIGNMENT / "feedback").glob("*/*.html"))
        assert len(found) == 1, found  # only their own
        page = found[0].read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", " ", page))
        assert re.search(rf"Score:\s*{totals[name]}\s*/\s*3\.0", text), name
        for prompt in prompts:
            comment = grades(course, name)[prompt.grade_id]["comment"]
            for reason in comment.splitlines():
                assert " ".join(reason.lstrip("- ").split()) in " ".join(text.split()), name
        # what they wrote is shown as text, never run as HTML
        assert "<script>alert" not in page and "<b>really" not in page
        if name == "alice":
            assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in page or (
                "&lt;script&gt;alert('hi')&lt;/script&gt;" in page
            )
        # their own words come back to them, and nobody else's
        assert ("familiar accent" in text) == (ids[0] in answers), name

    # the export: one row per student with the total
    nbgrader(course, "export", "--to", "grades.csv")
    rows = list(csv.DictReader((course / "grades.csv").open(encoding="utf-8")))
    exported = {r["student_id"]: float(r["score"]) for r in rows if r["assignment"] == ASSIGNMENT}
    assert exported == totals


def cell(text: str, grade_id: str) -> dict[str, object]:
    return {"metadata": {"nbgrader": {"grade_id": grade_id}}, "source": text}
