"""``allyship grade`` end to end on a synthetic class of 32, with the real nbgrader pipeline.

Expected scores are derived from the reflection rules' own verdicts on the texts submitted
(``allyship.reflection.evaluate``), never hard-coded, so these tests follow the rules as they
improve.
"""

from __future__ import annotations

import csv
import re
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import allyship, copy_course
from nbgrader.api import Gradebook

from allyship.course import Prompt, load_prompts
from allyship.instructor.demo import (
    DemoStudent,
    canvas_archive,
    demo_class,
    submit_to_exchange,
    write_roster,
)
from allyship.instructor.identity import shown_id
from allyship.nbgrader_support import load_course_config
from allyship.reflection import evaluate

pytestmark = pytest.mark.slow
ASSIGNMENT = "introspection"
SIZE = 32
DUE = datetime(2026, 11, 20, 17, 0, 0)
PER_HOUR = 0.25
GRADED_KINDS = {"complete", "partial", "late", "renamed", "hostile"}


def add_policy(course: Path, due: str) -> None:
    """Due date and late penalty for the assignment, the way an instructor sets them."""
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
        fh.write(
            f"\nc.CourseSchedule.due_dates = {{{ASSIGNMENT!r}: {due!r}}}\n"
            'c.AssignLatePenalties.plugin_class = "allyship.instructor.late.SubtractPerHour"\n'
            f"c.SubtractPerHour.points_per_hour = {{{ASSIGNMENT!r}: {PER_HOUR}}}\n"
        )


def new_class(course: Path, due: str) -> list[DemoStudent]:
    add_policy(course, due)
    students = demo_class(course, ASSIGNMENT, SIZE)
    write_roster(course / "roster.csv", students)
    result = allyship(course, "roster", "import", str(course / "roster.csv"))
    assert result.returncode == 0, result.stderr
    return students


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def expected(student: DemoStudent, prompts: list[Prompt]) -> SimpleNamespace:
    """What the rules say about this student's answers."""
    verdicts = [evaluate(student.texts[p.grade_id], p.rule_settings()) for p in prompts]
    scores = [v.credit * p.points for v, p in zip(verdicts, prompts, strict=True)]
    review = any(v.needs_review for v in verdicts) or student.kind == "renamed"
    return SimpleNamespace(verdicts=verdicts, scores=scores, raw=sum(scores), review=review)


def summary(students: list[DemoStudent], prompts: list[Prompt]) -> str:
    graded = [s for s in students if s.kind in GRADED_KINDS]
    flagged = sum(expected(s, prompts).review for s in graded)
    missing = sum(s.kind == "missing" for s in students)
    return f"graded {len(graded)}, flagged for review {flagged}, missing {missing}, failed 2"


