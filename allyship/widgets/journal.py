"""The journal widget: a chapter's reflection prompts with the grader's own completion check.

Prompts and their settings come from the instructor's ``source/`` notebooks through
:mod:`allyship.course`; the check is the JavaScript port of the rules
(``allyship/reflection/rules.js``), bundled into the widget's module, fed with the same rules
data the Python rules read.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import traitlets

from allyship.course import PILLARS, Prompt, assignments, find_course_root, load_prompts
from allyship.errors import AllyshipError
from allyship.reflection import evaluate
from allyship.widgets._base import ContentWidget, bundle, content_path, load_content, require

REFLECTION_DIR = Path(__file__).resolve().parent.parent / "reflection"
RULES_JS = REFLECTION_DIR / "rules.js"


class JournalError(AllyshipError, RuntimeError):
    """The journal cannot be built (missing rules port or data); the message names the file."""


@cache
def _rules_bundle() -> str:
    if not RULES_JS.is_file():
        raise JournalError(f"{RULES_JS}: not found (the journal runs the JS port of the rules)")
    return bundle(str(RULES_JS), "journal.js")


@cache
def _rules_data(name: str) -> Any:
    """One of the rules' JSON data files in allyship/reflection/ (``rules.json``, the thresholds
    and phrases; ``reading.json``, the fingerprint of the course reading)."""
    path = REFLECTION_DIR / name
    if not path.is_file():
        raise JournalError(f"{path}: not found (the journal's rules need it)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise JournalError(f"{path}: not valid JSON (line {err.lineno}: {err.msg})") from err


def released_notebook_path(assignment: str) -> str:
    """Where the book publishes the released student notebook of ``assignment``, relative to
    the book's root: the file of the chapter's "Download the student notebook" link.

    The ``{download}`` role (``allyship/sphinx.py``) copies ``assignments/<a>/<a>.ipynb`` to
    ``_downloads/<md5 of that path>/<a>.ipynb`` (Sphinx 7.4, ``DownloadFiles.add_file``); the
    journal fetches it from there when the page has no such link of its own.
    """
    source = f"assignments/{assignment}/{assignment}.ipynb"
    digest = hashlib.md5(source.encode(), usedforsecurity=False).hexdigest()
    return f"_downloads/{digest}/{assignment}.ipynb"


#: The closing plan's content file (``content/plan.json``), the journal's only content file.
PLAN_CONTENT = "plan"


def plan_content() -> dict[str, Any]:
    """The closing plan's fields (``content/plan.json``, the one source of truth), checked."""
    data = load_content(PLAN_CONTENT)
    path = content_path(PLAN_CONTENT)
    require(bool(data.get("title")), path, "missing 'title'")
    fields = data.get("fields")
    require(isinstance(fields, list) and bool(fields), path, "'fields' must be a non-empty list")
    for field in fields:
        require(isinstance(field, dict), path, "every field must be an object")
        require(
            isinstance(field.get("id"), str) and bool(field["id"]), path, "every field needs an id"
        )
        require(bool(field.get("label")), path, f"field {field.get('id')!r} needs a label")
    date = data.get("date")
    require(isinstance(date, dict) and bool(date.get("id")), path, "'date' needs an id")
    require(bool(date.get("label")), path, "'date' needs a label")
    ids = [f["id"] for f in fields] + [date["id"]]
    require(len(set(ids)) == len(ids), path, "field ids must be unique")
    return data


def plan_ids(plan: dict[str, Any]) -> set[str]:
    return {f["id"] for f in plan.get("fields", [])} | ({plan["date"]["id"]} if plan else set())


def prompt_state(prompt: Prompt) -> dict[str, Any]:
    """What the page needs to show a prompt and check an answer to it."""
    return {
        "grade_id": prompt.grade_id,
        "assignment": prompt.assignment,
        "chapter": PILLARS.get(prompt.assignment, prompt.assignment),
        "title": prompt.title,
        "text": prompt.text,
        "settings": prompt.rule_settings(),
    }


def journal_prompts(assignment: str | None, root: Path | None = None) -> list[Prompt]:
    """The prompts of ``assignment``, or of every assignment in book order when ``None``."""
    root = root or find_course_root()
    names = [assignment] if assignment else assignments(root)
    return [p for name in names for p in load_prompts(name, root)]


class Journal(ContentWidget):
    """A private journal for the prompts of ``assignment`` (all assignments when ``None``).

    ``entries`` maps a prompt's ``grade_id`` to the text written; ``verdicts`` is filled by the
    page with the rules' verdict for each entry.
    """

    assignment = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    prompts = traitlets.List(traitlets.Dict()).tag(sync=True)
    entries = traitlets.Dict().tag(sync=True)
    verdicts = traitlets.Dict().tag(sync=True)
    rules_config = traitlets.Dict().tag(sync=True)
    reading = traitlets.Any({}).tag(sync=True)
    #: where the book publishes this assignment's released notebook (relative to the book root)
    notebook_path = traitlets.Unicode("").tag(sync=True)
    #: the closing "My one-month plan" (content/plan.json), in the whole-course journal only
    plan = traitlets.Dict().tag(sync=True)
    plan_entries = traitlets.Dict().tag(sync=True)
    #: the learned second opinion (model.json), sent only when the page asks for it
    learned = traitlets.Any(None, allow_none=True).tag(sync=True)

    def __init__(
        self,
        assignment: str | None = None,
        *,
        root: Path | None = None,
        plan: bool | None = None,
        **kwargs: Any,
    ) -> None:
        prompts = journal_prompts(assignment, root)
        kwargs.setdefault("content", {"title": "Journal"})
        self._esm = _rules_bundle()
        with_plan = assignment is None if plan is None else plan
        super().__init__(
            assignment=assignment,
            notebook_path=released_notebook_path(assignment) if assignment else "",
            plan=plan_content() if with_plan else {},
            prompts=[prompt_state(p) for p in prompts],
            rules_config=_rules_data("rules.json"),
            reading=_rules_data("reading.json"),
            **kwargs,
        )
        self._prompt_objects = {p.grade_id: p for p in prompts}
        self.on_msg(self._on_page_message)

    def _on_page_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """The page asks for the learned model once a learner starts writing."""
        if isinstance(content, dict) and content.get("want") == "learned" and self.learned is None:
            self.learned = _rules_data("model.json")

    @traitlets.validate("entries")
    def _check_entries(self, proposal: dict[str, Any]) -> dict[str, str]:
        known = {p["grade_id"] for p in self.prompts}
        for key, value in proposal["value"].items():
            if key not in known or not isinstance(value, str):
                raise traitlets.TraitError(f"entry {key!r}: not a prompt of this journal")
        return proposal["value"]

    @traitlets.validate("plan_entries")
    def _check_plan_entries(self, proposal: dict[str, Any]) -> dict[str, str]:
        known = plan_ids(self.plan)
        for key, value in proposal["value"].items():
            if key not in known or not isinstance(value, str):
                raise traitlets.TraitError(f"plan entry {key!r}: not a field of the plan")
        return proposal["value"]

    @property
    def grade_ids(self) -> list[str]:
        return [p["grade_id"] for p in self.prompts]

    def verdict(self, grade_id: str) -> Any:
        """The Python rules' verdict on the entry for ``grade_id`` (what the grader would say)."""
        prompt = self._prompt_objects[grade_id]
        return evaluate(self.entries.get(grade_id, ""), prompt.rule_settings())
