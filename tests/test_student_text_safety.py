"""Nothing a student wrote can act, checked fast through the real renderers (no grading run).

A notebook holding hostile Markdown (in an answer cell and in cells a student added), made
display-only by ``EscapeStudentHtml`` as autograde does, is rendered with nbgrader 0.9.6's own
formgrader and feedback templates through nbconvert, and the resulting pages are read like a
browser would: which links they hold, which images, scripts and event handlers. The browser
checks on a real ``allyship grade`` and a real formgrader are in ``test_formgrader.py``.

Also here: the link rule itself, and the guard that refuses formgrader addresses carrying script
(``allyship.formgrader_guard``), routed through a real tornado application.
"""

from __future__ import annotations

import copy
import html
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import REPO
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbgrader.server_extensions.formgrader import handlers as formgrader_handlers

from allyship import formgrader_guard
from allyship.nbgrader_plugins import (
    EscapeFeedbackComments,
    EscapeStudentHtml,
    inert_markdown,
    is_safe_link,
)

ASSIGNMENT = "introspection"
BOOTSTRAP_CSS = Path(formgrader_handlers.static_path, "node_modules", "bootstrap", "dist", "css")
SAFE_HREFS = {"https://example.org/allyship", "https://ok.example/"}
ONE_PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
PAYLOADS_HTML = (
    '<img src="https://tracker.example/o.png" onerror="window.__x=1"><a href=javascript:x>o</a>'
)
SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="window.__x=1"><script>x=1</script></svg>'
#: Hostile Markdown, and a piece of what the grader sees instead (as text).
PAYLOADS = {
    "[my sources](javascript:window.__x=1)": "my sources (javascript:window.__x=1)",
    "[a](JaVaScRiPt:alert(1))": "a (JaVaScRiPt:alert(1))",
    "[b](java&#x09;script:alert(1))": "b (java\tscript:alert(1))",
    "[c](&#106;avascript:alert(1))": "c (javascript:alert(1))",
    "[d](<javascript:alert(1)>)": "d (javascript:alert(1))",
    "<javascript:alert(1)>": "javascript:alert(1)",
    "[e][1]\n\n[1]: javascript:alert(1)": "e (javascript:alert(1))",
    "[f]\n\n[f]: vbscript:msgbox(1)": "f (vbscript:msgbox(1))",
    "[g](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)": "g (data:text/html;",
    "[h](file:///etc/passwd)": "h (file:///etc/passwd)",
    "[i](/formgrader/manage_students/z%22;alert(1);%22)": 'i (/formgrader/manage_students/z";',
    "[j](manage_students/z)": "j (manage_students/z)",
    "[k](//evil.example/x)": "k (//evil.example/x)",
    "[l](http:/formgrader/manage_students/x)": "l (http:/formgrader/manage_students/x)",
    '[m](https://ok.example/a"onmouseover=alert(1))': 'm (https://ok.example/a"onmouseover',
    "[n](https://ok.example/%22%3E%3Cscript%3Ealert(1)%3C/script%3E)": 'n (https://ok.example/">',
    "![a beacon](https://tracker.example/p.png)": "[image: a beacon] (https://tracker.example/p.png)",
    "![local](http://127.0.0.1:8888/api/contents)": "[image: local] (http://127.0.0.1:8888/api",
    f"![inline](data:image/png;base64,{ONE_PIXEL})": "[image: inline] (data:image/png;base64,",
    "![attached](attachment:p.png)": "[image: attached] (an image attached to the notebook)",
    "[![x](https://t.example/p.png)](https://ok.example/)": "[image: x] (https://t.example/p.png)",
    "[a safe source](https://example.org/allyship)": "a safe source",
    '<a href="javascript:alert(1)">raw link</a>': '<a href="javascript:alert(1)">raw link</a>',
    "<img src=x onerror=alert(1)>": "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>": "<svg onload=alert(1)>",
    "<script>window.__x=1</script>": "<script>window.__x=1</script>",
    "<iframe src=javascript:alert(1)></iframe>": "<iframe src=javascript:alert(1)></iframe>",
    '```mermaid\ngraph TD\nA-->B\nclick A href "javascript:alert(1)"\n```': "click A href",
    "Jo &lt;b&gt; & `<b>code</b>`": "Jo &lt;b&gt; & <b>code</b>",
}


