"""The JavaScript rules (allyship/reflection/rules.js) agree with the Python rules exactly.

Node runs tests/js/run_rules.mjs, which imports rules.js and reads the same rules.json and
reading.json, over every item of the labeled collection, tricky Unicode, and random text.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from conftest import DECLINES
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from test_reflection_rules import GENUINE_SCRIPTS, REPEATED

from allyship.course import assignments, load_prompts
from allyship.reflection import evaluate
from allyship.reflection.config import RULES_PATH
from allyship.reflection.reading import READING_PATH

REPO = Path(__file__).resolve().parent.parent
RUNNER = REPO / "tests" / "js" / "run_rules.mjs"
NODE = shutil.which("node")
PROMPTS = {p.grade_id: p.rule_settings() for a in assignments(REPO) for p in load_prompts(a, REPO)}

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def run_js(cases: list[tuple[str, dict]], *mode: str) -> list[dict]:
    """Each case through rules.js in node (``mode``: "--opinion" for the learned part alone)."""
    lines = "".join(json.dumps({"text": t, "settings": s}) + "\n" for t, s in cases)
    done = subprocess.run(
        [NODE, str(RUNNER), str(RULES_PATH), str(READING_PATH), *mode],
        input=lines,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def as_dict(text: str, rule_settings: dict) -> dict:
    v = evaluate(text, rule_settings)
    return {
        "status": v.status,
        "credit": v.credit,
        "reasons": list(v.reasons),
        "words": v.words,
        "checks": list(v.checks),
        "own_words": v.own_words,
    }


def assert_parity(cases: list[tuple[str, dict]], labels: list[str]) -> None:
    js = run_js(cases)
    assert len(js) == len(cases)
    mismatches = [
        f"{label}: python={py} js={j}"
        for label, (text, s), j in zip(labels, cases, js, strict=True)
        if (py := as_dict(text, s)) != j
    ]
    assert not mismatches, "\n".join(mismatches[:10])


def collection() -> list[dict]:
    items = []
    for path in sorted((REPO / "tests" / "reflections").glob("*.jsonl")):
        items += [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    return items


def test_every_collection_item_gets_the_same_verdict_in_js() -> None:
    items = collection()
    assert len(items) >= 200
    cases = [(item["text"], PROMPTS[item["grade_id"]]) for item in items]
    assert_parity(cases, [item["id"] for item in items])


TRICKY = [
    "",
    "İstanbul'da ΟΔΟΣ ΣΟΦΟΣ straße ﬁne ｆｕｌｌｗｉｄｔｈ",
    "مرحبا بالعالم هذا نص عربي طويل بما فيه الكفاية " * 20,
    "עברית \u200f עם סימני כיוון " * 30,
    "e\u0301 cafe\u0301 n\u0303 " * 40,
    "🙂👍🏽 emoji only 🏳️‍🌈 " * 30,
    "a" * 5000,
    "x\x00y\x07z\x1b[31m control " * 50,
    "<!-- unclosed comment " + "word " * 100,
    "<b>bold</b> http://example.org/a?b=c www.example.org text " * 20,
    "日本語の文章です。私は毎日学校に行きます。" * 10,
    "ภาษาไทยไม่มีช่องว่างระหว่างคำ" * 10,
    "don’t can’t I’m you’re " * 30,
    "The the the of of of. A a a? I I I! " * 20,
    "1 2 3 4 5 🙂 " * 30 + "I listen, and I learn: (sometimes) — not always / often.",
    "Pause, pause: after 42, a number; 7. Then words - dashes – and “quotes” «too» • bullet | bar",
    "Ndakakura ndichitenda izvozvo pasina kufunga uye vanhu vaitaura zvakafanana. " * 12,
    "I te kura he rite tonu nga kupu a nga kaiako, a i kite ahau no toku whanau. " * 8,
    "said it At the dinner But I the of We to my Uncle In family quiet was The end. " * 8,
    "This question wants me to consider whether I would speak up. It asks me to explain. " * 6,
    "Your actions speak louder than your words. Be kind to everyone you meet today. " * 8,
]


def test_tricky_unicode_gets_the_same_verdict_in_js() -> None:
    cases = [(text, PROMPTS["listening_room"]) for text in TRICKY]
    cases += [(TRICKY[1], {"min_words": "12", "release_text": None, "prompt": None})]
    cases += [(TRICKY[-1], {"min_words": 3.7, "release_text": "The the", "prompt": "the the"})]
    assert_parity(cases, [repr(t[:30]) for t, _ in cases])


EMPTY_BUT_PERSONAL = [
    # commitments and corporate values, no lived moment (incomplete)
    "Going forward I will leverage every opportunity to support belonging. I am truly committed "
    "to holistic, ongoing growth, and I will champion our core values, empower stakeholders "
    "and align my actions with a sustainable vision of respect for disabled colleagues.",
    # somewhat abstract but a plan with specifics (credited, flagged)
    "I would need to keep showing up at the tenants' union in my building and do the boring "
    "jobs, like translating flyers into Spanish for my immigrant neighbours. It is an ongoing "
    "commitment and a meaningful one, and I truly want it to last longer than one month of good "
    "intentions.",
    # agreement said many ways (incomplete), then agreement with a lived moment (complete)
    "I agree with the chapter. The writer is right about listening. I agree with every point. "
    "It is so true and it makes sense. I fully agree that people should listen to others more.",
    "I agree with the essay. Last spring my Deaf roommate told me I talk over her interpreter "
    "at work, and I laughed it off. A week later my manager said the same thing, and I went quiet.",
]


def test_empty_but_personal_answers_get_the_same_verdict_in_js() -> None:
    settings = PROMPTS["listening_earn"] | {"min_words": 30}
    cases = [(text, settings) for text in EMPTY_BUT_PERSONAL]
    statuses = [evaluate(text, s, model=False).checks for text, s in cases]
    assert statuses == [("abstract",), ("abstract_talk",), ("agreement",), ("complete",)]
    assert_parity(cases, [t[:30] for t in EMPTY_BUT_PERSONAL])


SHORT_LIST = "belief habit school media workplace family dad television neighbours money " * 5


def test_short_answers_and_repeats_in_every_script_get_the_same_verdict_in_js() -> None:
    """A one-word answer is told it is too short; repeats are found in every script, and
    genuine answers in other scripts stay credited: in the browser as in the grader."""
    settings = PROMPTS["introspection_roots"]
    chinese = GENUINE_SCRIPTS["chinese"]
    padded = chinese[: chinese.index("上个月")] + "我也跟着笑。" * 40
    texts = ["ok", "x", "Yes.", "fine thanks", SHORT_LIST, padded, chinese + "我" * 200]
    texts += [*GENUINE_SCRIPTS.values(), *REPEATED.values()]
    cases = [(text, settings) for text in texts]
    js = run_js(cases)
    one = "You wrote 1 word; this prompt asks for at least 80 words."
    assert [v["reasons"] for v in js[:3]] == [[one]] * 3
    assert js[3]["checks"] == ["too_short"] and js[4]["checks"] == ["too_short", "word_list"]
    assert js[5]["checks"] == ["other_language_repetition"] and js[6]["credit"] == 1.0
    genuine = js[7 : 7 + len(GENUINE_SCRIPTS)]
    assert all(v["status"] == "flagged" and v["credit"] == 1.0 for v in genuine), genuine
    repeated = js[7 + len(GENUINE_SCRIPTS) :]
    assert all(v["checks"] == ["other_language_repetition"] for v in repeated), repeated
    labels = ["ok", "x", "Yes.", "fine thanks", "short list", "padded", "chinese + 我"]
    assert_parity(cases, labels + list(GENUINE_SCRIPTS) + list(REPEATED))


def assigned(char: str) -> bool:
    """Characters assigned in Python's Unicode version (node's is newer: skip the gap)."""
    return unicodedata.category(char) not in {"Cn", "Cs"}


SAMPLE_WORDS = [
    *[
        "the",
        "a",
        "of",
        "I",
        "my",
        "friend",
        "said",
        "harm",
        "listen",
        "learn",
        "wrong",
        "was",
        "is",
        "to",
        "and",
        "ally",
        "joke",
    ],
    *["family.", "\n", "asdf", "qwrt", "lorem", "ipsum", "è", "日本", ""],
    *["42", "prompt", "reflection,", "(note)", "és", "ž", "uncle:", "—", "the", "wrong"],
]
texts = st.lists(
    st.text(alphabet=st.characters().filter(assigned), max_size=400)
    | st.lists(
        st.sampled_from(SAMPLE_WORDS),
        max_size=120,
    ).map(" ".join),
    min_size=40,
    max_size=40,
)


@seed(20240611)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=texts)
def test_random_text_gets_the_same_verdict_in_js(batch: list[str]) -> None:
    cases = [(text, PROMPTS["accountability_close"]) for text in batch]
    assert_parity(cases, [repr(t[:30]) for t in batch])


def test_a_decline_gets_the_same_verdict_in_js() -> None:
    """The journal tells a learner who declines the same kind way forward as the grader."""
    settings = PROMPTS["introspection_growth"]
    cases = [(text, settings) for text in DECLINES]
    assert all(v["checks"] == ["decline"] for v in run_js(cases))
    assert_parity(cases, [t[:30] for t in DECLINES])
