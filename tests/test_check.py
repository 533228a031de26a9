"""``allyship check`` and the self-check cell say what the grader says.

The agreement test grades the labeled collection ``tests/reflections/`` with the real
``nbgrader autograde`` and checks every item with the student's tool on the submitted file.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, allyship, nbgrader, run_tool
from test_autograde import (
    ASSIGNMENT,
    GENUINE,
    answered,
    grades,
    released,
    submit,
)

from allyship.check import (
    ADOPTED_REASON,
    PACKAGED_CELL_IDS,
    PACKAGED_PROMPTS,
    check_file,
    check_notebook,
    judge,
    packaged,
    prompt_fingerprint,
    released_prompts,
    source_ids,
)
from allyship.course import CourseError, assignments, load_prompts
from allyship.nbgrader_plugins import comment_text

REFLECTIONS = Path(__file__).parent / "reflections"


def test_check_cli_reports_each_prompt(course: Path, tmp_path: Path) -> None:
    nb = released(course)
    untouched = tmp_path / "untouched.ipynb"
    untouched.write_text(json.dumps(nb))
    done = tmp_path / "done.ipynb"
    done.write_text(json.dumps(answered(nb, GENUINE)))

    result = run_tool("allyship", tmp_path, "check", str(untouched), timeout=120)
    assert result.returncode == 1
    prompts = load_prompts(ASSIGNMENT, course)
    for number, prompt in enumerate(prompts, start=1):
        assert f"Prompt {number}: {prompt.title}: incomplete" in result.stdout
    items = check_file(untouched)
    for item in items:
        for reason in item.verdict.reasons:
            assert reason in result.stdout
    assert f"{len(prompts)} of {len(prompts)} prompts still need work." in result.stdout

    result = run_tool("allyship", tmp_path, "check", str(done), timeout=120)
    assert result.returncode == 0, result.stdout
    assert f"All {len(prompts)} prompts are complete." in result.stdout


def test_check_names_a_missing_or_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    missing = tmp_path / "missing.ipynb"
    result = run_tool("allyship", tmp_path, "check", str(broken), str(missing), timeout=120)
    assert result.returncode == 2
    assert f"{broken} is not a Jupyter notebook (.ipynb file): not valid JSON" in result.stderr
    assert f"{missing}: file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_says_a_file_that_is_not_a_notebook_is_not_one(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Notes\n\nNot a notebook.\n")
    renamed = tmp_path / "notes.ipynb"  # a text file renamed: the content gives it away
    renamed.write_text("# Notes\n")
    result = run_tool("allyship", tmp_path, "check", str(readme), str(renamed), timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"allyship check: {readme} is not a Jupyter notebook (.ipynb file)"
    assert lines[1].startswith(f"allyship check: {renamed} is not a Jupyter notebook (.ipynb file)")
    assert len(lines) == 2 and result.stdout == ""


def test_check_reports_a_deleted_answer_cell(course: Path, tmp_path: Path) -> None:
    nb = answered(released(course), GENUINE)
    nb["cells"] = [
        c for c in nb["cells"] if c["metadata"]["nbgrader"]["grade_id"] != "introspection_growth"
    ]
    path = tmp_path / "introspection.ipynb"
    path.write_text(json.dumps(nb))
    result = run_tool("allyship", tmp_path, "check", str(path), timeout=120)
    assert result.returncode == 1
    assert "The answer cell for prompt 2 (Growing instead of doubling down) was deleted" in (
        result.stdout
    )


def test_check_recognises_a_notebook_without_answer_cells(course: Path, tmp_path: Path) -> None:
    """Every answer cell deleted: recognised by its prompts, as the grader's intake does."""
    nb = released(course)
    nb["cells"] = [c for c in nb["cells"] if "allyship" not in c["metadata"]]
    in_course = course / "mine" / "Copy.ipynb"
    in_course.parent.mkdir()
    alone = tmp_path / "Copy.ipynb"
    for path in (in_course, alone):
        path.write_text(json.dumps(nb))
        result = run_check(path.parent, path.name)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "recognised from its nbgrader cells as the 'introspection' notebook" in (
            result.stdout
        )
        assert result.stdout.count("was deleted, so there was nothing to grade") == 3


