"""Hostile submissions through nbgrader's real exchange, graded by the real ``allyship grade``.

The exchange inbound folder is writable by every student and collect runs as the instructor, so
each attack of the security review (``../shared/reviews/security-review.md``) is planted there
the way a student could, next to honest submissions made with nbgrader's own ``submit``. One
class is graded three times: honest students first, then with the attacks planted, then again
with nothing removed. What is asserted is what the instructor and students would see: the exit
status, the messages, the gradebook, ``grades.csv`` and the released feedback.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import allyship, copy_course
from nbgrader.api import Gradebook

from allyship.instructor.demo import (
    DemoStudent,
    demo_class,
    notebook_bytes,
    submit_to_exchange,
    write_roster,
)
from allyship.instructor.identity import shown_id
from allyship.nbgrader_support import load_course_config

pytestmark = pytest.mark.slow
ASSIGNMENT = "introspection"
MARKER = "ALICE-UNIQUE-MARKER"
XSS_ID = 'x";window.__pwned_ex=1;"'
STAMP = "%Y-%m-%d %H:%M:%S.%f UTC"


def read_grades(course: Path) -> dict[str, dict[str, str]]:
    with (course / "reports" / ASSIGNMENT / "grades.csv").open(encoding="utf-8") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def gradebook_ids(course: Path) -> set[str]:
    config = load_course_config(course)
    with Gradebook(config.CourseDirectory.db_url, "allyship") as gb:
        return {s.id for s in gb.students}


def exchange_course(base: Path, check_owner: bool = False) -> SimpleNamespace:
    course = copy_course(base / "course")
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
        fh.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
        fh.write(f"c.ExchangeCollect.check_owner = {check_owner}\n")
    result = allyship(course, "release")
    assert result.returncode == 0, result.stderr
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = load_course_config(course)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    assert api.release_assignment(ASSIGNMENT)["success"]
    inbound = exchange / "allyship" / "inbound"
    return SimpleNamespace(course=course, exchange=exchange, inbound=inbound)


def submit(env: SimpleNamespace, student: DemoStudent) -> Path:
    """The student's real ``nbgrader submit``; returns the inbound folder it made."""
    before = set(env.inbound.iterdir())
    home = env.course.parent / "students" / student.roster.id
    submit_to_exchange(env.course, env.exchange, ASSIGNMENT, student, home)
    (made,) = set(env.inbound.iterdir()) - before
    return made


