"""The book's page layout in Chromium, as a reader sees it: widgets without a light frame in dark
mode, one search box on a desktop screen, instructor tables that scroll inside their own box on a
phone, and a download link that looks like a button rather than code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDGET_PAGES = {
    "book/introspection.html": [".ally-mindset", ".ally-sort", ".ally-journal"],
    "book/accountability.html": [".ally-scenario", ".ally-phrase", ".ally-journal"],
    "book/listening.html": [".ally-talk", ".ally-commit", ".ally-journal"],
}
GUIDE = "book/instructor-guide.html"

#: Relative luminance (WCAG) of a computed colour, and the first opaque background behind it.
LUMINANCE_JS = """
(el) => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const own = parse(getComputedStyle(el).backgroundColor);
  let shown = el;
  while (shown && parse(getComputedStyle(shown).backgroundColor)[3] === 0) {
    shown = shown.parentElement;
  }
  const seen = shown ? parse(getComputedStyle(shown).backgroundColor) : [255, 255, 255];
  return {
    own: own.length === 4 && own[3] === 0 ? null : lum(own),
    seen: lum(seen),
    page: lum(parse(getComputedStyle(document.body).backgroundColor)),
  };
}
"""


@pytest.fixture
def open_page(browser: Any, book_url: str) -> Iterator[Any]:
    """Open a book page at a width and colour scheme; fails the test on any console error."""
    contexts, pages = [], []

    def _open(path: str, width: int = 1280, scheme: str = "light") -> Any:
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(f"{book_url}/{path}")
        page.wait_for_load_state("load")
        for selector in WIDGET_PAGES.get(path, []):
            page.locator(selector).first.wait_for(state="visible", timeout=20_000)
        page.wait_for_timeout(200)
        pages.append(page)
        return page

    yield _open
    errors = [e for page in pages for e in page.errors]
    for context in contexts:
        context.close()
    assert not errors, f"console errors: {errors}"


def page_scrolls_sideways(page: Any) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("path", list(WIDGET_PAGES))
def test_no_light_frame_around_widgets_in_dark_mode(open_page: Any, path: str, width: int) -> None:
    page = open_page(path, width=width, scheme="dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    widgets = page.locator(".cell_output .widget-subarea:has(.ally-w)")
    assert widgets.count() == len(WIDGET_PAGES[path])
    for i in range(widgets.count()):
        box = widgets.nth(i).evaluate(LUMINANCE_JS)
        assert box["page"] < 0.05, "the page itself is dark"
        # The output area around a widget is transparent (or as dark as the page), never light.
        assert box["own"] is None or box["own"] < 0.05, f"light output area: {box}"
        assert abs(box["seen"] - box["page"]) < 0.02, f"frame differs from the page: {box}"
        padding = widgets.nth(i).evaluate("e => parseFloat(getComputedStyle(e).paddingTop)")
        assert padding == 0, "no band of output-area padding around the widget"
        inner = widgets.nth(i).locator(".ally-w").first.evaluate(LUMINANCE_JS)
        assert inner["own"] is not None and inner["own"] < 0.05, f"widget not dark: {inner}"
        border = (
            widgets.nth(i)
            .locator(".ally-w")
            .first.evaluate("e => getComputedStyle(e).borderTopColor")
        )
        assert border != "rgb(206, 214, 221)", "the border follows the dark theme"


def test_widget_output_area_stays_plain_in_light_mode(open_page: Any) -> None:
    page = open_page("book/listening.html", width=1280, scheme="light")
    box = page.locator(".cell_output .widget-subarea:has(.ally-talk)").evaluate(LUMINANCE_JS)
    assert box["own"] is None and box["page"] > 0.9


def visible_search_boxes(page: Any) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll(
              '.search-button-field, .bd-search input[type=search], input[type=search]')]
            .filter((e) => {
              const r = e.getBoundingClientRect();
              const s = getComputedStyle(e);
              return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' &&
                r.bottom > 0 && r.top < innerHeight &&
                !e.closest('.search-button__wrapper, dialog');
            })
            .map((e) => e.closest('.bd-sidebar-primary') ? 'sidebar' :
                        e.closest('.bd-header') ? 'top bar' : 'article')"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["book/listening.html", GUIDE, "book/welcome.html"])
def test_one_search_box_at_desktop_width(open_page: Any, path: str, scheme: str) -> None:
    page = open_page(path, width=1280, scheme=scheme)
    boxes = visible_search_boxes(page)
    assert boxes == ["sidebar"], f"visible search boxes: {boxes}"


def test_search_is_still_reachable_on_a_phone(open_page: Any) -> None:
    page = open_page("book/listening.html", width=375)
    buttons = page.locator(".search-button__button:visible")
    assert buttons.count() >= 1, "a phone keeps a way to search"
    buttons.first.click()
    field = page.locator("input[type=search]:visible")
    field.wait_for(state="visible")
    field.fill("listen")
    assert field.input_value() == "listen"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_instructor_tables_scroll_inside_their_box_on_a_phone(open_page: Any, scheme: str) -> None:
    page = open_page(GUIDE, width=375, scheme=scheme)
    assert page_scrolls_sideways(page) <= 1, "the page itself never scrolls sideways"
    tables = page.locator(".bd-content table")
    assert tables.count() >= 3
    wide = 0
    for i in range(tables.count()):
        table = tables.nth(i)
        info = table.evaluate(
            """(t) => {
              const box = t.parentElement;
              const main = document.querySelector('.bd-article').getBoundingClientRect();
              const r = box.getBoundingClientRect();
              return {overflow: getComputedStyle(box).overflowX, scroll: box.scrollWidth,
                      client: box.clientWidth, right: r.right, mainRight: main.right + 1,
                      vw: innerWidth};
            }"""
        )
        assert info["right"] <= info["vw"], f"table {i} box runs off the screen: {info}"
        if info["scroll"] <= info["client"] + 1:
            continue
        wide += 1
        assert info["overflow"] in ("auto", "scroll"), f"table {i} cannot scroll: {info}"
        # Scrolling the box brings the last column fully into view: nothing is cut off.
        shown = table.evaluate(
            """(t) => {
              const box = t.parentElement;
              box.scrollLeft = box.scrollWidth;
              const cells = t.querySelectorAll('tr > :last-child');
              const edge = box.getBoundingClientRect().right + 1;
              return [...cells].every((c) => c.getBoundingClientRect().right <= edge) &&
                     box.scrollLeft > 0;
            }"""
        )
        assert shown, f"table {i}: the last column stays cut off after scrolling its box"
    assert wide >= 1, "at 375 px at least one guide table is wider than the screen"
    assert page_scrolls_sideways(page) <= 1


def test_instructor_tables_fit_at_desktop_width(open_page: Any) -> None:
    page = open_page(GUIDE, width=1280)
    assert page_scrolls_sideways(page) <= 1
    assert page.locator(".bd-content table").first.is_visible()


@pytest.mark.parametrize("width,scheme", [(1280, "light"), (375, "light"), (1280, "dark")], ids=str)
def test_download_link_looks_like_a_button_not_code(
    open_page: Any, book_url: str, width: int, scheme: str
) -> None:
    page = open_page("book/listening.html", width=width, scheme=scheme)
    link = page.get_by_role("link", name="Download the student notebook (listening.ipynb)")
    assert link.count() == 1
    link.scroll_into_view_if_needed()
    assert link.is_visible()
    assert link.locator("code").count() == 0
    style = link.evaluate(
        """(a) => { const s = getComputedStyle(a), t = getComputedStyle(a.firstElementChild || a);
                 return {font: s.fontFamily, inner: t.fontFamily, bg: s.backgroundColor,
                         radius: parseFloat(s.borderTopLeftRadius), display: s.display,
                         height: a.getBoundingClientRect().height,
                         width: a.getBoundingClientRect().width}; }"""
    )
    assert "monospace" not in style["font"].lower(), style
    assert "monospace" not in style["inner"].lower(), style
    assert style["bg"] not in ("rgba(0, 0, 0, 0)", "transparent"), "a filled, button-like link"
    assert style["radius"] > 0 and style["height"] >= 36, style
    assert style["width"] <= width
    assert page_scrolls_sideways(page) <= 1
    href = link.get_attribute("href")
    assert href.endswith("listening.ipynb")
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.ok and b'"cells"' in response.body()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_widgets_fit_a_phone_with_their_new_controls(open_page: Any, scheme: str) -> None:
    page = open_page("book/accountability.html", width=375, scheme=scheme)
    sentence = page.locator(".ally-phrase").get_by_role("textbox", name="Your opening line")
    box = sentence.bounding_box()
    assert box["width"] >= 250, f"the editable line is too narrow on a phone: {box}"
    page = open_page("book/introspection.html", width=375, scheme=scheme)
    card = page.locator(".ally-sort [data-card=speakover]")
    for button in card.get_by_role("button").all():
        b = button.bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= 375, "all three piles stay on screen"
    assert page_scrolls_sideways(page) <= 1
    page = open_page("book/listening.html", width=375, scheme=scheme)
    practice = page.locator(".ally-talk [data-role=practice]")
    assert practice.is_visible() and practice.bounding_box()["width"] <= 375
    assert page_scrolls_sideways(page) <= 1


def test_a_session_plan_prints_as_its_article_alone(open_page: Any) -> None:
    """A facilitator prints a session plan: the theme's header, sidebars, search and buttons
    are gone on paper, the plan's text and its timed table stay, at the paper's full width."""
    page = open_page("book/facilitator/session-3.html")
    chrome = ".bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-header-article"
    assert page.locator(".bd-sidebar-primary").is_visible()  # on screen, the theme is there
    page.emulate_media(media="print")
    hidden = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
            .every(el => getComputedStyle(el).display === 'none' || !el.offsetParent)""",
        chrome,
    )
    assert hidden, "the theme's header or sidebars still print"
    article = page.locator("article")
    assert article.locator("table").first.is_visible()
    assert "Timed plan" in article.inner_text()
    width = page.evaluate("document.querySelector('article').getBoundingClientRect().width")
    assert width > 0.9 * page.viewport_size["width"] - 80, width
