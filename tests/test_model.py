"""The learned second opinion: trained by the script in the repository, the same in Python and
JavaScript, fast, and only ever a second way to deny credit or to ask the instructor to look."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_rules_js import run_js

from allyship.course import assignments, load_prompts
from allyship.reflection import evaluate
from allyship.reflection.model import load_model

REPO = Path(__file__).resolve().parent.parent
PROMPTS = {p.grade_id: p for a in assignments(REPO) for p in load_prompts(a, REPO)}
NODE = shutil.which("node")
#: Every collection, a first-contact one only once its first-contact figures are recorded (a
#: test run must not be the first look at a held-out collection).
COLLECTIONS = sorted(
    p
    for p in (REPO / "tests" / "reflections").glob("**/*.jsonl")
    if p.parent.name != "first-contact" or p.with_suffix(".first-contact.json").is_file()
)


def items() -> list[dict]:
    out = []
    for path in COLLECTIONS:
        lines = path.read_text("utf-8").splitlines()
        out += [{**json.loads(line), "source": path.name} for line in lines if line.strip()]
    return out


@pytest.mark.slow
def test_model_json_is_what_the_training_script_makes() -> None:
    """Weights are data made by scripts/train_model.py from the collections, reproducibly."""
    done = subprocess.run(
        [sys.executable, "-W", "ignore", str(REPO / "scripts" / "train_model.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_first_contact_collection_is_learned_from_only_once_measured() -> None:
    trained_on = load_model().data["trained_on"]
    folder = REPO / "tests" / "reflections" / "first-contact"
    for path in folder.glob("blind*.jsonl"):
        measured = path.with_suffix(".first-contact.json").is_file()
        if path.name == "blind12.jsonl":  # the adversarial benchmark (see train_model.py)
            assert measured and path.name not in trained_on
            continue
        assert (path.name in trained_on) == measured, path.name
    assert sum(trained_on.values()) > 2500


def test_the_learned_part_never_silently_credits_what_the_rules_refused() -> None:
    for item in items():
        settings = PROMPTS[item["grade_id"]].rule_settings()
        alone = evaluate(item["text"], settings, model=False)
        both = evaluate(item["text"], settings)
        if alone.status == "incomplete" and both != alone:
            # only a zero of judgement (topic, voice), and only to the instructor's review
            assert set(alone.checks) <= {"off_topic", "generic", "abstract", "agreement", "summary"}
            assert both.status == "flagged" and both.checks == ("judgement_doubt",), item["id"]
        if both.status == "complete" and alone.status == "flagged":
            # only a doubt of voice or topic is cleared, never one of length or copying
            assert {"weak_topic", "off_course", "weak_personal", "impersonal"} & set(
                alone.checks
            ) or {"second_person", "abstract_talk"} & set(alone.checks), item["id"]


def test_an_answer_to_another_prompt_is_told_which_prompt() -> None:
    found = 0
    for item in items():
        if not item.get("answers"):
            continue
        verdict = evaluate(item["text"], PROMPTS[item["grade_id"]].rule_settings())
        if "other_prompt" in verdict.checks:
            found += 1
            title = PROMPTS[item["answers"]].title
            assert f"\u201c{title}\u201d" in verdict.reasons[-1], item["id"]
            assert verdict.status == "incomplete"
    assert found >= 5


def test_an_untitled_prompt_course_still_gets_a_plain_reason() -> None:
    item = next(i for i in items() if i.get("answers"))
    settings = PROMPTS[item["grade_id"]].rule_settings() | {"prompt_titles": {}}
    verdict = evaluate(item["text"], settings)
    if verdict.checks and verdict.checks[-1].startswith("other_prompt"):
        assert "another prompt of the course" in verdict.reasons[-1]


def test_a_reflection_is_judged_in_well_under_50_ms() -> None:
    model = load_model()
    text = " ".join(i["text"] for i in items()[:40])[:20_000]  # a long answer, ~3,000 words
    model.opinion(text)
    start = time.perf_counter()
    for _ in range(5):
        model.opinion(text)
    per_call = (time.perf_counter() - start) / 5
    print(f"learned opinion on {len(text.split())} words: {per_call * 1000:.1f} ms")
    assert per_call < 0.5  # generous for noisy machines; benchmarks/rules_speed.py measures it


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_python_and_javascript_give_the_same_opinion() -> None:
    chosen = items()[::3]
    opinions = run_js([(i["text"], {}) for i in chosen], "--opinion")
    model = load_model()
    for item, js in zip(chosen, opinions, strict=True):
        py = model.opinion(item["text"])
        assert abs(js["gaming"] - py.gaming) < 1e-9, item["id"]
        for gid, value in py.prompt_scores.items():
            assert abs(js["promptScores"][gid] - value) < 1e-9, item["id"]


def tally_of(chosen: list[dict]) -> dict[str, dict[str, int]]:
    """Verdicts by expected outcome and kind; prints a table (each kind with its reasons)."""
    tally: dict[str, dict[str, int]] = {}
    for item in chosen:
        verdict = evaluate(item["text"], PROMPTS[item["grade_id"]].rule_settings())
        kind = item["kind"].rsplit("-", 1)[0] if item["kind"][-1].isdigit() else item["kind"]
        row = tally.setdefault(f"{item['expected']:10} {kind}", {})
        row[verdict.status] = row.get(verdict.status, 0) + 1
        row["review"] = row.get("review", 0) + verdict.needs_review
        if verdict.status != "complete":
            row[verdict.checks[-1]] = row.get(verdict.checks[-1], 0) + 1
    for key, row in sorted(tally.items()):
        print(key, row)
    return tally


def total(tally: dict[str, dict[str, int]], expected: str, status: str = "") -> int:
    rows = [r for k, r in tally.items() if k.startswith(expected + " ")]
    if status:
        return sum(r.get(status, 0) for r in rows)
    return sum(r.get(s, 0) for r in rows for s in ("complete", "flagged", "incomplete"))


def test_the_goals_hold_over_every_collection_learned_from() -> None:
    """Issue 9's goals over the collections the model learned from (a regression guard; the
    first-contact figures of each collection are the evidence): >= 99% of genuine answers
    credited, <= 5% flagged; >= 95% of gaming denied, >= 99% denied or flagged; every decline and
    every other language reaches the instructor."""
    learned = load_model().data["trained_on"]
    tally = tally_of([i for i in items() if i["source"] in learned])
    genuine, gaming = total(tally, "complete"), total(tally, "incomplete")
    assert total(tally, "complete", "incomplete") <= 0.01 * genuine
    assert total(tally, "complete", "flagged") <= 0.05 * genuine
    assert total(tally, "incomplete", "incomplete") >= 0.95 * gaming
    assert total(tally, "incomplete", "complete") <= 0.01 * gaming
    assert sum(r["review"] for k, r in tally.items() if k.startswith("flagged ")) == total(
        tally, "flagged"
    )


def test_the_adversarial_benchmark_lets_no_more_through_than_at_first_contact() -> None:
    """blind12, never learned from: gaming written to look genuine. At first contact 39 of its
    130 gaming answers were credited without review, and 8 of 10 declines reached the
    instructor: no later change may let more through silently."""
    tally = tally_of([i for i in items() if i["source"] == "blind12.jsonl"])
    assert total(tally, "incomplete") == 130
    assert total(tally, "incomplete", "complete") <= 39
    assert sum(r["review"] for k, r in tally.items() if k.startswith("flagged ")) >= 8
