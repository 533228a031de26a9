"""The book's content: every page built, every idea of the essay taught, quotations marked,
each pillar chapter complete (objectives, prompts from source/, download link, widgets,
takeaways), and no instructor example answer published.

Most tests read the real strict build (``built_book`` fixture); the quotation test reads the
Markdown sources, where quotation marks and blockquotes are still visible.
"""

from __future__ import annotations

import html
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from allyship.course import PILLARS, cell_text, load_prompts, read_notebook_json

REPO = Path(__file__).resolve().parent.parent
BOOK = REPO / "book"
#: Where the seed essay may be: in the repository's test data, or beside it in the workspace.
ESSAY_CANDIDATES = (
    REPO / "tests" / "data" / "seed-essay.txt",
    REPO / "seed-essay.txt",
    REPO.parent / "shared" / "seed-essay.txt",
)

#: Every idea of the essay -> phrases that must all appear in the built book's text (lower case,
#: straight quotes). The ideas follow the essay's order; together they cover all of it.
ESSAY_IDEAS: dict[str, tuple[str, ...]] = {
    "allyship matters to a movement; allies amplify it": ("allies amplify a movement",),
    "it is easy for the powerful to ignore small groups": (
        "easy for people with power to look away",
        "small group",
    ),
    "privileged people making noise gives the movement a leg up": (
        "more privilege join in and make noise",
        "leg up",
    ),
    "far more people want to be allies than are": ("far more people want to be seen as allies",),
    "allyship is not a tweet or a bio with an acronym": ("sharing a post", "acronym"),
    "fight on behalf of the groups you say you stand with": (
        "fight on behalf of the groups you say you stand with",
    ),
    "introspection: look inside yourself": ("allyship starts with introspection", "inward"),
    "dismantle mindsets produced by capitalism and colonialism": (
        "mindsets shaped by capitalism",
        "mindsets shaped by colonialism",
    ),
    "it is difficult: radical changes to unnoticed behaviour": (
        "radical changes to behaviour you had never noticed",
    ),
    "that is okay: admitting and growing beats doubling down": (
        "it is okay",
        "doubling down",
        "admitting to yourself that you took part in harmful systems",
    ),
    "all of us can carry these ideologies": ("everyone raised inside these systems can carry",),
    "listen to marginalized communities to learn what you do wrong": (
        "they are the ones who can tell you what you are getting wrong",
    ),
    "hold others accountable, close friends and loved ones included": (
        "including your close friends and loved ones",
    ),
    "what you excuse or dismiss says as much about you": (
        "you excuse or dismiss says as much about you",
    ),
    "the belief that it does not matter if they are not present": (
        "as long as nothing is said in front of marginalized people",
    ),
    "it still perpetuates an ideology put in place by those in power": (
        "still keeps a harmful ideology alive",
        "put in place by those in power",
    ),
    "a standard kept because someone watches vs because you believe": (
        "because someone is there to call you on it",
        "because you truly believe in it",
    ),
    "the most important thing: listen when they say something is wrong": (
        "listen to marginalized people when they tell you something is wrong",
    ),
    "you cannot give yourself the label and expect a welcome": (
        "cannot pin the word on yourself",
        "open arms",
    ),
    "ally is a label you earn": ("'ally' is a label you earn",),
    "it comes after doing the work and proving you are willing to try": (
        "after you have put in the work",
        "willing to try",
    ),
    "listen and stand with communities even against your own interest": (
        "stand and fight alongside marginalized communities",
        "not in your own interest",
    ),
    "movements became a trend, then the same people did harm": (
        "become a social media trend",
        "a year later",
        "directly harm them",
    ),
    "communities know who means it and recognise performative activism": (
        "telling who means what they say",
        "performative activism",
    ),
    "small signs help: they signal safety": (
        "small gestures are useless",
        "safe to be myself",
    ),
    "small signs are not the be-all and end-all": ("be-all and end-all",),
    "they spoke for years without being heard": ("spoken up and not been heard",),
    "in their spaces, let them talk": ("in their spaces, let them talk",),
    "if you call yourself an ally and offer a safe space, listen": (
        "offer a safe space to people in marginalized communities",
        "listen to what they have to say",
    ),
}

