"""The reflection completion rules, measured on the labeled collection in tests/reflections/.

The collection holds our own writing: genuine reflections in many voices and styles, and the
ways people game a completion grader. ``dev.jsonl`` was used while building the rules;
``heldout.jsonl`` was written at the same time and never tuned on; ``blind.jsonl`` was written
later by someone who never saw the rules, then ``blind2.jsonl`` and ``blind3.jsonl`` (the misses
of each then drove general changes, so none is blind any more). Every ``*.jsonl`` in the folder
is loaded, so a new split counts as soon as it lands. Rates print per split; the thresholds hold
over all splits combined.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import DECLINES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allyship.course import PILLARS, assignments, load_prompts
from allyship.reflection import Verdict, evaluate
from allyship.reflection.config import RULES
from allyship.reflection.reading import (
    READING_PATH,
    book_texts,
    build_fingerprints,
    markdown_prose,
    reading_file,
)
from allyship.reflection.text import tokenize

REPO = Path(__file__).resolve().parent.parent
COLLECTION = REPO / "tests" / "reflections"
GENUINE_PREFIX = "genuine_"
OTHER_LANGUAGE_PREFIX = "other_language"
SENTENCE = re.compile(r"^[A-Z][^{}]*[.!?]$")
SPLITS = tuple(sorted(p.stem for p in COLLECTION.glob("*.jsonl")))
#: splits whose genuine items are named by writing style ("esl", "slang"), without the prefix
STYLE_NAMED_SPLITS = {"blind3"}
GROUPS = {"complete": "genuine", "flagged": "other_language", "incomplete": "gaming"}


def load_collection() -> list[dict]:
    items = []
    for split in SPLITS:
        lines = (COLLECTION / f"{split}.jsonl").read_text("utf-8").splitlines()
        for number, line in enumerate(lines):
            if line.strip():
                item = json.loads(line)
                item["kind"] = item["kind"].replace("-", "_")  # authors spelled kinds both ways
                item["split"] = split
                item["line"] = number + 1
                items.append(item)
    return items


PROMPTS = {p.grade_id: p for a in assignments(REPO) for p in load_prompts(a, REPO)}
ITEMS = load_collection()


def judge(item: dict) -> Verdict:
    return evaluate(item["text"], PROMPTS[item["grade_id"]].rule_settings())


def outcome_ok(item: dict, verdict: Verdict) -> bool:
    """Genuine: credited (complete or flagged). Other language: flagged with credit.
    Everything else: caught (incomplete, no credit)."""
    if item["expected"] == "complete":
        return verdict.credit == 1.0
    if item["expected"] == "flagged":
        return verdict.status == "flagged" and verdict.credit == 1.0
    return verdict.status == "incomplete" and verdict.credit == 0.0


def group(item: dict) -> str:
    """By the expected outcome: a genuine start padded with filler ("genuine_plus_filler") is
    gaming."""
    return GROUPS[item["expected"]]


def test_collection_is_well_formed() -> None:
    assert len(ITEMS) >= 200
    ids = [item["id"] for item in ITEMS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for item in ITEMS:
        where = f"{item['split']}.jsonl line {item['line']}"
        assert set(item) >= {"id", "assignment", "grade_id", "kind", "expected", "text"}, where
        assert item["grade_id"] in PROMPTS, f"{where}: unknown prompt {item['grade_id']}"
        assert PROMPTS[item["grade_id"]].assignment == item["assignment"], where
        assert item["expected"] in GROUPS, where
        foreign = item["kind"].startswith(OTHER_LANGUAGE_PREFIX)
        assert foreign == (item["expected"] == "flagged"), where
        if item["expected"] == "complete" and item["split"] not in STYLE_NAMED_SPLITS:
            assert item["kind"].startswith(GENUINE_PREFIX), where
    genuine_prompts = {i["grade_id"] for i in ITEMS if group(i) == "genuine"}
    assert genuine_prompts == set(PROMPTS), "every prompt needs genuine reflections"
    assert {i["assignment"] for i in ITEMS} == set(PILLARS)
    sizes = Counter(i["split"] for i in ITEMS)
    assert sizes["heldout"] >= 50 and sizes["blind"] >= 150


def test_measured_rates_over_the_collection() -> None:
    """>= 98% of genuine credited, >= 95% of gaming caught, every other language flagged."""
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    by_group: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for item in ITEMS:
        verdict = judge(item)
        ok = outcome_ok(item, verdict)
        for key in ((item["split"], item["kind"]), ("all", item["kind"])):
            tally[key][0] += ok
            tally[key][1] += 1
        for key in ((item["split"], group(item)), ("all", group(item))):
            by_group[key][0] += ok
            by_group[key][1] += 1
        if not ok:
            misses.append(f"{item['id']} ({item['split']}): {verdict.status} {verdict.checks}")
    for split in (*SPLITS, "all"):
        print(f"\n== {split}")
        for (s, kind), (good, total) in sorted(tally.items()):
            if s == split:
                print(f"  {kind:28s} {good:3d}/{total:<3d} {100 * good / total:5.1f}%")
        for name in ("genuine", "other_language", "gaming"):
            good, total = by_group[(split, name)]
            label = {"genuine": "credited", "other_language": "flagged", "gaming": "caught"}
            print(f"  {name} {label[name]}: {good}/{total} = {100 * good / total:.1f}%")
    print("misses:", *misses, sep="\n  ")
    genuine = by_group[("all", "genuine")]
    gaming = by_group[("all", "gaming")]
    foreign = by_group[("all", "other_language")]
    assert genuine[0] >= 0.98 * genuine[1], misses
    assert gaming[0] >= 0.95 * gaming[1], misses
    assert foreign[0] == foreign[1], misses


@pytest.mark.parametrize("item", ITEMS, ids=[i["id"] for i in ITEMS])
def test_every_verdict_explains_itself(item: dict) -> None:
    verdict = judge(item)
    assert verdict.status in {"complete", "incomplete", "flagged"}
    assert verdict.credit == (0.0 if verdict.status == "incomplete" else 1.0)
    assert verdict.reasons and len(verdict.reasons) == len(verdict.checks)
    for reason in verdict.reasons:
        assert SENTENCE.match(reason), reason
    # Words written by the student; the untouched starting text counts as none.
    written = (
        0 if verdict.checks == ("release_text",) else len(tokenize(item["text"]).prose_words().norm)
    )
    assert verdict.words == written


def test_reasons_speak_to_the_student() -> None:
    settings = PROMPTS["introspection_roots"].rule_settings()
    short = "I used to think people who were poor were lazy. " * 1 + "My dad said it. " * 1
    verdict = evaluate(short + "Now I try to notice it at work when I judge people.", settings)
    assert verdict.status == "incomplete"
    assert verdict.reasons == (
        f"You wrote {verdict.words} words; this prompt asks for at least 80 words.",
    )
    release = evaluate(PROMPTS["introspection_roots"].release_text, settings)
    assert release.checks == ("release_text",) and release.credit == 0.0
    assert evaluate("", settings).reasons == ("No response: the answer is empty.",)


def test_other_language_is_never_a_zero_when_long_enough() -> None:
    for item in ITEMS:
        if item["kind"].startswith(OTHER_LANGUAGE_PREFIX):
            verdict = judge(item)
            assert verdict.credit == 1.0 and verdict.status == "flagged", item["id"]
            assert "instructor" in verdict.reasons[0]


def test_deterministic() -> None:
    for item in ITEMS[::7]:
        assert judge(item) == judge(item)


def test_reading_fingerprints_are_up_to_date() -> None:
    """reading.json matches book/ (and the configured reading, where its file is here).
    Regenerate with ``allyship.reflection.reading.update_reading(root)``."""
    stored = json.loads(READING_PATH.read_text("utf-8"))
    fresh = build_fingerprints(REPO, stored)
    assert fresh["sources"]["book"] == stored["sources"]["book"], "book/ changed: regenerate"
    configured = reading_file(REPO)
    assert configured is not None, "_config.yml names no reading file"
    if configured.is_file():
        assert fresh["sources"]["reading"] == stored["sources"]["reading"]
    assert "reading" in stored["sources"], "reading.json lost the reading's fingerprints"
    assert len(READING_PATH.read_bytes()) < 60_000


def test_copying_the_current_book_is_caught() -> None:
    """Whatever the book says today: a page's prose pasted with a few own words is caught."""
    settings = PROMPTS["accountability_private"].rule_settings()
    checked = 0
    for text in book_texts(REPO):
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if len(p.split()) >= 12]
        passage = []
        for paragraph in paragraphs:
            passage.append(paragraph)
            if len(" ".join(passage).split()) >= 100:
                break
        if len(" ".join(passage).split()) < 100:
            continue
        verdict = evaluate("I think this is true. " + "\n\n".join(passage), settings)
        assert verdict.status == "incomplete", (passage[0][:80], verdict)
        checked += 1
    assert checked >= 3