class Page(HTMLParser):
    """What a browser would build from the page: elements with their attributes, and the text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)

    def hrefs(self) -> list[str]:
        return [a["href"] for tag, a in self.elements if "href" in a and tag == "a"]

    def count(self, *tags: str) -> int:
        return sum(tag in tags for tag, _ in self.elements)

    def handlers(self) -> list[str]:
        return [name for _, attrs in self.elements for name in attrs if name.startswith("on")]


def hostile_notebook() -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The released notebook answered with every payload, and the same one answered plainly."""
    path = REPO / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    plain = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    for cell in plain.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("solution"):
            cell.source = "I told a classmate her English was good; I now see why it hurt."
            nbg.update(score=0.0, comment="Write a little more about what you would do now.")
    hostile = copy.deepcopy(plain)
    answer = next(c for c in hostile.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source = "\n\n".join(PAYLOADS) + "\n\n" + answer.source
    answer.metadata.nbgrader["comment"] = "You quoted [this](javascript:alert(1)) ![p](https://t/p)"
    added = [nbformat.v4.new_markdown_cell(payload) for payload in PAYLOADS]
    added[0].attachments = {"p.png": {"image/png": ONE_PIXEL}}
    added[0].source += "\n\n![attached](attachment:p.png)"
    raw = nbformat.v4.new_raw_cell("<script>window.__raw=1</script><a href=javascript:x>r</a>")
    code = nbformat.v4.new_code_cell("display(...)")  # outputs made by the student's code
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": PAYLOADS_HTML}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "window.__x=1"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": SVG, "text/plain": "svg"}),
        nbformat.v4.new_output("execute_result", data={"text/markdown": "[m](javascript:x)"}),
    ]
    hostile.cells[1:1] = [*added, raw, code]
    return hostile, plain


