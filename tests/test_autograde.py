"""Autograde through the reflection rules, with the real ``nbgrader autograde`` command.

Every test works on a temporary copy of the course (``course`` fixture): its own gradebook, its
own ``submitted/`` and ``autograded/`` folders. Scores and comments are read back from the
gradebook, the way formgrader and the feedback read them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import nbgrader

from allyship.check import find_answer, judge
from allyship.course import cell_text, load_prompts
from allyship.nbgrader_plugins import comment_text

pytestmark = pytest.mark.slow

ASSIGNMENT = "introspection"

#: Three genuine, personal reflections on the three introspection prompts (written for the tests).
GENUINE = {
    "introspection_roots": (
        "I grew up believing that speaking without an accent meant someone was smarter. Nobody "
        "said it in those words, but at school the kids who sounded like the news readers were "
        "picked for presentations, and at home my father corrected my cousins whenever they "
        "spoke the way my grandmother did. It still shows up in me: in meetings I notice that I "
        "trust a confident voice with a familiar accent before I have even heard the argument. "
        "Last week I caught myself summarising a colleague's idea as if it were clearer in my "
        "words."
    ),
    "introspection_growth": (
        "A friend told me that a joke I kept making about her neighbourhood hurt her, because "
        "people there are treated as if they are dangerous. My first reaction was to say it was "
        "only a joke and that she knew I did not mean it. I felt embarrassed and I defended "
        "myself for a whole evening. The next day I read about how those jokes feed the way "
        "police and landlords treat people there. Growing from it means I apologised to her "
        "without excuses, I stopped the joke, and I now say something when others make it."
    ),
    "introspection_learning": (
        "Right now I mostly learn from a trans colleague who is generous with her time, which "
        "is not fair to her. I want to read more work by Indigenous writers from my region and "
        "listen to the podcast run by a local disability group. When they point out something "
        "I do wrong, I will change it first and talk about my feelings later, with friends, not "
        "with them."
    ),
}


# ---------------------------------------------------------------------------- helpers


def released(course: Path, assignment: str = ASSIGNMENT) -> dict[str, Any]:
    """The student notebook as released (JSON)."""
    path = course / "assignments" / assignment / f"{assignment}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))


def cell_index(nb: dict[str, Any], grade_id: str) -> int:
    return next(
        i
        for i, cell in enumerate(nb["cells"])
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )


def answered(nb: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """A copy of ``nb`` with the given answer cells filled in."""
    nb = copy.deepcopy(nb)
    for grade_id, text in answers.items():
        nb["cells"][cell_index(nb, grade_id)]["source"] = text
    return nb


def submit(
    course: Path, student: str, nb: dict[str, Any] | str, assignment: str = ASSIGNMENT
) -> Path:
    """Place a submission where ``nbgrader collect`` puts it: ``submitted/<student>/<name>``."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb), encoding="utf-8")
    return path


def grades(course: Path, student: str, assignment: str = ASSIGNMENT) -> dict[str, dict[str, Any]]:
    """Per cell: score, auto score, manual score, needs_manual_grade and comments, as stored."""
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, dict[str, Any]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
        for grade in notebook.grades:
            try:
                comment = gb.find_comment(grade.name, assignment, assignment, student)
            except MissingEntry:  # a code test cell has no comment
                comment = None
            out[grade.name] = {
                "score": grade.score,
                "auto_score": grade.auto_score,
                "manual_score": grade.manual_score,
                "needs_manual_grade": grade.needs_manual_grade,
                "auto_comment": comment.auto_comment if comment else None,
                "comment": comment.comment if comment else None,
            }
    return out


def expected_comment(text: str | None, grade_id: str, course: Path) -> str:
    """The comment the grader must store: the rules' reasons for this text (None = deleted)."""
    prompts = load_prompts(ASSIGNMENT, course)
    number, prompt = next((n, p) for n, p in enumerate(prompts, 1) if p.grade_id == grade_id)
    return comment_text(judge(text, prompt, number).reasons)


@pytest.fixture
def generated(course: Path) -> Path:
    """The course copy with the assignment generated into its own gradebook."""
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    return course


