"""Hostile and damaged LMS archives, graded by the real ``allyship grade --zip``.

Each case of the security review's zip intake (D-H1, D-H3, D-M8, D-L2, D-L12) is built as a
real archive, byte for byte where a damaged one is needed, and graded next to honest files:
one bad member must never stop the class, and no file may be credited to the wrong student.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import allyship, copy_course

from allyship.instructor.demo import DemoStudent, demo_class, notebook_bytes, write_roster

pytestmark = pytest.mark.slow
ASSIGNMENT = "introspection"
DUE = datetime(2026, 11, 20, 17, 0, 0)


def read_grades(course: Path) -> dict[str, dict[str, str]]:
    with (course / "reports" / ASSIGNMENT / "grades.csv").open(encoding="utf-8") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def canvas_name(student: DemoStudent, n: int, original: str = f"{ASSIGNMENT}.ipynb") -> str:
    last_first = (student.roster.last_name + student.roster.first_name).lower()
    return f"{last_first}_{student.roster.lms_id}_{9000 + n}_{original}"


def build_zip(
    entries: list[tuple[str, bytes, datetime]], method: int = zipfile.ZIP_DEFLATED
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, data, when in entries:
            zf.writestr(zipfile.ZipInfo(name, date_time=when.timetuple()[:6]), data, method)
    return buffer.getvalue()


def central_entries(data: bytes) -> list[int]:
    """Offsets of the central directory entries, in member order."""
    offsets, at = [], data.find(b"PK\x01\x02")
    while at != -1:
        offsets.append(at)
        at = data.find(b"PK\x01\x02", at + 4)
    return offsets


def damage(data: bytes, index: int, how: str) -> bytes:
    """Damage member ``index`` the way the review did: corrupt bytes, a password flag, an
    unsupported compression (Deflate64 is method 9), or a size header that lies."""
    raw = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[index]
    local, central = info.header_offset, central_entries(data)[index]
    name_len, extra_len = struct.unpack("<HH", raw[local + 26 : local + 30])
    start = local + 30 + name_len + extra_len
    if how == "corrupt":
        for i in range(start + 20, min(start + 60, start + info.compress_size)):
            raw[i] ^= 0xFF
    elif how == "encrypted":
        for at, offset in ((local, 6), (central, 8)):
            flags = struct.unpack("<H", raw[at + offset : at + offset + 2])[0] | 0x1
            raw[at + offset : at + offset + 2] = struct.pack("<H", flags)
    elif how == "deflate64":
        raw[local + 8 : local + 10] = struct.pack("<H", 9)
        raw[central + 10 : central + 12] = struct.pack("<H", 9)
    elif how == "lying-size":
        raw[central + 24 : central + 28] = struct.pack("<I", 100)
        raw[local + 22 : local + 26] = struct.pack("<I", 100)
    return bytes(raw)


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    course = copy_course(tmp_path_factory.mktemp("archives") / "course")
    students = [s for s in demo_class(course, ASSIGNMENT, 20) if s.kind == "complete"][:8]
    write_roster(course / "roster.csv", students)
    result = allyship(course, "roster", "import", str(course / "roster.csv"))
    assert result.returncode == 0, result.stderr
    return SimpleNamespace(course=course, students=students)


def class_copy(klass: SimpleNamespace, tmp_path: Path) -> Path:
    """A fresh course with the class's roster already in its gradebook."""
    course = Path(copy_course(tmp_path / "course"))
    (course / "gradebook.db").write_bytes((klass.course / "gradebook.db").read_bytes())
    return course


def test_one_damaged_member_never_stops_the_class(klass: SimpleNamespace, tmp_path: Path) -> None:
    """D-H1: a corrupt, encrypted, Deflate64 or lying-size member is reported; others graded."""
    course = class_copy(klass, tmp_path)
    students = klass.students[:6]
    entries = [
        (canvas_name(s, n), notebook_bytes(course, ASSIGNMENT, s), DUE - timedelta(hours=1))
        for n, s in enumerate(students)
    ]
    data = build_zip(entries)
    for index, how in enumerate(("corrupt", "encrypted", "deflate64", "lying-size")):
        data = damage(data, index, how)
    archive = course / "damaged.zip"
    archive.write_bytes(data)
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("graded 2,"), result.stderr
    stderr = result.stderr
    assert "Traceback" not in stderr
    assert f"failed: {students[0].roster.id}: {ASSIGNMENT}.ipynb: damaged in the archive" in stderr
    assert (
        f"failed: {students[1].roster.id}: {ASSIGNMENT}.ipynb: encrypted in the archive" in stderr
    )
    assert (
        f"failed: {students[2].roster.id}: {ASSIGNMENT}.ipynb: compressed with a method" in stderr
    )
    assert f"failed: {students[3].roster.id}: {ASSIGNMENT}.ipynb: damaged in the archive" in stderr
    grades = read_grades(course)
    for s in students[:4]:
        assert grades[s.roster.id]["status"] == "failed"
    for s in students[4:]:
        assert grades[s.roster.id]["status"] == "graded"
        assert float(grades[s.roster.id]["total"]) > 0