@pytest.mark.slow
def test_self_check_cell_runs_inside_the_notebook(course: Path, tmp_path: Path) -> None:
    """The released notebook's last cell, run by a real kernel next to the saved notebook."""
    import nbformat
    from nbclient import NotebookClient

    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    path.write_text(json.dumps(answered(released(course), {"introspection_roots": "Too short."})))
    nb = nbformat.read(path, as_version=4)
    self_check = nb.cells[-1]
    assert "check_notebook" in self_check.source
    nb.cells = [self_check]  # run only the self-check cell, as a student would
    NotebookClient(nb, timeout=60, resources={"metadata": {"path": str(tmp_path)}}).execute()
    output = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert f"Self-check of {ASSIGNMENT}.ipynb" in output
    assert [o.output_type for o in nb.cells[0].outputs] == ["stream"]  # no repr after the text
    expected = check_file(path)
    assert expected[0].verdict.status == "incomplete"
    for item in expected:
        assert f"Prompt {item.number}: {item.prompt.title}" in output
        for reason in item.verdict.reasons:
            assert reason in output


@pytest.mark.parametrize("assignment", assignments(REPO))
def test_self_check_cell_without_the_package_says_how_to_check_anyway(assignment: str) -> None:
    """A released notebook opened in a Jupyter without this package: the cell explains, in
    words, what is missing and the two ways to check anyway, instead of a traceback."""
    import subprocess
    import sys

    notebook = json.loads((REPO / "assignments" / assignment / f"{assignment}.ipynb").read_text())
    cell = notebook["cells"][-1]
    source = "".join(cell["source"])
    # -I -S: no site-packages and no working folder on the path, so `allyship` is not found.
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-c", source], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "ModuleNotFoundError" not in run.stdout + run.stderr
    assert "does not have the course's checker installed" in run.stdout
    assert "'Load a notebook'" in run.stdout and "'Learning on your own'" in run.stdout
    assert "python -m pip install ." in run.stdout


# ------------------------------------------------------------ which prompts are trusted (D-M12)


def complete_answers(assignment: str) -> dict[str, str]:
    """For each prompt of ``assignment``, a genuine reflection of the labeled collection."""
    answers: dict[str, str] = {}
    for item in labeled_items():
        if item["assignment"] == assignment and item["expected"] == "complete":
            answers.setdefault(item["grade_id"], item["text"])
    return answers


def run_check(cwd: Path, *args: str) -> Any:
    return run_tool("allyship", cwd, "check", *args, timeout=120)


def test_check_refuses_another_assignments_notebook_saved_under_this_name(
    course: Path, tmp_path: Path
) -> None:
    """D-M12: the complete accountability notebook saved as introspection.ipynb."""
    done = answered(released(course, "accountability"), complete_answers("accountability"))
    right = tmp_path / "accountability.ipynb"
    right.write_text(json.dumps(done))
    result = run_check(tmp_path, str(right))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All 3 prompts are complete." in result.stdout

    wrong_name = "this is the 'accountability' notebook, not 'introspection'"
    alone = tmp_path / "alone" / "introspection.ipynb"  # no course: the package's fingerprints
    in_course = course / "mine" / "introspection.ipynb"  # in a course: its source/ notebooks
    for path in (alone, in_course):
        path.parent.mkdir()
        path.write_text(json.dumps(done))
        result = run_check(path.parent, path.name)
        assert result.returncode == 2, result.stdout
        assert result.stdout == ""
        assert result.stderr.strip().splitlines() == [
            f"allyship check: introspection.ipynb: {wrong_name}: its answer cells are those of "
            "accountability.ipynb, so the grader would not accept it for 'introspection'"
        ]

    renamed = tmp_path / "mine.ipynb"  # the name claims nothing, the flag does
    renamed.write_text(json.dumps(done))
    result = allyship(course, "check", str(renamed), "--assignment", "introspection")
    assert result.returncode == 2 and wrong_name in result.stderr


