"""nbgrader preprocessors that plug the reflection rules into the real pipeline.

Thin adapters only: all judgement is in ``allyship.reflection``, reached through
``allyship.answers`` (the same functions the student self-check uses). These classes map cells to
trusted settings (read from the instructor's ``source/`` notebook, never from a submission, whose
metadata a student can edit) and verdicts to gradebook entries. ``nbgrader_config.py`` names them
by dotted path, so formgrader, the CLI and ``NbGraderAPI`` all load them from the installed
package.
"""

from __future__ import annotations

import copy
import html
import logging
import re
import urllib.parse
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from mistune.util import escape_url as mistune_escape_url
from mistune.util import striptags
from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader import utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearSolutions, Execute, NbGraderPreprocessor, SaveAutoGrades
from traitlets import Bool
from traitlets.config import Application

from allyship.answers import (
    ANSWERS_KEY,
    adopted_index,
    adopted_verdict,
    answers_metadata,
    find_answer,
    grade_id,
    judge,
)
from allyship.course import (
    METADATA_KEY,
    CourseError,
    Prompt,
    prompts_from_notebook,
    read_notebook_json,
)

#: Set by the sanitize pass on an answer cell it had to add back; read by the grading pass.
RESTORED_KEY = "restored"
#: Set on a cell taken as the answer because it follows its prompt, though its id was changed.
ADOPTED_KEY = "adopted"


# --------------------------------------------------------------------------- trusted settings


@lru_cache(maxsize=32)
def _source_cells(path: str, mtime: float) -> tuple[dict[str, Any], ...]:
    return tuple(read_notebook_json(Path(path))["cells"])


def source_path(config: Any, assignment: str, notebook: str) -> Path:
    """The instructor's version of a notebook, located through the course configuration."""
    coursedir = CourseDirectory(config=config)
    folder = coursedir.format_path(coursedir.source_directory, ".", assignment)
    return Path(folder) / f"{notebook}.ipynb"


def source_cells(path: Path) -> tuple[dict[str, Any], ...]:
    """The cells of a source notebook (cached while the file is unchanged)."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError as err:
        raise CourseError(f"{path}: source notebook not found") from err
    return _source_cells(str(path), mtime)


def trusted_prompts(config: Any, resources: ResourcesDict) -> list[Prompt]:
    """The reflection prompts of the notebook being graded, as the instructor wrote them."""
    info = resources["nbgrader"]
    path = source_path(config, info["assignment"], info["notebook"])
    return prompts_from_notebook({"cells": list(source_cells(path))}, info["assignment"])


# --------------------------------------------------------------------------- release


class ReleaseTextClearSolutions(ClearSolutions):
    """ClearSolutions that gives each reflection its own starting text (``release_text``).

    Other solution cells get nbgrader's stubs. The release also records, at notebook level, the
    list of expected answer cells, so the student's self-check can report a deleted one.
    Checksums are computed after this step, so "unchanged" still means "no response".
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[Any, ResourcesDict]:
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        prompts = prompts_from_notebook(nb, assignment)
        if prompts:
            meta = nb.metadata.setdefault(METADATA_KEY, {})
            meta[ANSWERS_KEY] = answers_metadata(prompts)
        return super().preprocess(nb, resources)

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        release = cell.metadata.get(METADATA_KEY, {}).get("release_text")
        if cell.cell_type == "markdown" and utils.is_solution(cell) and release:
            cell.source = str(release)
        return cell, resources


# --------------------------------------------------------------------------- autograde: sanitize