#: The widget cells each page must carry, in order (class and call as written in the page).
WIDGETS: dict[str, tuple[str, ...]] = {
    "introspection": ("MindsetCheckin()", "ActionSort()", 'Journal("introspection")'),
    "accountability": ("ScenarioExplorer()", "PhraseBuilder()", 'Journal("accountability")'),
    "listening": ("TalkTimeSimulator()", "CommitmentsTracker()", 'Journal("listening")'),
    "earning-the-label": ("Journal()",),
}

QUOTE_WINDOW = 8  # words: a run this long copied from the essay must be marked as a quotation

WIDGET_CELL = re.compile(
    r"```\{code-cell\} python\n:tags: \[remove-input\]\n"
    r"from allyship\.widgets import (?P<cls>\w+)\n\n(?P<call>[^\n]+)\n```"
)


# ---------------------------------------------------------------- helpers


def normalize(text: str) -> str:
    """Lower case, straight quotes, single spaces: what a reader sees, comparable to a phrase."""
    text = html.unescape(text)
    for curly, straight in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, straight)
    text = text.replace("\u00a0", " ").replace("\u2014", "-").replace("\u2013", "-")
    return re.sub(r"\s+", " ", text).strip().lower()


def article_text(page: Path) -> str:
    """The readable text of a built page's main article (no scripts, no navigation)."""
    raw = page.read_text(encoding="utf-8")
    match = re.search(r'<article class="bd-article"[^>]*>(.*?)</article>', raw, re.S)
    assert match, f"{page}: no main article found"
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", match.group(1), flags=re.S)
    return normalize(re.sub(r"<[^>]+>", " ", body))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", normalize(text))


def essay_text() -> str:
    for path in ESSAY_CANDIDATES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.skip("the seed essay is not available in this checkout")


def toc_files() -> list[str]:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def built_page(built_book: Path, name: str) -> Path:
    return built_book / "book" / f"{name}.html"


def section_text(page_text: str, heading: str, next_heading: str | None) -> str:
    """The normalized text between two headings of a page (headings end with Sphinx's '#')."""
    start = page_text.index(normalize(heading))
    end = page_text.index(normalize(next_heading), start) if next_heading else len(page_text)
    return page_text[start:end]


def unquoted_source(markdown: str) -> str:
    """A page's prose without what it marks as quotation: blockquotes and quoted spans."""
    lines = [line for line in markdown.splitlines() if not line.lstrip().startswith(">")]
    text = "\n".join(lines)
    return re.sub(r'"[^"\n]*"|\u201c[^\u201d]*\u201d', " ", text)


def exemplar_sentences() -> list[tuple[str, str]]:
    """(assignment, sentence) for every sentence of the instructor's example answers."""
    found = []
    for assignment in PILLARS:
        data = read_notebook_json(REPO / "source" / assignment / f"{assignment}.ipynb")
        for cell in data["cells"]:
            nbg = cell.get("metadata", {}).get("nbgrader", {})
            if cell.get("cell_type") == "markdown" and nbg.get("solution"):
                for sentence in re.split(r"(?<=[.!?])\s+", cell_text(cell)):
                    if len(sentence.split()) >= 6:
                        found.append((assignment, normalize(sentence)))
    return found


# ---------------------------------------------------------------- sources


@pytest.mark.parametrize("assignment", list(PILLARS))
def test_pillar_source_has_prompts_directive_and_widgets(assignment: str) -> None:
    source = (BOOK / f"{assignment}.md").read_text(encoding="utf-8")
    assert source.startswith("---\njupytext:"), "pillar pages are MyST notebooks"
    assert f"```{{reflection-prompts}} {assignment}\n```" in source
    calls = [m.group("call") for m in WIDGET_CELL.finditer(source)]
    assert tuple(calls) == WIDGETS[assignment], f"widget cells of {assignment}.md: {calls}"
    for match in WIDGET_CELL.finditer(source):
        assert match.group("call").startswith(match.group("cls") + "(")


def test_closing_chapter_has_whole_journal() -> None:
    source = (BOOK / "earning-the-label.md").read_text(encoding="utf-8")
    assert source.startswith("---\njupytext:")
    calls = [m.group("call") for m in WIDGET_CELL.finditer(source)]
    assert tuple(calls) == WIDGETS["earning-the-label"]


