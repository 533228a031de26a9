"""Turn the answer cells of a notebook into verdicts: one implementation for grader and student.

The nbgrader plugins (``allyship.nbgrader_plugins``) and ``allyship check`` both call
:func:`find_answer` to read a prompt's answer out of a notebook's cells and :func:`judge` to turn
it into a :class:`~allyship.reflection.Verdict`, so the self-check says exactly what the grader
will say. The grader takes the trusted settings from the instructor's ``source/`` notebook; the
self-check, run by a student who has only the released notebook, takes them from the metadata the
release wrote into that notebook (normally identical). Only ``json`` is used here: no Jupyter.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allyship.course import (
    METADATA_KEY,
    CourseError,
    Prompt,
    cell_text,
    prompts_from_notebook,
    read_notebook_json,
)
from allyship.reflection import Verdict, evaluate

#: Notebook-level metadata key (under ``metadata.allyship``) listing the expected answer cells, so
#: the self-check can tell a deleted answer cell from an assignment without that prompt.
ANSWERS_KEY = "answers"


@dataclass(frozen=True)
class ItemResult:
    """The verdict on one prompt of a notebook."""

    number: int
    prompt: Prompt
    verdict: Verdict

    @property
    def score(self) -> float:
        return self.verdict.credit * self.prompt.points


def grade_id(cell: Mapping[str, Any]) -> str | None:
    """The nbgrader id of a cell, or None (tolerates the broken metadata students can produce)."""
    nbg = cell.get("metadata", {}).get("nbgrader")
    if isinstance(nbg, Mapping) and nbg.get("grade_id"):
        return str(nbg["grade_id"])
    return None


def deleted_verdict(number: int, prompt: Prompt) -> Verdict:
    """The verdict when a prompt's answer cell is missing from the notebook (nbgrader#1682)."""
    title = f" ({prompt.title})" if prompt.title else ""
    reason = (
        f"The answer cell for prompt {number}{title} was deleted, so there was nothing to grade. "
        "Get a fresh copy of the notebook, write your answer in the cell under the prompt, "
        "and submit again."
    )
    return Verdict("incomplete", 0.0, (reason,), 0, ("deleted",))


def find_answer(cells: Sequence[Mapping[str, Any]], prompt: Prompt) -> str | None:
    """The text a student wrote for ``prompt``, or None when its answer cell is gone.

    A copied or split answer cell leaves several cells with the prompt's id: their texts are
    joined in order, leaving out copies still empty or holding the release text, so no word the
    student wrote is lost and an untouched copy adds nothing.
    """
    texts = [cell_text(cell) for cell in cells if grade_id(cell) == prompt.grade_id]
    if not texts:
        return None
    release = prompt.release_text.strip()
    written = [text for text in texts if text.strip() and text.strip() != release]
    if not written:
        return texts[0]
    return "\n\n".join(text.strip("\n") for text in written)


def judge(answer: str | None, prompt: Prompt, number: int) -> Verdict:
    """The verdict on one answer (None: the answer cell was deleted)."""
    if answer is None:
        return deleted_verdict(number, prompt)
    return evaluate(answer, prompt.rule_settings())


def check_cells(cells: Sequence[Mapping[str, Any]], prompts: Iterable[Prompt]) -> list[ItemResult]:
    """Judge every prompt against a notebook's cells, numbering prompts from 1."""
    return [
        ItemResult(number, prompt, judge(find_answer(cells, prompt), prompt, number))
        for number, prompt in enumerate(prompts, start=1)
    ]


def answers_metadata(prompts: Iterable[Prompt]) -> list[dict[str, Any]]:
    """What the release writes at notebook level: the expected answer cells, in order."""
    return [{"grade_id": p.grade_id, "title": p.title, "points": p.points} for p in prompts]


def released_prompts(data: Mapping[str, Any], assignment: str) -> list[Prompt]:
    """The prompts of a released (student) notebook, from the metadata the release wrote.

    Settings come from the answer cells; the notebook-level list adds the prompts whose answer
    cell was deleted, so they are reported instead of silently skipped.
    """
    found: dict[str, Prompt] = {}
    for prompt in prompts_from_notebook(dict(data), assignment):
        found.setdefault(prompt.grade_id, prompt)  # a copied answer cell: the first copy counts
    expected = data.get("metadata", {}).get(METADATA_KEY, {}).get(ANSWERS_KEY)
    if not isinstance(expected, list):
        return list(found.values())
    prompts = []
    for entry in expected:
        gid = str(entry.get("grade_id"))
        prompts.append(
            found.get(gid)
            or Prompt(
                assignment=assignment,
                grade_id=gid,
                title=str(entry.get("title", "")),
                text="",
                points=float(entry.get("points", 0)),
            )
        )
    return prompts


def check_file(path: Path | str) -> list[ItemResult]:
    """Judge a student notebook file; raises CourseError naming the file when it is unusable."""
    path = Path(path)
    not_a_notebook = f"{path} is not a Jupyter notebook (.ipynb file)"
    if path.suffix.lower() != ".ipynb":
        raise CourseError(not_a_notebook)
    try:
        data = read_notebook_json(path)
    except CourseError as err:
        cause = err.__cause__
        if isinstance(cause, json.JSONDecodeError):  # e.g. a text file renamed to .ipynb
            detail = f"not valid JSON (line {cause.lineno}: {cause.msg})"
            raise CourseError(f"{not_a_notebook}: {detail}") from cause
        raise
    prompts = released_prompts(data, path.stem)
    if not prompts:
        raise CourseError(f"{path}: no reflection prompts found (is this an allyship notebook?)")
    return check_cells(data["cells"], prompts)


def format_report(path: Path | str, results: Sequence[ItemResult]) -> str:
    """A plain-text summary: one block per prompt with the grader's verdict and reasons."""
    lines = [f"Self-check of {Path(path).name}"]
    for item in results:
        title = f": {item.prompt.title}" if item.prompt.title else ""
        label = {"complete": "complete", "flagged": "complete, an instructor will read it"}.get(
            item.verdict.status, "incomplete"
        )
        lines.append("")
        lines.append(
            f"Prompt {item.number}{title}: {label} "
            f"({item.score:g} of {item.prompt.points:g} points, {item.verdict.words} words)"
        )
        lines.extend(f"  - {reason}" for reason in item.verdict.reasons)
    todo = sum(item.verdict.status == "incomplete" for item in results)
    lines.append("")
    if todo:
        lines.append(f"{todo} of {len(results)} prompts still need work.")
    else:
        lines.append(f"All {len(results)} prompts are complete.")
    return "\n".join(lines)


def check_notebook(path: Path | str) -> None:
    """Check a saved notebook and print the summary; made for the last cell of each assignment.

    Inside the notebook, errors are printed rather than raised, so the cell shows one clear line.
    Returns nothing: as a cell's last expression, a value would be shown as a long repr.
    """
    try:
        results = check_file(path)
    except CourseError as err:
        print(f"Could not check the notebook: {err}", file=sys.stderr)
        return
    print(format_report(path, results))