# ---------------------------------------------------------------------------- tests


def test_batch_scores_reflections_and_survives_broken_submissions(generated: Path) -> None:
    course = generated
    nb = released(course)
    roots = cell_index(nb, "introspection_roots")

    submit(course, "alice", answered(nb, GENUINE))
    submit(course, "bob", nb)  # untouched

    # carol split her first answer in two cells (both keep the cell's metadata)
    carol = answered(nb, GENUINE)
    first, second = GENUINE["introspection_roots"].split(". ", 1)
    carol["cells"][roots]["source"] = first + "."
    half = copy.deepcopy(carol["cells"][roots])
    half["source"] = second
    half["id"] = "carol-split"
    carol["cells"].insert(roots + 1, half)
    submit(course, "carol", carol)

    # dan copied his answer cell: the copy kept the release text, and one emptied metadata.nbgrader
    # (what nbgrader's DeduplicateIds leaves behind, nbgrader#1083)
    dan = answered(nb, GENUINE)
    for suffix in ("a", "b"):
        dup = copy.deepcopy(nb["cells"][roots])
        dup["id"] = f"dan-copy-{suffix}"
        dan["cells"].insert(roots, dup)
    dan["cells"][roots]["metadata"]["nbgrader"] = {}
    submit(course, "dan", dan)

    # erin deleted her second answer cell (it follows a read-only prompt cell, nbgrader#1682)
    erin = answered(nb, GENUINE)
    del erin["cells"][cell_index(erin, "introspection_growth")]
    submit(course, "erin", erin)

    # frank's file is not a notebook at all
    frank = submit(course, "frank", '{"cells": [ truncated by a crash')

    # gina tampered with the settings and points in her metadata: the trusted ones still apply
    gina = answered(nb, {"introspection_roots": "I learned a lot."})
    cell = gina["cells"][roots]
    cell["metadata"]["allyship"] = {"min_words": 1, "release_text": ""}
    cell["metadata"]["nbgrader"]["points"] = 50
    submit(course, "gina", gina)

    result = nbgrader(course, "autograde", ASSIGNMENT, check=False)

    # the broken file is reported by name and only its owner is skipped
    assert result.returncode != 0
    assert f"{frank}: not valid JSON" in result.stderr
    assert "for student 'frank'" in result.stderr
    assert not (course / "autograded" / "frank").exists()

    total = {s: sum(g["score"] for g in grades(course, s).values()) for s in ("alice", "bob")}
    assert total == {"alice": 3.0, "bob": 0.0}
    for grade_id, text in GENUINE.items():
        alice = grades(course, "alice")[grade_id]
        assert alice["auto_comment"] == expected_comment(text, grade_id, course)
        bob = grades(course, "bob")[grade_id]
        assert bob["auto_score"] == 0.0
        assert bob["needs_manual_grade"] is False
        assert bob["auto_comment"] == expected_comment(
            cell_text(nb["cells"][cell_index(nb, grade_id)]), grade_id, course
        )

    # carol's two halves are graded as one answer, with every word kept
    carol_grades = grades(course, "carol")
    assert carol_grades["introspection_roots"]["score"] == 1.0
    carol_out = json.loads(
        (course / "autograded/carol" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    )
    merged = cell_text(carol_out["cells"][cell_index(carol_out, "introspection_roots")])
    assert first in merged and second in merged

    # dan's untouched copies add nothing, his written answer counts; the run did not abort
    assert {k: g["score"] for k, g in grades(course, "dan").items()} == {
        "introspection_roots": 1.0,
        "introspection_growth": 1.0,
        "introspection_learning": 1.0,
    }

    # erin's deleted answer scores 0 with a reason naming the prompt; the others are graded
    erin_grades = grades(course, "erin")
    assert erin_grades["introspection_growth"]["score"] == 0.0
    assert erin_grades["introspection_growth"]["needs_manual_grade"] is False
    reason = erin_grades["introspection_growth"]["auto_comment"]
    assert "answer cell for prompt 2" in reason and "deleted" in reason
    assert erin_grades["introspection_roots"]["score"] == 1.0

    # gina's short answer is judged with the instructor's settings, out of the real points
    gina_roots = grades(course, "gina")["introspection_roots"]
    assert gina_roots["score"] == 0.0
    assert gina_roots["auto_comment"] == expected_comment(
        "I learned a lot.", "introspection_roots", course
    )


def test_grader_override_survives_rerun(generated: Path) -> None:
    course = generated
    nb = released(course)
    submit(course, "alice", answered(nb, {"introspection_roots": GENUINE["introspection_roots"]}))
    nbgrader(course, "autograde", ASSIGNMENT)
    assert grades(course, "alice")["introspection_growth"]["score"] == 0.0

    # a grader overrides two cells in formgrader (same fields its API handlers write)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for grade_id, score in (("introspection_growth", 0.5), ("introspection_roots", 0.0)):
            grade = gb.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, "alice")
            grade.manual_score = score
            grade.needs_manual_grade = False
            comment = gb.find_comment(grade_id, ASSIGNMENT, ASSIGNMENT, "alice")
            comment.manual_comment = f"Grader note on {grade_id}."
        gb.db.commit()

    nbgrader(course, "autograde", ASSIGNMENT, "--force")

    after = grades(course, "alice")
    assert after["introspection_growth"]["manual_score"] == 0.5
    assert after["introspection_growth"]["score"] == 0.5
    assert after["introspection_growth"]["comment"] == "Grader note on introspection_growth."
    assert after["introspection_roots"]["score"] == 0.0
    assert after["introspection_roots"]["auto_score"] == 1.0  # the rules' score is still there
    assert after["introspection_roots"]["comment"] == "Grader note on introspection_roots."
    # untouched cells keep their automatic comment
    assert (
        after["introspection_learning"]["comment"]
        == after["introspection_learning"]["auto_comment"]
    )


