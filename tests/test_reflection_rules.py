"""The reflection completion rules, measured on the labeled collection in tests/reflections/.

The collection holds our own writing: genuine reflections in many voices and styles, and the
ways people game a completion grader. ``dev.jsonl`` was used while building the rules;
``heldout.jsonl`` was written at the same time and never tuned on; its rates print separately.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allyship.course import PILLARS, assignments, load_prompts
from allyship.reflection import Verdict, evaluate
from allyship.reflection.config import RULES
from allyship.reflection.reading import (
    READING_PATH,
    book_texts,
    build_fingerprints,
    find_essay,
    markdown_prose,
)
from allyship.reflection.text import tokenize

REPO = Path(__file__).resolve().parent.parent
COLLECTION = REPO / "tests" / "reflections"
GENUINE_PREFIX = "genuine_"
SENTENCE = re.compile(r"^[A-Z][^{}]*[.!?]$")


def load_collection() -> list[dict]:
    items = []
    for split in ("dev", "heldout"):
        lines = (COLLECTION / f"{split}.jsonl").read_text("utf-8").splitlines()
        for number, line in enumerate(lines):
            if line.strip():
                item = json.loads(line)
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
    if item["kind"].startswith(GENUINE_PREFIX):
        return "genuine"
    return "other_language" if item["kind"] == "other_language" else "gaming"


def test_collection_is_well_formed() -> None:
    assert len(ITEMS) >= 200
    ids = [item["id"] for item in ITEMS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for item in ITEMS:
        where = f"{item['split']}.jsonl line {item['line']}"
        assert set(item) >= {"id", "assignment", "grade_id", "kind", "expected", "text"}, where
        assert item["grade_id"] in PROMPTS, f"{where}: unknown prompt {item['grade_id']}"
        assert PROMPTS[item["grade_id"]].assignment == item["assignment"], where
        expected = {"genuine": "complete", "other_language": "flagged", "gaming": "incomplete"}
        assert item["expected"] == expected[group(item)], where
    genuine_prompts = {i["grade_id"] for i in ITEMS if group(i) == "genuine"}
    assert genuine_prompts == set(PROMPTS), "every prompt needs genuine reflections"
    assert {i["assignment"] for i in ITEMS} == set(PILLARS)
    assert Counter(i["split"] for i in ITEMS)["heldout"] >= 50


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
    for split in ("dev", "heldout", "all"):
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
    assert verdict.words == len(tokenize(item["text"]).norm)


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
        if item["kind"] == "other_language":
            verdict = judge(item)
            assert verdict.credit == 1.0 and verdict.status == "flagged", item["id"]
            assert "instructor" in verdict.reasons[0]


def test_deterministic() -> None:
    for item in ITEMS[::7]:
        assert judge(item) == judge(item)


def test_reading_fingerprints_are_up_to_date() -> None:
    """reading.json matches book/ (and the essay, where shared/ is on this machine).
    Regenerate with ``allyship.reflection.reading.update_reading(root)``."""
    stored = json.loads(READING_PATH.read_text("utf-8"))
    fresh = build_fingerprints(REPO, stored)
    assert fresh["sources"]["book"] == stored["sources"]["book"], "book/ changed: regenerate"
    if find_essay(REPO) is not None:
        assert fresh["sources"]["essay"] == stored["sources"]["essay"]
    assert "essay" in stored["sources"], "reading.json lost the essay's fingerprints"
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
    assert codes <= set(RULES.reasons), codes - set(RULES.reasons)
