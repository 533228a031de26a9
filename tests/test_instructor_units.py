"""Fast unit tests of the grading pipeline's pure parts (allyship.instructor).

In the manner of nbgrader's own ``tests/preprocessors``: small inputs built in memory or in a
temporary folder, one behaviour per test. No subprocess, no nbgrader command: the slow
end-to-end tests (``test_grade_command``, ``test_hostile_*``) run the real ``allyship grade``;
these pin down the functions it is built from, including the security review's hostile cases
(D-C1, D-H1 to D-H4, D-M3, D-M5, D-M6, D-M8, D-M11, D-L1, D-L2, D-L5, D-L12, D-L14).
"""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import threading
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, copy_course

from allyship.course import MAX_NOTEBOOK_BYTES, load_prompts
from allyship.errors import GradeError
from allyship.instructor import identity, intake, lms, matching, pipeline, report
from allyship.instructor.intake import Intake, Problem, Shape
from allyship.instructor.paths import CoursePaths
from allyship.instructor.roster import RosterStudent
from allyship.instructor.rows import PromptResult, StudentRow, duration, prompt_status
from allyship.instructor.run import GradeRun
from allyship.instructor.state import GradeState
from allyship.nbgrader_support import load_course_config

ASSIGNMENT = "introspection"
DUE = datetime(2026, 11, 20, 17, 0, 0)
ANSWER = (
    "My grandmother told me that hard work always pays off, and I believed it for years. "
    "Watching my neighbours work two jobs and still struggle made me question where it came from."
)
ALICE = RosterStudent("alice", "Alice", "Adams", "alice@x.org", "101")
BOB = RosterStudent("bob", "Bob", "Brown", "bob@x.org", "102")


# --- shared inputs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One course copy for the tests that only read it."""
    return copy_course(tmp_path_factory.mktemp("units") / "course")


@pytest.fixture(scope="module")
def shape(module_course: Path) -> Shape:
    paths = CoursePaths.from_config(load_course_config(module_course))
    return intake.assignment_shape(paths, ASSIGNMENT)


