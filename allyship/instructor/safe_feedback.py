"""Feedback that shows what a student wrote as text, never as live HTML.

nbgrader's feedback template renders Markdown answer cells (and comments) with
``markdown2html`` and no sanitizing, whatever ``HTMLExporter.sanitize_html`` says, so a
``<script>`` or ``<img onerror>`` in a reflection runs when the instructor or the student opens
the feedback. This preprocessor, run by ``generate_feedback`` after ``GetGrades``, escapes HTML
in answer cells and comments (answers only when the autograded copy is not escaped
already): the words show exactly as typed and no tag survives.
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from allyship.nbgrader_plugins import escape_html

DOTTED = "allyship.instructor.safe_feedback.EscapeStudentHtml"


class EscapeStudentHtml(Preprocessor):
    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off by default
    escape_answers = Bool(
        True, help="escape answer cells too (off when autograde already escaped them)"
    ).tag(config=True)

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if self.escape_answers and cell.cell_type == "markdown" and nbg.get("solution"):
            cell.source = escape_html(cell.source)
        if isinstance(nbg.get("comment"), str):
            nbg["comment"] = escape_html(nbg["comment"])
        return cell, resources


def _names(classes: list[Any]) -> set[str]:
    return {c if isinstance(c, str) else f"{c.__module__}.{c.__qualname__}" for c in classes}


def safe_feedback_config(config: Any) -> None:
    """Add our preprocessor to ``generate_feedback`` (after ``GetGrades``), in ``config``.

    When the course's autograde already escapes answers for display (the plugins'
    ``EscapeStudentHtml``), only comments are escaped here, so nothing is escaped twice.
    """
    from nbgrader.converters import Autograde, GenerateFeedback

    def current(cls: Any, name: str) -> list[Any]:
        section = config[cls.__name__]
        return list(section[name] if name in section else cls.class_traits()[name].default())

    feedback = current(GenerateFeedback, "preprocessors")
    if DOTTED not in _names(feedback):
        config.GenerateFeedback.preprocessors = [*feedback, EscapeStudentHtml]
    autograde = _names(current(Autograde, "autograde_preprocessors"))
    config.EscapeStudentHtml.escape_answers = not any(
        n.endswith(".EscapeStudentHtml") and n != DOTTED for n in autograde
    )
