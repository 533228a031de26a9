"""The journal as a learner meets it in the built book (Chromium): calm messages while typing,
the closing plan, and the filled student notebook that the real ``allyship check`` and
``allyship grade --zip`` accept."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import allyship, copy_course, run_tool

from allyship.course import load_prompts
from allyship.reflection import evaluate

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
ANSWERS = {
    "introspection_roots": (
        "Growing up I assumed that people who spoke with an accent were less clever than me. "
        "Nobody said it out loud, but every villain in the cartoons I watched had one and my "
        "uncle imitated the man at the corner shop for laughs at family parties. I still catch "
        "it in myself: when I call a helpline and hear an accent, my first thought is that this "
        "will take forever, before the person has said anything at all. Writing this down makes "
        "me see how early I learned it and how often I act on it without noticing, at work too."
    ),
    "introspection_growth": (
        "Last year a colleague told me that my joke about her name being impossible to "
        "pronounce made her feel like an outsider in our team. My first reaction was to defend "
        "myself: I said it was only a joke and that everyone laughed, including her. That "
        "evening I felt ashamed, because I remembered she had laughed the way people laugh when "
        "they have no other choice. The next day I apologised to her briefly, without excuses, "
        "and I learned to say her name properly. Growing from it means I notice when I reach "
        "for that kind of joke and I stop."
    ),
    "introspection_learning": (
        "Right now I mostly learn from two disabled writers I follow and from a coworker who "
        "runs our staff network for people of colour. I could learn more about what I get wrong "
        "by reading the comments they write when allies mess up, instead of skipping them. When "
        "I hear something that stings, I will write it down, ask myself whether it applies to "
        "me, and change one habit at a time, like I did with my jokes."
    ),
}


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield ctx
    ctx.close()


def open_page(ctx: Any, book_url: str, path: str) -> Any:
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(f"{book_url}/{path}")
    page.locator(".ally-journal textarea").first.wait_for(state="visible", timeout=20_000)
    return page


def entry(page: Any, grade_id: str) -> Any:
    return page.locator(f".ally-journal .ally-entry[data-grade-id={grade_id}]")


def is_reddish(rgb: str) -> bool:
    nums = [int(float(n)) for n in re.findall(r"[\d.]+", rgb)[:3]]
    if len(nums) < 3:
        return False
    r, g, b = nums
    return r > 120 and r > g + 60 and r > b + 60


RED_SCAN = """root => {
  const found = [];
  for (const el of [root, ...root.querySelectorAll('*')]) {
    const cs = getComputedStyle(el);
    if (el.offsetParent === null && el !== root) continue;
    found.push(cs.color, cs.borderLeftColor, cs.backgroundColor);
  }
  return found;
}"""


def test_typing_shows_a_neutral_count_then_a_quiet_verdict(context: Any, book_url: str) -> None:
    page = open_page(context, book_url, "book/introspection.html")
    prompt = load_prompts("introspection")[0]
    box = entry(page, prompt.grade_id)
    area = box.locator("textarea")
    verdict = box.locator("[data-role=verdict]")
    area.click()
    area.press_sequentially("I used to think people with accents were slow", delay=20)
    text = box.inner_text()
    assert f"9 of {prompt.min_words} words, keep going" in text
    assert "Not complete yet" not in text
    colours = page.evaluate(RED_SCAN, box.element_handle())
    assert not [c for c in colours if is_reddish(c)], colours
    # Leaving the box: the check speaks, in a quiet style.
    area.press("Tab")
    page.wait_for_function(
        "el => el.innerText.includes('Not complete yet')", arg=verdict.element_handle()
    )
    colours = page.evaluate(RED_SCAN, box.element_handle())
    assert not [c for c in colours if is_reddish(c)], colours
    assert not page.errors


def test_complete_is_said_once_on_screen_and_in_the_download(context: Any, book_url: str) -> None:
    page = open_page(context, book_url, "book/introspection.html")
    gid = "introspection_roots"
    prompt = load_prompts("introspection")[0]
    assert evaluate(ANSWERS[gid], prompt.rule_settings()).status == "complete"
    box = entry(page, gid)
    box.locator("textarea").fill(ANSWERS[gid])
    verdict = box.locator("[data-role=verdict]")
    page.wait_for_function("el => el.dataset.status === 'complete'", arg=verdict.element_handle())
    shown = verdict.inner_text()
    assert shown.count("Complete") == 1, shown
    assert "words of your own" in shown
    with page.expect_download() as info:
        page.get_by_role("button", name="Download my journal (Markdown)").click()
    markdown = Path(info.value.path()).read_text(encoding="utf-8")
    assert "Complete. Complete" not in markdown and "Complete: Complete" not in markdown
    assert "*Self-check: Complete: " in markdown
    assert "your instructor will read it" not in markdown


def test_plan_saves_survives_reload_is_downloaded_and_erased(context: Any, book_url: str) -> None:
    plan = json.loads((REPO / "allyship/widgets/content/plan.json").read_text(encoding="utf-8"))
    page = open_page(context, book_url, "book/earning-the-label.html")
    block = page.locator(".ally-journal [data-role=plan]")
    assert plan["title"] in block.inner_text()
    mine = {
        f["id"]: f"My plan for {f['id']}: something small and concrete." for f in plan["fields"]
    }
    for field in plan["fields"]:
        block.get_by_label(field["label"]).fill(mine[field["id"]])
    block.get_by_label(plan["date"]["label"]).fill("2027-01-15")
    page.reload()
    page.locator(".ally-journal [data-role=plan]").wait_for(timeout=20_000)
    block = page.locator(".ally-journal [data-role=plan]")
    for field in plan["fields"]:
        assert block.get_by_label(field["label"]).input_value() == mine[field["id"]]
    assert block.get_by_label(plan["date"]["label"]).input_value() == "2027-01-15"
    with page.expect_download() as info:
        page.get_by_role("button", name="Download my journal (Markdown)").click()
    markdown = Path(info.value.path()).read_text(encoding="utf-8")
    assert f"\n## {plan['title']}\n" in markdown
    for field in plan["fields"]:
        assert f"\n### {field['label']}\n\n{mine[field['id']]}\n" in markdown
    assert f"**{plan['date']['label']}:** 2027-01-15" in markdown
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Erase my journal").click()
    assert block.get_by_label(plan["fields"][0]["label"]).input_value() == ""
    page.reload()
    page.locator(".ally-journal [data-role=plan]").wait_for(timeout=20_000)
    assert block.get_by_label(plan["fields"][0]["label"]).input_value() == ""


def test_notebook_from_the_book_is_checked_graded_and_loaded_back(
    browser: Any, context: Any, book_url: str, tmp_path: Path
) -> None:
    page = open_page(context, book_url, "book/introspection.html")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    for gid, text in ANSWERS.items():
        entry(page, gid).locator("textarea").fill(text)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download as notebook (.ipynb)").click()
    download = info.value
    assert download.suggested_filename == "introspection.ipynb"
    status = page.locator("[data-role=journal-status]").inner_text()
    assert "written into introspection.ipynb (3 of 3)" in status
    assert all(u.startswith(book_url) or u.startswith("blob:") for u in requests), requests
    notebook = tmp_path / "introspection.ipynb"
    download.save_as(notebook)

    # Only the answer cells changed; nbgrader metadata and checksums are the released ones.
    released = json.loads((REPO / "assignments/introspection/introspection.ipynb").read_text())
    filled = json.loads(notebook.read_text(encoding="utf-8"))
    assert filled["metadata"] == released["metadata"]
    assert len(filled["cells"]) == len(released["cells"])
    for before, after in zip(released["cells"], filled["cells"], strict=True):
        assert after["metadata"] == before["metadata"]
        gid = before["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in ANSWERS:
            assert "".join(after["source"]) == ANSWERS[gid]
        else:
            assert after["source"] == before["source"]

    # The real self-check, as a learner runs it on the downloaded file.
    check = run_tool("allyship", tmp_path, "check", str(notebook))
    assert check.returncode == 0, check.stdout + check.stderr
    out = check.stdout
    for number, prompt in enumerate(load_prompts("introspection"), 1):
        assert f"Prompt {number}: {prompt.title}: complete (1 of 1 points" in out, out
    assert "All 3 prompts are complete." in out, out

    # The real grading of a Canvas-style zip holding it.
    course = copy_course(tmp_path / "course")
    roster = course / "roster.csv"
    roster.write_text(
        "id,first_name,last_name,email,lms_id,section\nlearner,Ana,Reader,ana@example.edu,4242,A\n",
        encoding="utf-8",
    )
    assert allyship(course, "roster", "import", str(roster)).returncode == 0
    archive = course / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(notebook, "readerana_4242_50001_introspection.ipynb")
    graded = allyship(course, "grade", "introspection", "--zip", str(archive))
    summary = graded.stdout.strip().splitlines()[-1]
    assert summary.startswith("graded 1,"), graded.stdout + graded.stderr[-3000:]
    assert "flagged for review 0" in summary and "failed 0" in summary
    with (course / "reports/introspection/grades.csv").open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    assert row["status"] == "graded"
    for gid in ANSWERS:
        assert float(row[gid]) == 1.0, row
    assert float(row["total"]) == 3.0

    # Loaded back into a fresh browser (empty storage): the answers are there.
    fresh = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = open_page(fresh, book_url, "book/introspection.html")
        other.locator(".ally-journal input[type=file]").set_input_files(str(notebook))
        other.wait_for_function(
            "() => document.querySelector('[data-role=journal-status]')"
            ".innerText.includes('Loaded')"
        )
        assert (
            "Loaded 3 answers from introspection.ipynb"
            in other.locator("[data-role=journal-status]").inner_text()
        )
        for gid, text in ANSWERS.items():
            assert entry(other, gid).locator("textarea").input_value() == text
    finally:
        fresh.close()


def test_a_notebook_of_another_assignment_is_refused(context: Any, book_url: str) -> None:
    page = open_page(context, book_url, "book/introspection.html")
    wrong = REPO / "assignments/accountability/accountability.ipynb"
    page.locator(".ally-journal input[type=file]").set_input_files(str(wrong))
    status = page.locator("[data-role=journal-status]")
    page.wait_for_function(
        "el => el.innerText.includes('Nothing was loaded')", arg=status.element_handle()
    )
    text = status.inner_text()
    assert "accountability.ipynb is not a notebook of this chapter's assignment" in text
    page.locator(".ally-journal input[type=file]").set_input_files(
        files=[{"name": "notes.ipynb", "mimeType": "text/plain", "buffer": b"<b>not json</b>"}]
    )
    page.wait_for_function(
        "el => el.innerText.includes('notes.ipynb is not a Jupyter notebook')",
        arg=status.element_handle(),
    )
    assert status.locator("b").count() == 0
    assert all(entry(page, g).locator("textarea").input_value() == "" for g in ANSWERS)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_width_and_dark_mode(browser: Any, book_url: str, scheme: str) -> None:
    ctx = browser.new_context(viewport={"width": 375, "height": 800}, color_scheme=scheme)
    try:
        page = open_page(ctx, book_url, "book/introspection.html")
        area = page.locator(".ally-journal textarea").first
        assert area.bounding_box()["width"] >= 300
        colours = page.evaluate(
            """() => {
              const j = document.querySelector('.ally-journal');
              const a = j.querySelector('textarea');
              const p = j.querySelector('.ally-prompt-text');
              return {theme: document.documentElement.dataset.theme,
                      fg: getComputedStyle(a).color, bg: getComputedStyle(a).backgroundColor,
                      pfg: getComputedStyle(p).color, jbg: getComputedStyle(j).backgroundColor};
            }"""
        )
        if scheme == "dark":
            assert colours["theme"] == "dark"
        assert contrast(colours["fg"], colours["bg"]) >= 4.5, colours
        assert contrast(colours["pfg"], colours["jbg"]) >= 4.5, colours
    finally:
        ctx.close()


def contrast(fg: str, bg: str) -> float:
    def lum(rgb: str) -> float:
        chans = []
        for n in re.findall(r"[\d.]+", rgb)[:3]:
            c = float(n) / 255
            chans.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        r, g, b = chans
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
