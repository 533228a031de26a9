"""Every widget of the built book, driven in Chromium like a learner would: clicks, typing,
keyboard only. Asserts what the learner sees; the journal's verdicts are checked against the
Python rules on the shared test vectors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from allyship.course import PILLARS, load_prompts
from allyship.reflection import evaluate

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
VECTORS = sorted((REPO / "tests" / "reflections").glob("*.jsonl"))
CHAPTER_WIDGETS = {
    "book/introspection.html": [".ally-mindset", ".ally-sort", ".ally-journal"],
    "book/accountability.html": [".ally-scenario", ".ally-phrase", ".ally-journal"],
    "book/listening.html": [".ally-talk", ".ally-commit", ".ally-journal"],
    "book/earning-the-label.html": [".ally-journal"],
}
GENUINE = (
    "Growing up I assumed that people who spoke with an accent were less clever than me. "
    "Nobody said it out loud, but every villain in the cartoons I watched had one and my "
    "uncle imitated the man at the corner shop for laughs at family parties. I still catch it "
    "in myself: when I call a helpline and hear an accent, my first thought is that this will "
    "take forever, before the person has said anything at all. Writing this down makes me see "
    "how early I learned it and how often I act on it without noticing, at work and at home."
)


@pytest.fixture
def page(browser: Any, book_url: str) -> Iterator[Any]:
    """A fresh browser context (empty localStorage) whose page fails on any console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response", lambda r: errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None
    )
    page.errors = errors
    yield page
    context.close()
    assert not errors, f"console errors: {errors}"


def open_chapter(page: Any, book_url: str, path: str) -> None:
    page.goto(f"{book_url}/{path}")
    for selector in CHAPTER_WIDGETS[path]:
        page.locator(selector).first.wait_for(state="visible", timeout=20_000)


@pytest.mark.parametrize("path", list(CHAPTER_WIDGETS))
def test_every_chapter_renders_its_widgets(page: Any, book_url: str, path: str) -> None:
    open_chapter(page, book_url, path)
    for selector in CHAPTER_WIDGETS[path]:
        widget = page.locator(selector)
        assert widget.count() == 1, selector
        assert widget.locator(".ally-title").inner_text().strip()
        assert widget.get_attribute("aria-labelledby")