def test_check_recognises_a_renamed_copy_from_its_answer_cells(
    course: Path, tmp_path: Path
) -> None:
    path = tmp_path / "Copy of my work.ipynb"
    path.write_text(json.dumps(answered(released(course), GENUINE)))
    for result in (run_check(tmp_path, str(path)), allyship(course, "check", str(path))):
        assert result.returncode == 0, result.stdout + result.stderr
        assert (
            "Note: Copy of my work.ipynb was recognised from its nbgrader cells as the "
            "'introspection' notebook" in result.stdout
        )
        assert "All 3 prompts are complete." in result.stdout


def lowered_minimum(nb: dict[str, Any]) -> dict[str, Any]:
    """The notebook with every answer cell's saved minimum lowered to 1 word (a student edit)."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if "allyship" in cell["metadata"]:
            cell["metadata"]["allyship"]["min_words"] = 1
    return nb


def test_check_judges_with_the_courses_prompts_not_the_notebooks(
    course: Path, tmp_path: Path
) -> None:
    """Edited settings in the notebook never make an answer complete for the self-check."""
    short = "I learned that my accent bias came from school and I want to change it."
    nb = lowered_minimum(answered(released(course), dict.fromkeys(GENUINE, short)))
    trusted = load_prompts(ASSIGNMENT, course)
    grader_says = judge(short, trusted[0], 1)
    assert grader_says.status == "incomplete"  # under the course's 80-word minimum

    # in a course: its source/ is used, as the grader does, and the difference is noted
    path = course / "mine" / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps(nb))
    result = run_check(path.parent, path.name)
    assert result.returncode == 1, result.stdout + result.stderr
    source = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert f"Checked with the course's prompts in {source} (the copy the grader reads)" in (
        result.stdout
    )
    assert (
        "Note: The copy of prompt 1 saved in this notebook differs from the course's "
        "(its settings); the course's copy was used, as the grader does." in result.stdout
    )
    for reason in grader_says.reasons:
        assert reason in result.stdout
    assert "3 of 3 prompts still need work." in result.stdout

    # alone: the saved prompts are compared with the package's copy, and refused
    alone = tmp_path / f"{ASSIGNMENT}.ipynb"
    alone.write_text(json.dumps(nb))
    result = run_check(tmp_path, alone.name)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"allyship check: {alone.name}: cannot say what the grader will: this notebook's saved "
        "copy of prompts 1, 2 and 3 does not match this package's trusted copy of the "
        "'introspection' prompts (compared: grade id, title, wording, points and settings of "
        "each answer cell); check it in the course folder or with --course, or copy your "
        "answers into a fresh copy of the notebook"
    ]

    # ... unless the course is named
    result = allyship(course, "check", str(alone))
    assert result.returncode == 1 and "its settings" in result.stdout


def test_check_alone_says_what_it_compared(course: Path, tmp_path: Path) -> None:
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    path.write_text(json.dumps(answered(released(course), GENUINE)))
    result = run_check(tmp_path, path.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "Checked with the prompts saved in this notebook, after comparing them with this "
        "package's trusted copy of the 'introspection' prompts" in result.stdout
    )


def test_check_of_an_unknown_course_says_it_is_not_verified(course: Path, tmp_path: Path) -> None:
    """Another course's notebook (ids the package does not know), with no course folder."""
    nb = answered(released(course), GENUINE)
    for cell in nb["cells"]:
        nbg = cell["metadata"].get("nbgrader", {})
        nbg["grade_id"] = "other_" + nbg.get("grade_id", "")
    for entry in nb["metadata"]["allyship"]["answers"]:
        entry["grade_id"] = "other_" + entry["grade_id"]
    path = tmp_path / "other.ipynb"
    path.write_text(json.dumps(nb))
    result = run_check(tmp_path, path.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Not verified: no course folder was found at or above this notebook" in result.stdout
    assert "All 3 prompts are complete." in result.stdout

    # in this course, it is no notebook of it
    result = allyship(course, "check", str(path))
    assert result.returncode == 2
    assert "not a notebook of this course (it has none of the cells of" in result.stderr


def test_packaged_prompts_match_the_course() -> None:
    """The package's fingerprints are the course's source/ prompts and the released notebooks'.

    When this fails after an edit of source/, run ``allyship release``: it rewrites them.
    """
    expected = {a: packaged(REPO, a) for a in assignments(REPO)}
    assert expected == PACKAGED_PROMPTS, "allyship/course_prompts.json is stale: allyship release"
    assert source_ids(REPO, assignments(REPO)) == PACKAGED_CELL_IDS
    for assignment, entries in PACKAGED_PROMPTS.items():
        path = REPO / "assignments" / assignment / f"{assignment}.ipynb"
        saved = released_prompts(json.loads(path.read_text(encoding="utf-8")), assignment)
        assert [prompt_fingerprint(p) for p in saved] == [e.fingerprint for e in entries]


# ------------------------------------------------------------ files it cannot check (D-L6)


def assert_refused(result: Any, *lines: str) -> None:
    """Could not check: exit status 2, nothing on stdout, exactly these lines, no traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"allyship check: {line}" for line in lines]


def test_check_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    folder = tmp_path / "introspection.ipynb"
    folder.mkdir()
    pipe = tmp_path / "pipe.ipynb"
    os.mkfifo(pipe)  # opening it would wait for a writer forever
    result = run_tool("allyship", tmp_path, "check", ".", folder.name, pipe.name, timeout=60)
    assert_refused(
        result,
        ".: is a folder, not a notebook file",
        "introspection.ipynb: is a folder, not a notebook file",
        "pipe.ipynb: is a named pipe, not a notebook file (not opened)",
    )


def test_check_refuses_an_oversized_file(tmp_path: Path) -> None:
    big = tmp_path / "introspection.ipynb"
    with big.open("wb") as handle:
        handle.truncate(51 * 2**20)  # sparse: no need to write 51 MB
    result = run_check(tmp_path, big.name)
    assert_refused(
        result,
        "introspection.ipynb: too large for a notebook (51 MB; the check reads at most 50 MB)",
    )


DAMAGED = "the notebook is damaged: "
FRESH = "; copy your answers into a fresh copy of the notebook"


def damage(nb: dict[str, Any], how: str) -> str:
    """The notebook's text, broken in one of the ways a hand edit or a bad tool breaks it."""
    nb = copy.deepcopy(nb)
    answer = next(i for i, c in enumerate(nb["cells"]) if "allyship" in c["metadata"])
    if how == "deep":
        return '{"cells": [], "x": ' + "[" * 100000 + "]" * 100000 + "}"
    if how == "cell":
        nb["cells"][answer] = 5
    elif how == "source":
        nb["cells"][answer]["source"] = 5
    elif how == "cell metadata":
        nb["cells"][answer]["metadata"] = "x"
    elif how == "metadata":
        nb["metadata"] = []
    elif how == "cells":
        nb["cells"] = {"0": nb["cells"][0]}
    return json.dumps(nb)


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("deep", "not a readable notebook (its JSON is nested too deeply)"),
        ("cell", f"{DAMAGED}cell 3 is not a notebook cell{FRESH}"),
        ("source", f"{DAMAGED}cell 3 has a source that is not text{FRESH}"),
        ("cell metadata", f"{DAMAGED}cell 3 has metadata that is not a mapping{FRESH}"),
        ("metadata", f"{DAMAGED}its metadata is not a mapping{FRESH}"),
        ("cells", "not a Jupyter notebook (no list of cells)"),
    ],
)
def test_check_names_a_damaged_notebook(
    course: Path, tmp_path: Path, how: str, message: str
) -> None:
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    path.write_text(damage(released(course), how))
    assert_refused(run_check(tmp_path, path.name), f"{path.name}: {message}")