def plant(env: SimpleNamespace, student_id: str, when: datetime, secret: bool = True) -> Path:
    """An inbound folder made by hand, as a hostile student can (the folder is writable)."""
    folder = env.inbound / f"{student_id}+{ASSIGNMENT}+{when.strftime(STAMP)}+r{os.getpid()}"
    folder.mkdir()
    (folder / "timestamp.txt").write_text(when.strftime(STAMP))
    if secret:
        (folder / "submission_secret.txt").write_text("secret")
    return folder


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    env = exchange_course(tmp_path_factory.mktemp("hostile"))
    people = demo_class(env.course, ASSIGNMENT, 12)
    honest = [s for s in people if s.kind == "complete"][:4]
    alice, bob, carol, dave = honest
    first_id = next(iter(alice.texts))
    alice.texts[first_id] = alice.texts[first_id] + f" {MARKER}"
    for student in honest:
        submit(env, student)
    roster_extra = [
        *("mallory", "eve", "frank", "gina", "henry", "ivan", "judy", "kate", "mike", "nora")
    ]
    everyone = {s.roster.id: s for s in honest}
    template = people[6]
    from dataclasses import replace

    for sid in roster_extra:
        student = DemoStudent(replace(template.roster, id=sid, lms_id=""), "complete")
        student.texts = dict(template.texts)
        everyone[sid] = student
    write_roster(env.course / "roster.csv", list(everyone.values()))
    assert allyship(env.course, "roster", "import", str(env.course / "roster.csv")).returncode == 0
    first = allyship(env.course, "grade", ASSIGNMENT)

    now = datetime.utcnow()
    good = notebook_bytes(env.course, ASSIGNMENT, template)
    # D-C1: an id that is JavaScript in formgrader's page
    (plant(env, XSS_ID, now) / f"{ASSIGNMENT}.ipynb").write_bytes(good)
    # D-M6: an id that is a glob matching another student
    (plant(env, "b[o]b", now) / f"{ASSIGNMENT}.ipynb").write_bytes(good)
    # D-H4: links to another student's collected work, and to the model answers
    alice_nb = env.course / "submitted" / alice.roster.id / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    (plant(env, "mallory", now) / f"{ASSIGNMENT}.ipynb").symlink_to(alice_nb)
    source_nb = env.course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    (plant(env, "eve", now) / f"{ASSIGNMENT}.ipynb").symlink_to(source_nb)
    # D-M4: a linked folder (nbgrader's size limit does not count it)
    frank = plant(env, "frank", now)
    (frank / f"{ASSIGNMENT}.ipynb").write_bytes(good)
    (frank / "data").symlink_to(env.course / "source")
    # D-M11: a named pipe, and a broken link
    gina = plant(env, "gina", now)
    (gina / f"{ASSIGNMENT}.ipynb").write_bytes(good)
    os.mkfifo(gina / "pipe")
    henry = plant(env, "henry", now)
    (henry / f"{ASSIGNMENT}.ipynb").write_bytes(good)
    (henry / "gone.txt").symlink_to(henry / "nowhere")
    # D-M2: a folder nbgrader submit did not make (no submission_secret.txt)
    (plant(env, "ivan", now, secret=False) / f"{ASSIGNMENT}.ipynb").write_bytes(good)
    # D-M3: an extra notebook beside the real one (Jupyter's Untitled.ipynb)
    kate = plant(env, "kate", now)
    (kate / f"{ASSIGNMENT}.ipynb").write_bytes(good)
    (kate / "Untitled.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    # D-H2: a deeply nested notebook, and a folder named like the notebook
    (plant(env, "judy", now) / f"{ASSIGNMENT}.ipynb").write_text(
        '{"cells": [], "x": ' + "[" * 100000 + "]" * 100000 + "}"
    )
    (plant(env, "mike", now) / f"{ASSIGNMENT}.ipynb").mkdir()
    # D-M2, by hand: a folder copied into submitted/ without nbgrader (no submission secret)
    nora = env.course / "submitted" / "nora" / ASSIGNMENT
    nora.mkdir(parents=True)
    (nora / f"{ASSIGNMENT}.ipynb").write_bytes(good)
    (nora / "timestamp.txt").write_text(now.strftime(STAMP))
    # D-L15: bob's honest resubmission whose timestamp.txt was edited to a day earlier
    late = submit(env, bob)
    (late / "timestamp.txt").write_text((now - timedelta(days=1)).strftime(STAMP))
    second = allyship(env.course, "grade", ASSIGNMENT)
    grades_after_second = read_grades(env.course)
    third = allyship(env.course, "grade", ASSIGNMENT)
    return SimpleNamespace(
        env=env,
        course=env.course,
        honest=honest,
        first=first,
        second=second,
        third=third,
        grades=grades_after_second,
    )


def test_honest_class_is_graded_and_its_feedback_released(attacked: SimpleNamespace) -> None:
    assert attacked.first.returncode == 0, attacked.first.stderr
    assert "feedback: released through the exchange" in attacked.first.stdout
    released = list((attacked.env.exchange / "allyship" / "feedback").glob("*.html"))
    assert len(released) >= len(attacked.honest)


def test_an_id_carrying_script_never_reaches_the_gradebook(attacked: SimpleNamespace) -> None:
    """D-C1: formgrader writes the id into a script; the folder is refused at collect."""
    assert attacked.second.returncode == 1
    assert f"failed: {shown_id(XSS_ID)}:" in attacked.second.stderr
    assert "not safe to use" in attacked.second.stderr
    ids = gradebook_ids(attacked.course)
    assert XSS_ID not in ids and "b[o]b" not in ids
    assert not any('"' in p.name for p in (attacked.course / "submitted").iterdir())


def test_a_glob_id_regrades_nobody(attacked: SimpleNamespace) -> None:
    """D-M6: ``b[o]b`` would match bob in nbgrader's glob; it is refused by name."""
    assert f"failed: {shown_id('b[o]b')}:" in attacked.second.stderr
    assert attacked.grades[attacked.honest[1].roster.id]["status"] == "graded"


def test_links_to_another_students_work_give_no_credit_and_leak_nothing(
    attacked: SimpleNamespace,
) -> None:
    """D-H4: a link to Alice's collected notebook or to source/ is refused, not followed."""
    stderr = attacked.second.stderr
    for sid in ("mallory", "eve"):
        assert f"failed: {sid}: {sid}+{ASSIGNMENT}+" in stderr
        assert attacked.grades[sid]["status"] == "failed"
        assert attacked.grades[sid]["total"] == ""
    assert "is a link: a submission may hold only its own files; not collected" in stderr
    course = attacked.course
    assert not (course / "submitted" / "mallory").exists()

    def holding_marker(paths: list[Path]) -> list[Path]:
        return [p for p in paths if p.is_file() and MARKER in p.read_text(errors="ignore")]

    alice_id = attacked.honest[0].roster.id
    graded_copies = holding_marker(
        [*course.glob("feedback/*/*/*"), *course.glob("autograded/*/*/*")]
    )
    assert {p.relative_to(course).parts[1] for p in graded_copies} == {alice_id}
    released = holding_marker(list((attacked.env.exchange / "allyship" / "feedback").iterdir()))
    assert len(released) == 1  # Alice's own feedback, and nobody else's


def test_links_pipes_and_broken_links_are_refused_and_the_class_goes_on(
    attacked: SimpleNamespace,
) -> None:
    """D-M4, D-M11: nothing is copied from a linked folder; a pipe or broken link stops nobody."""
    stderr = attacked.second.stderr
    assert "'data' is a link" in stderr
    assert "'pipe' is a named pipe" in stderr
    assert "'gone.txt' is a link" in stderr
    for sid in ("frank", "gina", "henry"):
        assert not (attacked.course / "submitted" / sid).exists()
    for student in attacked.honest:
        assert attacked.grades[student.roster.id]["status"] == "graded"


def test_a_folder_without_a_submission_secret_does_not_stop_feedback(
    attacked: SimpleNamespace,
) -> None:
    """D-M2: refused at collect, so release_feedback reaches everyone else."""
    assert "failed: ivan:" in attacked.second.stderr
    assert "no submission_secret.txt" in attacked.second.stderr
    assert "feedback: released through the exchange" in attacked.second.stdout
    # one put into submitted/ by hand is graded; only its feedback is held back, by name
    assert attacked.grades["nora"]["status"] == "graded"
    assert (
        "warning: feedback for nora not released: its submission has no submission_secret.txt"
    ) in attacked.second.stderr


def test_an_extra_notebook_does_not_fail_the_real_one(attacked: SimpleNamespace) -> None:
    """D-M3: Untitled.ipynb is ignored with a note; introspection.ipynb is graded."""
    row = attacked.grades["kate"]
    assert row["status"] == "graded"
    assert "Untitled.ipynb ignored" in row["flags"]


def test_a_deep_notebook_or_a_folder_named_like_one_fails_only_its_student(
    attacked: SimpleNamespace,
) -> None:
    """D-H2: RecursionError and IsADirectoryError used to stop the class on every run."""
    stderr = attacked.second.stderr
    assert (
        "failed: judy: introspection.ipynb: not a readable notebook (its JSON is nested" in stderr
    )
    assert "failed: mike: introspection.ipynb: is a folder, not a file" in stderr
    assert attacked.grades["judy"]["status"] == "failed"
    assert attacked.grades["mike"]["status"] == "failed"


def test_an_edited_timestamp_is_flagged_for_the_grader(attacked: SimpleNamespace) -> None:
    """D-L15: timestamp.txt disagrees with the submission's folder name."""
    row = attacked.grades[attacked.honest[1].roster.id]
    assert row["needs_review"] == "yes"
    assert "timestamp.txt says" in row["flags"] and "check the time" in row["flags"]


def test_a_rerun_with_nothing_removed_sets_the_bad_files_aside(attacked: SimpleNamespace) -> None:
    """Every problem is reported again, as set aside: the run succeeds and grades stay."""
    third = attacked.third
    assert third.returncode == 0, third.stderr
    assert "failed:" not in third.stderr
    assert f"still set aside (reported before): mallory: mallory+{ASSIGNMENT}+" in third.stderr
    assert "still set aside (reported before): judy: introspection.ipynb" in third.stderr
    assert read_grades(attacked.course) == attacked.grades


# --- a submission made under another student's id (owner check, real Unix users) -------------


@pytest.fixture
def unix_users() -> Iterator[list[str]]:
    """Two throwaway Unix users, removed even when the test fails."""
    if os.geteuid() != 0:
        pytest.skip("creating Unix users needs root")
    names = [f"alyt{os.getpid() % 10000}b", f"alyt{os.getpid() % 10000}m"]
    for name in names:
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["useradd", "--no-create-home", name], check=True, capture_output=True)
    try:
        yield names
    finally:
        for name in names:
            subprocess.run(["userdel", name], capture_output=True)


