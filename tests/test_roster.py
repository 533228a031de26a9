"""``allyship roster import``: a roster CSV into the real nbgrader gradebook."""

from __future__ import annotations

import csv
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from conftest import allyship
from nbgrader.api import Gradebook

from allyship.instructor.demo import HOSTILE_NAME
from allyship.instructor.roster import RosterStudent, lms_clashes
from allyship.nbgrader_support import load_course_config


def students(course: Path) -> dict[str, dict[str, object]]:
    """The students in the course's gradebook; none when a refused import never created it."""
    if not (course / "gradebook.db").exists():
        return {}
    config = load_course_config(course)
    with Gradebook(config.CourseDirectory.db_url, "allyship") as gb:
        return {s.id: s.to_dict() for s in gb.students}


def import_text(course: Path, text: str, name: str = "roster.csv") -> CompletedProcess[str]:
    """Write ``text`` as it is (no newline translation) and import it with the real command."""
    roster = course / name
    roster.write_bytes(text.encode("utf-8"))
    return allyship(course, "roster", "import", str(roster))


HEADER = "id,first_name,last_name,email,lms_id\n"


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
        (6, "is not safe to use"),
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


# --- student ids: the one rule of allyship.instructor.identity ----------------------------------


def test_an_id_with_a_double_quote_is_refused_before_formgrader_puts_it_in_a_script(
    course: Path,
) -> None:
    """D-H6: formgrader writes the id into ``var student_id = "..."``; a quote would end it."""
    result = import_text(
        course, HEADER + '"q"";window.__pwned_id=1;""",Quote,Id,q@x.org,301\nok,Ok,Fine,,302\n'
    )
    assert result.returncode == 1, result.stderr
    assert (
        "roster.csv: line 2: the id 'q\";window.__pwned_id=1;\"' is not safe to use; an id is "
        "1 to 64 ASCII letters, digits, '.', '_', '-' or '@', starting with a letter or digit; "
        "fix it in the roster"
    ) in result.stderr
    assert "roster.csv: 1 added, 0 updated, 1 skipped" in result.stdout
    assert list(students(course)) == ["ok"]


def test_an_id_too_long_for_a_folder_name_is_refused_at_import(course: Path) -> None:
    """D-M7: a 300-character id went in, then grading crashed on "File name too long"."""
    result = import_text(course, HEADER + f"{'a' * 300},Long,Id,l@x.org,1\nok,Ok,Fine,,2\n")
    assert result.returncode == 1, result.stderr
    assert "roster.csv: line 2: the id is 300 characters long; an id is 1 to 64" in result.stderr
    assert list(students(course)) == ["ok"]


