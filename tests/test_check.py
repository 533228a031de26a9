"""``allyship check`` and the self-check cell say what the grader says.

The agreement test grades the labeled collection ``tests/reflections/`` with the real
``nbgrader autograde`` and checks every item with the student's tool on the submitted file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import nbgrader, run_tool
from test_autograde import (
    ASSIGNMENT,
    GENUINE,
    answered,
    grades,
    released,
    submit,
)

from allyship.check import check_file
from allyship.course import load_prompts
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


# ----------------------------------------------------------------- agreement with the grader


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
