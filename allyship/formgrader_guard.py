"""Refuse formgrader addresses whose ids could run as script in the grader's page (D-H7).

nbgrader 0.9.6 renders its pages with Jinja and no escaping, and writes the ids it takes from
the address into an inline script: ``/formgrader/manage_students/<student>`` becomes
``var student_id = "<student>";``. So ``/formgrader/manage_students/z%22;alert(1);%22`` runs
``alert(1)`` with the grader's Jupyter session, from any link that leads there. The same holds
for the assignment and notebook ids of ``manage_submissions``, ``gradebook`` and
``manage_students/<student>/<assignment>``.

This guard answers such an address with 400 before nbgrader sees it: every id in the address
must pass :func:`allyship.instructor.identity.id_problem`, the rule every student id already
follows at the roster, the exchange and LMS archives (assignment and notebook names of this
course follow it too). Nothing else changes: a plain address falls through to nbgrader's own
handler. It is a tornado rule placed first in the server's routing table, with a matcher that
matches only a refused address.

Two ways in, both idempotent:

* the course's ``nbgrader_config.py`` calls :func:`guard_running_server`, so a Jupyter server
  that loads the course configuration (formgrader started in the course folder) is guarded
  without any setup; in the command-line tools it does nothing;
* as a Jupyter server extension, for a grader whose server starts elsewhere (on a hub,
  formgrader may read a shared configuration): ``"allyship.formgrader_guard": true`` in
  ``ServerApp.jpserver_extensions`` of the grader's ``jupyter_server_config.json``
  (``jupyter server extension enable`` refuses an extension no installed config lists).
"""

from __future__ import annotations

import html
import sys
import urllib.parse
from typing import Any

from allyship.instructor.identity import id_problem

#: formgrader pages whose address carries ids (each later path segment is one).
GUARDED_PAGES = frozenset({"manage_submissions", "manage_students", "gradebook"})
_INSTALLED = "allyship_formgrader_guard"


def address_problem(path: str, base_url: str = "/") -> str | None:
    """Why the formgrader page at ``path`` (as requested, %-encoded) must not be rendered."""
    prefix = base_url.rstrip("/") + "/formgrader/"
    if not path.startswith(prefix):
        return None
    page, *ids = path[len(prefix) :].split("/")
    if page not in GUARDED_PAGES:
        return None
    for raw in filter(None, ids):  # an empty segment (a trailing slash) names nothing
        problem = id_problem(urllib.parse.unquote(raw))
        if problem:
            return problem
    return None


def refused_page(problem: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=en><meta charset=utf-8><title>Address refused</title>\n"
        "<h1>This formgrader address was refused</h1>\n"
        f"<p>It names an id that formgrader cannot show safely: {html.escape(problem)}.</p>\n"
        "<p>formgrader (nbgrader 0.9.6) writes the ids of its address into the page's script, "
        "so an address like this one can run a script with your Jupyter session. Open students "
        "and assignments from formgrader's own menus, and do not follow links to formgrader "
        "from students' work. If a real student has this id, fix it in the roster.</p>\n"
    )


def install(web_app: Any) -> bool:
    """Put the guard first in ``web_app``'s routing (a tornado Application); False if it was."""
    from jupyter_server.base.handlers import JupyterHandler
    from tornado.routing import Matcher

    if web_app.settings.get(_INSTALLED):
        return False
    base_url = web_app.settings.get("base_url", "/")

    class RefusedAddress(Matcher):
        def match(self, request: Any) -> dict[str, Any] | None:
            problem = address_problem(request.path, base_url)
            return None if problem is None else {"path_args": [], "path_kwargs": {}}

    class RefuseFormgraderAddress(JupyterHandler):
        def _refuse(self, *args: Any, **kwargs: Any) -> None:
            problem = address_problem(self.request.path, base_url) or "an unsafe id"
            self.log.warning("[allyship] formgrader address refused: %s", problem)
            self.set_status(400)
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.set_header("Content-Security-Policy", "default-src 'none'")
            self.finish(refused_page(problem))

        get = post = put = patch = delete = _refuse

    web_app.add_handlers(".*$", [(RefusedAddress(), RefuseFormgraderAddress)])
    rules = web_app.default_router.rules
    rules.insert(0, rules.pop(-2))  # add_handlers puts it before the catch-all; go first
    if web_app.default_host is not None:
        wildcard = web_app.wildcard_router.rules
        wildcard.insert(0, wildcard.pop())
    web_app.settings[_INSTALLED] = True
    return True


def guard_running_server() -> bool:
    """Install the guard in the Jupyter server of this process, if there is one running.

    Called from ``nbgrader_config.py``, which nbgrader also reads in every command-line tool:
    there, no server is imported and this does nothing (and imports nothing).
    """
    serverapp = sys.modules.get("jupyter_server.serverapp")
    if serverapp is None or not serverapp.ServerApp.initialized():
        return False
    web_app = getattr(serverapp.ServerApp.instance(), "web_app", None)
    return web_app is not None and install(web_app)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "allyship.formgrader_guard"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    if install(serverapp.web_app):
        serverapp.log.info("allyship: formgrader addresses with unsafe ids are refused")