def test_a_moodle_participant_id_never_credits_another_student(
    klass: SimpleNamespace, tmp_path: Path
) -> None:
    """D-H3: Alice's Moodle folder carries a participant id equal to Bob's LMS id."""
    course = class_copy(klass, tmp_path)
    alice, bob = klass.students[:2]
    folder = f"{alice.roster.first_name} {alice.roster.last_name}_{bob.roster.lms_id}"
    member = f"{folder}_assignsubmission_file_/{ASSIGNMENT}.ipynb"
    archive = course / "moodle.zip"
    archive.write_bytes(build_zip([(member, notebook_bytes(course, ASSIGNMENT, alice), DUE)]))
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    assert result.returncode == 0, result.stderr
    grades = read_grades(course)
    assert grades[alice.roster.id]["status"] == "graded"
    assert grades[bob.roster.id]["status"] == "missing"


def test_an_older_archive_never_replaces_a_newer_submission(
    klass: SimpleNamespace, tmp_path: Path
) -> None:
    """D-M8: grading last week's download again keeps this week's submissions."""
    course = class_copy(klass, tmp_path)
    student = klass.students[0]
    newer = course / "newer.zip"
    newer.write_bytes(
        build_zip(
            [
                (
                    canvas_name(student, 1),
                    notebook_bytes(course, ASSIGNMENT, student),
                    DUE - timedelta(hours=1),
                )
            ]
        )
    )
    assert allyship(course, "grade", ASSIGNMENT, "--zip", str(newer)).returncode == 0
    before = read_grades(course)[student.roster.id]
    blank = DemoStudent(student.roster, "partial", {k: "" for k in student.texts})
    older = course / "older.zip"
    older.write_bytes(
        build_zip(
            [
                (
                    canvas_name(student, 0),
                    notebook_bytes(course, ASSIGNMENT, blank),
                    DUE - timedelta(days=2),
                )
            ]
        )
    )
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(older))
    assert result.returncode == 0, result.stderr
    after = read_grades(course)[student.roster.id]
    assert after["total"] == before["total"]
    assert "is older than the one already filed" in after["flags"]


def test_several_files_for_one_student_say_which_one_was_graded(
    klass: SimpleNamespace, tmp_path: Path
) -> None:
    """D-L2: the note names the file that was graded, and how many there were."""
    course = class_copy(klass, tmp_path)
    student = klass.students[0]
    good = notebook_bytes(course, ASSIGNMENT, student)
    first, second = canvas_name(student, 1), canvas_name(student, 2, f"Copy of {ASSIGNMENT}.ipynb")
    archive = course / "two.zip"
    archive.write_bytes(
        build_zip(
            [(first, good, DUE - timedelta(hours=3)), (second, good, DUE - timedelta(hours=1))]
        )
    )
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    assert result.returncode == 0, result.stderr
    flags = read_grades(course)[student.roster.id]["flags"]
    assert f"2 files in the archive are {ASSIGNMENT}.ipynb; graded the newest, 'Copy of" in flags
    assert f"submitted as 'Copy of {ASSIGNMENT}.ipynb'; graded as {ASSIGNMENT}.ipynb" in flags
    assert "earlier submission" not in flags


def test_an_empty_archive_or_a_folder_is_called_out(klass: SimpleNamespace, tmp_path: Path) -> None:
    """D-L12: no silent success on an empty download; a folder is not 'file not found'."""
    course = class_copy(klass, tmp_path)
    empty = course / "empty.zip"
    empty.write_bytes(build_zip([]))
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(empty))
    assert "note: empty.zip: the archive holds no files" in result.stderr
    folder = allyship(course, "grade", ASSIGNMENT, "--zip", str(course / "source"))
    assert folder.returncode == 2
    assert (
        folder.stderr.strip()
        == f"allyship grade: {course / 'source'}: is a folder, not a zip archive"
    )


def test_nbgrader_warnings_about_a_submission_are_shown_with_its_student(
    klass: SimpleNamespace, tmp_path: Path
) -> None:
    """D-M1's other half: what autograde warns about a submission reaches the instructor."""
    import json

    course = class_copy(klass, tmp_path)
    student = klass.students[0]
    nb = json.loads(notebook_bytes(course, ASSIGNMENT, student))
    answer = next(
        i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("solution")
    )
    nb["cells"].insert(answer + 1, json.loads(json.dumps(nb["cells"][answer])))  # pasted twice
    archive = course / "dup.zip"
    archive.write_bytes(build_zip([(canvas_name(student, 1), json.dumps(nb).encode(), DUE)]))
    result = allyship(course, "grade", ASSIGNMENT, "--zip", str(archive))
    assert result.returncode == 0, result.stderr
    assert f"warning: {student.roster.id}: [WARNING] Answer cell " in result.stderr
    assert "appears 2 times: merging" in result.stderr
    report = (course / "reports" / ASSIGNMENT / "report.html").read_text(encoding="utf-8")
    assert "appears 2 times: merging" in report
