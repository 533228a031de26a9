"""Where a course keeps each thing, built in one place from nbgrader's ``CourseDirectory``.

nbgrader's folder names are configuration (``submitted_directory``, ``directory_structure``...),
so every path of a grade run is made here with ``CourseDirectory.format_path``, the way nbgrader
makes its own, and a course that renames a folder is followed everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CoursePaths:
    coursedir: Any  # nbgrader.coursedir.CourseDirectory

    @classmethod
    def from_config(cls, config: Any) -> CoursePaths:
        from nbgrader.coursedir import CourseDirectory

        return cls(CourseDirectory(config=config))

    @property
    def root(self) -> Path:
        return Path(self.coursedir.root)

    def _step(self, step: str, student: str, assignment: str) -> Path:
        return Path(self.coursedir.format_path(step, student, assignment))

    def source(self, assignment: str) -> Path:
        return self._step(self.coursedir.source_directory, ".", assignment)

    def release(self, assignment: str) -> Path:
        return self._step(self.coursedir.release_directory, ".", assignment)

    def source_folders(self) -> Path:
        """The folder holding one source folder per assignment."""
        return self.source("x").parent

    def submitted(self, student: str, assignment: str) -> Path:
        return self._step(self.coursedir.submitted_directory, student, assignment)

    def autograded(self, student: str, assignment: str) -> Path:
        return self._step(self.coursedir.autograded_directory, student, assignment)

    def feedback(self, student: str, assignment: str) -> Path:
        return self._step(self.coursedir.feedback_directory, student, assignment)

    def step_root(self, step: str) -> Path:
        """The folder of one nbgrader step (``submitted``, ``autograded``, ``feedback``)."""
        name = getattr(self.coursedir, f"{step}_directory")
        return self._step(name, "x", "x").parent.parent

    def reports(self, assignment: str) -> Path:
        """Our own output: exports, the class report and the run's state."""
        return self.root / "reports" / assignment

    @property
    def config_file(self) -> Path:
        return self.root / "nbgrader_config.py"