def test_check_of_damaged_allyship_metadata(course: Path, tmp_path: Path) -> None:
    """Our own metadata, edited into nonsense: the grader ignores it, so a course check does too;
    alone, the saved prompts no longer match the package's copy."""
    nb = answered(released(course), GENUINE)
    nb["metadata"]["allyship"] = "x"
    nb["cells"][2]["metadata"]["allyship"] = ["x"]
    nb["cells"][4]["metadata"]["nbgrader"]["points"] = "lots"
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    path.write_text(json.dumps(nb))
    result = allyship(course, "check", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(its record is damaged)" in result.stdout
    assert "All 3 prompts are complete." in result.stdout
    result = run_check(tmp_path, path.name)
    assert result.returncode == 2 and result.stdout == ""
    assert "this notebook's saved copy of prompts 1 and 2 does not match" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_finds_an_answer_whose_id_was_changed_like_the_grader(
    course: Path, tmp_path: Path
) -> None:
    """D-L11 in the grader: an answer cell whose nbgrader metadata was broken or whose id was
    renamed is found by its place after the prompt, graded and flagged, not zeroed as deleted."""
    nb = answered(released(course), GENUINE)
    broken, renamed = copy.deepcopy(nb), copy.deepcopy(nb)
    broken["cells"][2]["metadata"]["nbgrader"] = "x"
    renamed["cells"][2]["metadata"]["nbgrader"]["grade_id"] = "my_answer"
    trusted = load_prompts(ASSIGNMENT, course)[0]
    verdict = judge(GENUINE["introspection_roots"], trusted, 1)
    assert verdict.status == "complete"
    for nb in (broken, renamed):
        path = tmp_path / f"{ASSIGNMENT}.ipynb"
        path.write_text(json.dumps(nb))
        for result in (run_check(tmp_path, path.name), allyship(course, "check", str(path))):
            assert result.returncode == 0, result.stdout + result.stderr
            assert (
                "Prompt 1: Where a belief came from: complete, an instructor will read it "
                f"(1 of 1 points, {verdict.words} words)" in result.stdout
            )
            assert f"  - {ADOPTED_REASON}" in result.stdout


def test_check_notebook_cell_prints_one_line_for_a_pipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pipe = tmp_path / f"{ASSIGNMENT}.ipynb"
    os.mkfifo(pipe)
    check_notebook(pipe)
    out, err = capsys.readouterr()
    assert out == ""
    expected = f"{pipe}: is a named pipe, not a notebook file (not opened)"
    assert err == f"Could not check the notebook: {expected}\n"


# ----------------------------------------------------------------- agreement with the grader


@pytest.mark.slow
def test_check_and_grader_agree_on_damaged_answer_cells(course: Path, tmp_path: Path) -> None:
    """The real grader on answer cells with changed ids, broken metadata, edited settings,
    deleted or copied cells: the self-check on the submitted file says the same, cell by cell,
    in the course and (except the edited settings, refused there) on a copy outside it."""
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nb = answered(released(course), GENUINE)
    roots = next(i for i, c in enumerate(nb["cells"]) if "allyship" in c["metadata"])
    variants: dict[str, dict[str, Any]] = {}
    for name in ("renamed", "broken", "lowered", "deleted", "copied", "flipped"):
        variants[name] = copy.deepcopy(nb)
    variants["renamed"]["cells"][roots]["metadata"]["nbgrader"]["grade_id"] = "my_answer"
    variants["broken"]["cells"][roots]["metadata"]["nbgrader"] = "x"
    variants["lowered"] = lowered_minimum(answered(nb, dict.fromkeys(GENUINE, "Too short.")))
    del variants["deleted"]["cells"][roots]
    variants["copied"]["cells"].insert(roots, copy.deepcopy(nb["cells"][roots]))
    for cell in variants["flipped"]["cells"]:
        if "allyship" in cell["metadata"]:
            cell["metadata"]["nbgrader"].update(solution=False, grade=False, locked=True)
    for student, variant in variants.items():
        submit(course, student, variant)
    nbgrader(course, "autograde", ASSIGNMENT)
    for student in variants:
        path = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        checked = {r.prompt.grade_id: r for r in check_file(path)}
        alone = tmp_path / student / path.name
        alone.parent.mkdir()
        alone.write_bytes(path.read_bytes())
        if student == "lowered":
            with pytest.raises(CourseError, match="does not match this package's trusted copy"):
                check_file(alone)
        else:
            said = [(r.prompt.grade_id, r.score, r.verdict) for r in check_file(alone)]
            assert said == [(g, r.score, r.verdict) for g, r in checked.items()], student
        graded = grades(course, student)
        for gid, mine in checked.items():
            theirs = graded[gid]
            assert theirs["auto_score"] == mine.score, (student, gid)
            assert theirs["auto_comment"] == comment_text(mine.verdict.reasons), (student, gid)
            assert theirs["needs_manual_grade"] == mine.verdict.needs_review, (student, gid)


def labeled_items() -> list[dict[str, Any]]:
    """Every item of the labeled collection (JSON Lines: assignment, grade_id, text, id)."""
    items = []
    for path in sorted(REFLECTIONS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append(json.loads(line))
    return items


@pytest.mark.slow
def test_check_and_grader_agree_on_labeled_collection(course: Path) -> None:
    items = labeled_items()
    assert items, f"no labeled reflections found in {REFLECTIONS}"

    # item k of each prompt goes into student k's notebook of that assignment
    queues: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for item in items:
        queues.setdefault(item["assignment"], {}).setdefault(item["grade_id"], []).append(item)
    placed: list[tuple[str, str, str, dict[str, Any]]] = []
    for assignment, by_prompt in queues.items():
        nbgrader(course, "generate_assignment", assignment, "--force")
        nb = released(course, assignment)
        for k in range(max(len(q) for q in by_prompt.values())):
            student = f"s{k:03d}"
            chunk = {gid: q[k] for gid, q in by_prompt.items() if k < len(q)}
            texts = {gid: item["text"] for gid, item in chunk.items()}
            submit(course, student, answered(nb, texts), assignment)
            placed.extend((assignment, student, gid, item) for gid, item in chunk.items())
    for assignment in queues:
        nbgrader(course, "autograde", assignment)

    seen: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}
    flagged = 0
    for assignment, student, grade_id, item in placed:
        if (assignment, student) not in seen:
            path = course / "submitted" / student / assignment / f"{assignment}.ipynb"
            checked = {r.prompt.grade_id: r for r in check_file(path)}
            seen[assignment, student] = (checked, grades(course, student, assignment))
        checked, graded = seen[assignment, student]
        mine, theirs = checked[grade_id], graded[grade_id]
        assert theirs["auto_score"] == mine.score, item["id"]
        assert theirs["auto_comment"] == comment_text(mine.verdict.reasons), item["id"]
        assert theirs["needs_manual_grade"] == mine.verdict.needs_review, item["id"]
        if mine.verdict.needs_review:  # credited, and sent to the grader
            flagged += 1
            assert theirs["auto_score"] > 0 and theirs["score"] == theirs["auto_score"], item["id"]
    assert len(placed) == len(items)
    assert flagged, "the labeled collection should exercise the flagged path"
