"""The course widgets as Python objects: content files, state in and state out, the journal's
prompts and rules. The same state is what a static page renders and what JupyterLab syncs."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import traitlets

from allyship.course import assignments, load_prompts
from allyship.reflection import evaluate
from allyship.widgets import (
    ActionSort,
    CommitmentsTracker,
    Journal,
    MindsetCheckin,
    PhraseBuilder,
    ScenarioExplorer,
    TalkTimeSimulator,
    WidgetContentError,
)
from allyship.widgets._base import CONTENT_DIR, load_content
from allyship.widgets.journal import RULES_JS

ACTIVITIES = [
    MindsetCheckin,
    ActionSort,
    ScenarioExplorer,
    PhraseBuilder,
    TalkTimeSimulator,
    CommitmentsTracker,
]


@pytest.mark.parametrize("cls", [*ACTIVITIES, Journal], ids=lambda c: c.__name__)
def test_widget_module_is_self_contained(cls: type) -> None:
    """anywidget imports `_esm` from a blob: URL, so it cannot import anything itself."""
    widget = cls()
    esm = widget._esm
    assert "export default { render }" in esm
    assert not re.search(r"^\s*import\s", esm, re.MULTILINE)
    assert ".ally-w" in widget._css
    assert "prefers-reduced-motion" in widget._css
    state = widget.get_state()
    assert state["_esm"] == esm and state["content"] == widget.content


@pytest.mark.parametrize("cls", ACTIVITIES, ids=lambda c: c.__name__)
def test_content_files_are_valid_and_complete(cls: type) -> None:
    data = load_content(cls.content_name)
    cls.check_content(data, CONTENT_DIR / f"{cls.content_name}.json")
    assert data["title"] and data.get("intro")


def test_every_content_file_belongs_to_a_widget() -> None:
    from allyship.widgets.journal import PLAN_CONTENT

    names = {p.stem for p in CONTENT_DIR.glob("*.json")}
    assert names == {cls.content_name for cls in ACTIVITIES} | {PLAN_CONTENT}


def test_broken_content_is_refused_with_the_file_named() -> None:
    data = copy.deepcopy(load_content("action_sort"))
    data["cards"][0]["pile"] = "applause"
    with pytest.raises(WidgetContentError, match=r"action_sort\.json: card square: unknown pile"):
        ActionSort(content=data)
    scenarios = copy.deepcopy(load_content("scenario_explorer"))
    scenarios["scenarios"][0]["nodes"]["start"]["choices"][0]["next"] = "nowhere"
    with pytest.raises(WidgetContentError, match="unknown node 'nowhere'"):
        ScenarioExplorer(content=scenarios)


def test_a_content_file_that_is_not_json_is_named(tmp_path: Path, monkeypatch) -> None:
    import allyship.widgets._base as base

    (tmp_path / "phrase_builder.json").write_text("{ not json", encoding="utf-8")
    monkeypatch.setattr(base, "CONTENT_DIR", tmp_path)
    with pytest.raises(WidgetContentError, match=r"phrase_builder\.json: not valid JSON"):
        PhraseBuilder()


def test_mindset_checkin_ratings_in_and_out() -> None:
    widget = MindsetCheckin(ratings={"merit": 5})
    widget.ratings = {**widget.ratings, "listen": 2}
    assert widget.get_state()["ratings"] == {"merit": 5, "listen": 2}
    with pytest.raises(traitlets.TraitError):
        widget.ratings = {"merit": 9}
    with pytest.raises(traitlets.TraitError):
        widget.ratings = {"no-such-statement": 3}
    leans = {s["lean"] for s in widget.content["statements"]}
    assert leans == {"agree", "disagree"}, "both directions of statements keep the check-in honest"


def test_action_sort_placements_and_agreements() -> None:
    widget = ActionSort()
    cards = {c["id"]: c["pile"] for c in widget.content["cards"]}
    widget.placements = {"square": "gesture", "friend": "gesture"}
    assert widget.agreements() == (cards["square"] == "gesture") + (cards["friend"] == "gesture")
    assert widget.agreements() == 1
    with pytest.raises(traitlets.TraitError):
        widget.placements = {"square": "applause"}
    nuanced = [c for c in widget.content["cards"] if c["nuanced"]]
    assert any(c["pile"] == "gesture" for c in nuanced) and any(
        c["pile"] == "work" for c in nuanced
    ), "small signs are nuanced in both directions"


def test_scenario_explorer_walks_back_and_forth() -> None:
    widget = ScenarioExplorer()
    titles = [s["title"] for s in widget.content["scenarios"]]
    assert len(titles) >= 3
    assert any("joke" in t for t in titles) and any("dinner" in t for t in titles)
    assert any("didn't mean it" in t for t in titles)
    widget.start("dinner")
    assert widget.path == ["start"]
    node = widget.choose(1)
    assert widget.path == ["start", "firm"] and node["feedback"]
    widget.choose(0)
    assert widget.path == ["start", "firm", "calm"]
    widget.back()
    assert widget.get_state()["path"] == ["start", "firm"]
    with pytest.raises(traitlets.TraitError, match="no choice leads"):
        widget.path = ["start", "calm"]
    widget.start("joke")
    assert widget.scenario == "joke" and widget.path == ["start"]


def test_every_scenario_has_outcomes_of_every_tone() -> None:
    data = load_content("scenario_explorer")
    for scenario in data["scenarios"]:
        tones = {n.get("tone") for n in scenario["nodes"].values() if not n.get("choices")}
        assert {"good", "harm"} <= tones, scenario["id"]


def test_phrase_builder_sentence_follows_the_selected_parts() -> None:
    widget = PhraseBuilder()
    assert widget.sentence == ""
    widget.selected = {"request": "talk", "opener": "care"}
    assert widget.sentence == (
        "I care about you, so I want to be honest with you. Could we talk about it?"
    )
    with pytest.raises(traitlets.TraitError):
        widget.selected = {"opener": "insult"}


def test_talk_time_state_and_limits() -> None:
    widget = TalkTimeSimulator()
    assert widget.context == "community" and widget.people == 6
    widget.share = 10
    widget.people = 4
    assert widget.get_state()["share"] == 10 and widget.fair_share == 25
    for name, bad in (("share", 95), ("people", 1), ("context", "party")):
        with pytest.raises(traitlets.TraitError):
            setattr(widget, name, bad)
    bands = widget.content["bands"]
    assert [b["max_ratio"] for b in bands][-1] is None
    assert "let them talk" in bands[-1]["text"]


def test_commitments_add_mark_done_and_progress() -> None:
    widget = CommitmentsTracker()
    widget.add("wait")
    own = widget.add("  Ask the people affected what they need  ")
    assert own["custom"] and own["text"] == "Ask the people affected what they need"
    widget.mark_done("wait")
    assert widget.progress == (1, 2)
    assert widget.get_state()["commitments"][0] == {
        "id": "wait",
        "text": widget.content["suggestions"][2]["text"],
        "done": True,
        "custom": False,
    }
    with pytest.raises(KeyError):
        widget.mark_done("nothing")
    with pytest.raises(traitlets.TraitError):
        widget.commitments = [{"id": "x", "text": "  "}]


@pytest.mark.parametrize("assignment", ["introspection", "accountability", "listening"])
def test_journal_loads_the_chapter_prompts_and_settings(assignment: str) -> None:
    journal = Journal(assignment)
    prompts = load_prompts(assignment)
    assert journal.assignment == assignment
    assert journal.grade_ids == [p.grade_id for p in prompts]
    for state, prompt in zip(journal.prompts, prompts, strict=True):
        assert state["settings"] == prompt.rule_settings()
        assert state["title"] == prompt.title and state["text"] == prompt.text
        assert state["settings"]["min_words"] == prompt.min_words > 0


def test_closing_journal_holds_every_prompt_in_book_order() -> None:
    journal = Journal()
    expected = [p.grade_id for a in assignments() for p in load_prompts(a)]
    assert journal.assignment is None
    assert journal.grade_ids == expected
    chapters = [p["chapter"] for p in journal.prompts]
    assert (
        chapters[0] == "Allyship starts with introspection" and chapters[-1] == "Listen and learn"
    )


def test_journal_carries_the_rules_the_grader_uses() -> None:
    journal = Journal("listening")
    reflection = Path(RULES_JS).parent
    assert RULES_JS.read_text(encoding="utf-8") in journal._esm
    assert journal.rules_config == json.loads((reflection / "rules.json").read_text("utf-8"))
    assert journal.reading == json.loads((reflection / "reading.json").read_text("utf-8"))


def test_journal_sends_the_learned_model_only_when_the_page_asks() -> None:
    """In JupyterLab the page asks the kernel (a static book fetches the file instead)."""
    journal = Journal("listening")
    assert journal.learned is None and "learned" in journal.get_state()
    journal._on_page_message(journal, {"want": "something else"}, [])
    assert journal.learned is None
    journal._on_page_message(journal, {"want": "learned"}, [])
    model = Path(RULES_JS).parent / "model.json"
    assert journal.learned == json.loads(model.read_text("utf-8"))


def test_journal_entries_in_and_verdicts_out() -> None:
    journal = Journal("introspection")
    first, second = journal.grade_ids[:2]
    prompt = load_prompts("introspection")[0]
    text = "Too short to count."
    journal.entries = {first: text}
    assert journal.get_state()["entries"] == {first: text}
    verdict = journal.verdict(first)
    assert verdict == evaluate(text, prompt.rule_settings())
    assert verdict.status == "incomplete"
    assert journal.verdict(second).reasons == evaluate("", {}).reasons
    with pytest.raises(traitlets.TraitError, match="not a prompt of this journal"):
        journal.entries = {"accountability_close": "elsewhere"}
