"""Where the copy check keeps its fingerprints: hashes of answers, never their text.

``<course>/fingerprints/<assignment>.json`` holds this term's, rewritten by every grade run;
``<course>/fingerprints/earlier/<term>/<assignment>.json`` are earlier terms', kept by the
instructor (moving this term's folder there at the end of a term is all it takes). A damaged
file of an earlier term is skipped with a note, never a stop.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from allyship.course import CourseError, cell_text, read_notebook_json, source_notebook

Fingerprints = Mapping[str, Mapping[str, frozenset[int]]]  # grade_id -> owner -> hashes


class FingerprintStore:
    """The fingerprints of one assignment, this term's and earlier terms'."""

    def __init__(self, folder: Path, assignment: str) -> None:
        self.folder = folder
        self.assignment = assignment
        self.skipped: list[str] = []

    @property
    def current_file(self) -> Path:
        return self.folder / f"{self.assignment}.json"

    def write(self, current: Fingerprints) -> None:
        data = {g: {o: sorted(h) for o, h in sorted(a.items())} for g, a in current.items()}
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".fingerprints-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"assignment": self.assignment, "answers": data}, out)
        os.replace(tmp, self.current_file)

    def earlier(self) -> dict[str, dict[str, frozenset[int]]]:
        """grade_id -> "student (term)" -> hashes, from every earlier term's file."""
        found: dict[str, dict[str, frozenset[int]]] = {}
        root = self.folder / "earlier"
        if not root.is_dir():
            return found
        for path in sorted(root.glob(f"*/{self.assignment}.json")):
            term = path.parent.name
            try:
                answers = json.loads(path.read_text(encoding="utf-8"))["answers"]
                for grade_id, owners in answers.items():
                    for owner, hashes in owners.items():
                        key = f"{owner} (term {term})"
                        found.setdefault(grade_id, {})[key] = frozenset(int(h) for h in hashes)
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
                self.skipped.append(f"{path}: not a fingerprint file ({type(err).__name__})")
        return found


def course_texts(run) -> list[str]:  # run: GradeRun
    """What the course supplies for each prompt: its words, starting text and example answer."""
    texts = []
    for prompt in run.prompts:
        texts += [prompt.rule_settings()["prompt"], prompt.release_text]
    try:
        cells = read_notebook_json(source_notebook(run.assignment, run.paths.root))["cells"]
    except CourseError:  # the example answers only sharpen the check
        return texts
    wanted = {p.grade_id for p in run.prompts}
    for cell in cells:
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(nbgrader, dict) and nbgrader.get("grade_id") in wanted:
            texts.append(cell_text(cell))
    return texts