def displayed(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as autograde leaves it (answers) and generate_feedback reads it (comments)."""
    nb, _ = EscapeStudentHtml().preprocess(copy.deepcopy(nb), {})
    nb, _ = EscapeFeedbackComments().preprocess(nb, {})
    return nb


def render(nb: nbformat.NotebookNode, template: str) -> Page:
    """The page formgrader (``formgrade``) or generate_feedback (``feedback``) would write."""
    exporter = HTMLExporter(  # configured as formgrader and GenerateFeedback configure it
        template_name=template,
        extra_template_basedirs=[formgrader_handlers.template_path],
        extra_template_paths=[str(BOOTSTRAP_CSS)],
    )
    resources: dict[str, Any] = {  # what formgrader's SubmissionHandler passes
        "assignment_id": ASSIGNMENT,
        "notebook_id": ASSIGNMENT,
        "submission_id": "0123",
        "index": 0,
        "total": 1,
        "base_url": "",
        "student": "hostile",
        "last_name": "Tester",
        "first_name": "Hana",
        "notebook_path": "autograded/hostile/introspection/introspection.ipynb",
        "nbgrader": {"notebook": ASSIGNMENT, "score": 0, "max_score": 3, "late_penalty": 0},
    }
    markup, _ = exporter.from_notebook_node(nb, resources=resources)
    return Page(markup)


@pytest.fixture(scope="module")
def pages() -> dict[str, tuple[Page, Page]]:
    hostile, plain = hostile_notebook()
    shown, baseline = displayed(hostile), displayed(plain)
    return {t: (render(shown, t), render(baseline, t)) for t in ("formgrade", "feedback")}


@pytest.mark.parametrize("template", ["formgrade", "feedback"])
def test_only_safe_links_images_or_scripts_reach_the_page(
    pages: dict[str, tuple[Page, Page]], template: str
) -> None:
    page, baseline = pages[template]
    assert set(page.hrefs()) - set(baseline.hrefs()) == SAFE_HREFS
    assert page.count("img", "iframe", "object", "embed", "svg", "input", "form") == (
        baseline.count("img", "iframe", "object", "embed", "svg", "input", "form")
    )
    assert page.scripts == baseline.scripts  # the template's own, and nothing else
    assert page.handlers() == baseline.handlers()
    for _, attrs in page.elements:
        for name in ("href", "src", "action", "formaction", "data", "srcdoc"):
            value = html.unescape(attrs.get(name, "")).replace("\t", "").strip().lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:")), attrs
    safe = [attrs for tag, attrs in page.elements if attrs.get("href") in SAFE_HREFS]
    assert all(a["target"] == "_blank" and "noreferrer" in a["rel"] for a in safe)


@pytest.mark.parametrize("template", ["formgrade", "feedback"])
def test_the_grader_sees_what_the_student_wrote_as_text(
    pages: dict[str, tuple[Page, Page]], template: str
) -> None:
    text = "".join(pages[template][0].text)
    for shown in PAYLOADS.values():
        assert shown in text
    assert "<script>window.__raw=1</script>" in text  # a raw cell a student added
    assert "[output not shown here: text/html]" in text  # outputs of the student's code
    assert "[output not shown here: application/javascript]" in text
    if template == "feedback":  # formgrader shows comments in a text box, from its API
        assert "You quoted this (javascript:alert(1)) [image: p] (https://t/p)" in text


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_the_display_copy_is_passed_through_unchanged_by_nbconverts_markdown(payload: str) -> None:
    shown = inert_markdown(payload)
    assert "\n" not in shown
    assert markdown2html_mistune(shown).strip() == shown


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/allyship",
        "http://example.org/a?b=c#d",
        "HTTPS://EXAMPLE.ORG/",
        "mailto:someone@example.org",
    ],
)
def test_links_kept_clickable(url: str) -> None:
    assert is_safe_link(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
        "java&#x09;script:alert(1)",
        "&#106;avascript:alert(1)",
        "javascript&colon;alert(1)",
        "%6Aavascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "/formgrader/manage_students/x",
        "formgrader/x",
        "//evil.example/x",
        "///evil.example",
        "http:/formgrader/x",
        "http:formgrader",
        "https://",
        "https://ok.example/a%22b",
        "https://ok.example/a%2522b",
        "https://ok.example/'",
        "https://ok.example/\\x",
        "https://ok.example/a b",
        "https://ok.example/\u200bx",
        "mailto:",
        "#top",
        "",
    ],
)
def test_links_shown_as_text(url: str) -> None:
    assert not is_safe_link(url)


# --------------------------------------------------------------------------- formgrader guard


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("/formgrader/manage_students/z%22;alert(1);%22", True),
        ("/formgrader/manage_students/hostile", False),
        ("/formgrader/manage_students/hostile/", False),
        ("/formgrader/manage_students/hostile/introspection", False),
        ("/formgrader/manage_students/hostile/in%3Cscript%3E", True),
        ("/formgrader/manage_students/a%2Fb", True),
        ("/formgrader/manage_submissions/introspection", False),
        ("/formgrader/manage_submissions/%3C%2Fscript%3E", True),
        ("/formgrader/gradebook/introspection/introspection", False),
        ("/formgrader/gradebook/introspection/x%22", True),
        ("/formgrader/gradebook/x'y", True),
        ("/formgrader/manage_assignments", False),
        ("/formgrader/api/students", False),
        ("/formgrader/submissions/0123/", False),
        ("/other/manage_students/z%22", False),
    ],
)
def test_which_formgrader_addresses_are_refused(path: str, refused: bool) -> None:
    assert (formgrader_guard.address_problem(path) is not None) == refused
    under_hub = "/user/grader" + path
    assert (formgrader_guard.address_problem(under_hub, "/user/grader/") is not None) == refused


def test_the_guard_answers_first_and_leaves_plain_addresses_to_formgrader() -> None:
    """Routed through a tornado application holding nbgrader's own formgrader patterns."""
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
    from tornado.web import Application, RequestHandler

    class Formgrader(RequestHandler):
        pass

    app = Application(base_url="/user/grader/")
    patterns = [rule[0] for rule in formgrader_handlers.default_handlers]
    app.add_handlers(".*$", [("/user/grader" + p, Formgrader) for p in patterns])
    assert formgrader_guard.install(app) is True
    assert formgrader_guard.install(app) is False  # once only (config is read on every page)
    app.add_handlers(".*$", [("/user/grader/formgrader/.*", Formgrader)])  # added later

    def handler(path: str) -> str:
        start = RequestStartLine("GET", path, "HTTP/1.1")
        request = HTTPServerRequest(start_line=start, headers=HTTPHeaders(Host="127.0.0.1"))
        return app.find_handler(request).handler_class.__name__

    assert handler("/user/grader/formgrader/manage_students/z%22;alert(1);%22") == (
        "RefuseFormgraderAddress"
    )
    assert handler("/user/grader/formgrader/gradebook/introspection/a%3Cb") == (
        "RefuseFormgraderAddress"
    )
    assert handler("/user/grader/formgrader/manage_students/hostile") == "Formgrader"
    assert handler("/user/grader/formgrader/gradebook/introspection/introspection") == "Formgrader"


def test_the_refusal_page_shows_the_id_as_text() -> None:
    page = Page(
        formgrader_guard.refused_page(
            formgrader_guard.address_problem(
                "/formgrader/manage_students/%3Cscript%3Ealert(1)%3C%2Fscript%3E"
            )
            or ""
        )
    )
    assert page.count("script") == 0
    assert "'<script>alert(1)</script>'" in "".join(page.text)


def test_the_course_config_guards_formgrader_and_does_nothing_without_a_server() -> None:
    config = (REPO / "nbgrader_config.py").read_text(encoding="utf-8")
    assert "\nguard_running_server()\n" in config
    assert formgrader_guard.guard_running_server() is False  # no Jupyter server in this process
    assert formgrader_guard._jupyter_server_extension_points() == [
        {"module": "allyship.formgrader_guard"}
    ]