def test_widgets_are_introduced_by_a_sentence() -> None:
    for name in WIDGETS:
        source = (BOOK / f"{name}.md").read_text(encoding="utf-8")
        for match in WIDGET_CELL.finditer(source):
            before = source[: match.start()].rstrip().splitlines()[-1]
            assert before.endswith(".") and not before.startswith(("#", "```")), (
                f"{name}.md: {match.group('call')} needs a sentence saying what to do with it"
            )


def test_essay_quotations_are_marked() -> None:
    essay_words = words(essay_text())
    essay_ngrams = {
        tuple(essay_words[i : i + QUOTE_WINDOW]) for i in range(len(essay_words) - QUOTE_WINDOW + 1)
    }
    copied = []
    for page in sorted(BOOK.glob("*.md")):
        prose = words(unquoted_source(page.read_text(encoding="utf-8")))
        for i in range(len(prose) - QUOTE_WINDOW + 1):
            if tuple(prose[i : i + QUOTE_WINDOW]) in essay_ngrams:
                copied.append(f"{page.name}: ...{' '.join(prose[i : i + QUOTE_WINDOW])}...")
    assert not copied, "unmarked text copied from the essay:\n" + "\n".join(copied)


def test_blockquotes_are_attributed_to_the_essay() -> None:
    for page in sorted(BOOK.glob("*.md")):
        blocks = re.findall(r"(?:^>.*\n?)+", page.read_text(encoding="utf-8"), re.M)
        for block in blocks:
            assert "the essay" in block, f"{page.name}: blockquote without attribution:\n{block}"


def test_no_page_is_a_placeholder() -> None:
    for page in sorted(BOOK.glob("*.md")):
        assert "Placeholder" not in page.read_text(encoding="utf-8"), f"{page.name} is a stub"


# ---------------------------------------------------------------- the built book


@pytest.mark.slow
def test_every_toc_page_is_built(built_book: Path) -> None:
    for name in toc_files():
        page = built_book / f"{name}.html"
        assert page.is_file(), f"{name} is in _toc.yml but not in the build"
        text = article_text(page)
        assert len(text.split()) > 300, f"{name}: the built page is nearly empty"


@pytest.mark.slow
def test_every_essay_idea_is_taught(built_book: Path) -> None:
    book_text = " ".join(article_text(built_book / f"{name}.html") for name in toc_files()).replace(
        '"', "'"
    )
    missing = [
        f"{idea}: {phrase!r}"
        for idea, phrases in ESSAY_IDEAS.items()
        for phrase in phrases
        if phrase.replace('"', "'") not in book_text
    ]
    assert not missing, "essay ideas missing from the built book:\n" + "\n".join(missing)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", list(PILLARS))
def test_pillar_page_is_complete(built_book: Path, assignment: str) -> None:
    page = built_page(built_book, assignment)
    text = article_text(page)
    assert normalize(PILLARS[assignment]) in text[:200], "the chapter title opens the page"

    objectives = section_text(text, "Learning objectives", "#")
    assert objectives.count("you will be able to") == 1 and len(objectives.split()) > 25

    prompts_part = section_text(text, "Reflection prompts #", "Key takeaways #")
    for number, prompt in enumerate(load_prompts(assignment, REPO), 1):
        assert normalize(f"Prompt {number}: {prompt.title}") in prompts_part
        assert normalize(prompt.text) in prompts_part
        assert normalize(f"Write at least {prompt.min_words} words.") in prompts_part

    takeaways = section_text(text, "Key takeaways #", None)
    raw = page.read_text(encoding="utf-8")
    block = raw[raw.index('id="key-takeaways"') :]
    assert block.count("<li>") >= 4 and len(takeaways.split()) > 50