def test_a_submission_under_another_students_id_is_refused_and_their_grade_stays(
    tmp_path: Path, unix_users: list[str]
) -> None:
    """D-M1 (E9): nbgrader only logs "cheating attempt?"; the forged folder is refused."""
    bob_id, mallory_id = unix_users
    env = exchange_course(tmp_path, check_owner=True)
    template = demo_class(env.course, ASSIGNMENT, 7)[6]
    from dataclasses import replace

    bob = DemoStudent(replace(template.roster, id=bob_id), "complete", dict(template.texts))
    write_roster(env.course / "roster.csv", [bob])
    assert allyship(env.course, "roster", "import", str(env.course / "roster.csv")).returncode == 0
    honest = submit(env, bob)
    uid = pwd.getpwnam(bob_id).pw_uid
    for path in [honest, *honest.rglob("*")]:
        os.lchown(path, uid, -1)
    first = allyship(env.course, "grade", ASSIGNMENT)
    assert first.returncode == 0, first.stderr
    before = read_grades(env.course)[bob_id]

    forged = plant(env, bob_id, datetime.utcnow() + timedelta(minutes=1))
    blank = DemoStudent(bob.roster, "partial", {k: "" for k in bob.texts})
    (forged / f"{ASSIGNMENT}.ipynb").write_bytes(notebook_bytes(env.course, ASSIGNMENT, blank))
    mallory_uid = pwd.getpwnam(mallory_id).pw_uid
    for path in [forged, *forged.rglob("*")]:
        os.lchown(path, mallory_uid, -1)
    second = allyship(env.course, "grade", ASSIGNMENT)
    assert second.returncode == 1
    assert (
        f"failed: {bob_id}: {forged.name}: claims to be {bob_id}'s submission but belongs to "
        f"the user {mallory_id!r}; not collected"
    ) in second.stderr
    after = read_grades(env.course)[bob_id]
    assert after["total"] == before["total"] and after["status"] == "graded"
    assert "(the earlier submission is graded)" in after["flags"]