CODE_ASSIGNMENT = "mixed"


def mixed_source(course: Path) -> None:
    """A second assignment: a reflection worth 2 points, then a code answer and its test."""
    src = json.loads((course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    cells = [
        c
        for c in src["cells"]
        if c["metadata"]["nbgrader"]["grade_id"]
        in ("introspection_roots_prompt", "introspection_roots")
    ]
    cells = copy.deepcopy(cells)
    cells[1]["metadata"]["nbgrader"]["points"] = 2

    def code(grade_id: str, source: str, **flags: Any) -> dict[str, Any]:
        meta = {"grade": False, "solution": False, "locked": False, "schema_version": 3}
        meta.update(flags, grade_id=grade_id)
        return {
            "cell_type": "code",
            "execution_count": None,
            "id": grade_id,
            "metadata": {"nbgrader": meta},
            "outputs": [],
            "source": source,
        }

    cells.append(
        code(
            "square",
            "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
            solution=True,
        )
    )
    cells.append(
        code(
            "test_square",
            "assert square(3) == 9\nprint('tested')",
            grade=True,
            locked=True,
            points=1,
        )
    )
    src["cells"] = cells
    folder = course / "source" / CODE_ASSIGNMENT
    folder.mkdir()
    (folder / f"{CODE_ASSIGNMENT}.ipynb").write_text(json.dumps(src))


def test_kernel_only_for_notebooks_with_code_tests(generated: Path) -> None:
    course = generated
    mixed_source(course)
    nbgrader(course, "generate_assignment", CODE_ASSIGNMENT, "--force")
    student_nb = released(course, CODE_ASSIGNMENT)
    solution = cell_index(student_nb, "square")

    right = answered(student_nb, {"introspection_roots": GENUINE["introspection_roots"]})
    right["cells"][solution]["source"] = "def square(x):\n    return x ** 2"
    submit(course, "alice", right, CODE_ASSIGNMENT)
    submit(course, "bob", student_nb, CODE_ASSIGNMENT)
    submit(course, "alice", answered(released(course), GENUINE))

    nbgrader(course, "autograde", CODE_ASSIGNMENT)
    nbgrader(course, "autograde", ASSIGNMENT)

    # the notebook with a code test was executed and its test scored
    out = json.loads((course / "autograded/alice/mixed/mixed.ipynb").read_text())
    test_cell = out["cells"][cell_index(out, "test_square")]
    assert test_cell["execution_count"] is not None
    assert "tested" in json.dumps(test_cell["outputs"])
    alice = grades(course, "alice", CODE_ASSIGNMENT)
    assert alice["test_square"]["score"] == 1.0
    assert alice["introspection_roots"]["score"] == 2.0  # credit × the prompt's 2 points
    assert grades(course, "bob", CODE_ASSIGNMENT)["test_square"]["score"] == 0.0

    # the reflection-only notebook was graded without a kernel: its code cell never ran
    out = json.loads((course / "autograded/alice/introspection/introspection.ipynb").read_text())
    code_cells = [c for c in out["cells"] if c["cell_type"] == "code"]
    assert code_cells and all(c["execution_count"] is None and not c["outputs"] for c in code_cells)
    assert sum(g["score"] for g in grades(course, "alice").values()) == 3.0


def test_answer_text_is_read_like_the_self_check(course: Path) -> None:
    """find_answer merges copies and ignores untouched ones (shared by grader and check)."""
    prompt = load_prompts(ASSIGNMENT, course)[0]
    meta = {"nbgrader": {"grade_id": prompt.grade_id}}
    cells = [
        {"metadata": meta, "source": prompt.release_text},
        {"metadata": meta, "source": "First half."},
        {"metadata": {}, "source": "not an answer"},
        {"metadata": meta, "source": ["Second ", "half."]},
    ]
    assert find_answer(cells, prompt) == "First half.\n\nSecond half."
    assert find_answer(cells[:1], prompt) == prompt.release_text
    assert find_answer(cells[2:3], prompt) is None


def test_a_renamed_answer_id_is_graded_from_its_place_and_flagged(generated: Path) -> None:
    """D-L11: a student renamed an answer cell's grade_id; the text is graded, not zeroed
    silently, and the grader is asked to check it. D-L1: another student flipped the answer
    cells' nbgrader flags; the source's settings are restored and the answers graded."""
    from allyship.check import ADOPTED_REASON

    nb = answered(released(generated), GENUINE)
    renamed = copy.deepcopy(nb)
    renamed["cells"][cell_index(renamed, "introspection_roots")]["metadata"]["nbgrader"][
        "grade_id"
    ] = "my_answer"
    submit(generated, "renamer", renamed)
    flipped = copy.deepcopy(nb)
    for grade_id in GENUINE:
        meta = flipped["cells"][cell_index(flipped, grade_id)]["metadata"]["nbgrader"]
        meta.update(solution=False, grade=False, locked=True)
    submit(generated, "flipper", flipped)
    nbgrader(generated, "autograde", ASSIGNMENT, "--force")

    roots = grades(generated, "renamer")["introspection_roots"]
    prompts = load_prompts(ASSIGNMENT, generated)
    verdict = judge(GENUINE["introspection_roots"], prompts[0], 1)
    assert roots["auto_score"] == verdict.credit * prompts[0].points > 0
    assert roots["needs_manual_grade"] is True
    assert roots["auto_comment"].endswith(ADOPTED_REASON)
    flips = grades(generated, "flipper")
    for number, prompt in enumerate(prompts, 1):
        want = judge(GENUINE[prompt.grade_id], prompt, number)
        assert flips[prompt.grade_id]["auto_score"] == want.credit * prompt.points


def test_a_polite_decline_reaches_the_grader_instead_of_a_silent_zero(generated: Path) -> None:
    """No credit for a refusal to share, but formgrader lists it as needing a look, and the
    student's comment points to the imagined-situation path that earns the same credit."""
    from conftest import DECLINES

    answers = dict(GENUINE, introspection_growth=DECLINES[0])
    submit(generated, "decliner", answered(released(generated), answers))
    nbgrader(generated, "autograde", ASSIGNMENT, "--force")
    growth = grades(generated, "decliner")["introspection_growth"]
    assert growth["auto_score"] == 0 and growth["needs_manual_grade"] is True
    assert "imagined situation" in growth["auto_comment"]
    assert growth["auto_comment"] == expected_comment(
        DECLINES[0], "introspection_growth", generated
    )