def test_markdown_prose_drops_code_and_keeps_admonitions() -> None:
    page = "---\nkernelspec: x\n---\n# Title\n\nProse here.\n\n```{code-cell} python\nx = 1\n```\n"
    page += "```{note}\n:class: tip\nKept note.\n```\n"
    prose = markdown_prose(page)
    assert "Prose here." in prose and "Kept note." in prose
    assert "x = 1" not in prose and "kernelspec" not in prose and ":class:" not in prose


# -- any input at all gets a verdict, quickly ------------------------------------------------
ANY_SETTINGS = st.fixed_dictionaries(
    {
        "min_words": st.one_of(st.integers(-5, 500), st.none(), st.text(max_size=4), st.floats()),
        "release_text": st.one_of(st.text(max_size=80), st.none()),
        "prompt": st.one_of(st.text(max_size=200), st.none()),
    }
)


def check_verdict(verdict: Verdict) -> None:
    assert isinstance(verdict, Verdict)
    assert verdict.status in {"complete", "incomplete", "flagged"}
    assert 0.0 <= verdict.credit <= 1.0 and verdict.reasons
    assert all(isinstance(r, str) and r and "{" not in r for r in verdict.reasons)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=3000), rule_settings=ANY_SETTINGS)
def test_any_text_gets_a_verdict(text: str, rule_settings: dict) -> None:
    check_verdict(evaluate(text, rule_settings))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chunk=st.text(min_size=1, max_size=300),
    joiner=st.sampled_from([" ", "", "\n", "\u200f", "\u0301", "🙂 ", "\x00"]),
)
def test_huge_text_gets_a_verdict_in_bounded_time(chunk: str, joiner: str) -> None:
    """Up to 200k characters (RTL marks, combining marks, emoji, control characters, one huge
    token when the joiner is empty): one call stays well under 2 s."""
    repeats = math.ceil(200_000 / (len(chunk) + len(joiner)))
    text = (joiner.join([chunk] * repeats))[:200_000]
    start = time.perf_counter()
    verdict = evaluate(text, PROMPTS["listening_earn"].rule_settings())
    elapsed = time.perf_counter() - start
    check_verdict(verdict)
    assert elapsed < 2.0, f"{elapsed:.2f}s for {len(text)} characters"