class RepairAnswerCells(NbGraderPreprocessor):
    """Repair a submission against its source before nbgrader's own checks see it.

    Runs first in ``Autograde.sanitize_preprocessors`` so that one student's broken notebook is
    graded instead of aborting the whole run:

    - every cell carrying a source cell's id gets the source's nbgrader metadata back (students
      can edit metadata; an empty or outdated copy aborts the run, nbgrader#1083);
    - a copied or split answer cell is merged into one cell, keeping every word the student wrote;
      other duplicated ids keep their last copy, as nbgrader does, and the rest become plain cells;
    - a deleted answer cell is added back empty after its prompt and marked, so the grading pass
      gives it 0 with a reason (nbgrader#1682).
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[Any, ResourcesDict]:
        info = resources["nbgrader"]
        path = source_path(self.config, info["assignment"], info["notebook"])
        src_cells = source_cells(path)
        prompts = prompts_from_notebook({"cells": list(src_cells)}, info["assignment"])
        trusted = {gid: cell for cell in src_cells if (gid := grade_id(cell))}
        cells = [self._restore_metadata(cell, trusted) for cell in nb.cells]
        for prompt in prompts:
            cells = self._merge_answer(cells, prompt)
        cells = self._drop_duplicate_ids(cells)
        for number, prompt in enumerate(prompts, start=1):
            present = any(grade_id(cell) == prompt.grade_id for cell in cells)
            if not present and not self._adopt(cells, prompt, src_cells):
                cells = self._add_back(cells, prompt, number, src_cells)
        nb.cells = cells
        return nb, resources

    def _restore_metadata(self, cell: NotebookNode, trusted: dict[str, Any]) -> NotebookNode:
        cell.metadata.pop(METADATA_KEY, None)  # ours is never taken from a submission
        if "nbgrader" not in cell.metadata:
            return cell
        gid = grade_id(cell)
        if gid in trusted:
            cell.metadata["nbgrader"] = from_dict(
                copy.deepcopy(trusted[gid]["metadata"]["nbgrader"])
            )
        else:
            self.log.warning("Removing unknown or broken nbgrader metadata from a cell")
            del cell.metadata["nbgrader"]
        return cell

    def _merge_answer(self, cells: list[NotebookNode], prompt: Prompt) -> list[NotebookNode]:
        copies = [i for i, cell in enumerate(cells) if grade_id(cell) == prompt.grade_id]
        if len(copies) < 2:
            return cells
        self.log.warning("Answer cell %s appears %d times: merging", prompt.grade_id, len(copies))
        first = cells[copies[0]]
        first.source = find_answer(cells, prompt) or ""
        return [cell for i, cell in enumerate(cells) if i not in copies[1:]]

    def _drop_duplicate_ids(self, cells: list[NotebookNode]) -> list[NotebookNode]:
        last = {grade_id(cell): i for i, cell in enumerate(cells) if grade_id(cell)}
        for i, cell in enumerate(cells):
            gid = grade_id(cell)
            if gid and last[gid] != i:
                self.log.warning("Cell %s appears more than once: keeping the last copy", gid)
                del cell.metadata["nbgrader"]
        return cells

    def _adopt(
        self, cells: list[NotebookNode], prompt: Prompt, src_cells: tuple[dict[str, Any], ...]
    ) -> bool:
        """Take the Markdown cell right after the prompt as its answer when the answer's id was
        renamed or its metadata removed: the text is graded and flagged, not lost (D-L11)."""
        src = next(cell for cell in src_cells if grade_id(cell) == prompt.grade_id)
        at = src_cells.index(src)
        prompt_id = grade_id(src_cells[at - 1]) if at else None
        known = frozenset(gid for cell in src_cells if (gid := grade_id(cell)))
        index = adopted_index(cells, prompt_id, known)
        if index is None:
            return False
        self.log.warning(
            "Answer cell %s had lost its id: taking the cell after its prompt", prompt.grade_id
        )
        cells[index].metadata["nbgrader"] = from_dict(copy.deepcopy(src["metadata"]["nbgrader"]))
        cells[index].metadata[METADATA_KEY] = from_dict({ADOPTED_KEY: True})
        return True

    def _add_back(
        self,
        cells: list[NotebookNode],
        prompt: Prompt,
        number: int,
        src_cells: tuple[dict[str, Any], ...],
    ) -> list[NotebookNode]:
        self.log.warning("Answer cell %s was deleted: adding it back empty", prompt.grade_id)
        src = next(cell for cell in src_cells if grade_id(cell) == prompt.grade_id)
        cell = from_dict(
            {
                "cell_type": "markdown",
                "metadata": {
                    "nbgrader": copy.deepcopy(src["metadata"]["nbgrader"]),
                    METADATA_KEY: {RESTORED_KEY: True},
                },
                "source": "",
            }
        )
        before = [grade_id(c) for c in src_cells[: src_cells.index(src)] if grade_id(c)]
        present = {grade_id(c): i for i, c in enumerate(cells) if grade_id(c)}
        anchors = [present[gid] for gid in reversed(before) if gid in present]
        at = anchors[0] + 1 if anchors else 0
        return [*cells[:at], cell, *cells[at:]]


# --------------------------------------------------------------------------- autograde: execute


def has_code_tests(nb: NotebookNode) -> bool:
    """True when a notebook has a code grade cell, the only thing a kernel is needed for."""
    return any(cell.cell_type == "code" and utils.is_grade(cell) for cell in nb.cells)


class ExecuteWhenTested(Execute):
    """nbgrader's Execute, skipped for a notebook without code test cells.

    Decided per notebook: reflection-only notebooks are graded without starting a kernel, while a
    notebook with code tests still runs them (``--no-execute`` would score saved outputs).
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict, *args: Any, **kw: Any) -> Any:
        if not has_code_tests(nb):
            self.log.info("No code test cells: grading without a kernel")
            return nb, resources
        return super().preprocess(nb, resources, *args, **kw)


