"""The one rule a student id must follow, checked at every door (roster, exchange, archives).

An id becomes a folder name, part of nbgrader's exchange file names (``id+assignment+time``),
an item of nbgrader's comma-separated ``student_id_exclude`` list, a glob pattern
(``api.autograde(assignment, id)``), and text inside formgrader's HTML and inline scripts
(``var student_id = "{{ student_id }}"``, unescaped in nbgrader 0.9.6). So an id is refused
unless it is plain: ASCII letters, digits and ``. _ - @``, starting with a letter or digit,
at most :data:`MAX_ID_LENGTH` characters. That is safe in paths, HTML, JavaScript strings and
globs, and it still admits JupyterHub user names and e-mail-style logins.
"""

from __future__ import annotations

import re

MAX_ID_LENGTH = 64
_SAFE_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._@-]{{0,{MAX_ID_LENGTH - 1}}}")
RULE = (
    f"an id is 1 to {MAX_ID_LENGTH} ASCII letters, digits, '.', '_', '-' or '@', "
    "starting with a letter or digit"
)


def id_problem(student_id: str) -> str | None:
    """Why ``student_id`` cannot be used as a student id, or None when it is safe."""
    if _SAFE_ID.fullmatch(student_id):
        return None
    if not student_id:
        return "the id is empty"
    if len(student_id) > MAX_ID_LENGTH:
        return f"the id is {len(student_id)} characters long; {RULE}"
    return f"the id {shown_id(student_id)} is not safe to use; {RULE}"


def is_safe_id(student_id: str) -> bool:
    return id_problem(student_id) is None


def shown_id(text: str, limit: int = 80) -> str:
    """An untrusted id for a message: quoted with escapes (``repr``), cut to ``limit``."""
    shown = repr(text[:limit])
    return shown + ("…" if len(text) > limit else "")
