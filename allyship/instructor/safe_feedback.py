"""Feedback that shows what a student wrote as text, never as live HTML.

nbgrader's feedback template renders Markdown answer cells (and comments) with
``markdown2html`` and no sanitizing, whatever ``HTMLExporter.sanitize_html`` says, so a
``<script>`` or ``<img onerror>`` in a reflection runs when the instructor or the student opens
the feedback. This preprocessor, run by ``generate_feedback`` after ``GetGrades``, escapes ``<``
and ``&`` in answer cells and comments: the words show exactly as typed, Markdown formatting
still works, and no tag survives.
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

DOTTED = "allyship.instructor.safe_feedback.EscapeStudentHtml"


def escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


class EscapeStudentHtml(Preprocessor):
    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off by default

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and nbg.get("solution"):
            cell.source = escape_markup(cell.source)
        if isinstance(nbg.get("comment"), str):
            nbg["comment"] = escape_markup(nbg["comment"])
        return cell, resources


def with_safe_feedback(preprocessors: list[Any]) -> list[Any]:
    """The feedback preprocessors with ours added at the end (after ``GetGrades``)."""
    names = {p if isinstance(p, str) else f"{p.__module__}.{p.__qualname__}" for p in preprocessors}
    return list(preprocessors) if DOTTED in names else [*preprocessors, EscapeStudentHtml]
