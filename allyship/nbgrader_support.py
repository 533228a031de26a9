"""Small helpers to drive nbgrader in process with the course's own configuration."""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config


def load_course_config(root: Path) -> Config:
    """The course's ``nbgrader_config.py`` as a traitlets Config, with the root pinned to ``root``.

    Formgrader and the CLI run in other working directories, so the root is always explicit.
    """
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config