def released(assignment: str = ASSIGNMENT) -> dict[str, Any]:
    """The released notebook of ``assignment`` with every answer cell written in."""
    path = REPO / "assignments" / assignment / f"{assignment}.ipynb"
    data = json.loads(path.read_text(encoding="utf-8"))
    for cell in data["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = ANSWER
    return data


def as_bytes(notebook: Any) -> bytes:
    return json.dumps(notebook).encode("utf-8")


@pytest.fixture(scope="module")
def answered() -> bytes:
    return as_bytes(released())


# --- identity: one rule for every student id ----------------------------------------------------


class TestIdProblem:
    @pytest.mark.parametrize("sid", ["alice", "s001", "a.b-c_d@x.org", "A1", "a" * 64])
    def test_a_plain_id_is_accepted(self, sid: str) -> None:
        assert identity.id_problem(sid) is None
        assert identity.is_safe_id(sid)

    @pytest.mark.parametrize(
        "sid",
        [
            'x";window.__pwned_ex=1;"',  # D-C1: a double quote ends formgrader's JS string
            "o'brien",
            "<b>",
            "a b",
            "a,b",  # an item of nbgrader's comma-separated student_id_exclude
            "a+b",  # nbgrader's exchange separator (id+assignment+time)
            "a*",  # a glob in api.autograde(assignment, id)
            "a[b]",  # D-M6: a glob character class
            "a/b",
            "../alice",
            "..alice",
            "-rf",
            ".hidden",
            "_alice",
            "@alice",
            "alice\n",
            "al\x00ice",
            "al\tice",
            "a\u202eb",  # right-to-left override
            "a\u2066b",  # bidi isolate
            "a\u200bb",  # zero-width space
            "\ufeffalice",  # byte-order mark
            "ålice",
            "alice\u00a0",
            "Ａlice",  # fullwidth A
        ],
    )
    def test_an_unsafe_id_is_refused_with_the_rule(self, sid: str) -> None:
        problem = identity.id_problem(sid)
        assert problem is not None
        assert problem.endswith(identity.RULE)
        assert not identity.is_safe_id(sid)

    @pytest.mark.parametrize("sid", ["al\x00ice", "alice\n", "a\u202eb", "a\u200bb", "\x1b[31m"])
    def test_a_refusal_never_shows_an_invisible_character_raw(self, sid: str) -> None:
        problem = identity.id_problem(sid)
        assert problem is not None
        assert problem.isprintable()
        assert repr(sid) in problem

    def test_an_empty_id_is_refused_as_empty(self) -> None:
        assert identity.id_problem("") == "the id is empty"

    def test_an_id_of_65_characters_is_refused_for_its_length(self) -> None:
        assert identity.id_problem("a" * 65) == f"the id is 65 characters long; {identity.RULE}"

    def test_an_id_of_300_bytes_is_refused_without_being_quoted(self) -> None:
        problem = identity.id_problem("é" * 150)  # 300 bytes in UTF-8: too long for a file name
        assert problem == f"the id is 150 characters long; {identity.RULE}"
        assert identity.id_problem("a" * 300) == f"the id is 300 characters long; {identity.RULE}"


class TestShownId:
    def test_an_id_is_shown_quoted_with_escapes(self) -> None:
        assert identity.shown_id('x";alert(1);"') == "'x\";alert(1);\"'"
        assert identity.shown_id("a\u202eb") == "'a\\u202eb'"

    def test_a_long_id_is_cut_and_marked(self) -> None:
        shown = identity.shown_id("a" * 200)
        assert shown == repr("a" * 80) + "…"

    def test_a_short_id_is_not_marked(self) -> None:
        assert identity.shown_id("alice") == "'alice'"


# --- intake.identify: which notebook a file is --------------------------------------------------


class TestIdentify:
    def test_the_released_notebook_with_answers_is_identified(
        self, answered: bytes, shape: Shape
    ) -> None:
        assert intake.identify(answered, "introspection.ipynb", shape) == (ASSIGNMENT, "")

    def test_a_renamed_copy_is_identified_by_its_cells(self, answered: bytes, shape: Shape) -> None:
        name = "Copy of introspection (1).ipynb"
        assert intake.identify(answered, name, shape) == (ASSIGNMENT, "")

    def test_an_upper_case_extension_is_accepted(self, answered: bytes, shape: Shape) -> None:
        assert intake.identify(answered, "introspection.IPYNB", shape) == (ASSIGNMENT, "")

    def test_a_byte_order_mark_is_accepted(self, answered: bytes, shape: Shape) -> None:
        data = b"\xef\xbb\xbf" + answered
        assert intake.identify(data, "introspection.ipynb", shape) == (ASSIGNMENT, "")

    def test_another_assignments_notebook_is_named(self, shape: Shape) -> None:
        data = as_bytes(released("accountability"))
        name, reason = intake.identify(data, "introspection.ipynb", shape)
        assert name is None
        assert reason == "this is the 'accountability' notebook, not 'introspection'"

    def test_a_file_that_is_not_json_is_called_damaged(self, shape: Shape) -> None:
        data = b'{"cells": [{"cell_type": "markdown", "source": "half a no'
        name, reason = intake.identify(data, "introspection.ipynb", shape)
        assert name is None
        assert reason.startswith("not valid JSON (line 1: ")
        assert reason.endswith("the file is damaged")

    def test_a_file_that_is_not_utf8_is_refused(self, shape: Shape) -> None:
        name, reason = intake.identify(b"\xff\xfe{\x00", "introspection.ipynb", shape)
        assert name is None
        assert reason.startswith("not a notebook: not UTF-8 text")

    def test_deeply_nested_json_is_refused_without_a_recursion_error(self, shape: Shape) -> None:
        data = b'{"cells": [], "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        name, reason = intake.identify(data, "introspection.ipynb", shape)
        assert name is None
        assert reason == "not a readable notebook (its JSON is nested too deeply)"

    def test_json_nested_deep_in_a_cell_is_refused_without_a_recursion_error(
        self, shape: Shape
    ) -> None:
        """Shallow enough for ``json``, too deep for nbformat's reading of it."""
        notebook = released()
        notebook["cells"][2]["metadata"]["deep"] = json.loads("[" * 900 + "]" * 900)
        name, reason = intake.identify(as_bytes(notebook), "introspection.ipynb", shape)
        assert name is None
        assert reason == "not a readable notebook (its JSON is nested too deeply)"

    def test_an_nbformat_3_notebook_is_called_old_not_foreign(self, shape: Shape) -> None:
        old = {"metadata": {}, "nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": []}]}
        name, reason = intake.identify(as_bytes(old), "introspection.ipynb", shape)
        assert name is None
        assert reason.startswith("an old Jupyter notebook format (nbformat 3)")

    @pytest.mark.parametrize("value", [[1, 2], {"cells": "x"}, {"metadata": {}}, "notebook", 3])
    def test_json_without_a_list_of_cells_is_not_a_notebook(self, value: Any, shape: Shape) -> None:
        reason = intake.identify(as_bytes(value), "introspection.ipynb", shape)
        assert reason == (None, "not a Jupyter notebook (no list of cells)")

    def test_flipped_nbgrader_flags_do_not_hide_the_notebook(self, shape: Shape) -> None:
        notebook = released()
        for cell in notebook["cells"]:
            nbg = cell["metadata"].get("nbgrader")
            if nbg:
                nbg.update(solution=False, grade=False, locked=True)
        assert intake.identify(as_bytes(notebook), "introspection.ipynb", shape) == (
            ASSIGNMENT,
            "",
        )

    def test_stripped_nbgrader_metadata_is_named_as_removed(self, shape: Shape) -> None:
        notebook = released()
        for cell in notebook["cells"]:
            cell["metadata"].pop("nbgrader", None)
        name, reason = intake.identify(as_bytes(notebook), "introspection.ipynb", shape)
        assert name is None
        assert reason.startswith("its grading information (the nbgrader cell metadata) was removed")
        assert "a fresh introspection.ipynb" in reason

    def test_a_notebook_with_only_a_shared_cell_is_not_this_assignment(self, shape: Shape) -> None:
        """``self_check`` is in every assignment, so it tells nothing about which one."""
        notebook = released()
        notebook["cells"] = [
            c for c in notebook["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "self_check"
        ]
        name, reason = intake.identify(as_bytes(notebook), "introspection.ipynb", shape)
        assert name is None
        assert reason.startswith("not this assignment's notebook")

    def test_a_file_over_the_size_limit_is_refused_before_parsing(self, shape: Shape) -> None:
        data = b" " * (MAX_NOTEBOOK_BYTES + 1)
        name, reason = intake.identify(data, "introspection.ipynb", shape)
        assert name is None
        assert reason == "file too large (more than 50 MB)"

    @pytest.mark.parametrize(
        ("filename", "shown"),
        [("introspection.pdf", ".pdf"), ("introspection.ipynb.zip", ".zip"), ("notes", None)],
    )
    def test_a_wrong_extension_is_refused(
        self, filename: str, shown: str | None, answered: bytes, shape: Shape
    ) -> None:
        name, reason = intake.identify(answered, filename, shape)
        assert name is None
        assert reason.startswith(f"not a notebook ({shown or 'no extension'})")


# --- intake: reading files without following or blocking ---------------------------------------


def call_with_timeout(func: Any, *args: Any, seconds: float = 5.0) -> Any:
    """``func(*args)``, failing the test (not hanging it) when it blocks."""
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(func(*args)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert out, f"{func.__name__} blocked for more than {seconds} s"
    return out[0]


class TestReadRegularFile:
    def test_a_regular_file_is_read(self, tmp_path: Path, answered: bytes) -> None:
        path = tmp_path / "introspection.ipynb"
        path.write_bytes(answered)
        assert intake.read_regular_file(path) == (answered, "")

    def test_a_named_pipe_is_refused_without_blocking(self, tmp_path: Path) -> None:
        fifo = tmp_path / "introspection.ipynb"
        os.mkfifo(fifo)
        data, reason = call_with_timeout(intake.read_regular_file, fifo)
        assert data is None
        assert reason == "is a named pipe, not a file; not graded"

    def test_a_folder_is_refused(self, tmp_path: Path) -> None:
        folder = tmp_path / "introspection.ipynb"
        folder.mkdir()
        assert intake.read_regular_file(folder) == (None, "is a folder, not a file; not graded")

    def test_a_link_is_never_followed(self, tmp_path: Path, answered: bytes) -> None:
        target = tmp_path / "alice.ipynb"
        target.write_bytes(answered)
        link = tmp_path / "introspection.ipynb"
        link.symlink_to(target)
        assert intake.read_regular_file(link) == (None, "is a link, not a file; not graded")

    def test_a_broken_link_is_refused_as_a_link(self, tmp_path: Path) -> None:
        link = tmp_path / "introspection.ipynb"
        link.symlink_to(tmp_path / "nowhere")
        assert intake.read_regular_file(link) == (None, "is a link, not a file; not graded")

    def test_a_file_over_the_limit_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "introspection.ipynb"
        path.write_bytes(b"x" * 100)
        data, reason = intake.read_regular_file(path, limit=10)
        assert data is None
        assert reason.startswith("file too large")

    def test_a_file_at_the_limit_is_read(self, tmp_path: Path) -> None:
        path = tmp_path / "introspection.ipynb"
        path.write_bytes(b"x" * 10)
        assert intake.read_regular_file(path, limit=10) == (b"x" * 10, "")

    def test_a_missing_file_is_refused_with_the_reason(self, tmp_path: Path) -> None:
        data, reason = intake.read_regular_file(tmp_path / "gone.ipynb")
        assert data is None
        assert reason == "cannot be read (No such file or directory)"


class TestFileKind:
    @pytest.mark.parametrize(
        ("mode", "kind"),
        [
            (stat.S_IFREG | 0o644, "file"),
            (stat.S_IFDIR | 0o755, "a folder"),
            (stat.S_IFLNK | 0o777, "a link"),
            (stat.S_IFIFO | 0o644, "a named pipe"),
            (stat.S_IFCHR | 0o666, "a special file"),
            (stat.S_IFBLK | 0o660, "a special file"),
            (stat.S_IFSOCK | 0o755, "a special file"),
        ],
    )
    def test_each_kind_of_entry_is_named_in_words(self, mode: int, kind: str) -> None:
        assert intake.file_kind(mode) == kind


class TestUnsafeEntries:
    def test_a_folder_of_plain_files_and_folders_is_safe(self, tmp_path: Path) -> None:
        (tmp_path / "introspection.ipynb").write_text("{}")
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "notes.txt").write_text("notes")
        assert intake.unsafe_entries(tmp_path) == []

    def test_links_and_pipes_are_found_at_any_depth_without_following(self, tmp_path: Path) -> None:
        elsewhere = tmp_path / "elsewhere"
        (elsewhere / "deep").mkdir(parents=True)
        os.mkfifo(elsewhere / "deep" / "fifo")  # behind the linked folder: must not be reached
        folder = tmp_path / "submission"
        (folder / "data").mkdir(parents=True)
        (folder / "introspection.ipynb").symlink_to(tmp_path / "alice.ipynb")
        os.mkfifo(folder / "data" / "pipe")
        (folder / "big").symlink_to(elsewhere, target_is_directory=True)
        assert intake.unsafe_entries(folder) == [
            ("big", "a link"),
            ("data/pipe", "a named pipe"),
            ("introspection.ipynb", "a link"),
        ]


# --- intake: a collected submission folder -----------------------------------------------------


@pytest.fixture
def paths(course: Path) -> CoursePaths:
    return CoursePaths.from_config(load_course_config(course))


def submission(paths: CoursePaths, student: str, files: dict[str, bytes]) -> Path:
    folder = paths.submitted(student, ASSIGNMENT)
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


BROKEN = b'{"cells": [{"cell_type": "markdown", "source": "half a no'
UNTITLED = as_bytes({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


class TestInspectOne:
    def test_an_honest_submission_is_ready(self, paths: CoursePaths, answered: bytes) -> None:
        folder = submission(paths, "alice", {"introspection.ipynb": answered})
        found = Intake()
        intake.inspect_one(folder, "alice", intake.assignment_shape(paths, ASSIGNMENT), found)
        assert found.ready == {"alice"}
        assert found.problems == [] and found.notes == {}

    def test_an_extra_untitled_notebook_is_noted_not_failed(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        """D-M3: Jupyter's stray Untitled.ipynb must not fail the whole submission."""
        files = {"introspection.ipynb": answered, "Untitled.ipynb": UNTITLED}
        folder = submission(paths, "alice", files)
        found = Intake()
        intake.inspect_one(folder, "alice", intake.assignment_shape(paths, ASSIGNMENT), found)
        assert found.ready == {"alice"}
        assert found.problems == []
        [note] = found.notes["alice"]
        assert note.startswith("Untitled.ipynb ignored: not this assignment's notebook")
        assert (folder / "introspection.ipynb").read_bytes() == answered

    def test_a_broken_notebook_beside_a_valid_copy_is_replaced_by_the_copy(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        files = {"introspection.ipynb": BROKEN, "Copy of introspection.ipynb": answered}
        folder = submission(paths, "alice", files)
        found = Intake()
        intake.inspect_one(folder, "alice", intake.assignment_shape(paths, ASSIGNMENT), found)
        assert found.ready == {"alice"}
        assert found.problems == []
        assert (folder / "introspection.ipynb").read_bytes() == answered
        assert (folder / "introspection.ipynb.not-graded").read_bytes() == BROKEN
        assert not (folder / "Copy of introspection.ipynb").exists()
        notes = found.notes["alice"]
        assert notes[0].startswith("introspection.ipynb ignored: not valid JSON")
        assert "submitted as 'Copy of introspection.ipynb'; graded as introspection.ipynb" in notes

    def test_a_broken_notebook_alone_is_a_problem_named_by_file(self, paths: CoursePaths) -> None:
        folder = submission(paths, "alice", {"introspection.ipynb": BROKEN})
        found = Intake()
        intake.inspect_one(folder, "alice", intake.assignment_shape(paths, ASSIGNMENT), found)
        assert found.ready == set()
        [problem] = found.problems
        assert (problem.student, problem.file) == ("alice", "introspection.ipynb")
        assert problem.reason.startswith("not valid JSON")
        assert problem.key.startswith("file|alice|introspection.ipynb|")

    def test_the_problem_key_changes_with_the_file(self, paths: CoursePaths) -> None:
        """An unchanged broken file is recognised as set aside; a changed one is news."""
        keys = []
        for data in (BROKEN, BROKEN + b" "):
            folder = submission(paths, "alice", {"introspection.ipynb": data})
            found = Intake()
            intake.inspect_one(folder, "alice", intake.assignment_shape(paths, ASSIGNMENT), found)
            keys.append(found.problems[0].key)
            (folder / "introspection.ipynb").unlink()
            folder.rmdir()
        assert keys[0] != keys[1]

    def test_a_folder_named_like_the_notebook_is_a_problem_not_a_crash(
        self, paths: CoursePaths
    ) -> None:
        """D-H2: a directory called introspection.ipynb."""
        folder = submission(paths, "alice", {})
        (folder / "introspection.ipynb").mkdir()
        found = Intake()
        intake.inspect_one(folder, "alice", intake.assignment_shape(paths, ASSIGNMENT), found)
        assert found.ready == set()
        [problem] = found.problems
        assert problem.reason == "is a folder, not a file; not graded"

    def test_a_submission_holding_a_link_is_refused(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        """D-H4: a link to another student's submission is never read."""
        alice = submission(paths, "alice", {"introspection.ipynb": answered})
        mallory = submission(paths, "mallory", {})
        (mallory / "introspection.ipynb").symlink_to(alice / "introspection.ipynb")
        found = Intake()
        intake.inspect_one(mallory, "mallory", intake.assignment_shape(paths, ASSIGNMENT), found)
        assert found.ready == set()
        [problem] = found.problems
        assert (problem.student, problem.file) == ("mallory", "introspection.ipynb")
        assert problem.reason == ("is a link: a submission may hold only its own files; not graded")

    def test_a_submission_holding_a_pipe_is_refused_without_blocking(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        folder = submission(paths, "alice", {"introspection.ipynb": answered})
        os.mkfifo(folder / "Untitled.ipynb")
        found = Intake()
        shape = intake.assignment_shape(paths, ASSIGNMENT)
        call_with_timeout(intake.inspect_one, folder, "alice", shape, found)
        assert found.ready == set()
        assert found.problems[0].reason.startswith("is a named pipe")

    def test_an_empty_submission_is_a_problem(self, paths: CoursePaths) -> None:
        folder = submission(paths, "alice", {"notes.txt": b"I forgot"})
        found = Intake()
        intake.inspect_one(folder, "alice", intake.assignment_shape(paths, ASSIGNMENT), found)
        assert found.ready == set()
        assert found.problems == [
            Problem("alice", ASSIGNMENT, "no notebook in the submission", key="empty|alice")
        ]

    def test_a_second_copy_is_ignored_with_a_note(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        files = {"introspection.ipynb": answered, "introspection-2.ipynb": answered}
        folder = submission(paths, "alice", files)
        found = Intake()
        intake.inspect_one(folder, "alice", intake.assignment_shape(paths, ASSIGNMENT), found)
        assert found.ready == {"alice"}
        assert found.notes["alice"] == [
            "introspection-2.ipynb ignored: introspection.ipynb was also submitted"
        ]


class TestInspectSubmitted:
    def test_every_safe_folder_is_inspected(self, paths: CoursePaths, answered: bytes) -> None:
        submission(paths, "alice", {"introspection.ipynb": answered})
        submission(paths, "bob", {"introspection.ipynb": BROKEN})
        found = Intake()
        shape = intake.assignment_shape(paths, ASSIGNMENT)
        intake.inspect_submitted(paths, ASSIGNMENT, shape, found)
        assert found.ready == {"alice"}
        assert [p.student for p in found.problems] == ["bob"]

    def test_an_unsafe_folder_name_goes_to_unknown(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        """D-C1: a folder named with a quote never reaches formgrader as a student id."""
        hostile = 'x";window.__pwned_ex=1;"'
        submission(paths, hostile, {"introspection.ipynb": answered})
        found = Intake()
        shape = intake.assignment_shape(paths, ASSIGNMENT)
        intake.inspect_submitted(paths, ASSIGNMENT, shape, found)
        assert found.ready == set() and found.problems == []
        [problem] = found.unknown
        assert problem.student == identity.shown_id(hostile)
        assert problem.file == ASSIGNMENT
        assert problem.reason == f"{identity.id_problem(hostile)}; not graded"

    def test_a_student_folder_that_is_a_link_is_that_students_problem(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        alice = submission(paths, "alice", {"introspection.ipynb": answered})
        alice.parent.parent.joinpath("mallory").symlink_to(alice.parent, target_is_directory=True)
        found = Intake()
        shape = intake.assignment_shape(paths, ASSIGNMENT)
        intake.inspect_submitted(paths, ASSIGNMENT, shape, found)
        assert found.ready == {"alice"}
        [problem] = found.problems  # a safe id: the row of that student shows it as failed
        assert (problem.student, problem.reason) == (
            "mallory",
            "is a link, not a folder; not graded",
        )


# --- lms: reading a Canvas or Moodle archive ---------------------------------------------------


def zip_bytes(
    entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED, when: datetime = DUE
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name, date_time=when.timetuple()[:6]), data, method)
    return buffer.getvalue()


def headers(data: bytes, index: int) -> tuple[int, int, int]:
    """Offsets of member ``index``'s local header, central header and data."""
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[index]
    central, at = [], data.find(b"PK\x01\x02")
    while at != -1:
        central.append(at)
        at = data.find(b"PK\x01\x02", at + 4)
    local = info.header_offset
    name_len, extra_len = struct.unpack("<HH", data[local + 26 : local + 30])
    return local, central[index], local + 30 + name_len + extra_len


def patched(
    data: bytes, *, flags: int = 0, method: int | None = None, size: int | None = None
) -> bytes:
    """Member 0 with flag bits set, another compression method or another uncompressed size,
    in both its local and its central header."""
    raw = bytearray(data)
    local, central, _ = headers(data, 0)
    for at, offset in ((local, 6), (central, 8)):
        old = struct.unpack("<H", raw[at + offset : at + offset + 2])[0]
        raw[at + offset : at + offset + 2] = struct.pack("<H", old | flags)
    if method is not None:
        raw[local + 8 : local + 10] = struct.pack("<H", method)
        raw[central + 10 : central + 12] = struct.pack("<H", method)
    if size is not None:
        raw[local + 22 : local + 26] = struct.pack("<I", size)
        raw[central + 24 : central + 28] = struct.pack("<I", size)
    return bytes(raw)


def corrupted(data: bytes) -> bytes:
    """Member 0 with 40 bytes of its compressed data flipped."""
    raw = bytearray(data)
    _, _, start = headers(data, 0)
    for i in range(start + 20, start + 60):
        raw[i] ^= 0xFF
    return bytes(raw)


def open_zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


CANVAS_MEMBER = "adamsalice_101_9001_introspection.ipynb"
READABLE_METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
READABLE_IDS = ["stored", "deflated", "bzip2", "lzma"]


class TestReadArchiveNames:
    def names(self, *members: str) -> tuple[list[lms.ArchiveFile], list[Problem]]:
        return lms.read_archive_names(open_zip(zip_bytes([(m, b"{}") for m in members])))

    def test_a_canvas_name_gives_the_name_user_id_and_original_file(self) -> None:
        [file], problems = self.names(CANVAS_MEMBER)
        assert problems == []
        assert (file.lms, file.name, file.lms_id, file.filename, file.late) == (
            "canvas",
            "adamsalice",
            "101",
            "introspection.ipynb",
            False,
        )

    def test_a_canvas_late_mark_is_read(self) -> None:
        [file], _ = self.names("adamsalice_LATE_101_9001_introspection.ipynb")
        assert (file.lms, file.lms_id, file.late) == ("canvas", "101", True)
        assert file.filename == "introspection.ipynb"

    def test_a_canvas_original_name_keeps_its_underscores(self) -> None:
        [file], _ = self.names("adamsalice_101_9001_my_intro_v2.ipynb")
        assert file.filename == "my_intro_v2.ipynb"

    def test_a_moodle_folder_gives_the_full_name_and_participant_id(self) -> None:
        [file], problems = self.names("Alice Adams_102_assignsubmission_file_/introspection.ipynb")
        assert problems == []
        assert (file.lms, file.name, file.lms_id, file.filename, file.late) == (
            "moodle",
            "Alice Adams",
            "102",
            "introspection.ipynb",
            False,
        )

    def test_mac_metadata_and_folders_are_skipped(self) -> None:
        files, problems = self.names(
            "__MACOSX/._adamsalice_101_9001_introspection.ipynb",
            "__MACOSX/Alice Adams_102_assignsubmission_file_/._introspection.ipynb",
            "Alice Adams_102_assignsubmission_file_/.DS_Store",
            "some folder/",
            CANVAS_MEMBER,
        )
        assert [f.info.filename for f in files] == [CANVAS_MEMBER]
        assert problems == []

    def test_a_name_neither_lms_writes_is_a_problem_of_an_unknown_student(self) -> None:
        files, problems = self.names("introspection.ipynb", "alice/introspection.ipynb")
        assert files == []
        assert [(p.student, p.file) for p in problems] == [
            ("?", "introspection.ipynb"),
            ("?", "alice/introspection.ipynb"),
        ]
        assert all(p.reason.startswith("cannot tell whose file this is") for p in problems)
        assert problems[0].key == "zip|introspection.ipynb"


class TestReadMember:
    def member(self, data: bytes) -> tuple[bytes | None, str]:
        zf = open_zip(data)
        return lms.read_member(zf, zf.infolist()[0])

    @pytest.mark.parametrize("method", READABLE_METHODS, ids=READABLE_IDS)
    def test_a_sound_member_is_read(self, method: int, answered: bytes) -> None:
        assert self.member(zip_bytes([(CANVAS_MEMBER, answered)], method)) == (answered, "")

    @pytest.mark.parametrize("method", READABLE_METHODS, ids=READABLE_IDS)
    def test_a_damaged_member_is_refused_not_raised(self, method: int, answered: bytes) -> None:
        """D-H1: a bad CRC or undecodable data, in every compression the intake accepts."""
        data = corrupted(zip_bytes([(CANVAS_MEMBER, answered)], method))
        content, reason = self.member(data)
        assert content is None
        assert reason.startswith("damaged in the archive (")
        assert reason.endswith("download the archive again")

    def test_a_member_whose_size_header_lies_is_refused_as_damaged(self, answered: bytes) -> None:
        data = patched(zip_bytes([(CANVAS_MEMBER, answered)]), size=100)
        content, reason = self.member(data)
        assert content is None
        assert reason.startswith("damaged in the archive (BadZipFile")

    def test_an_encrypted_member_is_refused(self, answered: bytes) -> None:
        data = patched(zip_bytes([(CANVAS_MEMBER, answered)]), flags=0x1)
        content, reason = self.member(data)
        assert content is None
        assert reason.startswith("encrypted in the archive (password-protected)")

    @pytest.mark.parametrize("method", [9, 98, 99], ids=["deflate64", "ppmd", "aes"])
    def test_an_unsupported_compression_is_refused(self, method: int, answered: bytes) -> None:
        data = patched(zip_bytes([(CANVAS_MEMBER, answered)]), method=method)
        content, reason = self.member(data)
        assert content is None
        assert reason.startswith(
            f"compressed with a method that cannot be read (zip method {method}"
        )

    def test_a_member_over_the_cap_is_refused_before_it_is_expanded(
        self, answered: bytes, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        data = patched(zip_bytes([(CANVAS_MEMBER, answered)]), size=60 * 2**20)
        zf = open_zip(data)

        def never(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("an oversized member was opened")

        monkeypatch.setattr(zf, "open", never)
        content, reason = lms.read_member(zf, zf.infolist()[0])
        assert content is None
        assert reason == "file too large (more than 50 MB)"


def archive_file(lms_name: str, modified: datetime, late: bool = False) -> lms.ArchiveFile:
    info = zipfile.ZipInfo(CANVAS_MEMBER, date_time=modified.timetuple()[:6])
    return lms.ArchiveFile(info, "introspection.ipynb", "adamsalice", "101", late, lms_name)


class TestSubmissionTime:
    def test_canvas_late_after_the_due_date_keeps_its_archive_time(self) -> None:
        when = DUE + timedelta(hours=3)
        assert lms.submission_time(archive_file("canvas", when, late=True), DUE) == (when, "")

    def test_canvas_late_with_an_earlier_archive_time_is_recorded_just_after_due(self) -> None:
        file = archive_file("canvas", DUE - timedelta(hours=2), late=True)
        when, note = lms.submission_time(file, DUE)
        assert when == DUE + timedelta(seconds=1)
        assert note.startswith("Canvas marked it late without saying when")

    def test_canvas_late_without_a_due_date_says_there_is_no_penalty(self) -> None:
        file = archive_file("canvas", DUE, late=True)
        when, note = lms.submission_time(file, None)
        assert when == DUE
        assert note == "Canvas marked it late, but no due date is set: no penalty"

    def test_canvas_on_time_is_never_recorded_after_the_due_date(self) -> None:
        file = archive_file("canvas", DUE + timedelta(days=2))
        assert lms.submission_time(file, DUE) == (DUE, "")

    def test_canvas_on_time_before_the_due_date_keeps_its_time(self) -> None:
        when = DUE - timedelta(hours=2)
        assert lms.submission_time(archive_file("canvas", when), DUE) == (when, "")

    @pytest.mark.parametrize("offset", [timedelta(hours=-2), timedelta(hours=5)])
    def test_moodle_times_are_kept(self, offset: timedelta) -> None:
        when = DUE + offset
        assert lms.submission_time(archive_file("moodle", when), DUE) == (when, "")


def canvas_member(student: RosterStudent, n: int, original: str = "introspection.ipynb") -> str:
    """The name Canvas gives a student's file: ``lastfirst_userid_submissionid_original``."""
    last_first = matching.name_key(student.last_name + student.first_name)
    return f"{last_first}_{student.lms_id}_{n}_{original}"


class TestIntakeArchive:
    def intake(
        self, paths: CoursePaths, data: bytes, roster: list[RosterStudent], due: datetime = DUE
    ) -> tuple[Intake, list[str]]:
        archive = paths.root / "submissions.zip"
        archive.write_bytes(data)
        found = Intake()
        shape = intake.assignment_shape(paths, ASSIGNMENT)
        notes = lms.intake_archive(archive, paths, shape, roster, due, found)
        return found, notes

    def test_each_student_is_filed_with_the_archive_time(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        data = zip_bytes([(canvas_member(ALICE, 1), answered)], when=DUE - timedelta(hours=1))
        found, notes = self.intake(paths, data, [ALICE, BOB])
        assert (found.ready, found.problems, found.unknown, notes) == ({"alice"}, [], [], [])
        folder = paths.submitted("alice", ASSIGNMENT)
        assert (folder / "introspection.ipynb").read_bytes() == answered
        assert (folder / "timestamp.txt").read_text() == "2026-11-20 16:00:00.000000 UTC"

    def test_one_damaged_member_never_stops_the_others(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        """D-H1."""
        data = corrupted(
            zip_bytes([(canvas_member(ALICE, 1), answered), (canvas_member(BOB, 2), answered)])
        )
        found, _ = self.intake(paths, data, [ALICE, BOB])
        assert found.ready == {"bob"}
        [problem] = found.problems
        assert problem.student == "alice"
        assert problem.reason.startswith("damaged in the archive")

    def test_a_moodle_participant_id_never_credits_another_student(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        """D-H3: participant id 102 is Bob's lms_id; the folder is Alice's."""
        member = "Alice Adams_102_assignsubmission_file_/introspection.ipynb"
        found, _ = self.intake(paths, zip_bytes([(member, answered)]), [ALICE, BOB])
        assert found.ready == {"alice"}
        assert not paths.submitted("bob", ASSIGNMENT).exists()

    def test_a_file_of_nobody_on_the_roster_is_unknown(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        eve = RosterStudent("eve", "Eve", "Evans", "", "555")
        found, _ = self.intake(paths, zip_bytes([(canvas_member(eve, 1), answered)]), [ALICE])
        assert found.ready == set()
        [problem] = found.unknown
        assert (problem.student, problem.file) == ("evanseve", "introspection.ipynb")

    def test_the_newest_of_several_copies_is_graded_and_the_grader_told(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        """D-L2: the note names the file that was graded."""
        newer = answered.replace(b"grandmother", b"grandfather")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            for n, name, data, hours in (
                (1, "introspection.ipynb", answered, 3),
                (2, "Copy of introspection.ipynb", newer, 1),
            ):
                when = (DUE - timedelta(hours=hours)).timetuple()[:6]
                zf.writestr(zipfile.ZipInfo(canvas_member(ALICE, n, name), date_time=when), data)
        found, _ = self.intake(paths, buffer.getvalue(), [ALICE])
        assert (paths.submitted("alice", ASSIGNMENT) / "introspection.ipynb").read_bytes() == newer
        assert found.notes["alice"] == [
            "2 files in the archive are introspection.ipynb; graded the newest, "
            "'Copy of introspection.ipynb' (2026-11-20 16:00)",
            "submitted as 'Copy of introspection.ipynb'; graded as introspection.ipynb",
        ]

    def test_an_older_archive_never_replaces_a_newer_submission(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        """D-M8."""
        member = canvas_member(ALICE, 1)
        self.intake(paths, zip_bytes([(member, answered)], when=DUE - timedelta(hours=1)), [ALICE])
        older = answered.replace(b"grandmother", b"grandfather")
        found, _ = self.intake(
            paths, zip_bytes([(member, older)], when=DUE - timedelta(hours=5)), [ALICE]
        )
        assert found.ready == {"alice"}
        assert (
            paths.submitted("alice", ASSIGNMENT) / "introspection.ipynb"
        ).read_bytes() == answered
        assert found.notes["alice"][0].startswith(
            "the archive's submission (2026-11-20 12:00:00 UTC)"
        )

    def test_an_empty_archive_is_called_out(self, paths: CoursePaths) -> None:
        """D-L12."""
        found, notes = self.intake(paths, zip_bytes([]), [ALICE])
        assert notes == ["submissions.zip: the archive holds no files"]

    def test_a_file_that_is_not_a_zip_is_refused_as_a_grade_error(self, paths: CoursePaths) -> None:
        with pytest.raises(GradeError, match="not a readable zip archive"):
            self.intake(paths, b"this is not a zip", [ALICE])

    def test_a_folder_given_as_the_archive_is_refused_as_a_folder(self, paths: CoursePaths) -> None:
        found = Intake()
        shape = intake.assignment_shape(paths, ASSIGNMENT)
        with pytest.raises(GradeError, match="is a folder, not a zip archive"):
            lms.intake_archive(paths.root, paths, shape, [ALICE], DUE, found)

    def test_an_archive_with_a_name_that_is_not_utf8_is_refused_as_unreadable(
        self, paths: CoursePaths, answered: bytes
    ) -> None:
        """A damaged central directory: the member name is flagged UTF-8 but is not.

        ``zipfile.ZipFile`` raises ``UnicodeDecodeError`` for it; the archive must be refused
        with the one-line GradeError, not a traceback.
        """
        raw = bytearray(zip_bytes([(canvas_member(ALICE, 1), answered)]))
        _, central, _ = headers(bytes(raw), 0)
        flags = struct.unpack("<H", raw[central + 8 : central + 10])[0] | 0x800
        raw[central + 8 : central + 10] = struct.pack("<H", flags)
        raw[central + 46] = 0xFF  # first byte of the member's name
        with pytest.raises(GradeError, match="not a readable zip archive"):
            self.intake(paths, bytes(raw), [ALICE])


# --- matching: whose file it is --------------------------------------------------------------


class TestRosterIndex:
    def test_a_canvas_file_of_another_user_with_the_same_name_is_nobodys(self) -> None:
        student, message = matching.RosterIndex([ALICE, BOB]).find(
            "canvas", "555", ALICE.last_name + ALICE.first_name
        )
        assert student is None
        assert message == (
            f"LMS id 555 is not in the roster; the name matches {ALICE.id!r}, whose LMS id is "
            f"{ALICE.lms_id}"
        )

    def test_canvas_matches_a_unique_lms_id(self) -> None:
        index = matching.RosterIndex([ALICE, BOB])
        assert index.find("canvas", "102", "somebodyelse") == (BOB, "")

    def test_canvas_refuses_an_lms_id_two_students_share(self) -> None:
        """D-M5: never the last of them, silently."""
        twin = RosterStudent("alice2", "Alicia", "Allen", "a2@x.org", "101")
        student, message = matching.RosterIndex([ALICE, twin, BOB]).find(
            "canvas", "101", "adamsalice"
        )
        assert student is None
        assert message == "2 students on the roster have LMS id 101 ('alice', 'alice2')"

    def test_canvas_falls_back_to_the_name_with_a_note(self) -> None:
        """A roster imported without LMS ids still matches Canvas files, and says how."""
        carol = RosterStudent("carol", "Carol", "Cruz", "carol@x.org", "")
        student, note = matching.RosterIndex([ALICE, carol]).find("canvas", "999", "cruzcarol")
        assert student == carol
        assert note == "matched by name (LMS id 999 is not in the roster)"

    def test_canvas_with_an_unknown_id_and_name_matches_nobody(self) -> None:
        student, message = matching.RosterIndex([ALICE]).find("canvas", "999", "doejane")
        assert student is None
        assert message == "no student on the roster has LMS id 999 or the name 'doejane'"

    def test_moodle_never_matches_a_participant_id_as_a_user_id(self) -> None:
        """D-H3: participant id 102 is Bob's lms_id, but the folder is Alice's."""
        index = matching.RosterIndex([ALICE, BOB])
        assert index.find("moodle", "102", "Alice Adams") == (ALICE, "")

    def test_moodle_with_an_unknown_name_never_falls_back_to_the_id(self) -> None:
        student, message = matching.RosterIndex([ALICE, BOB]).find("moodle", "102", "Eve Evans")
        assert student is None
        assert (
            message == "no student on the roster is called 'Eve Evans' (Moodle files match by name)"
        )

    def test_moodle_matches_a_unique_name_in_either_order(self) -> None:
        index = matching.RosterIndex([ALICE, BOB])
        assert index.find("moodle", "7", "Adams Alice") == (ALICE, "")
        assert index.find("moodle", "7", "Bob Brown") == (BOB, "")

    @pytest.mark.parametrize(
        ("lms_name", "name"), [("moodle", "Alice Adams"), ("canvas", "adamsalice")]
    )
    def test_a_name_two_students_share_matches_nobody(self, lms_name: str, name: str) -> None:
        other = RosterStudent("alice.a", "Alice", "Adams", "aa@x.org", "")
        student, message = matching.RosterIndex([ALICE, other]).find(lms_name, "999", name)
        assert student is None
        assert message == f"2 students on the roster are called {name!r}"

    def test_names_match_without_accents_case_or_punctuation(self) -> None:
        nguyen = RosterStudent("nguyen", "Thị Ánh", "Nguyễn-Trần", "n@x.org", "")
        index = matching.RosterIndex([nguyen, ALICE])
        assert index.find("moodle", "5", "THI ANH NGUYEN TRAN") == (nguyen, "")
        assert index.find("canvas", "5", "nguyentranthianh")[0] == nguyen

    def test_name_key_folds_accents_case_and_spacing(self) -> None:
        assert matching.name_key("Zoë O'Brien-Ölçer") == matching.name_key("zoe obrien olcer")
        assert matching.name_key("Straße") == matching.name_key("STRASSE")

    def test_a_student_without_a_name_is_never_matched_by_an_empty_name(self) -> None:
        nameless = RosterStudent("ghost")
        assert matching.RosterIndex([nameless]).find("moodle", "1", "")[0] is None


# --- pipeline: reading nbgrader's logs ------------------------------------------------------


AUTOGRADE_LOG = """\
[INFO] Updating/creating assignment 'introspection': {}
[INFO] Converting notebook submitted/alice/introspection/introspection.ipynb
[ERROR] There was an error processing assignment: submitted/alice/introspection
[ERROR] Traceback (most recent call last):
  File "nbgrader/converters/base.py", line 427, in _convert_notebook
    output, resources = self.exporter.from_filename(notebook_filename, resources=resources)
nbformat.reader.NotJSONError: Notebook does not appear to be JSON: '{"cells": [half'

[ERROR] Please see the the above traceback for details on the specific errors on the above failures.
"""
AUTOGRADE_ERROR = """\
Traceback (most recent call last):
  File "nbgrader/apps/autogradeapp.py", line 1, in start
nbgrader.converters.base.NbGraderException: Please see the the above traceback for details on \
the specific errors on the above failures.
"""


class TestLastError:
    def test_the_exception_line_is_picked_over_the_boilerplate(self) -> None:
        """D-L5: not "[ERROR] Please see the the above traceback"."""
        reason = pipeline.last_error({"log": AUTOGRADE_LOG, "error": AUTOGRADE_ERROR})
        assert reason.startswith("nbformat.reader.NotJSONError: Notebook does not appear")

    def test_an_error_line_is_picked_when_there_is_no_exception(self) -> None:
        log = (
            "[INFO] start\n[ERROR] There was an error processing assignment: x\n"
            "[ERROR] the kernel died\n[ERROR] Please see the above traceback"
        )
        assert pipeline.last_error({"log": log}) == "[ERROR] the kernel died"

    def test_nothing_to_go_on_says_autograde_failed(self) -> None:
        assert pipeline.last_error({}) == "autograde failed"
        assert pipeline.last_error({"log": None, "error": None}) == "autograde failed"

    def test_a_long_line_is_cut(self) -> None:
        reason = pipeline.last_error({"error": "ValueError: " + "x" * 1000})
        assert len(reason) == 300


class TestWarnings:
    def test_warning_and_error_messages_are_kept_and_joined(self) -> None:
        log = (
            "[INFO] Collecting submission: alice introspection\n"
            "[WARNING] alice claims to be submitted by bob\n"
            "    but is owned by mallory; cheating attempt?\n"
            "[DEBUG] nothing to see\n"
            "[ERROR] Could not release feedback\n"
        )
        assert pipeline._warnings(log) == [
            "[WARNING] alice claims to be submitted by bob but is owned by mallory; "
            "cheating attempt?",
            "[ERROR] Could not release feedback",
        ]

    def test_messages_with_the_skip_text_are_left_out(self) -> None:
        log = "[WARNING] Refused x+introspection+t: bad id\n[WARNING] disk nearly full"
        assert pipeline._warnings(log, skip="Refused ") == ["[WARNING] disk nearly full"]

    def test_a_log_without_warnings_gives_none(self) -> None:
        assert pipeline._warnings("") == []
        assert pipeline._warnings("[INFO] all fine\n[DEBUG] really") == []


class TestStudentWarnings:
    def test_each_autograde_warning_is_named_with_its_student(
        self, module_course: Path, shape: Shape, prompts: list[Any]
    ) -> None:
        run = grade_run(module_course, shape, prompts, [])
        submitted = run.paths.step_root("submitted")
        log = (
            f"[INFO] Converting notebook {submitted}/alice/introspection/introspection.ipynb\n"
            "[WARNING] Answer cell introspection_roots was split in two; merged\n"
            f"[INFO] Converting notebook {submitted}/bob/introspection/introspection.ipynb\n"
            "[WARNING] Removing existing notebook\n"
            "[WARNING] Submission is 3600.0 seconds late\n"
            "[ERROR] Cell introspection_growth was deleted\n"
        )
        assert pipeline.student_warnings(run, [log, "[WARNING] before any notebook"]) == [
            "alice: [WARNING] Answer cell introspection_roots was split in two; merged",
            "bob: [ERROR] Cell introspection_growth was deleted",
            "autograde: [WARNING] before any notebook",
        ]


# --- report: the class report escapes everything a student controls -------------------------


HOSTILE_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def prompts(module_course: Path) -> list[Any]:
    return load_prompts(ASSIGNMENT, module_course)


def graded_row(student: RosterStudent, prompts: list[Any], **extra: Any) -> StudentRow:
    results = [
        PromptResult(p.grade_id, p.points, p.points, "complete", words=40, text=ANSWER)
        for p in prompts
    ]
    return StudentRow(
        student,
        "graded",
        prompts=results,
        raw_score=sum(p.points for p in prompts),
        max_score=sum(p.points for p in prompts),
        **extra,
    )


def grade_run(
    course: Path, shape: Shape, prompts: list[Any], rows: list[StudentRow], **extra: Any
) -> GradeRun:
    paths = CoursePaths.from_config(load_course_config(course))
    run = GradeRun(
        assignment=ASSIGNMENT,
        paths=paths,
        api=None,
        prompts=prompts,
        shape=shape,
        roster=[r.student for r in rows],
        due=DUE,
        state=GradeState(paths.reports(ASSIGNMENT) / ".grade-state.json"),
        **extra,
    )
    run.rows = rows
    return run


class TestReport:
    def test_a_hostile_name_appears_only_escaped(
        self, module_course: Path, shape: Shape, prompts: list[Any]
    ) -> None:
        mallory = RosterStudent("mallory", HOSTILE_NAME, "", "m@x.org", "")
        row = graded_row(mallory, prompts, flags=["introspection_roots: <b>check</b>"])
        html = report.render(grade_run(module_course, shape, prompts, [row]))
        assert "<img" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "<b>check</b>" not in html

    def test_a_hostile_problem_reason_and_file_appear_only_escaped(
        self, module_course: Path, shape: Shape, prompts: list[Any]
    ) -> None:
        run = grade_run(module_course, shape, prompts, [graded_row(ALICE, prompts)])
        run.intake.problems.append(
            Problem("alice", "<svg onload=alert(2)>.ipynb", "<script>alert(3)</script>", key="k")
        )
        run.intake.unknown.append(Problem("<script>x</script>", "a.ipynb", "not on the roster"))
        html = report.render(run)
        assert "<script" not in html.lower()
        assert "<svg onload" not in html
        assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html
        assert "&lt;svg onload=alert(2)&gt;.ipynb" in html

    def test_ids_and_feedback_links_are_escaped_in_attributes(
        self, module_course: Path, shape: Shape, prompts: list[Any]
    ) -> None:
        odd = RosterStudent("o'x", "O", "X", "", "1")
        row = graded_row(odd, prompts, feedback='f.html" onmouseover="alert(4)')
        html = report.render(grade_run(module_course, shape, prompts, [row]))
        assert "data-student='o&#x27;x'" in html
        assert '" onmouseover="' not in html
        assert 'href="f.html&quot; onmouseover=&quot;alert(4)"' in html

    def test_reflection_texts_are_escaped_when_included(
        self, module_course: Path, shape: Shape, prompts: list[Any]
    ) -> None:
        row = graded_row(ALICE, prompts)
        row.prompts[0].text = "<script>alert(5)</script>"
        html = report.render(grade_run(module_course, shape, prompts, [row], include_text=True))
        assert "<script" not in html
        assert "<pre>&lt;script&gt;alert(5)&lt;/script&gt;</pre>" in html

    def test_the_content_security_policy_forbids_scripts(
        self, module_course: Path, shape: Shape, prompts: list[Any]
    ) -> None:
        html = report.render(grade_run(module_course, shape, prompts, [graded_row(ALICE, prompts)]))
        assert f'<meta http-equiv="Content-Security-Policy" content="{report.CSP}">' in html
        assert report.CSP.startswith("default-src 'none';")
        assert "script-src" not in report.CSP

    def test_a_problem_set_aside_earlier_is_marked_reported_before(
        self, module_course: Path, shape: Shape, prompts: list[Any]
    ) -> None:
        run = grade_run(
            module_course,
            shape,
            prompts,
            [graded_row(ALICE, prompts), graded_row(BOB, prompts)],
            set_aside_before=frozenset({"file|alice|old"}),
        )
        run.intake.problems += [
            Problem("alice", "old.ipynb", "not valid JSON", key="file|alice|old"),
            Problem("bob", "new.ipynb", "not valid JSON", key="file|bob|new"),
        ]
        rows = {
            name: next(tr for tr in report.render(run).split("<tr>") if name in tr)
            for name in ("old.ipynb", "new.ipynb")
        }
        assert "(reported before, unchanged)" in rows["old.ipynb"]
        assert "reported before" not in rows["new.ipynb"]
        assert "Files that failed (2)" in report.render(run)

    @pytest.mark.parametrize(
        ("outcome", "exchange", "line"),
        [
            (True, True, "feedback: released through the exchange"),
            (False, True, "feedback: NOT released (see the warnings above)"),
            (None, True, "feedback: nothing new to release"),
            (None, False, "feedback: generated in feedback/ (no exchange: not released)"),
        ],
    )
    def test_the_feedback_release_is_reported(
        self,
        outcome: bool | None,
        exchange: bool,
        line: str,
        module_course: Path,
        shape: Shape,
        prompts: list[Any],
    ) -> None:
        run = grade_run(
            module_course, shape, prompts, [graded_row(ALICE, prompts)], use_exchange=exchange
        )
        run.feedback_released = outcome
        run.warnings.append("[WARNING] feedback for <b>x</b> not released")
        html = report.render(run)
        assert f"<li>{line}</li>" in html
        assert "<li>nbgrader: [WARNING] feedback for &lt;b&gt;x&lt;/b&gt; not released</li>" in html


# --- run and results: what the report counts ----------------------------------------------


class TestGradeRun:
    def test_only_a_problem_with_a_known_key_is_set_aside(
        self, module_course: Path, shape: Shape, prompts: list[Any]
    ) -> None:
        run = grade_run(module_course, shape, prompts, [], set_aside_before=frozenset({"old"}))
        old, new, keyless = (
            Problem("a", "f", "r", "old"),
            Problem("a", "f", "r", "new"),
            Problem("a", "f", "r"),
        )
        run.intake.problems += [old, new]
        run.intake.unknown.append(keyless)
        assert run.failed == [old, new, keyless]
        assert run.new_failures == [new, keyless]

    def test_the_summary_counts_graded_flagged_missing_and_failed(
        self, module_course: Path, shape: Shape, prompts: list[Any]
    ) -> None:
        rows = [
            graded_row(ALICE, prompts, flags=["check"]),
            graded_row(BOB, prompts),
            StudentRow(RosterStudent("carol"), "missing"),
        ]
        run = grade_run(module_course, shape, prompts, rows)
        run.intake.unknown.append(Problem("?", "x.ipynb", "cannot tell whose file this is"))
        assert run.summary() == "graded 2, flagged for review 1, missing 1, failed 1"


class TestStudentRow:
    def test_the_total_subtracts_the_late_penalty_but_never_below_zero(self) -> None:
        assert StudentRow(ALICE, "graded", raw_score=3.0, late_penalty=0.5).total == 2.5
        assert StudentRow(ALICE, "graded", raw_score=1.0, late_penalty=2.0).total == 0.0
        assert StudentRow(ALICE, "missing").total is None

    def test_only_a_graded_row_with_flags_needs_review(self) -> None:
        assert StudentRow(ALICE, "graded", flags=["x"]).needs_review
        assert not StudentRow(ALICE, "graded").needs_review
        assert not StudentRow(ALICE, "failed", flags=["x"]).needs_review

    @pytest.mark.parametrize(
        ("score", "manual", "status"),
        [
            (1.0, False, "complete"),
            (0.5, False, "partial"),
            (0.0, False, "incomplete"),
            (None, False, "review"),
            (1.0, True, "review"),
        ],
    )
    def test_a_prompt_status_follows_its_score(
        self, score: float | None, manual: bool, status: str
    ) -> None:
        assert prompt_status(score, 1.0, manual) == status

    @pytest.mark.parametrize(
        ("seconds", "words"), [(59, "0 min 59 s"), (125, "2 min 5 s"), (7500, "2 h 05 min")]
    )
    def test_a_lateness_is_said_in_words(self, seconds: float, words: str) -> None:
        assert duration(seconds) == words


# --- state: what the last run graded --------------------------------------------------------


class TestGradeState:
    def test_students_and_set_aside_problems_round_trip(self, tmp_path: Path) -> None:
        path = tmp_path / "reports" / ASSIGNMENT / ".grade-state.json"
        state = GradeState(path)
        state.set("alice", submission="abc", notes=["submitted as 'Copy of x'"])
        state.set("alice", feedback="def")
        state.set_aside = {"file|bob|introspection.ipynb|1234": "2026-11-20T17:00:00"}
        state.save()
        loaded = GradeState.load(path)
        assert loaded.students == {
            "alice": {"submission": "abc", "notes": ["submitted as 'Copy of x'"], "feedback": "def"}
        }
        assert loaded.set_aside == state.set_aside
        assert loaded.get("alice", "feedback") == "def"
        assert loaded.get("bob", "feedback") is None

    def test_saving_leaves_no_temporary_file(self, tmp_path: Path) -> None:
        path = tmp_path / ".grade-state.json"
        GradeState(path, {"alice": {"submission": "abc"}}).save()
        assert sorted(p.name for p in tmp_path.iterdir()) == [".grade-state.json"]

    @pytest.mark.parametrize(
        "content",
        [
            b'{"students": {"alice": {"submission": "ab',  # cut short
            b"\xff\xfe\x00not utf-8",
            b"[1, 2, 3]",
            b'"students"',
            b'{"students": ["alice"], "set_aside": "everything"}',
            b"",
        ],
    )
    def test_a_corrupt_state_file_loads_as_empty(self, tmp_path: Path, content: bytes) -> None:
        path = tmp_path / ".grade-state.json"
        path.write_bytes(content)
        state = GradeState.load(path)
        assert (state.students, state.set_aside, state.path) == ({}, {}, path)

    def test_a_missing_state_file_loads_as_empty(self, tmp_path: Path) -> None:
        state = GradeState.load(tmp_path / "nowhere" / ".grade-state.json")
        assert (state.students, state.set_aside) == ({}, {})