def test_huge_realistic_text_in_bounded_time() -> None:
    text = " ".join(item["text"] for item in ITEMS)
    text = (text * math.ceil(200_000 / len(text)))[:200_000]
    start = time.perf_counter()
    check_verdict(evaluate(text, PROMPTS["introspection_roots"].rule_settings()))
    assert time.perf_counter() - start < 2.0


def test_rules_file_is_the_single_source() -> None:
    """Every reason code the rules can return has its sentence in rules.json."""
    source = (REPO / "allyship" / "reflection" / "rules.py").read_text("utf-8")
    codes = set(re.findall(r'_result\(\s*"[a-z]+",\s*\["([a-z_]+)"\]', source))
    assert len(codes) >= 10
    codes |= {c + "_small" for c in ("prompt_copy", "reading_copy", "repetition")}
    codes |= {"other_language", "unrecognised", "other_language_short", "weak_topic"}
    codes |= {"abstract_talk", "other_language_repetition"}
    assert codes <= set(RULES.reasons), codes - set(RULES.reasons)


# -- what counts as words of one's own, and as English -----------------------------------------
# Texts below are written for these tests (not taken from the collection).
LENDING = (
    "Having spent thirty years in commercial lending, I absorbed a conviction that applicants "
    "from certain postcodes presented elevated risk irrespective of their individual files. The "
    "institution codified this in its scoring matrices, and my mentors reinforced it over lunch. "
    "I recall declining a small business loan to a florist whose numbers were sound, citing area "
    "volatility. Only after retirement, reading about redlining, did I understand how my "
    "professional instincts reproduced an inherited geography of exclusion. I still notice a "
    "flicker of that reflex when I drive through such neighbourhoods."
)


def roots(text: str) -> Verdict:
    return evaluate(text, PROMPTS["introspection_roots"].rule_settings())


def test_numbers_and_emoji_are_not_words() -> None:
    text = "I listen to podcasts 🙂 and I learn. " + " ".join(str(i) for i in range(90)) + " 🙏✨"
    verdict = roots(text)
    assert verdict.status == "incomplete" and verdict.checks == ("too_short",)
    assert verdict.words == 7


def test_a_number_in_a_sentence_is_a_word() -> None:
    assert roots("In 2019, when I was 17, my dad said 3 things.").words == 11


def test_filler_after_a_real_start_does_not_count() -> None:
    start = "My grandmother said people on benefits were lazy and I repeated it at school. "
    for filler in ("more " * 70, "and the " * 35, "I have to reach the word count. " * 10):
        verdict = roots(start + filler)
        assert verdict.status == "incomplete", (filler[:20], verdict)


def test_english_words_without_grammar_are_a_list_not_another_language() -> None:
    words = "belief habit school media workplace family dad television neighbours money "
    for text in (words * 9, ", ".join((words * 9).split())):
        verdict = roots(text)
        assert verdict.checks == ("word_list",) and verdict.credit == 0.0


def test_another_language_needs_positive_evidence_and_then_gets_credit() -> None:
    hungarian = (
        "Tavaly a munkahelyi vacsorán a főnököm egy roma kollégáról viccelődött, és mindenki "
        "nevetett. Én is mosolyogtam, pedig rosszul éreztem magam. Azóta sokat gondolkodom azon, "
        "hogy a hallgatásom mit mondott rólam: hogy fontosabb volt nekem a békesség, mint a "
        "kollégám méltósága. Legközelebb szeretném megmondani, hogy ez nem vicces, még ha kínos "
        "is, mert a csend is üzenet. Ezt a szüleimtől tanultam, akik mindig hallgattak. "
    )
    verdict = roots(hungarian)
    assert verdict.status == "flagged" and verdict.credit == 1.0


def test_sprinkled_function_words_do_not_make_sentences() -> None:
    text = (
        "My belief a habit the school of media and dad was lazy at dinner in the workplace my "
        "upbringing is what I assumption not poor it judge of family neighbours to television "
        "the money relative quiet and awkward judgement of ashamed respect the values my habit "
        "shape to notice learn it grow change belief school media workplace the raised systems "
        "of a upbringing television my dad in lazy the poor at benefits of cousin and teacher "
        "it shows habit to workplace the joke of manager is assumption my"
    )
    assert roots(text).checks == ("word_salad",)


