"""What every course widget shares: its front-end bundle, its content file, its base class.

The widgets' logic lives in their ES modules, because a static book page runs no Python; the
Python classes carry the state as synced traits so the same widgets work live in Jupyter and
can be driven from tests.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from allyship.errors import AllyshipError

HERE = Path(__file__).parent
JS_DIR = HERE / "js"
CONTENT_DIR = HERE / "content"


class WidgetContentError(AllyshipError, ValueError):
    """A widget's content file is missing or malformed; the message names the file."""


@cache
def bundle(*names: str) -> str:
    """One ES module from the shared helpers plus ``names`` (anywidget cannot import siblings)."""
    parts = [(JS_DIR / "common.js").read_text(encoding="utf-8")]
    parts += [_read_js(name) for name in names]
    return "\n".join(parts)


def _read_js(name: str) -> str:
    path = Path(name) if Path(name).is_absolute() else JS_DIR / name
    return path.read_text(encoding="utf-8")


@cache
def stylesheet() -> str:
    return (JS_DIR / "widgets.css").read_text(encoding="utf-8")


def content_path(name: str) -> Path:
    return CONTENT_DIR / f"{name}.json"


def load_content(name: str) -> dict[str, Any]:
    """The content of widget ``name`` (statements, cards, scenarios...), freshly read."""
    path = content_path(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise WidgetContentError(f"{path}: file not found") from err
    except json.JSONDecodeError as err:
        raise WidgetContentError(f"{path}: not valid JSON (line {err.lineno}: {err.msg})") from err
    if not isinstance(data, dict):
        raise WidgetContentError(f"{path}: expected a JSON object at the top level")
    return data


def require(condition: bool, path: Path, message: str) -> None:
    """Raise a content error naming the file when ``condition`` is false."""
    if not condition:
        raise WidgetContentError(f"{path}: {message}")


def unique_ids(items: list[dict[str, Any]], path: Path, what: str) -> set[str]:
    """The ids of ``items``, checking that each has a non-empty, unique ``id``."""
    ids = [item.get("id") for item in items]
    require(all(isinstance(i, str) and i for i in ids), path, f"every {what} needs an id")
    require(len(set(ids)) == len(ids), path, f"{what} ids must be unique")
    return set(ids)


class ContentWidget(anywidget.AnyWidget):
    """A widget whose texts come from ``content/<content_name>.json``.

    Subclasses set ``content_name``, ``_esm`` and implement ``check_content``.
    """

    content_name: str = ""
    _css = stylesheet()
    content = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        if "content" not in kwargs:
            kwargs["content"] = load_content(self.content_name)
        self.check_content(kwargs["content"], content_path(self.content_name))
        super().__init__(**kwargs)

    @classmethod
    def check_content(cls, data: dict[str, Any], path: Path) -> None:
        """Raise :class:`WidgetContentError` if ``data`` cannot drive this widget."""
        require(bool(data.get("title")), path, "missing 'title'")