# --------------------------------------------------------------------------- autograde: scores


def comment_text(reasons: tuple[str, ...]) -> str:
    """The reasons as one comment (Markdown in the feedback, plain text in formgrader)."""
    if len(reasons) == 1:
        return reasons[0]
    return "\n".join(f"- {reason}" for reason in reasons)


class ReflectionAutoGrades(SaveAutoGrades):
    """SaveAutoGrades that scores reflection answers with the reflection rules.

    Auto score = credit × points, the reasons become the auto comment, a flagged answer keeps its
    credit and is marked for manual grading. Manual scores and comments are never touched, so a
    re-run keeps every override (as in nbgrader, an overridden cell is marked for review again).
    Other cells (code tests, tasks) are scored by nbgrader as usual. Must run before
    ``AssignLatePenalties``, which reads the notebook's score.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[Any, ResourcesDict]:
        prompts = trusted_prompts(self.config, resources)
        self._numbered = {p.grade_id: (n, p) for n, p in enumerate(prompts, start=1)}
        self._verdicts: dict[str, Any] = {}
        return super().preprocess(nb, resources)

    def _verdict(self, cell: NotebookNode) -> Any:
        gid = cell.metadata["nbgrader"]["grade_id"]
        if gid not in self._verdicts:
            number, prompt = self._numbered[gid]
            ours = cell.metadata.get(METADATA_KEY, {})
            answer = None if ours.get(RESTORED_KEY) else find_answer([cell], prompt)
            verdict = judge(answer, prompt, number)
            if ours.get(ADOPTED_KEY):
                verdict = adopted_verdict(verdict)
            self._verdicts[gid] = (verdict, prompt, bool(ours.get(ADOPTED_KEY)))
        return self._verdicts[gid]

    def _is_reflection(self, cell: NotebookNode) -> bool:
        return grade_id(cell) in self._numbered

    def _add_score(self, cell: NotebookNode, resources: ResourcesDict) -> None:
        if not self._is_reflection(cell):
            return super()._add_score(cell, resources)
        verdict, prompt, adopted = self._verdict(cell)
        grade = self.gradebook.find_grade(
            prompt.grade_id, self.notebook_id, self.assignment_id, self.student_id
        )
        grade.auto_score = verdict.credit * prompt.points
        flagged = verdict.needs_review or adopted
        grade.needs_manual_grade = flagged or grade.manual_score is not None
        self.gradebook.db.commit()

    def _add_comment(self, cell: NotebookNode, resources: ResourcesDict) -> None:
        if not self._is_reflection(cell):
            return super()._add_comment(cell, resources)
        verdict, prompt, _ = self._verdict(cell)
        comment = self.gradebook.find_comment(
            prompt.grade_id, self.notebook_id, self.assignment_id, self.student_id
        )
        comment.auto_comment = comment_text(verdict.reasons)
        self.gradebook.db.commit()


# --------------------------------------------------------------------------- autograde: display

#: Link schemes kept clickable in an answer; anything else (``javascript:``, ``data:``, relative
#: and protocol-relative addresses...) is shown as text.
SAFE_LINK_SCHEMES = ("http", "https", "mailto")
#: Never in a kept link, even percent-encoded: they only serve to break out of an attribute or a
#: script string (formgrader writes ids from its address into a script, D-H7).
_LINK_BREAKERS = frozenset("\"'<>\\`")
_SHOWN_URL = 120  # characters of a refused address shown to the grader
#: The wrapper of an answer made safe for display (one line: Markdown passes it through as is).
DISPLAY_OPEN, DISPLAY_CLOSE = '<div class="allyship-answer">', "</div>"


def _decoded_url(url: str) -> str:
    """``url`` as a browser or a server would finally read it: entities and %-escapes undone."""
    for _ in range(4):
        plain = urllib.parse.unquote(html.unescape(url))
        if plain == url:
            break
        url = plain
    return url


def is_safe_link(url: str) -> bool:
    """Whether a student's link may stay clickable: an absolute http(s) address with a host, or
    a ``mailto:``; no whitespace or control character and none of ``" ' < > \\ ` `` anywhere,
    also not encoded. So ``JaVaScRiPt:``, ``java&#x09;script:``, ``data:``, ``file:``,
    ``//host``, ``http:/path`` (relative to the grader's own server) and ``/formgrader/...``
    are all refused."""
    plain = _decoded_url(url)
    if not plain or any(c in _LINK_BREAKERS or c.isspace() or not c.isprintable() for c in plain):
        return False
    scheme, colon, rest = plain.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in SAFE_LINK_SCHEMES:
        return False
    if scheme == "mailto":
        return bool(rest)
    return rest.startswith("//") and rest[2:3] not in ("", "/", "?", "#")


def _shown_url(url: str) -> str:
    plain = _decoded_url(url)
    return plain if len(plain) <= _SHOWN_URL else plain[: _SHOWN_URL - 1] + "…"


class _InertRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer with a student's text kept inert.

    Raw HTML and entities are shown as typed; a link stays a link only when
    :func:`is_safe_link` allows it (then it opens in a new tab without a referrer); any other
    link, and every image (a remote one would load when the page opens: a tracking beacon or a
    request to the grader's own server), is shown as text with its address.
    """

    def __init__(self) -> None:
        super().__init__(escape=True, exclude_anchor_links=True)

    def link(self, text: str, url: str, title: str | None = None) -> str:
        if not is_safe_link(url):
            shown = html.escape(_shown_url(url))
            return text if html.unescape(text) == _decoded_url(url) else f"{text} ({shown})"
        attrs = {"href": mistune_escape_url(url), "title": title or None}
        attrs.update(target="_blank", rel="noopener noreferrer nofollow")
        return "<a" + self.render_attrs(attrs) + ">" + text + "</a>"

    def image(self, text: str, url: str, title: str | None = None) -> str:
        alt = html.escape(html.unescape(striptags(text)).strip())
        shown = "an image attached to the notebook" if url.startswith("attachment:") else url
        return f"[image{': ' + alt if alt else ''}] ({html.escape(_shown_url(shown))})"

    def block_code(self, code: str, info: str | None = None) -> str:  # no Mermaid, no lexer
        return "<pre><code>" + html.escape(code) + "</code></pre>\n"