def test_restating_the_task_is_not_own_words() -> None:
    text = (
        "For this assignment I need to write about what work I would need to do before somebody "
        "else could call me an ally. The essay says that ally is a label you earn and not "
        "something you give yourself. So the question wants specific actions instead of "
        "intentions. I think this is a really good question and I will answer it by describing "
        "actions and not intentions, because the prompt says to be specific about actions rather "
        "than intentions, and the essay's point is that the label is earned."
    )
    verdict = evaluate(text, PROMPTS["listening_earn"].rule_settings())
    assert verdict.checks == ("prompt_copy",) and verdict.credit == 0.0


def test_reusing_a_short_prompt_phrase_costs_nothing() -> None:
    text = (
        "I grew up believing that people who speak with a strong accent are less educated. My "
        "parents corrected our grammar constantly and laughed at the way some neighbours talked, "
        "and the TV shows I watched made the funny or dim character the one with the accent. It "
        "shows up in what I do at work: when a caller has an accent I slow down and simplify my "
        "words before I know anything about them. Last week a caller turned out to be a surgeon."
    )
    verdict = roots(text)
    assert verdict.status == "complete" and verdict.own_words == verdict.words


def test_own_vocabulary_is_not_off_topic() -> None:
    """A formal answer in its own words shares little with the prompt: never a zero."""
    verdict = roots(LENDING)
    assert verdict.credit == 1.0


def test_clearly_other_domain_text_is_off_topic() -> None:
    recipe = (
        "Whisk two eggs with a cup of milk and a pinch of salt. Melt butter in a wide pan over a "
        "medium heat, pour in the mixture and stir slowly with a wooden spoon, pulling the set "
        "edges towards the middle. Take the pan off the heat while the eggs still look slightly "
        "wet, since they keep cooking. Season with pepper, add chopped chives and serve at once "
        "on buttered toast, with tomatoes roasted in the oven for twenty minutes."
    )
    assert roots(recipe).checks == ("off_topic",)


# Texts below are written for these tests in languages without a word list in rules.json.
SHONA = (
    "Pandakanga ndiri mudiki, vabereki vangu vaigara vachiti vanhu vanobva kune dzimwe nyika "
    "vane usimbe uye havadi kushanda. Ndakakura ndichitenda izvozvo pasina kufunga. Kuchikoro "
    "vadzidzisi vaitaura zvakafanana, uye paterevhizheni vanhu ava vairatidzwa sembavha. Nhasi "
    "ndinoona kuti pfungwa iyoyo yakabva kumhuri yangu nekunharaunda. Svondo rakapera, pabasa "
    "rangu, mumwe mushandi mutsva akauya achibva kuMozambique, uye ndakafunga pakarepo kuti "
    "aizononoka. Asi akashanda zvakanaka kupfuura isu tose. Ndakanyara, uye ndakaziva kuti "
    "ndinofanira kuchinja maonero angu."
)
MAORI = (
    "I toku tamarikitanga, i kii tonu oku matua ko nga tangata no etahi atu whenua he mangere, "
    "kaore hoki e pai ki te mahi. I tipu ake ahau me te whakapono ki tera whakaaro. I te kura he "
    "rite tonu nga kupu a nga kaiako, a i runga i te pouaka whakaata i whakaaturia aua tangata he "
    "tahae. Inaianei kua kite ahau no toku whanau me toku hapori tera whakaaro. I tera wiki, i "
    "toku mahi, i tae mai tetahi kaimahi hou no Tonga, a i whakaaro tonu ahau ka tomuri ia. "
    "Engari he pai ake tana mahi i a matou katoa. I whakama ahau, a kua mohio ahau me "
    "whakarereke toku titiro."
)


@pytest.mark.parametrize("text", [SHONA, MAORI], ids=["shona", "maori"])
def test_a_language_without_a_word_list_or_accents_is_credited(text: str) -> None:
    verdict = roots(text)
    assert verdict.status == "flagged" and verdict.credit == 1.0, verdict


def test_talking_about_the_task_in_other_words_is_not_own_words() -> None:
    text = (
        "Basically this question wants me to consider a time when a person I know well, maybe a "
        "relative or a colleague, did or said something that hurt other people. It asks me to "
        "explain how I acted right then, whether I spoke up or kept quiet, and then it wants me "
        "to reflect on what that reaction or that quiet shows about the kind of person I am. It "
        "is a question about holding the people near us to account when they do harm."
    )
    settings = PROMPTS["accountability_close"].rule_settings()
    verdict = evaluate(text, settings, model=False)
    # Restating is a judgement, not a word-for-word copy (genuine answers that echo the prompt
    # were zeroed by it): the rules never complete it silently, but credit it and send it to
    # the instructor unless restating is most of the answer.
    assert verdict.status == "flagged" and verdict.checks == ("prompt_copy_small",)
    assert "restate the task" in verdict.reasons[0]
    # Nothing in it is the writer's own: the learned second opinion denies it, and says why.
    learned = evaluate(text, settings)
    assert learned.status == "incomplete" and learned.checks == ("not_own_reflection",)
    assert "your own reflection" in learned.reasons[0]


def test_a_genuine_answer_that_echoes_the_prompt_is_never_zeroed() -> None:
    text = (
        "The belief I held came from how I was raised: that people who speak with an accent "
        "are less educated. It shows up in what I do. At work I used to repeat questions "
        "slowly to a colleague from Ghana, as if she had not understood, when she understood "
        "perfectly. She told me once, kindly, and I was embarrassed. I still catch the urge "
        "to slow down, and now I stop myself and just talk to her like anyone else."
    )
    settings = PROMPTS["introspection_roots"].rule_settings()
    assert evaluate(text, {**settings, "min_words": 80}).credit == 1.0


