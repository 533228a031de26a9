"""The course's facts, read from where they are stored once.

The instructor's ``source/<assignment>/<assignment>.ipynb`` notebooks are the single source of
truth for the reflection prompts and their settings: the book, the journal widget, the student
self-check and the grader all read them from here. Only ``json`` is used, so this module stays
free of Jupyter imports and can be read by the pure reflection rules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from allyship.errors import AllyshipError

#: The three pillars, in the book's order: assignment folder name -> chapter title.
PILLARS: dict[str, str] = {
    "introspection": "Allyship starts with introspection",
    "accountability": "Hold the people closest to you accountable",
    "listening": "Listen and learn",
}

#: Our metadata namespace in a cell (nbgrader's own namespace forbids extra keys).
METADATA_KEY = "allyship"

#: The largest notebook anything of the course reads from a student (none of ours comes close).
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
#: Said of JSON nested deeper than Python's parser goes (a ``RecursionError``).
NESTED_TOO_DEEPLY = "not a readable notebook (its JSON is nested too deeply)"

#: The no-disclosure path, closing every prompt that asks about the learner's own life (written
#: once here and in those prompt cells of ``source/``; a test keeps them equal). It is shown
#: with the prompt everywhere, but it is not what the prompt asks about, so the rules never
#: read it as the prompt's topic.
ALTERNATIVE = (
    "Rather not write about your own life? Describe a situation you can imagine, or one of "
    "this chapter's scenarios, instead: it earns the same credit."
)


class CourseError(AllyshipError):
    """A course file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Prompt:
    """One reflection prompt and the trusted settings of its answer cell."""

    assignment: str
    grade_id: str
    title: str
    text: str
    points: float
    settings: dict[str, Any] = field(default_factory=dict)
    #: The course folder the prompt was read from (its reading is what answers are compared to).
    course: Path | None = field(default=None, compare=False)

    @property
    def min_words(self) -> int:
        return int(self.settings.get("min_words", 0))

    @property
    def release_text(self) -> str:
        return str(self.settings.get("release_text", ""))

    @property
    def offers_alternative(self) -> bool:
        return ALTERNATIVE in self.text

    def rule_settings(self) -> dict[str, Any]:
        """What the reflection rules need: the cell's settings, the prompt's own words, and
        which prompt of the course this is among the others (for the relevance check)."""
        asked = self.text.replace(ALTERNATIVE, "").strip()
        return {
            **self.settings,
            "prompt": f"{self.title}\n{asked}".strip(),
            "grade_id": self.grade_id,
            "prompt_titles": dict(prompt_titles()),  # a copy: the cached one stays intact
        }


#: The course's prompts as released with this package (written from ``source/`` by
#: ``allyship release``), so a downloaded notebook can be checked without ``source/``.
PACKAGED_PATH = Path(__file__).with_name("course_prompts.json")


@lru_cache(maxsize=1)
def prompt_titles() -> dict[str, str]:
    """grade_id -> title of every prompt of the course, as packaged (empty if unreadable)."""
    try:
        data = json.loads(PACKAGED_PATH.read_text(encoding="utf-8"))
        return {str(p["grade_id"]): str(p["title"]) for ps in data["prompts"].values() for p in ps}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def find_course_root(start: Path | str | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``nbgrader_config.py`` and ``source/``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder
    raise CourseError(f"no course found at or above {here} (looked for nbgrader_config.py)")


def source_notebook(assignment: str, root: Path | None = None) -> Path:
    """Path of the instructor's notebook of ``assignment``."""
    root = root or find_course_root()
    return root / "source" / assignment / f"{assignment}.ipynb"


def read_notebook_json(path: Path) -> dict[str, Any]:
    """Load a notebook as plain JSON, with an error that names the file and the problem."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise CourseError(f"{path}: file not found") from err
    except UnicodeDecodeError as err:
        raise CourseError(f"{path}: not UTF-8 text ({err.reason})") from err
    except json.JSONDecodeError as err:
        raise CourseError(f"{path}: not valid JSON (line {err.lineno}: {err.msg})") from err
    except RecursionError as err:
        raise CourseError(f"{path}: {NESTED_TOO_DEEPLY}") from err
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise CourseError(f"{path}: not a Jupyter notebook (no list of cells)")
    return data


def cell_text(cell: dict[str, Any]) -> str:
    """A cell's source as one string (notebook JSON may store it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def prompts_from_notebook(data: dict[str, Any], assignment: str) -> list[Prompt]:
    """Every reflection prompt of a notebook: a locked Markdown cell, then its answer cell.

    An answer cell is a Markdown nbgrader solution+grade cell carrying our metadata.
    """
    cells = data["cells"]
    prompts = []
    for index, cell in enumerate(cells):
        meta = cell.get("metadata", {})
        nbg = meta.get("nbgrader", {})
        if cell.get("cell_type") != "markdown" or METADATA_KEY not in meta:
            continue
        if not (nbg.get("solution") and nbg.get("grade")):
            continue
        prompt_cell = cells[index - 1] if index else {}
        title, text = _split_title(cell_text(prompt_cell))
        prompts.append(
            Prompt(
                assignment=assignment,
                grade_id=str(nbg.get("grade_id")),
                title=title,
                text=text,
                points=float(nbg.get("points", 0)),
                settings=dict(meta[METADATA_KEY]),
            )
        )
    return prompts


def _split_title(markdown: str) -> tuple[str, str]:
    """Split a prompt cell into its heading (without the ``#`` marks) and its body."""
    lines = markdown.strip().splitlines()
    if lines and lines[0].lstrip().startswith("#"):
        heading = re.sub(r"^Prompt\s+\d+\s*[:.\-]\s*", "", lines[0].lstrip("# ").strip())
        return heading, "\n".join(lines[1:]).strip()
    return "", markdown.strip()


def load_prompts(assignment: str, root: Path | None = None) -> list[Prompt]:
    """The trusted prompts of ``assignment``, read from the instructor's source notebook."""
    path = source_notebook(assignment, root)
    prompts = prompts_from_notebook(read_notebook_json(path), assignment)
    if not prompts:
        raise CourseError(f"{path}: no reflection prompts found")
    course = path.parent.parent.parent
    return [replace(p, course=course) for p in prompts]


def assignments(root: Path | None = None) -> list[str]:
    """Assignment names in ``source/``, pillars first in book order."""
    root = root or find_course_root()
    found = sorted(p.name for p in (root / "source").iterdir() if p.is_dir())
    return [a for a in PILLARS if a in found] + [a for a in found if a not in PILLARS]
