"""Sphinx extension: a clean browser console on every page of the book.

sphinx-thebe 0.3.1 adds its inline configuration script (``const THEBE_JS_URL = ...``) once to
the app registry and once to the HTML builder; the two copies differ only in ``None`` versus
``""`` as file name, so Sphinx keeps both and the browser reports "Identifier 'THEBE_JS_URL' has
already been declared" on every page. Identical scripts are dropped here, per page.
"""

from __future__ import annotations

import os
from typing import Any

from sphinx.application import Sphinx


def _script_key(script: Any) -> tuple[Any, ...]:
    filename = os.fspath(getattr(script, "filename", None) or "")
    attributes = getattr(script, "attributes", {})
    return (filename, tuple(sorted(attributes.items())))


def drop_duplicate_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Keep the first of several identical ``<script>`` tags (same source, same attributes)."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    scripts[:] = kept


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