def test_maxims_addressed_to_you_are_generic() -> None:
    text = (
        "Honesty costs nothing but is worth everything. Treat others the way you want to be "
        "treated. What you allow is what will continue. Be kind whenever possible, and it is "
        "always possible. Your actions speak louder than your words. Respect is earned, never "
        "given. Never let anyone dim your light. Choose the hard right over the easy wrong. "
        "The way you treat people who can do nothing for you shows who you really are."
    )
    verdict = evaluate(text, PROMPTS["accountability_standard"].rule_settings())
    assert verdict.checks == ("generic",) and verdict.credit == 0.0


def test_a_reflection_for_another_field_is_off_topic() -> None:
    text = (
        "This sprint I finally understood recursion. My first attempt at the tree traversal kept "
        "overflowing the stack, so my mentor showed me how to use the debugger and step through "
        "each call. I wrote unit tests for the edge cases, refactored the function into two "
        "smaller ones, and the pull request was merged on Friday. Next sprint I want to learn "
        "more SQL, because my queries against the database are slow and I still copy too much "
        "code from Stack Overflow without reading it."
    )
    assert roots(text).checks == ("off_topic",)


def test_capitals_left_inside_sentences_by_shuffling_are_salad() -> None:
    text = (
        "school from grew I believing My that benefits were people on lazy. repeated I dad it "
        "and The kids it laughed at at. still It notice I when judge I someone, But in shop the "
        "queue at I it. That the from came papers my read dad we that, So notice try I and now "
        "it stop. When habits old are family hard with, In way the talks everyone, I want change "
        "to this habit and listen more people to who benefits on live actually."
    )
    assert roots(text).checks == ("word_salad",)


# -- summaries, impersonal answers, the course's subject, answers addressed to "you" -----------
# Texts below are written for these tests (not taken from the collection); they are short, so
# the prompts' minimum is set to 40 words.
def short(grade_id: str) -> dict:
    return PROMPTS[grade_id].rule_settings() | {"min_words": 40}


def test_an_impersonal_summary_of_the_reading_is_incomplete() -> None:
    text = (
        "The essay argues that an ally is someone who supports a movement rather than leads it. "
        "The author describes how a profile badge or a single post can stand in for real work, "
        "and it suggests that people check what they excuse in their own families. It also "
        "notes that harm said in private rooms still travels. Finally the writer states that "
        "the label is given by the people one supports and cannot be claimed."
    )
    verdict = evaluate(text, short("listening_earn"))
    assert verdict.checks == ("summary",) and verdict.credit == 0.0
    assert "summarises the reading" in verdict.reasons[0]


def test_a_summary_followed_by_a_personal_answer_is_credited() -> None:
    text = (
        "The chapter explains that keeping quiet is heard as agreement, and it argues that what "
        "we excuse in people we love says something about us. I saw this at my cousin's wedding "
        "last spring. My uncle made a crude joke about the bride's Nigerian family and the whole "
        "table laughed. I looked at my phone and said nothing. The next morning I phoned him and "
        "told him it embarrassed me, and he went quiet, then said he had not thought about it."
    )
    verdict = evaluate(text, short("accountability_close"))
    assert verdict.status == "complete", verdict


def test_a_reflection_that_never_mentions_its_writer_is_at_most_flagged() -> None:
    text = (
        "At the staff barbecue a supervisor kept calling the new cleaner by a nickname that "
        "mocked her accent. Everyone around the grill laughed, including the person who had "
        "hired her. Nobody said anything that afternoon. The next day she asked to move to the "
        "night shift, and the team lost the one worker who always stayed late to help."
    )
    verdict = evaluate(text, short("accountability_close"))
    assert verdict.status == "flagged" and verdict.credit == 1.0, verdict
    assert "impersonal" in verdict.checks


def test_a_second_person_reflection_about_real_moments_is_not_a_zero() -> None:
    text = (
        "You grow up in a house where your dad calls the family next door scroungers, and you "
        "believe him because he is your dad. Then at sixteen you get a weekend job at the "
        "supermarket, and the woman who trains you turns out to be the mum from next door. She "
        "was patient, funny and worked two jobs. You went home that night and could not look "
        "at your dad the same way. You still hear his voice when a customer pays with vouchers, "
        "and you have to stop and remind yourself what you saw."
    )
    verdict = evaluate(text, short("introspection_roots"))
    assert verdict.credit == 1.0 and verdict.status == "flagged", verdict
    assert "second_person" in verdict.checks


def test_a_reflection_for_another_course_is_not_complete() -> None:
    physics = (
        "In this week's physics lab my partner and I measured the acceleration of a trolley "
        "rolling down a ramp. Our first graph was a mess because I started the timer late every "
        "time, and I tried to blame the light gates. Once I let my partner run the timer the "
        "points lined up and we got a value close to the textbook one. I learned that I rush "
        "when I am nervous, and next time I will repeat each run before I plot anything."
    )
    assert evaluate(physics, short("introspection_roots")).checks == ("off_topic",)
    friendship = (
        "Last month I argued with my best friend about a trip we had talked about together for a "
        "year. She cancelled two days before, and I told her she always lets people down. I was "
        "angry and I wanted her to feel as bad as I did. A week later her sister told me their "
        "father had been very ill the whole time. I felt awful. I called her, said sorry, and "
        "listened for an hour. I learned that I decide what someone means before I ask them."
    )
    verdict = evaluate(friendship, short("introspection_growth"))
    assert verdict.status == "flagged" and verdict.checks == ("off_course",), verdict
    assert "course's subject" in verdict.reasons[0]