@pytest.fixture(scope="module")
def zip_class(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A class graded once from a Canvas-style archive."""
    course = copy_course(tmp_path_factory.mktemp("zipclass") / "course")
    students = new_class(course, DUE.strftime("%Y-%m-%d %H:%M:%S UTC"))
    archive = course / "submissions.zip"
    canvas_archive(archive, course, ASSIGNMENT, students, DUE)
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    return SimpleNamespace(
        course=course,
        students=students,
        prompts=load_prompts(ASSIGNMENT, course),
        result=result,
        reports=course / "reports" / ASSIGNMENT,
    )


def test_summary_line_and_exit_status(zip_class: SimpleNamespace) -> None:
    result = zip_class.result
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == summary(zip_class.students, zip_class.prompts), result.stderr[-3000:]
    assert result.returncode == 1  # one broken file, one notebook of another assignment
    assert "broken: introspection.ipynb: not valid JSON" in result.stderr
    assert "wrongnb: introspection.ipynb: this is the 'accountability' notebook" in result.stderr
    graded = sum(s.kind in GRADED_KINDS for s in zip_class.students)
    assert f"autograde  [{'#' * 24}] {graded}/{graded}" in result.stderr  # the progress bar


def test_grades_csv_has_one_row_per_student_with_the_rules_scores(
    zip_class: SimpleNamespace,
) -> None:
    rows = {r["student_id"]: r for r in read_csv(zip_class.reports / "grades.csv")}
    assert set(rows) == {s.roster.id for s in zip_class.students}
    for s in zip_class.students:
        row = rows[s.roster.id]
        assert (row["last_name"], row["first_name"]) == (s.roster.last_name, s.roster.first_name)
        if s.kind == "missing":
            assert row["status"] == "missing" and row["total"] == ""
            continue
        if s.kind in ("broken", "wrong"):
            assert row["status"] == "failed"
            assert "introspection.ipynb" in row["flags"]
            continue
        want = expected(s, zip_class.prompts)
        assert row["status"] == "graded"
        for p, score, verdict in zip(zip_class.prompts, want.scores, want.verdicts, strict=True):
            assert float(row[p.grade_id]) == pytest.approx(score), (s.roster.id, p.grade_id)
            assert int(row[f"{p.grade_id} words"]) == verdict.words
        late = s.kind == "late"  # submitted 3 hours after the due date
        penalty = min(3 * PER_HOUR, want.raw) if late else 0
        assert float(row["late_penalty"]) == pytest.approx(penalty)
        assert float(row["total"]) == pytest.approx(want.raw - penalty)
        assert float(row["max_score"]) == sum(p.points for p in zip_class.prompts)
        assert row["needs_review"] == ("yes" if want.review else "no"), row["flags"]
        if s.kind == "renamed":
            assert "Copy of introspection.ipynb" in row["flags"]
        if s.kind == "late":
            assert float(row["hours_late"]) == pytest.approx(3.0)


def test_lms_files_are_keyed_by_lms_id_and_quoted(zip_class: SimpleNamespace) -> None:
    grades = {r["lms_id"]: r for r in read_csv(zip_class.reports / "grades.csv")}
    canvas = read_csv(zip_class.reports / "canvas.csv")
    with (zip_class.reports / "canvas.csv").open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]
    assert {r["ID"] for r in canvas} == {s.roster.lms_id for s in zip_class.students}
    by_id = {r["ID"]: r for r in canvas}
    nguyen = next(s for s in zip_class.students if s.roster.id == "nguyen").roster
    assert by_id[nguyen.lms_id]["Student"] == "Nguyễn, Trần, Thị Ánh"
    for lms_id, row in by_id.items():
        assert row[ASSIGNMENT] == grades[lms_id]["total"]  # blank when missing or failed
    moodle = {r["ID number"]: r for r in read_csv(zip_class.reports / "moodle.csv")}
    assert moodle[nguyen.lms_id]["Full name"] == "Thị Ánh Nguyễn, Trần"
    assert moodle[nguyen.lms_id]["Email address"] == nguyen.email
    assert {k: v[ASSIGNMENT] for k, v in moodle.items()} == {
        k: v[ASSIGNMENT] for k, v in by_id.items()
    }


def test_exports_carry_no_reflection_text_by_default(zip_class: SimpleNamespace) -> None:
    sample = zip_class.students[0].texts[zip_class.prompts[0].grade_id]
    phrase = sample.split(". ")[1][:40]
    for name in ("grades.csv", "canvas.csv", "moodle.csv", "report.html"):
        text = (zip_class.reports / name).read_text(encoding="utf-8")
        assert phrase not in text, name
        assert "window.__pwned = 2" not in text, name


def test_feedback_requests_nothing_from_another_host(zip_class: SimpleNamespace) -> None:
    """No script, style sheet or image from a CDN: feedback opens offline and tells no one."""
    pages = sorted((zip_class.course / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    assert len(pages) >= 20
    for page in pages:
        html = page.read_text(encoding="utf-8")
        off_host = re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.IGNORECASE)
        assert not off_host, f"{page}: {off_host[:3]}"
        assert "cdnjs" not in html and "MathJax.js" not in html, page
        assert "Score" in html or "score" in html  # still nbgrader's feedback page


def test_rerun_keeps_overrides_and_regrades_only_what_changed(
    zip_class: SimpleNamespace, tmp_path: Path
) -> None:
    course = Path(shutil.copytree(zip_class.course, tmp_path / "course"))
    students, prompts = zip_class.students, zip_class.prompts
    first = prompts[0].grade_id
    target = next(s for s in students if s.kind == "complete" and s.roster.id.startswith("s"))
    config = load_course_config(course)
    with Gradebook(config.CourseDirectory.db_url, "allyship") as gb:  # as formgrader does
        grade = gb.find_grade(first, ASSIGNMENT, ASSIGNMENT, target.roster.id)
        grade.manual_score = 0.5
        grade.needs_manual_grade = False
        comment = gb.find_comment(first, ASSIGNMENT, ASSIGNMENT, target.roster.id)
        comment.manual_comment = "Half credit: we talked about this in class."
        gb.db.commit()
    feedback = course / "feedback" / "{}" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    untouched = next(s for s in students if s.kind == "complete" and s is not target)
    before = Path(str(feedback).format(untouched.roster.id)).stat().st_mtime_ns

    fixed = next(s for s in students if s.kind == "partial")
    fixed.texts = dict(target.texts)  # the student resubmits complete answers
    archive = course / "submissions-2.zip"
    canvas_archive(archive, course, ASSIGNMENT, students, DUE)
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    graded = sum(s.kind in GRADED_KINDS for s in students)
    assert f"autograded 1, unchanged since last run {graded - 1}" in result.stdout, result.stderr
    # the two bad files are unchanged: reported again, but set aside, not a new failure
    assert result.returncode == 0, result.stderr
    assert "still set aside (reported before): broken: introspection.ipynb" in result.stderr

    rows = {r["student_id"]: r for r in read_csv(course / "reports" / ASSIGNMENT / "grades.csv")}
    assert float(rows[target.roster.id][first]) == 0.5
    want = expected(fixed, prompts)
    assert float(rows[fixed.roster.id]["raw_score"]) == pytest.approx(want.raw)
    with Gradebook(config.CourseDirectory.db_url, "allyship") as gb:
        assert gb.find_grade(first, ASSIGNMENT, ASSIGNMENT, target.roster.id).manual_score == 0.5
    html = Path(str(feedback).format(target.roster.id)).read_text(encoding="utf-8")
    assert "we talked about this in class" in html  # feedback regenerated after the override
    assert Path(str(feedback).format(untouched.roster.id)).stat().st_mtime_ns == before

    again = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    assert f"autograded 0, unchanged since last run {graded}" in again.stdout


def _submit(course: Path, exchange: Path, student: DemoStudent) -> None:
    home = course.parent / "students" / student.roster.id
    submit_to_exchange(course, exchange, ASSIGNMENT, student, home)


def test_exchange_end_to_end_with_late_submissions(tmp_path: Path) -> None:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    course = copy_course(tmp_path / "course")
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
        fh.write(f"\nc.Exchange.root = {str(exchange)!r}\nc.ExchangeCollect.check_owner = False\n")
    students = demo_class(course, ASSIGNMENT, SIZE)
    config = load_course_config(course)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    assert api.generate_assignment(ASSIGNMENT)["success"]
    assert api.release_assignment(ASSIGNMENT)["success"]
    on_time = [s for s in students if s.submits and s.kind != "late"]
    for s in on_time:
        _submit(course, exchange, s)
    time.sleep(1.1)
    due = datetime.utcnow() - timedelta(seconds=0.5)
    for s in students:
        if s.kind == "late":
            _submit(course, exchange, s)
    write_roster(course / "roster.csv", students)
    add_policy(course, due.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    assert allyship(course, "roster", "import", str(course / "roster.csv")).returncode == 0

    result = allyship(course, "grade", ASSIGNMENT)
    prompts = load_prompts(ASSIGNMENT, course)
    assert result.stdout.strip().splitlines()[-1] == summary(students, prompts), result.stderr
    assert result.returncode == 1
    rows = {r["student_id"]: r for r in read_csv(course / "reports" / ASSIGNMENT / "grades.csv")}
    for s in students:
        if s.kind == "late":
            raw = expected(s, prompts).raw
            assert float(rows[s.roster.id]["late_penalty"]) == pytest.approx(min(PER_HOUR, raw))
        elif s.kind in GRADED_KINDS:
            assert float(rows[s.roster.id]["late_penalty"]) == 0
            assert float(rows[s.roster.id]["raw_score"]) == pytest.approx(expected(s, prompts).raw)
    released = list((exchange / "allyship" / "feedback").glob("*.html"))
    assert len(released) == sum(s.kind in GRADED_KINDS for s in students)


def _zip(path: Path, entries: dict[str, tuple[bytes, datetime]]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        for name, (data, when) in entries.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when.timetuple()[:6]), data)
    return path


def test_moodle_archive_matches_by_name_and_reports_unknown_students(course: Path) -> None:
    from allyship.instructor.demo import notebook_bytes

    students = demo_class(course, ASSIGNMENT, 9)[5:]  # four ordinary students
    write_roster(course / "roster.csv", students)
    assert allyship(course, "roster", "import", str(course / "roster.csv")).returncode == 0
    submitting = students[:3]
    entries = {
        f"{s.roster.first_name} {s.roster.last_name}_{700 + i}_assignsubmission_file_/"
        f"{ASSIGNMENT}.ipynb": (notebook_bytes(course, ASSIGNMENT, s), DUE)
        for i, s in enumerate(submitting)
    }
    entries["Zed Unknown_799_assignsubmission_file_/introspection.ipynb"] = (
        notebook_bytes(course, ASSIGNMENT, students[0]),
        DUE,
    )
    entries["readme.txt"] = (b"hello", DUE)
    archive = _zip(course / "moodle.zip", entries)
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    prompts = load_prompts(ASSIGNMENT, course)
    flagged = sum(expected(s, prompts).review for s in submitting)
    last = result.stdout.strip().splitlines()[-1]
    assert last == f"graded 3, flagged for review {flagged}, missing 1, failed 2", result.stderr
    assert result.returncode == 1
    assert "Zed Unknown: introspection.ipynb: no student on the roster" in result.stderr
    assert "readme.txt: cannot tell whose file this is" in result.stderr
    rows = {r["student_id"]: r for r in read_csv(course / "reports" / ASSIGNMENT / "grades.csv")}
    for s in submitting:
        assert float(rows[s.roster.id]["raw_score"]) == pytest.approx(expected(s, prompts).raw)
    assert rows[students[3].roster.id]["status"] == "missing"
    report = (course / "reports" / ASSIGNMENT / "report.html").read_text(encoding="utf-8")
    assert "Zed Unknown" in report


def test_canvas_late_mark_without_a_time_costs_the_smallest_penalty(course: Path) -> None:
    from allyship.instructor.demo import notebook_bytes

    students = demo_class(course, ASSIGNMENT, 7)[5:]
    add_policy(course, DUE.strftime("%Y-%m-%d %H:%M:%S UTC"))
    write_roster(course / "roster.csv", students)
    assert allyship(course, "roster", "import", str(course / "roster.csv")).returncode == 0
    late, on_time = students
    name = "{0.last_name}{0.first_name}".format
    archive = _zip(
        course / "canvas.zip",
        {  # the archive's file times disagree with Canvas's late mark: the mark wins
            f"{name(late.roster).lower()}_LATE_{late.roster.lms_id}_1_{ASSIGNMENT}.ipynb": (
                notebook_bytes(course, ASSIGNMENT, late),
                DUE - timedelta(days=1),
            ),
            f"{name(on_time.roster).lower()}_{on_time.roster.lms_id}_2_{ASSIGNMENT}-1.ipynb": (
                notebook_bytes(course, ASSIGNMENT, on_time),
                DUE + timedelta(days=1),
            ),
        },
    )
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    assert result.returncode == 0, result.stderr
    rows = {r["student_id"]: r for r in read_csv(course / "reports" / ASSIGNMENT / "grades.csv")}
    prompts = load_prompts(ASSIGNMENT, course)
    row = rows[late.roster.id]
    assert float(row["late_penalty"]) == pytest.approx(min(PER_HOUR, expected(late, prompts).raw))
    assert row["needs_review"] == "yes" and "check the time in Canvas" in row["flags"]
    assert row["submitted_at_utc"] == "2026-11-20 17:00:01"
    assert rows[on_time.roster.id]["hours_late"] == "0"
    assert rows[on_time.roster.id]["submitted_at_utc"] == "2026-11-20 17:00:00"


def test_an_unknown_assignment_is_named_with_the_ones_the_course_has(course: Path) -> None:
    result = allyship(course, "grade", "nosuch")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "allyship grade: no assignment 'nosuch' in source/; "
        "the course has: introspection, accountability, listening"
    )
    assert not (course / "reports" / "nosuch").exists()


def test_a_submission_folder_whose_id_holds_markup_never_reaches_the_gradebook(
    course: Path,
) -> None:
    """autograde would create that student, and formgrader shows ids as HTML: refused instead."""
    from allyship.instructor.demo import HOSTILE_NAME, notebook_bytes

    student = demo_class(course, ASSIGNMENT, 6)[5]
    write_roster(course / "roster.csv", [student])
    assert allyship(course, "roster", "import", str(course / "roster.csv")).returncode == 0
    for sid in (student.roster.id, HOSTILE_NAME):
        folder = course / "submitted" / sid / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(notebook_bytes(course, ASSIGNMENT, student))
    result = allyship(course, "grade", ASSIGNMENT)
    assert result.returncode == 1
    shown = shown_id(HOSTILE_NAME)
    assert f"failed: {shown}: {ASSIGNMENT}: the id {shown} is not safe to use" in result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("graded 1,"), result.stderr
    config = load_course_config(course)
    with Gradebook(config.CourseDirectory.db_url, "allyship") as gb:
        assert [s.id for s in gb.students] == [student.roster.id]
    assert not (course / "autograded" / HOSTILE_NAME).exists()
