"""Sphinx extension: show an assignment's reflection prompts in the book.

The prompts live once, in the instructor's ``source/`` notebooks; the directive reads them at
build time so the book and the assignment can never disagree::

    ```{reflection-prompts} introspection
    ```

It renders the prompts (title, text, minimum length) and a link to download the student notebook
from ``assignments/``. The link is set in the body font and styled as a button by
``book/_static/allyship-book.css``, which this extension adds to every page.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from allyship.course import CourseError, find_course_root, load_prompts
from allyship.reflection.model import MODEL_PATH
from allyship.reflection.reading import READING_FIELDS, READING_KEY


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
        container = nodes.container(classes=["reflection-prompts"])
        self.state.nested_parse(StringList(lines, source=self.env.docname), 0, container)
        container += nodes.paragraph("", "", self._download_link(assignment, rel))
        return [container]

    def _download_link(self, assignment: str, rel: str) -> nodes.Node:
        """What ``{download}`` makes, minus its code-font ``literal``: plain text in a link that
        the book's stylesheet turns into a button (Sphinx still copies the file)."""
        link = addnodes.download_reference(
            "",
            "",
            nodes.inline("", f"Download the student notebook ({assignment}.ipynb)"),
            refdoc=self.env.docname,
            refdomain="",
            reftype="download",
            refexplicit=True,
            refwarn=False,
            reftarget=rel,
            classes=["allyship-download"],
        )
        self.set_source_info(link)
        return link


class CourseReading(SphinxDirective):
    """The reading the course is built on, as the instructor configured it
    (``sphinx.config.allyship_reading`` in ``_config.yml``): its title, author and link, or a
    note that none is named yet, which the rest of the book does not need."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        settings = self.env.config[READING_KEY] or {}
        if not isinstance(settings, dict):
            raise self.error(f"_config.yml: sphinx.config.{READING_KEY} must be a mapping")
        title, author, url = (str(settings.get(k) or "").strip() for k in READING_FIELDS[:3])
        box = nodes.container(classes=["course-reading"])
        if not title:
            note = nodes.note()
            note += nodes.paragraph(
                "",
                "This course has not named its reading here yet. Nothing else depends on it: "
                "every chapter explains the ideas in its own words, and your instructor can tell "
                "you the reading's title, author and where to find it.",
            )
            box += note
            return [box]
        intro = nodes.paragraph("", "This course is built on ")
        intro += nodes.strong("", title)
        intro += nodes.Text(f" by {author}." if author else ".")
        box += intro
        if url.startswith(("https://", "http://")):
            link = nodes.paragraph("", "Read it in full at ")
            link += nodes.reference("", url, refuri=url)
            link += nodes.Text(".")
            box += link
        else:
            if url:
                message = f"_config.yml: {READING_KEY}.url must start with https://: {url!r}"
                raise self.error(message)
            box += nodes.paragraph("", "Your instructor will tell you where to read it in full.")
        return [box]


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
    app.add_directive("course-reading", CourseReading)
    app.add_config_value(READING_KEY, dict.fromkeys(READING_FIELDS, ""), "env", types=[dict])
    # Loaded on every page from the book's static folder (html_static_path: book/_static).
    app.add_css_file("allyship-book.css")
    # Only when printing: a page (a facilitator's session plan) prints as its article alone.
    app.add_css_file("allyship-print.css", media="print")
    app.connect("build-finished", publish_learned_model)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