def test_a_reflection_on_ableism_in_its_own_words_is_credited() -> None:
    text = (
        "My younger brother has cerebral palsy and walks with sticks. For years I finished his "
        "sentences for him when he spoke slowly, and I answered waiters who asked him what he "
        "wanted, because I thought I was helping. Last Christmas he told me, quite calmly, that "
        "I make him invisible in every restaurant we go to. I realised I had absorbed the idea "
        "that he needs managing, from my parents and from school, where he was always taken out "
        "of lessons. Now I wait, even when the silence feels long, and let him order for himself."
    )
    verdict = evaluate(text, short("introspection_roots"))
    assert verdict.status == "complete", verdict


# -- personal in form, empty in substance: commitments, agreement, a summary to "you" ----------
# Texts below are written for these tests (not taken from the collection).
def test_commitment_talk_with_no_lived_moment_is_incomplete() -> None:
    text = (
        "I am deeply committed to fostering a culture of respect in every space I occupy. Going "
        "forward, I will leverage my platform to champion inclusive practices, align my actions "
        "with my core values and empower the people around me. My commitment is to ensure that "
        "accountability is not a slogan but an ongoing, intentional journey, and I will strive "
        "to embrace feedback as a meaningful opportunity for growth."
    )
    verdict = evaluate(text, short("accountability_standard"))
    assert verdict.checks == ("abstract",) and verdict.credit == 0.0, verdict
    assert "real moment" in verdict.reasons[0]


def test_a_commitment_with_a_real_moment_is_complete() -> None:
    text = (
        "I am committed to one standard: I do not laugh at jokes about people's accents, even "
        "when nobody from the team is around. Last Friday at the pub my manager imitated our "
        "Polish colleague's voice, and I laughed along before I caught myself. The next morning "
        "I told him it made me uncomfortable, and he shrugged. Going forward, my step is to say "
        "so in the moment rather than the day after."
    )
    verdict = evaluate(text, short("accountability_standard"))
    assert verdict.status == "complete", verdict


def test_a_plan_in_somewhat_abstract_words_is_credited_and_flagged() -> None:
    text = (
        "To earn the word ally I would need to stop talking and start doing. I want my support "
        "for disabled people to be consistent and not only online. That means showing up to "
        "meetings of the disability rights group in my town, doing the tasks they ask for, and "
        "asking before I speak for anyone. It is an ongoing, meaningful commitment, and I truly "
        "hope to keep it even when it costs me time."
    )
    verdict = evaluate(text, short("listening_earn"))
    assert verdict.status == "flagged" and verdict.credit == 1.0, verdict
    assert verdict.checks == ("abstract_talk",)


def test_agreeing_with_the_reading_many_ways_is_incomplete() -> None:
    text = (
        "I agree with the essay about listening. The author is right that we need to hear "
        "marginalized voices. I completely agree with this point. It makes sense to me and I "
        "think it is very true. This is a good essay and I agree with what it says. I agree "
        "that everyone should listen more."
    )
    verdict = evaluate(text, short("introspection_learning"))
    assert verdict.checks == ("agreement",) and verdict.credit == 0.0, verdict
    assert "agree" in verdict.reasons[0]


def test_agreeing_and_then_telling_of_ones_life_is_complete() -> None:
    text = (
        "I agree with the essay that I mostly hear people like me. My feeds are full of friends "
        "from school, and I realised last week that I follow no disabled writers at all. My "
        "aunt, who is Deaf, once told me that hearing people only ask her about sign language. "
        "I agree with her too. I could learn more by going to the Deaf club she runs on "
        "Saturdays and just listening."
    )
    verdict = evaluate(text, short("introspection_learning"))
    assert verdict.status == "complete", verdict


def test_a_summary_addressed_to_you_is_incomplete() -> None:
    text = (
        "The chapter talks about holding the people closest to you to a standard, like family "
        "and coworkers. It gives examples of a group chat and a family dinner, and it tells you "
        "that what you excuse says something about you. The book also says that private "
        "remarks teach people what is normal and shape later decisions, even when nobody from "
        "the group is in the room."
    )
    verdict = evaluate(text, short("accountability_private"))
    assert verdict.checks == ("summary",) and verdict.credit == 0.0, verdict


# -- a too-short answer is told so; repeats count in every script -----------------------------
@pytest.mark.parametrize("text", ["ok", "x", "Yes.", "idk", "hola", "  ok!  "])
def test_a_one_word_answer_is_told_it_is_too_short(text: str) -> None:
    verdict = roots(text)
    assert verdict.checks == ("too_short",) and verdict.credit == 0.0, verdict
    assert verdict.reasons == ("You wrote 1 word; this prompt asks for at least 80 words.",)