def test_mindset_checkin_summary_follows_ratings(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/introspection.html")
    widget = page.locator(".ally-mindset")
    summary = widget.locator("[data-role=summary]")
    assert "Rate a statement" in summary.inner_text()
    statements = widget.locator("fieldset")
    statements.nth(0).get_by_label("Strongly agree").check()
    assert "1 of 7" in summary.inner_text()
    assert "1 of your answers point to something worth a closer look" in summary.inner_text()
    assert "Reflect: Name one advantage you did not earn" in summary.inner_text()
    statements.nth(0).get_by_label("Strongly disagree").check()
    assert "None of your answers leaned" in summary.inner_text()
    statements.nth(1).get_by_label("Not sure").check()
    assert "not sure about 1" in summary.inner_text()
    widget.get_by_role("button", name="Clear my answers").click()
    assert "Rate a statement" in summary.inner_text()
    assert widget.locator("input:checked").count() == 0


def test_action_sort_gives_nuanced_feedback_per_card(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/introspection.html")
    widget = page.locator(".ally-sort")
    pin = widget.locator("[data-card=pin]")
    pin.get_by_role("button", name="Real work").click()
    feedback = pin.locator("[data-role=feedback]")
    assert 'We would put it under "Performative gesture"' in feedback.inner_text()
    assert "be-all and end-all" in feedback.inner_text()
    assert pin.get_by_role("button", name="Real work").get_attribute("aria-pressed") == "true"
    friend = widget.locator("[data-card=friend]")
    friend.get_by_role("button", name="Real work").click()
    assert "We read it the same way" in friend.locator("[data-role=feedback]").inner_text()
    assert (
        "2 of 13 sorted; 1 match our reading" in widget.locator("[data-role=status]").inner_text()
    )


def test_action_sort_says_speaking_over_a_coworker_does_harm(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/introspection.html")
    card = page.locator(".ally-sort [data-card=speakover]")
    assert card.get_by_role("button").count() == 3
    card.get_by_role("button", name="Performative gesture").click()
    feedback = card.locator("[data-role=feedback]")
    text = feedback.inner_text()
    assert 'We would put it under "Well-meant, but does harm"' in text
    assert "it does harm" in text and "let them talk" in text
    assert "Nuanced" not in text, "speaking over someone is not a matter of two readings"
    card.get_by_role("button", name="Well-meant, but does harm").click()
    assert "We read it the same way" in feedback.inner_text()
    assert card.get_attribute("data-match") == "yes"


def test_scenario_explorer_branches_back_and_restarts(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/accountability.html")
    widget = page.locator(".ally-scenario")
    widget.get_by_label("A coworker says").check()
    story = widget.locator("[data-role=story]")
    assert "Sam mispronounces" in story.inner_text()
    widget.get_by_role("button", name="Agree. Intent is what counts.").click()
    assert "Harm does not need bad intent" in story.inner_text()
    assert "End of this path" in story.inner_text()
    widget.get_by_role("button", name="Back one step").click()
    assert "Harm does not need bad intent" not in story.inner_text()
    widget.locator("button[data-next=reply]").click()
    widget.locator("button[data-next=checkin]").click()
    widget.locator("button[data-next=sam]").click()
    assert "most effective kind of accountability" in story.inner_text()
    assert story.locator(".ally-step").count() == 4
    widget.get_by_role("button", name="Start this situation again").click()
    assert story.locator(".ally-step").count() == 1
    widget.get_by_label("A friend's joke in private").check()
    assert "mocks trans people" in story.inner_text()


def test_phrase_builder_shows_the_sentence(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/accountability.html")
    widget = page.locator(".ally-phrase")
    sentence = widget.get_by_role("textbox", name="Your opening line")
    assert sentence.input_value() == ""
    assert "Pick a piece" in sentence.get_attribute("placeholder")
    widget.get_by_label("Can I bring up something from earlier?").check()
    widget.get_by_label("When you made that joke about them,").check()
    assert sentence.input_value() == (
        "Can I bring up something from earlier? When you made that joke about them,"
    )
    widget.get_by_label("Could we talk about it?").check()
    assert sentence.input_value().endswith("joke about them, Could we talk about it?")
    tips = widget.locator("[data-role=tips] li")
    assert tips.count() == 3
    widget.get_by_role("button", name="Start again").click()
    assert sentence.input_value() == ""


def test_phrase_builder_pieces_agree_and_the_edited_line_is_copied(
    page: Any, book_url: str
) -> None:
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=book_url)
    open_chapter(page, book_url, "book/accountability.html")
    widget = page.locator(".ally-phrase")
    sentence = widget.get_by_role("textbox", name="Your opening line")
    widget.get_by_label("When you said her name was too hard to learn,").check()
    widget.get_by_label("it didn't sit right with me", exact=False).check()
    built = sentence.input_value()
    assert built.startswith("When you said her name was too hard to learn, it didn't sit right")
    assert "jokes like that" not in built and "remarks like that" in built
    mine = "When you said her name was too hard to learn, it stung me. Can I help you learn it?"
    sentence.fill(mine)
    assert "no longer rewrites it" in widget.locator("[data-role=edited-note]").inner_text()
    widget.get_by_label("Could we talk about it?").check()
    assert sentence.input_value() == mine, "picking a piece must not throw the edits away"
    widget.get_by_role("button", name="Copy the sentence").click()
    expect(widget.locator("[data-role=copy-status]")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == mine
    widget.get_by_role("button", name="Start again").click()
    assert sentence.input_value() == ""
    widget.get_by_label("Have you got a minute?", exact=False).check()
    assert sentence.input_value().startswith("Have you got a minute?")


def test_talk_time_picture_and_feedback_follow_the_share(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/listening.html")
    widget = page.locator(".ally-talk")
    svg = widget.locator("svg")
    feedback = widget.locator("[data-role=feedback]")
    you = widget.locator("circle[data-seat='0']")
    widget.get_by_label("Your share of the talking time").fill("40")
    big = float(you.get_attribute("r"))
    assert feedback.get_attribute("data-band") == "floor"
    widget.get_by_label("Your share of the talking time").fill("5")
    assert svg.get_attribute("data-share") == "5"
    assert float(you.get_attribute("r")) < big
    assert feedback.get_attribute("data-band") == "room"
    assert "let them talk" in feedback.inner_text()
    assert "you take 5%" in svg.get_attribute("aria-label")
    widget.get_by_label("A friend telling you about discrimination").check()
    assert svg.locator("circle[data-seat]").count() == 2
    assert "An equal share would be 50%" in feedback.inner_text()


def test_talk_time_gives_no_verdict_before_the_slider_moves(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/listening.html")
    widget = page.locator(".ally-talk")
    feedback = widget.locator("[data-role=feedback]")
    assert feedback.get_attribute("data-band") == ""
    assert "Move the slider" in feedback.inner_text()
    for verdict in ("hold the floor", "let them talk", "leaving room", "equal share. That"):
        assert verdict not in feedback.inner_text()
    assert "ally-tone-harm" not in (feedback.get_attribute("class") or "")
    assert widget.locator("svg").get_attribute("data-share") == "15", "opens at an equal share"
    practice = widget.locator("[data-role=practice]")
    assert practice.is_visible()
    assert "tally who speaks" in practice.inner_text()
    assert "enter the real number" in practice.inner_text()
    page.reload()
    open_chapter(page, book_url, "book/listening.html")
    assert widget.locator("[data-role=feedback]").get_attribute("data-band") == ""


def test_talk_time_mixed_setting_has_its_own_text(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/listening.html")
    widget = page.locator(".ally-talk")
    feedback = widget.locator("[data-role=feedback]")
    widget.get_by_label("A team meeting at work").check()
    assert feedback.get_attribute("data-band") == "", "a new setting is not a verdict either"
    widget.get_by_label("Your share of the talking time").fill("60")
    assert feedback.get_attribute("data-band") == "floor"
    assert feedback.get_attribute("data-setting") == "mixed"
    text = feedback.inner_text()
    assert "not one group's space" in text and "Ask whose voices are missing" in text
    assert "in their spaces, let them talk" not in text
    widget.get_by_label("A community meeting").check()
    widget.get_by_label("Your share of the talking time").fill("60")
    assert "in their spaces, let them talk" in feedback.inner_text()


def test_commitments_persist_and_track_progress(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/listening.html")
    widget = page.locator(".ally-commit")
    widget.locator("button[data-suggestion=wait]").click()
    widget.get_by_label("Write your own commitment").fill("Ask before I speak for anyone")
    widget.get_by_role("button", name="Add my commitment").click()
    mine = widget.locator("[data-role=mine] li")
    assert mine.count() == 2
    widget.get_by_role("checkbox", name="Ask before I speak for anyone").check()
    assert "1 of 2 done" in widget.locator("[data-role=progress]").inner_text()
    page.reload()
    open_chapter(page, book_url, "book/listening.html")
    widget = page.locator(".ally-commit")
    assert widget.get_by_role("checkbox", name="Ask before I speak for anyone").is_checked()
    assert widget.locator("button[data-suggestion=wait]").is_disabled()
    page.once("dialog", lambda dialog: dialog.accept())
    widget.get_by_role("button", name="Remove all my commitments").click()
    assert "No commitments yet" in widget.locator("[data-role=mine]").inner_text()


def _entry(page: Any, grade_id: str) -> Any:
    return page.locator(f".ally-journal .ally-entry[data-grade-id={grade_id}]")


def test_journal_verdict_reload_download_and_erase(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/introspection.html")
    prompts = load_prompts("introspection")
    first = prompts[0]
    entry = _entry(page, first.grade_id)
    verdict = entry.locator("[data-role=verdict]")
    # Before the learner writes anything: an invitation, not a red "incomplete".
    assert verdict.get_attribute("data-status") == "not-started"
    assert "Not started" in verdict.inner_text()

    entry.locator("textarea").fill("I used to think so.")
    expected_short = evaluate("I used to think so.", first.rule_settings())
    page.wait_for_function(
        f"el => el.innerText.includes({json.dumps(expected_short.reasons[0])})",
        arg=verdict.element_handle(),
    )
    assert verdict.get_attribute("data-status") == expected_short.status == "incomplete"
    assert entry.locator("[data-role=count]").inner_text().startswith(f"{expected_short.words} ")

    entry.locator("textarea").fill(GENUINE)
    expected = evaluate(GENUINE, first.rule_settings())
    page.wait_for_function(
        f"el => el.dataset.status === '{expected.status}' && "
        f"el.innerText.includes({json.dumps(expected.reasons[0])})",
        arg=verdict.element_handle(),
    )
    assert expected.status in ("complete", "flagged")

    page.reload()
    open_chapter(page, book_url, "book/introspection.html")
    entry = _entry(page, first.grade_id)
    assert entry.locator("textarea").input_value() == GENUINE
    assert entry.locator("[data-role=verdict]").get_attribute("data-status") == expected.status

    # The closing journal shows the same prompt with the same text (one key per grade_id).
    page.goto(f"{book_url}/book/earning-the-label.html")
    page.locator(".ally-journal").wait_for(state="visible", timeout=20_000)
    # every prompt of the course, then the written fields of the one-month plan
    from allyship.widgets.journal import journal_prompts, plan_content

    written = len(journal_prompts(None))
    assert (
        page.locator(".ally-journal .ally-entry:not(.ally-plan-field) textarea").count() == written
    )
    assert page.locator(".ally-journal .ally-plan textarea").count() == len(
        plan_content()["fields"]
    )
    assert _entry(page, first.grade_id).locator("textarea").input_value() == GENUINE

    with page.expect_download() as info:
        page.get_by_role("button", name="Download my journal (Markdown)").click()
    download = info.value
    assert download.suggested_filename == "allyship-journal-all.md"
    markdown = Path(download.path()).read_text(encoding="utf-8")
    assert markdown.startswith("# My allyship journal\n")
    for chapter in PILLARS.values():
        assert f"\n## {chapter}\n" in markdown
    for prompt in prompts:
        assert f"\n### {prompt.title}\n" in markdown
    assert f"\n{GENUINE}\n" in markdown
    assert markdown.count("*(not written yet)*") == 8
    assert "*Self-check: Complete" in markdown and expected.reasons[0] in markdown

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Erase my journal").click()
    assert "Nothing was erased" in page.locator("[data-role=journal-status]").inner_text()
    assert _entry(page, first.grade_id).locator("textarea").input_value() == GENUINE
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Erase my journal").click()
    assert _entry(page, first.grade_id).locator("textarea").input_value() == ""
    stored = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('allyship:journal:'))"
    )
    assert stored == []
    page.reload()
    page.locator(".ally-journal").wait_for(state="visible", timeout=20_000)
    assert _entry(page, first.grade_id).locator("textarea").input_value() == ""


FILL_STORAGE = """() => {
  // Fill this origin's localStorage to the last byte: the next longer entry is over the quota.
  let chunk = "x".repeat(1 << 20);
  let i = 0;
  while (chunk.length) {
    try {
      localStorage.setItem("filler:" + i, chunk);
      i += 1;
    } catch (err) {
      chunk = chunk.slice(0, chunk.length >> 1);
    }
  }
  return i;
}"""


def test_journal_says_when_an_entry_cannot_be_saved(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/introspection.html")
    first = load_prompts("introspection")[0]
    key = f"allyship:journal:{first.grade_id}"
    entry = _entry(page, first.grade_id)
    area = entry.locator("textarea")
    saved = entry.locator("[data-role=save-status]")
    assert saved.get_attribute("role") == "status" and saved.inner_text() == ""
    assert saved.get_attribute("id") in area.get_attribute("aria-describedby").split()
    area.fill("I used to think so.")
    assert page.evaluate(f"localStorage.getItem('{key}')") == "I used to think so."
    assert saved.inner_text() == ""

    assert page.evaluate(FILL_STORAGE) > 0
    area.fill(GENUINE)  # longer than the room left: over the quota
    warning = saved.locator("p")
    warning.wait_for(state="visible")
    text = warning.inner_text()
    assert "could not be saved in this browser" in text and "is full" in text
    assert "Download my journal (Markdown)" in text
    assert saved.get_attribute("data-problem") == "full"
    # The earlier version stays stored; the check still runs on what is written.
    assert page.evaluate(f"localStorage.getItem('{key}')") == "I used to think so."
    expected = evaluate(GENUINE, first.rule_settings())
    page.wait_for_function(
        f"el => el.dataset.status === '{expected.status}'",
        arg=entry.locator("[data-role=verdict]").element_handle(),
    )
    area.press("End")
    area.press_sequentially(" Yes.")  # still full: the same warning, not announced again
    assert warning.inner_text() == text

    page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('filler:'))"
        ".forEach(k => localStorage.removeItem(k))"
    )
    area.press_sequentially(" Now it fits.")
    assert saved.inner_text() == "Saved in this browser again."
    assert saved.get_attribute("data-problem") == "again"
    assert page.evaluate(f"localStorage.getItem('{key}')") == GENUINE + " Yes. Now it fits."
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Erase my journal").click()
    assert saved.inner_text() == ""


def test_journal_says_when_the_browser_keeps_nothing(page: Any, book_url: str) -> None:
    """Storage turned off (a private window, a blocked site): the learner is told, once."""
    page.add_init_script(
        """(() => {
          const setItem = Storage.prototype.setItem;  // the book's own settings still work
          Storage.prototype.setItem = function (key, value) {
            if (String(key).startsWith("allyship:")) {
              throw new DOMException("The operation is insecure.", "SecurityError");
            }
            return setItem.call(this, key, value);
          };
        })()"""
    )
    open_chapter(page, book_url, "book/introspection.html")
    first = load_prompts("introspection")[0]
    entry = _entry(page, first.grade_id)
    entry.locator("textarea").fill(GENUINE)
    saved = entry.locator("[data-role=save-status]")
    saved.locator("p").wait_for(state="visible")
    assert saved.get_attribute("data-problem") == "off"
    assert "does not let the book keep anything" in saved.inner_text()
    assert "Download my journal (Markdown)" in saved.inner_text()


def test_scenario_explorer_has_right_choices_that_cost_you(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/accountability.html")
    widget = page.locator(".ally-scenario")
    story = widget.locator("[data-role=story]")
    widget.get_by_label("A friend's joke in private").check()
    widget.locator("button[data-next=speak]").click()
    widget.locator("button[data-next=hold]").click()
    last = story.locator(".ally-step").last
    assert "cool with you for the rest of the evening" in last.inner_text()
    assert "still a little stiff" in last.inner_text()
    feedback = last.locator("[data-role=feedback]").inner_text()
    assert "cost you something here, and it was still the right thing to do" in feedback
    assert "Holds the standard" in feedback
    assert "thanks you" not in story.inner_text(), "the right choice is not always rewarded"
    widget.get_by_label("A coworker says").check()
    widget.locator("button[data-next=reply]").click()
    widget.locator("button[data-next=checkin]").click()
    widget.locator("button[data-next=manager]").click()
    last = story.locator(".ally-step").last
    assert "Do we really need to make this a thing?" in last.inner_text()
    assert "this was still the right call" in last.locator("[data-role=feedback]").inner_text()


def test_scenario_explorer_with_the_keyboard_only(page: Any, book_url: str) -> None:
    open_chapter(page, book_url, "book/accountability.html")
    in_widget = "document.activeElement.closest('.ally-scenario') !== null"
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate(in_widget):
            break
    else:
        pytest.fail("Tab never reached the scenario explorer")
    assert page.evaluate("document.activeElement.type") == "radio"
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # radio groups move with arrows: "A relative at dinner"
    story = page.locator(".ally-scenario [data-role=story]")
    assert "At a family dinner" in story.inner_text()
    outline = "getComputedStyle(document.activeElement).outlineStyle"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.next") == "ask"
    assert page.evaluate(outline) != "none", "keyboard focus must be visible"
    page.keyboard.press("Enter")
    assert "He tells a story" in story.inner_text()
    assert page.evaluate("document.activeElement.dataset.node") == "ask", "focus follows the story"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert "Curiosity first" in story.inner_text()
    assert "End of this path" in story.inner_text()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.action") == "back"
    page.keyboard.press("Enter")
    assert "Curiosity first" not in story.inner_text()
    assert story.locator("button[data-next=drop]").is_visible()


@pytest.mark.skipif(not VECTORS, reason="no shared reflection vectors")
def test_journal_fetches_the_learned_model_only_once_the_learner_writes(
    page: Any, book_url: str
) -> None:
    """Not part of the page's weight: asked for on the first words, and then it judges."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "model.json" in r.url else None)
    open_chapter(page, book_url, "book/accountability.html")
    page.wait_for_timeout(500)
    assert asked == []
    prompt = load_prompts("accountability")[2]  # a standard you keep when nobody is watching
    pledge = (
        "I will always speak up when someone says something harmful, no matter who it is. "
        "Allyship means holding ourselves to a higher standard every single day. I commit to "
        "being brave, to listening more than I talk, and to challenging injustice wherever I "
        "see it. Everyone deserves respect, and I promise to make that my standard at all times, "
        "in every room I am in."
    )
    want = evaluate(pledge, prompt.rule_settings())
    assert want.status == "incomplete" and want.checks == ("not_own_reflection",)
    assert evaluate(pledge, prompt.rule_settings(), model=False).status != "incomplete"
    entry = _entry(page, prompt.grade_id)
    entry.locator("textarea").fill(pledge)
    verdict = entry.locator("[data-role=verdict]")
    page.wait_for_function(
        f"el => el.dataset.status === 'incomplete' && "
        f"el.innerText.includes({json.dumps(want.reasons[0])})",
        arg=verdict.element_handle(),
    )
    assert len(asked) == 1 and asked[0].endswith("/_static/allyship/model.json")


def test_journal_rules_match_the_python_rules_on_shared_vectors(page: Any, book_url: str) -> None:
    """Runs the rules exactly as bundled in the page's journal widget on every labeled
    reflection and compares with the Python rules the grader uses."""
    open_chapter(page, book_url, "book/earning-the-label.html")
    settings = {}
    for assignment in PILLARS:
        for prompt in load_prompts(assignment):
            settings[prompt.grade_id] = prompt.rule_settings()
    items = [json.loads(line) for path in VECTORS for line in path.read_text("utf-8").splitlines()]
    items = [i for i in items if i.get("grade_id") in settings]
    assert len(items) >= 50
    results = page.evaluate(
        """async (items) => {
          const states = [...document.querySelectorAll(
            'script[type="application/vnd.jupyter.widget-state+json"]')]
            .flatMap(s => Object.values(JSON.parse(s.textContent).state));
          const journal = states.find(
            m => m.state._anywidget_id === 'allyship.widgets.journal.Journal').state;
          const url = URL.createObjectURL(new Blob([journal._esm], {type: 'text/javascript'}));
          const module = await import(url);
          const settings = Object.fromEntries(journal.prompts.map(p => [p.grade_id, p.settings]));
          // The learned model, as the journal fetches it: from the book's own static files.
          const script = document.querySelector('script[src*="_static/"]').src;
          const root = script.slice(0, script.indexOf('_static/'));
          const learned = await (await fetch(root + '_static/allyship/model.json')).json();
          return items.map(i => {
            const v = module.evaluate(
              i.text, settings[i.grade_id], journal.rules_config, journal.reading, learned);
            return {status: v.status, credit: v.credit, reasons: [...v.reasons], words: v.words};
          });
        }""",
        items,
    )
    mismatches = []
    for item, got in zip(items, results, strict=True):
        want = evaluate(item["text"], settings[item["grade_id"]])
        expected = {
            "status": want.status,
            "credit": want.credit,
            "reasons": list(want.reasons),
            "words": want.words,
        }
        if got != expected:
            mismatches.append((item["id"], got, expected))
    assert not mismatches, f"{len(mismatches)} of {len(items)} differ, e.g. {mismatches[:3]}"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real JupyterLab server on 127.0.0.1 serving ``tmp_path``; yields (url, folder)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter-lab"),
            "--no-browser",
            "--allow-root",
            f"--ServerApp.port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={tmp_path}",
            f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start")
        yield url, tmp_path
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_widgets_work_live_in_jupyterlab(browser: Any, jupyterlab: tuple[str, Path]) -> None:
    """The same widgets in a live kernel: clicks reach Python, Python's changes reach the page."""
    import nbformat

    url, folder = jupyterlab
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from allyship.widgets import ScenarioExplorer\nw = ScenarioExplorer()\nw"
        ),
        nbformat.v4.new_code_cell("print('STATE', w.scenario, w.path)"),
        nbformat.v4.new_code_cell("w.path = ['start', 'firm', 'calm']"),
    ]
    nbformat.write(notebook, folder / "live.ipynb")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{url}/lab/tree/live.ipynb")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)  # let the kernel start
        page.locator(".jp-Cell").first.click()
        page.keyboard.press("Shift+Enter")
        widget = page.locator(".ally-scenario")
        widget.wait_for(timeout=60_000)
        widget.get_by_label("A relative at dinner").check()
        widget.locator("button[data-next=firm]").click()
        page.wait_for_timeout(500)
        page.locator(".jp-Cell").nth(1).click()
        page.keyboard.press("Shift+Enter")
        output = page.locator(".jp-OutputArea-output", has_text="STATE")
        output.wait_for(timeout=30_000)
        assert output.inner_text().strip() == "STATE dinner ['start', 'firm']"
        page.locator(".jp-Cell").nth(2).click()
        page.keyboard.press("Shift+Enter")
        feedback = widget.locator(".ally-step[data-node=calm]")
        feedback.wait_for(timeout=30_000)
        assert "Staying calm and specific" in feedback.inner_text()
    finally:
        context.close()
