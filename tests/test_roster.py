"""``allyship roster import``: a roster CSV into the real nbgrader gradebook."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import allyship
from nbgrader.api import Gradebook

from allyship.instructor.demo import HOSTILE_NAME
from allyship.instructor.roster import read_roster
from allyship.nbgrader_support import load_course_config


def students(course: Path) -> dict[str, object]:
    config = load_course_config(course)
    with Gradebook(config.CourseDirectory.db_url, "allyship") as gb:
        return {s.id: s.to_dict() for s in gb.students}


ROSTER = (
    "\ufeffID,First_Name,last_name,email,lms_id,section,notes\n"
    'nguyen,Thị Ánh,"Nguyễn, Trần",anh@example.edu,1000,A,"likes ""quotes"""\n'
    "ada,Ada,Lovelace,ada@example.edu,1001,B\n"
    ",No,Id,noid@example.edu,1002,A\n"
    "ada,Ada,Again,ada2@example.edu,1003,A\n"
    "bad id,Bad,Space,bad@example.edu,1004,A\n"
    "mail,Bad,Mail,not-an-address,1005,A\n"
    "\n"
    "grace,Grace,Hopper,,,\n"
)


def test_import_reads_bom_extra_columns_and_reports_bad_rows_by_line(course: Path) -> None:
    roster = course / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    result = allyship(course, "roster", "import", str(roster))
    assert result.returncode == 1, result.stderr
    skipped = [ln for ln in result.stderr.splitlines() if ln.startswith("skipped:")]
    assert len(skipped) == 4, result.stderr
    for line_no, words in (
        (4, "no id"),
        (5, "appears twice"),
        (6, "cannot contain"),
        (7, "has no '@'"),
    ):
        assert any(f"roster.csv: line {line_no}: " in s and words in s for s in skipped), skipped
    assert "roster.csv: 3 added, 0 updated, 4 skipped" in result.stdout

    found = students(course)
    assert set(found) == {"nguyen", "ada", "grace"}
    assert found["nguyen"]["last_name"] == "Nguyễn, Trần"
    assert found["nguyen"]["first_name"] == "Thị Ánh"
    assert found["nguyen"]["lms_user_id"] == "1000"
    assert found["ada"]["email"] == "ada@example.edu"
    assert found["grace"]["lms_user_id"] is None


def test_reimport_updates_students_without_duplicating(course: Path) -> None:
    roster = course / "roster.csv"
    roster.write_text("id,first_name,last_name,email,lms_id\nada,Ada,L,a@x.org,1\n")
    first = allyship(course, "roster", "import", str(roster))
    assert first.returncode == 0 and "roster.csv: 1 added, 0 updated, 0 skipped" in first.stdout
    roster.write_text(
        "id,first_name,last_name,email,lms_id\nada,Ada,Lovelace,a@x.org,77\nbo,Bo,Li,,\n"
    )
    again = allyship(course, "roster", "import", str(roster))
    assert again.returncode == 0, again.stderr
    assert "roster.csv: 1 added, 1 updated, 0 skipped" in again.stdout
    found = students(course)
    assert sorted(found) == ["ada", "bo"]
    assert (found["ada"]["last_name"], found["ada"]["lms_user_id"]) == ("Lovelace", "77")


def test_markup_in_a_name_id_or_email_is_refused_and_the_other_rows_go_in(course: Path) -> None:
    """formgrader (nbgrader 0.9.6) shows names and ids unescaped: markup never reaches it."""
    roster = course / "roster.csv"
    rows = [
        ("id", "first_name", "last_name", "email"),
        ("hana", HOSTILE_NAME, "Tester", "h@x.org"),
        ("ok", "Jo", "O'Neil & Co", "jo@x.org"),
        ("<b>", "Bold", "Id", "b@x.org"),
        ("mal", "Mal", "Lory", "<script>@x.org"),
        ("last", "Lee", "Smith>", "l@x.org"),
    ]
    with roster.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = allyship(course, "roster", "import", str(roster))
    assert result.returncode == 1
    why = "contains < or >, which formgrader would show as HTML; fix it in the roster"
    for line, what in ((2, "name"), (4, "id"), (5, "email"), (6, "name")):
        assert f"roster.csv: line {line}: the {what} {why}" in result.stderr, result.stderr
    assert "roster.csv: 1 added, 0 updated, 4 skipped" in result.stdout
    found = students(course)
    assert list(found) == ["ok"]
    assert found["ok"]["last_name"] == "O'Neil & Co"  # quotes and & are fine: not markup


def test_a_file_without_an_id_column_is_refused_with_its_name(course: Path) -> None:
    roster = course / "people.csv"
    roster.write_text("name,email\nAda,a@x.org\n")
    result = allyship(course, "roster", "import", str(roster))
    assert result.returncode == 2
    assert "people.csv: line 1: no 'id' column" in result.stderr
    assert students(course) == {}


def test_quoted_multiline_fields_keep_line_numbers(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text('id,first_name,last_name\nok,"Two\nlines",X\n,No,Id\n', encoding="utf-8")
    parsed = read_roster(roster)
    assert [s.id for s in parsed.students] == ["ok"]
    assert parsed.problems == [f"{roster}: line 4: no id"]