def test_a_few_words_are_too_short_and_a_longer_list_is_told_both() -> None:
    assert roots("fine thanks").reasons == (
        "You wrote 2 words; this prompt asks for at least 80 words.",
    )
    words = "belief habit school media workplace family dad television neighbours money "
    verdict = roots(words * 5)  # 50 words: long enough to see it is no sentence
    assert verdict.checks == ("too_short", "word_list") and verdict.credit == 0.0
    assert verdict.reasons[0] == "You wrote 50 words; this prompt asks for at least 80 words."
    assert roots(words * 9).checks == ("word_list",)  # long enough: only the form is wrong


# Written for these tests: genuine answers to introspection_roots in several scripts (with and
# without spaces between words), and the same few words or sentence repeated in each.
GENUINE_SCRIPTS = {
    "chinese": (
        "小时候，我一直以为说方言的人没有受过什么教育。我的叔叔在家庭聚会上经常模仿楼下卖菜的"
        "阿姨说话，大家都笑了，我也跟着笑。上个月在公司，一位新同事打电话时用家乡话和她妈妈聊"
        "天，我心里马上觉得她不够专业。后来我才发现，她是我们部门最细心的人。这件事让我很惭愧，"
        "我开始注意自己什么时候会因为口音去评判别人，也想以后在家里听到这种玩笑时说出来。"
    ),
    "japanese": (
        "子どものころ、私は訛りのある人はあまり頭が良くないと思い込んでいました。祖父は近所の"
        "店員の話し方をよくまねして、家族はみんな笑っていました。先週、職場で新しい同僚が電話"
        "で方言を話しているのを聞いて、すぐに仕事ができなさそうだと感じてしまいました。でも実"
        "際には、彼女はチームで一番丁寧な人でした。この経験から、自分の思い込みがどこから来た"
        "のかを考えるようになりました。これからは、家族の冗談にも黙っていないようにしたいです。"
    ),
    "thai": (
        "ตอนเด็กๆ ฉันเชื่อว่าคนที่พูดสำเนียงต่างจังหวัดไม่ค่อยฉลาด "
        "พ่อของฉันชอบล้อเลียนสำเนียงของแม่ค้าในตลาดตอนกินข้าวกับครอบครัว และทุกคนก็หัวเราะ ฉันก็หัวเราะด้วย "
        "เมื่อเดือนที่แล้ว เพื่อนร่วมงานคนใหม่คุยโทรศัพท์กับแม่ด้วยภาษาอีสาน ฉันคิดทันทีว่าเขาคงทำงานไม่เก่ง "
        "แต่ต่อมาฉันพบว่าเขาเป็นคนที่ละเอียดที่สุดในทีม ฉันรู้สึกละอายใจมาก "
        "ตอนนี้ฉันพยายามสังเกตตัวเองว่าตัดสินคนจากสำเนียงเมื่อไร และอยากจะพูดออกมาเมื่อได้ยินเรื่องตลกแบบนี้ที่บ้าน"
    ),
    "arabic": (
        "عندما كنت صغيرة، كنت أعتقد أن الناس الذين يتكلمون بلهجة ريفية أقل ذكاء مني. كان عمي "
        "يقلد طريقة كلام البائع في الحي في كل عشاء عائلي، وكان الجميع يضحكون، وأنا أضحك "
        "معهم. في الشهر الماضي، سمعت زميلة جديدة في العمل تتحدث مع أمها على الهاتف بلهجتها، "
        "فظننت فورا أنها ليست محترفة. بعد أسابيع اكتشفت أنها أكثر شخص دقيق في فريقنا. شعرت "
        "بالخجل، وبدأت ألاحظ متى أحكم على الناس من لهجتهم، وأريد أن أعترض في المرة القادمة "
        "عندما أسمع هذه النكتة في البيت."
    ),
    "hindi": (
        "बचपन में मैं सोचता था कि जो लोग गाँव की बोली में बात करते हैं, वे कम पढ़े-लिखे होते हैं। मेरे चाचा हर "
        "पारिवारिक खाने पर सब्ज़ी वाले की नकल करते थे और सब हँसते थे, मैं भी हँसता था। पिछले महीने दफ़्तर में "
        "एक नई सहकर्मी अपनी माँ से फ़ोन पर अपनी बोली में बात कर रही थी, और मैंने तुरंत सोचा कि वह ज़्यादा "
        "काबिल नहीं होगी। कुछ हफ़्तों बाद पता चला कि वह हमारी टीम में सबसे सावधान इंसान है। मुझे शर्म आई। "
        "अब मैं ध्यान देता हूँ कि मैं कब लोगों को उनके लहजे से आँकता हूँ, और अगली बार घर पर ऐसा मज़ाक सुनकर "
        "चुप नहीं रहूँगा।"
    ),
    "korean": (
        "어렸을 때 나는 사투리를 쓰는 사람들이 덜 똑똑하다고 생각했다. 삼촌은 가족 모임마다 "
        "시장 상인의 말투를 흉내 냈고, 모두가 웃었고 나도 같이 웃었다. 지난달 회사에서 새로 "
        "온 동료가 어머니와 통화하면서 사투리를 쓰는 것을 듣고, 나는 곧바로 그가 일을 잘 "
        "못할 거라고 생각했다. 몇 주 뒤 그가 우리 팀에서 가장 꼼꼼한 사람이라는 것을 알게 "
        "되었다. 부끄러웠다. 이제 나는 내가 언제 말투로 사람을 판단하는지 살펴보고, 다음에 "
        "집에서 그런 농담을 들으면 말하려고 한다."
    ),
    "russian": (
        "В детстве я считала, что люди с деревенским говором менее умные. Мой дядя на каждом "
        "семейном ужине передразнивал продавца с рынка, и все смеялись, я тоже. В прошлом "
        "месяце новая коллега на работе говорила по телефону с мамой на своём диалекте, и я "
        "сразу подумала, что она непрофессиональна. Через несколько недель оказалось, что "
        "она самый внимательный человек в нашей команде. Мне стало стыдно. Теперь я замечаю, "
        "когда сужу людей по акценту, и в следующий раз дома не буду молчать, если услышу "
        "такую шутку."
    ),
}
REPEATED = {
    "one_character": "我" * 100,
    "chinese_sentence": "我今天和朋友一起去学校上课了。" * 30,
    "chinese_unpunctuated": "我今天和朋友一起去学校上课了" * 30,
    "chinese_two_sentences": ("我今天和朋友一起去学校上课了。" + "老师说我们要好好学习。") * 15,
    "japanese_sentence": "私は毎日学校に行きます。" * 30,
    "thai_words": "ดีมาก " * 80,
    "thai_sentence": "ฉันไปโรงเรียนกับเพื่อนทุกวัน " * 30,
    "arabic_sentence": "ذهبت إلى المدرسة مع صديقي اليوم. " * 30,
    "hindi_sentence": "मैं आज अपने दोस्त के साथ स्कूल गया। " * 30,
    "korean_sentence": "나는 오늘 친구와 함께 학교에 갔다. " * 30,
    "russian_sentence": "Сегодня я ходил в школу с другом. " * 30,
    "spanish_sentence": "Hoy fui a la escuela con mi amigo y mi madre. " * 30,
}


