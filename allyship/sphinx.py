"""Sphinx extension: show an assignment's reflection prompts in the book.

The prompts live once, in the instructor's ``source/`` notebooks; the directive reads them at
build time so the book and the assignment can never disagree::

    ```{reflection-prompts} introspection
    ```

It renders the prompts (title, text, minimum length) and a link to download the student notebook
from ``assignments/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from allyship.course import CourseError, find_course_root, load_prompts
from allyship.reflection.model import MODEL_PATH


class ReflectionPrompts(SphinxDirective):
    """Render the prompts of the assignment named in the argument."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        assignment = self.arguments[0]
        root = find_course_root(Path(self.env.srcdir))
        try:
            prompts = load_prompts(assignment, root)
        except CourseError as err:
            raise self.error(str(err)) from err
        student_nb = root / "assignments" / assignment / f"{assignment}.ipynb"
        self.env.note_dependency(str(root / "source" / assignment / f"{assignment}.ipynb"))
        doc_dir = Path(self.env.doc2path(self.env.docname)).parent
        rel = Path(os.path.relpath(student_nb, doc_dir)).as_posix()

        lines: list[str] = []
        for number, prompt in enumerate(prompts, 1):
            lines += [
                f"**Prompt {number}: {prompt.title}**",
                "",
                prompt.text,
                "",
                f"*Write at least {prompt.min_words} words.*",
                "",
            ]
        lines += [
            f"{{download}}`Download the student notebook ({assignment}.ipynb) <{rel}>`",
            "",
        ]
        container = nodes.container(classes=["reflection-prompts"])
        self.state.nested_parse(StringList(lines, source=self.env.docname), 0, container)
        return [container]


def publish_learned_model(app: Sphinx, exception: Exception | None) -> None:
    """Put the learned model beside the book's static files, where the journal fetches it when
    a learner starts writing (never on page load: it is not part of any page's weight)."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "allyship"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MODEL_PATH, target / "model.json")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("reflection-prompts", ReflectionPrompts)
    app.connect("build-finished", publish_learned_model)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
