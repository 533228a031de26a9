"""Every page of the built book in Chromium: a clean console, no request to any host but the
book's own, no serious or critical axe-core violation, and widgets readable at phone width,
at 200% zoom and with reduced motion."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
WIDGET_PAGES = [
    "book/introspection.html",
    "book/accountability.html",
    "book/listening.html",
    "book/earning-the-label.html",
]
LOCAL_SCHEMES = ("blob:", "data:")


def book_pages(html: Path) -> list[str]:
    """Every HTML page of the built book (the error logs in reports/ are not pages)."""
    pages = [p for p in html.rglob("*.html") if "reports" not in p.relative_to(html).parts]
    pages = [p for p in pages if "_static" not in p.relative_to(html).parts]
    return sorted(p.relative_to(html).as_posix() for p in pages)


@pytest.fixture
def visit(browser: Any, book_url: str) -> Iterator[Any]:
    """Open a page and wait until it has settled; records console errors and every request."""
    contexts = []

    def _visit(path: str, width: int = 1280, **options: Any) -> Any:
        context = browser.new_context(viewport={"width": width, "height": 900}, **options)
        contexts.append(context)
        page = context.new_page()
        page.errors, page.requests = [], []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("requestfailed", lambda r: page.errors.append(f"failed: {r.url}"))
        page.on(
            "response",
            lambda r: page.errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
        )
        context.on("request", lambda r: page.requests.append(r.url))
        page.goto(f"{book_url}/{path}")
        page.wait_for_load_state("load")
        if page.locator("meta[http-equiv=Refresh]").count():  # the root index redirects
            page.wait_for_url(lambda url: not url.endswith(f"/{path}"))
            page.wait_for_load_state("load")
        if path in WIDGET_PAGES:
            page.locator(".ally-journal").wait_for(state="visible", timeout=20_000)
        page.wait_for_timeout(300)
        return page

    yield _visit
    for context in contexts:
        context.close()


def test_the_book_has_all_its_pages(built_book: Path) -> None:
    pages = book_pages(built_book)
    for path in [*WIDGET_PAGES, "book/welcome.html", "index.html", "search.html"]:
        assert path in pages


def test_widget_manager_comes_from_the_book_itself(built_book: Path) -> None:
    """The built pages reference the vendored files, never a CDN, and the files are there."""
    for path in WIDGET_PAGES:
        html = (built_book / path).read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in html and "cdnjs.cloudflare.com" not in html
        assert "_static/vendor/requirejs/require.js" in html
        assert "_static/vendor/html-manager/embed-amd.js" in html
    for name in ("requirejs/require.js", "html-manager/embed-amd.js", "anywidget/index.js"):
        assert (built_book / "_static" / "vendor" / name).is_file()


def test_sphinx_thebe_configuration_is_declared_once_per_page(built_book: Path) -> None:
    """sphinx-thebe 0.3.1 adds its `const THEBE_JS_URL` script twice, a console error on every
    page; allyship.widgets.sphinx_assets keeps one."""
    for path in book_pages(built_book):
        html = (built_book / path).read_text(encoding="utf-8")
        if "<body" in html:  # index.html is only a redirect
            assert html.count("const THEBE_JS_URL") == 1, path


def test_every_page_is_offline_and_has_a_clean_console(
    built_book: Path, book_url: str, visit: Any
) -> None:
    for path in book_pages(built_book):
        page = visit(path)
        foreign = [u for u in page.requests if not u.startswith((book_url, *LOCAL_SCHEMES))]
        assert not foreign, f"{path} requested other hosts: {foreign}"
        assert not page.errors, f"{path} console errors: {page.errors}"
        if path in WIDGET_PAGES:
            assert page.locator(".ally-w").count() >= 1


@pytest.mark.skipif(not AXE.is_file(), reason="run scripts/install-test-tools.sh (npm ci)")
@pytest.mark.parametrize("width,scheme", [(1280, "light"), (375, "light"), (1280, "dark")], ids=str)
def test_axe_finds_no_serious_violation_on_any_page(
    built_book: Path, visit: Any, width: int, scheme: str
) -> None:
    found = []
    pages = book_pages(built_book) if scheme == "light" else WIDGET_PAGES
    for path in pages:
        page = visit(path, width=width, color_scheme=scheme)
        if path in WIDGET_PAGES:  # check the widgets with their feedback showing, too
            open_some_feedback(page)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        for violation in result["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [node["target"] for node in violation["nodes"]][:3]
                found.append(f"{path} @{width}px {scheme}: {violation['id']} {targets}")
    assert not found, "\n".join(found)


def open_some_feedback(page: Any) -> None:
    """Make feedback, summaries and verdicts appear so axe checks them too."""
    if page.locator(".ally-mindset").count():
        page.locator(".ally-mindset fieldset").first.get_by_label("Agree", exact=True).check()
        page.locator(".ally-sort [data-card=pin] button").first.click()
    if page.locator(".ally-scenario").count():
        page.locator(".ally-scenario input[type=radio]").first.check()
        page.locator(".ally-scenario button[data-next]").first.click()
        page.locator(".ally-phrase input[type=radio]").first.check()
    if page.locator(".ally-commit").count():
        page.locator(".ally-commit button[data-suggestion]").first.click()
    page.locator(".ally-journal textarea").first.fill("A few words.")
    page.wait_for_timeout(600)


@pytest.mark.parametrize("width", [375, 640])
def test_widgets_fit_phone_width_and_200_percent_zoom(visit: Any, width: int) -> None:
    """375 px is a phone; 640 px is a 1280 px window at 200% zoom."""
    for path in WIDGET_PAGES:
        page = visit(path, width=width)
        open_some_feedback(page)
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll('.ally-w, .ally-w *')]
                .filter(el => el.scrollWidth > el.clientWidth + 1 &&
                              getComputedStyle(el).overflowX === 'visible' &&
                              el.tagName !== 'svg' && el.clientWidth > 0)
                .map(el => el.className || el.tagName)"""
        )
        assert not overflowing, f"{path} @{width}px overflows: {overflowing[:5]}"
        page_overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert page_overflow <= 1, f"{path} scrolls sideways at {width}px"
        font = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.ally-w')).fontSize)"
        )
        assert font >= 14


def test_widgets_respect_reduced_motion(visit: Any) -> None:
    normal = visit("book/listening.html")
    seat = "getComputedStyle(document.querySelector('.ally-seat circle')).transitionDuration"
    assert normal.evaluate(seat) != "0s"
    reduced = visit("book/listening.html", reduced_motion="reduce")
    assert reduced.evaluate(seat) == "0s"


def test_keyboard_focus_is_visible_on_every_kind_of_control(visit: Any) -> None:
    page = visit("book/accountability.html")
    controls = page.locator(".ally-w button, .ally-w input, .ally-w textarea")
    assert controls.count() > 10
    for index in range(controls.count()):
        control = controls.nth(index)
        if not control.is_visible() or control.is_disabled():
            continue
        control.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
        style = page.evaluate(
            """() => { const el = document.activeElement;
                       if (!el.closest('.ally-w')) return null;
                       const s = getComputedStyle(el);
                       return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"""
        )
        if style is not None:
            assert style[0] != "none" and style[1] >= 2, control
