"""Copying between students: near-identical answers are flagged for the instructor, naming both.

The pure part (``allyship.reflection.copies``) on its own, then ``allyship grade`` end to end on
a Canvas-style archive: what the instructor sees in ``grades.csv`` and the report, what each
student sees in the feedback (never the other's name or words), and earlier terms.
"""

from __future__ import annotations

import csv
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from conftest import allyship, copy_course

from allyship.instructor.demo import canvas_archive, demo_class, write_roster
from allyship.reflection.copies import Supplied, fingerprint, near_identical

STORY = (
    "My grandmother ran a corner shop in Leicester for thirty years, and she taught me to "
    "count change before I could read. She also taught me, without meaning to, that the "
    "Traveller families who came through each summer would steal. I watched her follow a "
    "boy of about ten round the aisles while a man in a suit walked out with a newspaper "
    "he never paid for. I still feel my shoulders tighten when a caravan parks near our "
    "street, and last month I locked my bike twice outside the library because of it."
)
OTHER = (
    "At my first job in a call centre the team leader rated callers with strong accents as "
    "harder to understand before they had said a word, and I copied her. I still notice a "
    "flicker of impatience when I hear an accent on the phone at work, and I have started "
    "writing down what the caller actually said before I judge how clear they were. Where it "
    "came from is easy to see: every training role-play used the same neutral voice."
)


def test_an_edited_copy_is_matched_and_honest_answers_are_not() -> None:
    edited = STORY.replace("thirty", "forty").replace("last month", "last week")
    found = near_identical(
        {
            "roots": {
                "ana": fingerprint(STORY),
                "ben": fingerprint(edited),
                "cy": fingerprint(OTHER),
            }
        }
    )
    assert [(m.first, m.second) for m in found] == [("ana", "ben")]
    assert found[0].share >= 0.8


def test_what_the_course_supplies_is_never_a_copy() -> None:
    example = "Growing up I picked up the idea that people are poor because they never tried."
    supplied = Supplied([example, STORY])  # as if the story were the instructor's example
    both = {"roots": {"ana": fingerprint(STORY, supplied), "ben": fingerprint(STORY, supplied)}}
    assert near_identical(both) == []


def test_earlier_terms_are_compared_with_this_class_only() -> None:
    old = fingerprint(STORY)
    earlier = {"roots": {"old1 (term 2025)": old, "old2 (term 2025)": old}}
    found = near_identical({"roots": {"dee": fingerprint(STORY)}}, earlier)
    assert sorted((m.first, m.second) for m in found) == [
        ("dee", "old1 (term 2025)"),
        ("dee", "old2 (term 2025)"),
    ]


DUE = datetime(2026, 11, 20, 17, 0, 0)


@pytest.mark.slow
def test_grade_flags_both_students_and_tells_neither(tmp_path: Path) -> None:
    course = copy_course(tmp_path / "course")
    students = demo_class(course, "introspection", 7)
    by_id = {s.roster.id: s for s in students}
    copier, source = by_id["nguyen"], by_id["s006"]
    source.texts["introspection_roots"] = STORY
    copier.texts["introspection_roots"] = STORY.replace("Leicester", "Derby")
    write_roster(course / "roster.csv", students)
    assert allyship(course, "roster", "import", str(course / "roster.csv")).returncode == 0
    archive = course / "submissions.zip"
    canvas_archive(archive, course, "introspection", students, DUE)

    result = allyship(course, "grade", "introspection", "--zip", str(archive))
    # The demo class has a broken file and another assignment's notebook: exit 1, all graded.
    assert result.returncode == 1 and "failed 2" in result.stdout, result.stderr
    reports = course / "reports" / "introspection"
    with (reports / "grades.csv").open(encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert "nearly identical to the answer of s006" in rows["nguyen"]["flags"]
    assert "nearly identical to the answer of nguyen" in rows["s006"]["flags"]
    assert rows["nguyen"]["needs_review"] == rows["s006"]["needs_review"] == "yes"
    for other in set(rows) - {"nguyen", "s006"}:
        assert "nearly identical" not in rows[other]["flags"], other
    report = (reports / "report.html").read_text(encoding="utf-8")
    assert "nearly identical to the answer of s006" in report
    assert "Leicester" not in report and "Derby" not in report  # no text without --include-text
    for me, other in (("nguyen", "s006"), ("s006", "nguyen")):
        feedback = (course / "feedback" / me / "introspection" / "introspection.html").read_text(
            encoding="utf-8"
        )
        assert other not in feedback and "nearly identical" not in feedback
    stored = (course / "fingerprints" / "introspection.json").read_text(encoding="utf-8")
    assert "Leicester" not in stored and "grandmother" not in stored  # hashes, never text

    # Next term: this term's fingerprints kept as an earlier term; a new student copies.
    earlier = course / "fingerprints" / "earlier" / "2026-autumn"
    earlier.mkdir(parents=True)
    shutil.copy(course / "fingerprints" / "introspection.json", earlier / "introspection.json")
    (course / "fingerprints" / "earlier" / "broken").mkdir()
    (course / "fingerprints" / "earlier" / "broken" / "introspection.json").write_text("{oops")
    students = demo_class(course, "introspection", 7)
    next(s for s in students if s.roster.id == "s006").texts["introspection_roots"] = STORY
    canvas_archive(archive, course, "introspection", students, DUE)
    again = allyship(course, "grade", "introspection", "--zip", str(archive))
    assert again.returncode == 0, again.stderr  # the two bad files were reported last run
    with (reports / "grades.csv").open(encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert "answer of nguyen (term 2026-autumn)" in rows["s006"]["flags"]
    assert "answer of s006 (term 2026-autumn)" in rows["s006"]["flags"]
    assert "nearly identical" not in rows["nguyen"]["flags"]
    report = (reports / "report.html").read_text(encoding="utf-8")
    assert "broken/introspection.json: not a fingerprint file" in report