@pytest.mark.parametrize("script", list(GENUINE_SCRIPTS))
def test_a_genuine_answer_in_another_script_stays_credited(script: str) -> None:
    for grade_id in ("introspection_roots", "accountability_close", "listening_room"):
        verdict = evaluate(GENUINE_SCRIPTS[script], PROMPTS[grade_id].rule_settings())
        assert verdict.status == "flagged" and verdict.credit == 1.0, (grade_id, verdict)
        assert verdict.checks == ("other_language",)


@pytest.mark.parametrize("name", list(REPEATED))
def test_repetition_in_any_language_or_script_is_not_credited(name: str) -> None:
    verdict = roots(REPEATED[name])
    assert verdict.checks == ("other_language_repetition",) and verdict.credit == 0.0, verdict
    assert "repeats" in verdict.reasons[0]


def test_repeats_added_to_another_language_count_only_once() -> None:
    chinese = GENUINE_SCRIPTS["chinese"]
    start = chinese[: chinese.index("上个月")]  # a genuine start, well under the minimum
    padded = roots(start + "我也跟着笑。" * 40)
    assert padded.checks == ("other_language_repetition",) and padded.credit == 0.0
    # Repeats on top of a whole answer cost nothing; a sentence said twice is not padding.
    assert roots(chinese + "我" * 200).credit == 1.0
    last = chinese[chinese.index("这件事") :]
    assert roots(chinese + last + last).checks == ("other_language",)


def test_stray_reading_matches_never_make_a_copied_run() -> None:
    """The reading is a Bloom filter: two stray "maybe" shingles four words apart once covered
    nine words of a genuine answer and zeroed it. A copied run is consecutive shingles only."""
    from allyship.reflection.rules import _chained

    assert _chained([3, 7, 10, 11, 12, 13, 20, 24], 4) == [10, 11, 12, 13]
    assert _chained([56, 60], 4) == []
    assert _chained([], 4) == []


def test_a_polite_decline_goes_to_the_instructor_with_a_kind_way_forward() -> None:
    """No one has to disclose: a short refusal is not credited, but it is never a silent zero
    either: it is sent for review, and the reason points to the imagined-situation path."""
    for grade_id in ("introspection_growth", "accountability_close", "listening_heard"):
        settings = PROMPTS[grade_id].rule_settings()
        for text in DECLINES:
            verdict = evaluate(text, settings)
            assert (verdict.status, verdict.checks) == ("incomplete", ("decline",)), text
            assert verdict.credit == 0.0 and verdict.needs_review, text
            assert "imagined situation" in verdict.reasons[0]
            assert "instructor will see it" in verdict.reasons[0]


def test_a_long_answer_that_says_it_would_rather_not_is_judged_as_an_answer() -> None:
    text = (
        "I'd rather not name him, but my uncle made a joke about our neighbours at a family "
        "dinner last spring, something about how they would never be able to run a business "
        "here. Everyone laughed and I laughed too, because I did not want to be the one who "
        "ruined the evening. Later my cousin told me the neighbours' daughter had heard it "
        "through the open window. My silence said I cared more about a calm table than about "
        "the family next door, and I called her the next day to apologise."
    )
    verdict = evaluate(text, PROMPTS["accountability_close"].rule_settings())
    assert "decline" not in verdict.checks and verdict.credit == 1.0
