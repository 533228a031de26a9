"""Small helpers to drive nbgrader in process with the course's own configuration."""

from __future__ import annotations

import copy
import os
from pathlib import Path

from traitlets.config import Config

from allyship.errors import AllyshipError

CONFIG_NAME = "nbgrader_config"


class ConfigError(AllyshipError):
    """An nbgrader configuration file cannot be read; the message names the file."""


def config_chain(root: Path) -> list[Path]:
    """Every ``nbgrader_config`` file nbgrader reads for a course at ``root``, lowest priority
    first: Jupyter's config path (``/etc/jupyter``, ``{sys.prefix}/etc/jupyter``,
    ``~/.jupyter``, ``JUPYTER_CONFIG_DIR``, ``JUPYTER_CONFIG_PATH``), then the course's own file,
    which wins (as in ``NbGrader.initialize``). nbgrader also reads the working directory's file;
    run from the course folder that is the course's own, and from anywhere else a file there
    would silently change this course's settings, so it is not read."""
    from jupyter_core.paths import jupyter_config_path

    folders = [Path(p) for p in reversed(jupyter_config_path())] + [Path(root)]
    found: list[Path] = []
    for folder in folders:
        for suffix in (".json", ".py"):  # traitlets reads .json before .py in each folder
            path = (folder / (CONFIG_NAME + suffix)).resolve()
            if path.is_file() and path not in found:
                found.append(path)
    return found


def load_course_config(root: Path) -> Config:
    """The configuration nbgrader would use for the course at ``root``: the whole chain of
    :func:`config_chain` merged in order, with the root pinned to ``root``.

    A hub keeps ``Exchange.root`` and ``course_id`` in ``/etc/jupyter/nbgrader_config.py``:
    reading only the course's file would grade an empty exchange and report everyone missing.
    Formgrader and the CLI run in other working directories, so the root is always explicit.
    """
    return merged_config(root, [read_config_file(path) for path in config_chain(root)])


def read_config_file(path: Path) -> Config:
    """One configuration file (``.py`` or ``.json``), with an error that names it."""
    from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

    loader = PyFileConfigLoader if path.suffix == ".py" else JSONFileConfigLoader
    try:
        return loader(path.name, path=str(path.parent)).load_config()
    except Exception as err:  # noqa: BLE001 - any error in someone's config file
        raise ConfigError(f"{path}: cannot be read as nbgrader configuration ({err})") from err


def merged_config(root: Path, configs: list[Config]) -> Config:
    """The files of the chain merged in order, with the root pinned to ``root``."""
    config = Config()
    for one in configs:
        config.merge(copy.deepcopy(one))  # merge shares sections: keep each file's own intact
    config.CourseDirectory.root = str(root)
    return config


def config_sources(root: Path) -> list[str]:
    """The files :func:`load_course_config` read, for the run's report."""
    return [os.fspath(p) for p in config_chain(root)]