class _InertHtml(HTMLParser):
    """Rebuild rendered Markdown from an allowlist: the last word on what reaches the browser.

    Only these tags, with only these attributes, are written; every other tag is dropped (its
    text kept, except inside ``script``/``style``-like elements), all text and attribute values
    are escaped again, and a link is kept only if :func:`is_safe_link` still allows its address.
    The result is one line (newlines in ``pre`` become ``&#10;``), so when the Markdown of the
    cell is rendered again by nbconvert it is one HTML block, passed through unchanged.
    """

    TAGS = frozenset(
        {"p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote", "sup", "sub"}
        | {"ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "a"}
        | {"table", "thead", "tbody", "tr", "th", "td"}
    )
    VOID = frozenset({"br", "hr"})
    DROP_WITH_CONTENT = frozenset(
        {"script", "style", "template", "iframe", "object", "svg", "math"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0
        self.in_pre = 0

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        found = {name: value or "" for name, value in attrs}
        kept: dict[str, str] = {}
        if tag == "a":
            kept = {
                "href": found["href"],
                "target": "_blank",
                "rel": "noopener noreferrer nofollow",
            }
            if found.get("title"):
                kept["title"] = found["title"]
        elif tag == "ol" and found.get("start", "").isdigit():
            kept["start"] = found["start"]
        elif tag in ("th", "td") and re.fullmatch(
            r"text-align:(left|right|center)", found.get("style", "")
        ):
            kept["style"] = found["style"]
        return "".join(f' {name}="{html.escape(value)}"' for name, value in kept.items())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.DROP_WITH_CONTENT:
            self.skipping += 1
            return
        if self.skipping:
            return
        if tag == "input" and dict(attrs).get("type") == "checkbox":  # a task list item
            self.out.append("[x] " if "checked" in dict(attrs) else "[ ] ")
            return
        if tag == "img":  # never loaded: its alt text and address, as text
            found = dict(attrs)
            self.handle_data(
                f"[image: {found.get('alt') or ''}] ({_shown_url(found.get('src') or '')})"
            )
            return
        if tag not in self.TAGS or (tag == "a" and not is_safe_link(dict(attrs).get("href") or "")):
            return
        self.out.append(f"<{tag}{self._attrs(tag, attrs)}>")
        if tag not in self.VOID:
            self.open.append(tag)
            self.in_pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        depth = len(self.open)
        self.handle_starttag(tag, attrs)
        if tag in self.DROP_WITH_CONTENT:
            self.skipping -= 1
        elif len(self.open) > depth:  # <p/> and the like: opened, so closed at once
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.DROP_WITH_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in self.open:
            return
        while self.open:
            closed = self.open.pop()
            self.in_pre -= closed == "pre"
            self.out.append(f"</{closed}>")
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = html.escape(data.replace("\r\n", "\n").replace("\r", "\n"), quote=False)
        self.out.append(text.replace("\n", "&#10;" if self.in_pre else " "))

    def result(self) -> str:
        self.close()
        closing = "".join(f"</{tag}>" for tag in reversed(self.open))
        return ("".join(self.out) + closing).strip()


def inert_html(markup: str) -> str:
    """``markup`` rebuilt from the allowlist of :class:`_InertHtml`, on one line."""
    parser = _InertHtml()
    parser.feed(markup)
    return parser.result()


def inert_markdown(text: str) -> str:
    """A student's Markdown as display-only HTML that nothing in it can make act.

    Rendered like nbconvert renders Markdown (same parser and plugins; math left for MathJax),
    with raw HTML shown as text, links kept only for safe addresses, images as text; then rebuilt
    from an allowlist, wrapped in one ``<div>`` on one line. formgrader and the feedback render
    a cell's Markdown again, and pass that block through unchanged.
    """
    rendered = MarkdownWithMath(renderer=_InertRenderer()).render(text)
    return DISPLAY_OPEN + inert_html(rendered) + DISPLAY_CLOSE


#: Output formats shown as they are: text (escaped by nbconvert) and pictures inlined as data.
SHOWN_OUTPUTS = ("text/plain", "image/png", "image/jpeg")


def inert_outputs(outputs: list[Any]) -> None:
    """Keep only :data:`SHOWN_OUTPUTS` of code outputs (the student's code made them, even in
    a test cell): nbconvert writes HTML, JavaScript, SVG and Markdown outputs into the page."""
    for output in outputs:
        data = output.get("data")
        if output.get("output_type") in ("display_data", "execute_result") and data:
            hidden = sorted(set(data) - set(SHOWN_OUTPUTS))
            for mimetype in hidden:
                del data[mimetype]
            if hidden and not data:
                data["text/plain"] = f"[output not shown here: {', '.join(hidden)}]"


class EscapeStudentHtml(NbGraderPreprocessor):
    """Make everything a student could write inert, once grading is done.

    Formgrader and the feedback render Markdown with raw HTML, ``javascript:`` links and remote
    images passed through, so a ``<script>`` or a link in a reflection would act in the grader's
    browser with the grader's Jupyter session. Runs after the scores are saved: the rules read
    the text as the student wrote it; the autograded copy is for display only (its answer cells
    hold :func:`inert_markdown`'s HTML, raw cells are text, code outputs :func:`inert_outputs`).
    """

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type == "code":
            inert_outputs(cell.get("outputs", []))
        if utils.is_locked(cell):
            return cell, resources
        if cell.cell_type == "markdown":
            cell.source = inert_markdown(cell.source)
            cell.pop("attachments", None)  # only ever shown as images, which are now text
        elif cell.cell_type == "raw":  # nbconvert writes raw cells into the page as HTML
            cell.source = html.escape(cell.source)
        return cell, resources


class EscapeFeedbackComments(Preprocessor):
    """``generate_feedback``: comments made inert too (answers were, at autograde).

    nbgrader's feedback template renders comments with ``markdown2html`` and no sanitizing; the
    rules' comments can quote a student, and a grader may paste a link.
    """

    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off by default

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(nbg.get("comment"), str):
            nbg["comment"] = inert_markdown(nbg["comment"])
        return cell, resources


# --------------------------------------------------------------------------- autograde: guard


def report_unreadable_notebooks(assignment: str, student: str, notebooks: list[str]) -> None:
    """``pre_convert_hook``: name every submitted notebook that cannot be read, and why.

    nbgrader then fails that one submission (its ``autograded/`` folder is removed) and goes on
    with the other students; this puts the file and the problem in the log in plain words.
    """
    app = Application.instance() if Application.initialized() else None
    log = app.log if app else logging.getLogger("allyship.autograde")
    for notebook in notebooks:
        try:
            read_notebook_json(Path(notebook))
        except CourseError as err:
            log.error("[allyship] this submitted notebook cannot be graded: %s", err)


__all__ = [
    "EscapeFeedbackComments",
    "EscapeStudentHtml",
    "ExecuteWhenTested",
    "ReflectionAutoGrades",
    "ReleaseTextClearSolutions",
    "RepairAnswerCells",
    "has_code_tests",
    "report_unreadable_notebooks",
]