@pytest.mark.slow
@pytest.mark.parametrize("assignment", list(PILLARS))
def test_student_notebook_download_works(built_book: Path, assignment: str) -> None:
    page = built_page(built_book, assignment)
    download = r'<a class="[^"]*\breference download\b[^"]*"[^>]*href="([^"]+)"'
    links = re.findall(download, page.read_text())
    assert len(links) == 1, f"{assignment}: expected one download link, found {links}"
    target = (page.parent / html.unescape(links[0])).resolve()
    assert target.is_file() and target.name == f"{assignment}.ipynb"
    assert built_book.resolve() in target.parents, "the download is served by the book itself"
    published = json.loads(target.read_text(encoding="utf-8"))
    released = read_notebook_json(REPO / "assignments" / assignment / f"{assignment}.ipynb")
    assert published == released, "the download is the released student notebook"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(WIDGETS))
def test_widget_cells_render_without_code(built_book: Path, name: str) -> None:
    raw = built_page(built_book, name).read_text(encoding="utf-8")
    assert raw.count("application/vnd.jupyter.widget-view+json") == len(WIDGETS[name])
    assert "from allyship.widgets" not in raw, "widget code cells must hide their input"


@pytest.mark.slow
def test_no_instructor_example_answer_is_published(built_book: Path) -> None:
    sentences = exemplar_sentences()
    assert len(sentences) > 20, "the instructor notebooks should hold example answers"
    leaks = []
    for path in sorted(built_book.rglob("*")):
        if path.suffix not in {".html", ".ipynb", ".txt", ".md", ".js", ".json"}:
            continue
        text = normalize(path.read_text(encoding="utf-8", errors="replace"))
        text = text.replace("\\n", " ").replace('\\"', '"')
        leaks += [f"{path.name} ({a}): {s[:60]}" for a, s in sentences if s in text]
    assert not leaks, "instructor example answers reached the book:\n" + "\n".join(leaks)


# ---------------------------------------------------------------- documented commands


def documented_allyship_commands() -> list[tuple[str, list[str]]]:
    """(page, argv) for every ``allyship ...`` line of a bash block of the book."""
    found = []
    for page in sorted(BOOK.glob("*.md")):
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            for line in block.replace("\\\n", " ").splitlines():  # continued lines joined
                line = line.split("#", 1)[0].strip()
                if line.startswith("allyship "):
                    found.append((page.name, shlex.split(line)[1:]))
    return found


def test_documented_allyship_commands_exist() -> None:
    from allyship.cli import build_parser

    commands = documented_allyship_commands()
    used = {argv[0] for _, argv in commands}
    assert {"release", "roster", "grade", "check"} <= used
    parser = build_parser()
    for page, argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit as err:  # argparse exits on an unknown command or option
            pytest.fail(f"{page}: `allyship {' '.join(argv)}` is not a valid command ({err})")


def life_prompts() -> list:
    """Prompts that ask about the learner's own life: each must offer a no-disclosure path."""
    return [p for a in PILLARS for p in load_prompts(a, REPO) if p.offers_alternative]


def test_every_prompt_about_the_learners_life_offers_a_path_without_disclosure() -> None:
    """In source/ and in the student notebooks: an imagined situation earns the same credit."""
    from allyship.course import ALTERNATIVE

    for assignment in PILLARS:
        for prompt in load_prompts(assignment, REPO):
            asks_for_a_story = re.search(r"\b(recall|describe|think of)\b", prompt.text, re.I)
            assert prompt.offers_alternative or "imagine" in prompt.text or not asks_for_a_story, (
                prompt.grade_id
            )
        released = (REPO / "assignments" / assignment / f"{assignment}.ipynb").read_text("utf-8")
        wanted = sum(p.assignment == assignment for p in life_prompts())
        assert json.loads(released) and released.count(json.dumps(ALTERNATIVE)[1:-1]) == wanted
    assert len(life_prompts()) >= 5


@pytest.mark.slow
def test_the_book_and_its_journal_show_the_path_without_disclosure(built_book: Path) -> None:
    from allyship.course import ALTERNATIVE
    from allyship.widgets.journal import prompt_state

    for assignment in PILLARS:
        text = article_text(built_page(built_book, assignment))
        wanted = sum(p.assignment == assignment for p in life_prompts())
        assert text.count(normalize(ALTERNATIVE)) >= wanted, assignment
    for prompt in life_prompts():
        assert ALTERNATIVE in prompt_state(prompt)["text"]
        assert ALTERNATIVE not in prompt.rule_settings()["prompt"]  # not the prompt's topic
