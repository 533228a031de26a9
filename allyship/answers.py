"""From a notebook's cells to verdicts: the one funnel the grader and the self-check share.

The nbgrader plugins (:mod:`allyship.nbgrader_plugins`), ``allyship check``
(:mod:`allyship.check`) and the exports (:mod:`allyship.instructor.results`) read a prompt's
answer out of the cells with :func:`find_answer` and judge it with :func:`judge`, so all of them
say the same thing about the same cell. Only ``json``-level structures are used: no Jupyter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from allyship.course import Prompt, cell_text
from allyship.reflection import Verdict, evaluate
from allyship.reflection.reading import load_reading

#: Notebook-level metadata key (under ``metadata.allyship``) listing the expected answer cells, so
#: the self-check can tell a deleted answer cell from an assignment without that prompt.
ANSWERS_KEY = "answers"

#: Added to the reasons when an answer cell had lost its id and was found by its place after the
#: prompt (D-L11); the grader flags it for review.
ADOPTED_REASON = (
    "Your answer cell's settings had been changed (its id or its nbgrader metadata), so it "
    "was found by its place after the prompt; your instructor will check it."
)


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
    meta = cell.get("metadata", {})
    nbg = meta.get("nbgrader") if isinstance(meta, Mapping) else None
    if isinstance(nbg, Mapping) and nbg.get("grade_id"):
        return str(nbg["grade_id"])
    return None


def nbgrader_ids(cells: Sequence[Any]) -> frozenset[str]:
    """The grade_ids of a notebook's cells, whatever their (editable) nbgrader flags say: how
    the grader and the self-check tell which assignment's notebook a file is."""
    return frozenset(gid for cell in cells if isinstance(cell, Mapping) and (gid := grade_id(cell)))


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
    return evaluate(answer, prompt.rule_settings(), reading=load_reading(prompt.course))


def check_cells(cells: Sequence[Mapping[str, Any]], prompts: Iterable[Prompt]) -> list[ItemResult]:
    """Judge every prompt against a notebook's cells, numbering prompts from 1."""
    return [
        ItemResult(number, prompt, judge(find_answer(cells, prompt), prompt, number))
        for number, prompt in enumerate(prompts, start=1)
    ]


def adopted_index(
    cells: Sequence[Mapping[str, Any]], prompt_id: str | None, known_ids: frozenset[str]
) -> int | None:
    """Where the grader finds an answer cell whose id was changed or whose metadata was removed.

    The Markdown cell right after the prompt's locked cell, when it carries no id the course
    knows (the grader strips unknown nbgrader metadata first), as ``RepairAnswerCells`` adopts
    it: the text is graded and flagged rather than zeroed as deleted (D-L11).
    """
    where = [i for i, cell in enumerate(cells) if prompt_id and grade_id(cell) == prompt_id]
    if not where or where[0] + 1 >= len(cells):
        return None
    cell = cells[where[0] + 1]
    if cell.get("cell_type") != "markdown" or grade_id(cell) in known_ids:
        return None
    return where[0] + 1


def adopted_verdict(verdict: Verdict) -> Verdict:
    """The grader's verdict on an adopted answer: its reasons plus why, sent for review."""
    status = "flagged" if verdict.status == "complete" else verdict.status
    return replace(
        verdict,
        status=status,
        reasons=(*verdict.reasons, ADOPTED_REASON),
        checks=(*verdict.checks, "adopted"),
    )


def answers_metadata(prompts: Iterable[Prompt]) -> list[dict[str, Any]]:
    """What the release writes at notebook level: the expected answer cells, in order."""
    return [{"grade_id": p.grade_id, "title": p.title, "points": p.points} for p in prompts]