def test_invisible_and_control_characters_are_refused_in_ids_names_and_emails(
    course: Path,
) -> None:
    """D-L13: NUL, bidi overrides and zero-width characters hide or reorder what a grader sees.

    A zero-width non-joiner between letters is how Persian spells some names: that one is text.
    """
    rows = [
        "bi\u202eid,Bidi,Id,b@x.org,1",
        "zw\u200bid,Zero,Width,z@x.org,2",
        "nul,Nu\x00l,Name,n@x.org,3",
        "rlo,Ada,\u202eecalevol,r@x.org,4",
        "zws,Ada\u200b,Lovelace,zws@x.org,5",
        "mail,Mail,Zw,ma\u200bil@x.org,6",
        "bell,Bell,\x07,bell@x.org,7",
        "alireza,\u0639\u0644\u06cc\u200c\u0631\u0636\u0627,Tehrani,a@x.org,8",
    ]
    result = import_text(course, HEADER + "\n".join(rows) + "\n")
    assert result.returncode == 1, result.stderr
    for line, why in (
        (2, "the id 'bi\\u202eid' is not safe to use"),
        (3, "the id 'zw\\u200bid' is not safe to use"),
        (4, "the name contains a NUL byte; fix it in the roster"),
        (5, "the name contains the invisible character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        (6, "the name contains the invisible character U+200B (ZERO WIDTH SPACE)"),
        (7, "the email contains the invisible character U+200B (ZERO WIDTH SPACE)"),
        (8, "the name contains the invisible character U+0007 (control character)"),
    ):
        assert f"roster.csv: line {line}: {why}" in result.stderr, result.stderr
    assert "roster.csv: 1 added, 0 updated, 7 skipped" in result.stdout
    found = students(course)
    assert list(found) == ["alireza"]
    assert found["alireza"]["first_name"] == "\u0639\u0644\u06cc\u200c\u0631\u0636\u0627"


# --- rows are what the instructor wrote: line ends, quotes, columns ------------------------------


def test_line_separators_inside_a_field_do_not_split_the_row(course: Path) -> None:
    """D-M10: ``str.splitlines`` split at U+2028, U+0085, \\v, \\f: ``evil`` became a student."""
    rows = [
        "ok,Ok,Fine,ok@x.org,1",
        "ls,Ada\u2028evil,Lovelace,ls@x.org,2",
        "nel,Ada\u0085evil,Lovelace,nel@x.org,3",
        "vt,Ada\x0bevil,Lovelace,vt@x.org,4",
        "ff,Ada\x0cevil,Lovelace,ff@x.org,5",
        'cr,"Ada\revil",Lovelace,cr@x.org,6',
        "last,La,St,last@x.org,7",
    ]
    result = import_text(course, HEADER + "\r\n".join(rows) + "\r\n")  # Windows line ends
    assert result.returncode == 1, result.stderr
    for line, char in (
        (3, "the invisible character U+2028 (LINE SEPARATOR)"),
        (4, "the invisible character U+0085 (control character)"),
        (5, "the invisible character U+000B (control character)"),
        (6, "the invisible character U+000C (control character)"),
        (7, "a line break"),
    ):
        assert f"roster.csv: line {line}: the name contains {char}" in result.stderr, result.stderr
    assert "roster.csv: 2 added, 0 updated, 5 skipped" in result.stdout
    assert sorted(students(course)) == ["last", "ok"]


def test_a_stray_carriage_return_outside_quotes_refuses_the_file_naming_its_line(
    course: Path,
) -> None:
    """D-M10: a lone \\r is not a line end here; it used to split the row in two."""
    result = import_text(course, HEADER + "ok,Ok,Fine,,1\nada,Ada\revil,Lovelace,a@x.org,2\n")
    assert result.returncode == 2
    assert (
        "allyship roster: " in result.stderr
        and "roster.csv: line 3: a carriage return (\\r) inside a field" in result.stderr
    ), result.stderr
    assert students(course) == {}


SWALLOWING = {
    "to the end": (
        'ok,Ok,Fine,ok@x.org,1\nada,"Ada,Lovelace,a@x.org,2\nbo,Bo,Li,b@x.org,3\n'
        "cy,Cy,Smith,c@x.org,4\n",
        "line 3: a quote opens on this line and is not closed before the end of the file",
    ),
    "to another quote": (
        'ok,Ok,Fine,ok@x.org,1\nada,"Ada,Lovelace,a@x.org,2\nbo,Bo,Li,b@x.org,3\n'
        'cy,Cy,"Smith, Jr",c@x.org,4\n',
        "line 3: a quote opens on this line and is not closed before line 5",
    ),
    "a line break in a name": (
        'ok,Ok,Fine,ok@x.org,1\nada,"Ada\nbo",Lovelace,a@x.org,2\ncy,Cy,Smith,c@x.org,4\n',
        "line 3: a quoted field opens on this line and runs over 1 line break(s) to line 4",
    ),
}


@pytest.mark.parametrize("case", SWALLOWING)
def test_an_unterminated_quote_refuses_the_whole_file_naming_the_line_it_opened(
    course: Path, case: str
) -> None:
    """D-M9: a quote left open swallowed the next rows into one field, and their students."""
    text, where = SWALLOWING[case]
    result = import_text(course, HEADER + text)
    assert result.returncode == 2
    assert f"allyship roster: {course / 'roster.csv'}: {where}; " in result.stderr, result.stderr
    assert "a closing quote is probably missing" in result.stderr
    assert students(course) == {}  # nobody half-imported: the instructor fixes and reimports


def test_a_semicolon_separated_file_is_refused_with_a_hint(course: Path) -> None:
    """D-L13: a European spreadsheet's "CSV" uses ';', read as one column and no 'id'."""
    result = import_text(course, "id;first_name;last_name\nada;Ada;Lovelace\n")
    assert result.returncode == 2
    assert (
        "roster.csv: line 1: no 'id' column (columns: id, first_name, last_name, email, lms_id); "
        "this looks like a semicolon-separated file; save it as comma-separated CSV"
    ) in result.stderr
    assert students(course) == {}


def test_a_column_named_twice_is_refused_naming_it(course: Path) -> None:
    """D-L13: with two id columns the last one was used, silently."""
    result = import_text(course, "ID,first_name,student_id\nada,Ada,evil\n")
    assert result.returncode == 2
    assert (
        "roster.csv: line 1: the column 'id' appears twice (columns 1 and 3: 'ID', "
        "'student_id'); keep one and import again"
    ) in result.stderr
    assert students(course) == {}


def test_a_row_with_more_cells_than_the_header_is_refused(course: Path) -> None:
    """An unquoted comma shifts every value after it: here the lms_id would become "Jr."."""
    result = import_text(
        course, "id,first_name,last_name,lms_id\nada,Ada,Lovelace, Jr.,1001\nbo,Bo,Li,1002,,\n"
    )
    assert result.returncode == 1
    assert (
        "roster.csv: line 2: 5 fields but the header has 4 columns (a comma in a field that is "
        "not quoted?)"
    ) in result.stderr
    assert list(students(course)) == ["bo"]  # empty trailing cells are harmless


# --- lms_id: one student each --------------------------------------------------------------------


def test_two_rows_with_one_lms_id_are_refused_naming_both_students(course: Path) -> None:
    """D-M5: a Canvas file for lms_id 1001 was credited to whichever came last."""
    result = import_text(course, HEADER + "ada,Ada,L,a@x.org,1001\nbo,Bo,Li,b@x.org,1001\n")
    assert result.returncode == 1
    assert (
        "roster.csv: line 3: lms_id '1001' of 'bo' is also the lms_id of 'ada' (line 2, kept); "
        "two students with one lms_id means an LMS file is credited to the wrong one"
    ) in result.stderr, result.stderr
    found = students(course)
    assert list(found) == ["ada"] and found["ada"]["lms_user_id"] == "1001"


def test_an_lms_id_held_in_the_gradebook_by_another_student_is_refused_and_a_swap_is_not(
    course: Path,
) -> None:
    """D-M5: the clash can be with a student imported from an earlier file."""
    assert import_text(course, HEADER + "ada,Ada,L,,1\nbo,Bo,Li,,2\n").returncode == 0
    clash = import_text(course, HEADER + "cy,Cy,Smith,,1\n", "late-joiners.csv")
    assert clash.returncode == 1
    assert (
        "late-joiners.csv: line 2: lms_id '1' of 'cy' already belongs to 'ada' in the gradebook"
    ) in clash.stderr, clash.stderr
    assert "late-joiners.csv: 0 added, 0 updated, 1 skipped" in clash.stdout

    swap = import_text(course, HEADER + "ada,Ada,L,,2\nbo,Bo,Li,,1\n")
    assert swap.returncode == 0, swap.stderr
    found = students(course)
    assert {sid: s["lms_user_id"] for sid, s in found.items()} == {"ada": "2", "bo": "1"}


def test_lms_clashes_follow_a_refusal_through() -> None:
    """A refused student keeps its gradebook lms_id, which can refuse the next one."""
    known = {"ada": "1", "bo": "2", "cy": "3"}
    file = [RosterStudent("ada", lms_id="2"), RosterStudent("bo", lms_id="3")]
    assert lms_clashes(file, known) == {"bo": "cy", "ada": "bo"}
    swap = [RosterStudent("ada", lms_id="2"), RosterStudent("bo", lms_id="1")]
    assert lms_clashes(swap, known) == {}
    assert lms_clashes([RosterStudent("ada", lms_id="")], known) == {}


def test_ids_that_differ_only_in_case_are_one_student(course: Path) -> None:
    """'Ada' and 'ada' would be one folder on a case-insensitive file system."""
    roster = course / "roster.csv"
    roster.write_text("id,first_name,last_name\nada,Ada,Obi\nAda,Ada,Okafor\n", encoding="utf-8")
    result = allyship(course, "roster", "import", str(roster))
    assert result.returncode == 1
    assert "line 3: id 'Ada' appears twice (the first row, line 2, was kept)" in result.stderr
