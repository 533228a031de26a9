"""The chapters' activity widgets. Each checks its content file and the state it is given, so a
typo in the content or an impossible state fails loudly in Python instead of silently in a page."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import traitlets

from allyship.widgets._base import ContentWidget, bundle, require, unique_ids


class MindsetCheckin(ContentWidget):
    """Rate statements about mindsets; a private summary points back to the chapter's ideas.

    ``ratings`` maps a statement id to a value of the scale (1-5).
    """

    content_name = "mindset_checkin"
    _esm = bundle("mindset_checkin.js")
    ratings = traitlets.Dict().tag(sync=True)

    @classmethod
    def check_content(cls, data: dict[str, Any], path: Path) -> None:
        super().check_content(data, path)
        unique_ids(data.get("statements", []), path, "statement")
        require(len(data["statements"]) >= 3, path, "needs at least 3 statements")
        for s in data["statements"]:
            require(
                s.get("lean") in ("agree", "disagree"),
                path,
                f"{s['id']}: lean must be agree/disagree",
            )
            require(
                bool(s.get("text") and s.get("idea") and s.get("reflect")),
                path,
                f"{s['id']}: text, idea and reflect are required",
            )
        require(
            [p["value"] for p in data.get("scale", [])] == [1, 2, 3, 4, 5],
            path,
            "scale must be 1..5",
        )

    @traitlets.validate("ratings")
    def _check_ratings(self, proposal: dict[str, Any]) -> dict[str, int]:
        ids = {s["id"] for s in self.content["statements"]}
        values = {p["value"] for p in self.content["scale"]}
        for key, value in proposal["value"].items():
            if key not in ids or value not in values:
                raise traitlets.TraitError(f"rating {key}={value!r}: unknown statement or value")
        return proposal["value"]


class ActionSort(ContentWidget):
    """Sort actions into the content's piles ("performative gesture", "real work", "well-meant,
    but does harm"); each placement gets feedback.

    ``placements`` maps a card id to a pile id.
    """

    content_name = "action_sort"
    _esm = bundle("action_sort.js")
    placements = traitlets.Dict().tag(sync=True)

    @classmethod
    def check_content(cls, data: dict[str, Any], path: Path) -> None:
        super().check_content(data, path)
        piles = unique_ids(data.get("piles", []), path, "pile")
        unique_ids(data.get("cards", []), path, "card")
        for card in data["cards"]:
            require(card.get("pile") in piles, path, f"card {card['id']}: unknown pile")
            require(
                bool(card.get("text") and card.get("feedback")),
                path,
                f"card {card['id']}: text and feedback are required",
            )
        for pile in piles:
            require(
                any(c["pile"] == pile for c in data["cards"]), path, f"no card belongs in {pile}"
            )

    @traitlets.validate("placements")
    def _check_placements(self, proposal: dict[str, Any]) -> dict[str, str]:
        cards = {c["id"] for c in self.content["cards"]}
        piles = {p["id"] for p in self.content["piles"]}
        for card, pile in proposal["value"].items():
            if card not in cards or pile not in piles:
                raise traitlets.TraitError(f"placement {card}->{pile!r}: unknown card or pile")
        return proposal["value"]

    def agreements(self) -> int:
        """How many placements match the content's reading."""
        expected = {c["id"]: c["pile"] for c in self.content["cards"]}
        return sum(expected[card] == pile for card, pile in self.placements.items())


class ScenarioExplorer(ContentWidget):
    """Branching situations: ``scenario`` is the situation's id, ``path`` the nodes walked so far,
    starting from the situation's start node (so going back is dropping the last node)."""

    content_name = "scenario_explorer"
    _esm = bundle("scenario_explorer.js")
    scenario = traitlets.Unicode("").tag(sync=True)
    path = traitlets.List(traitlets.Unicode()).tag(sync=True)

    @classmethod
    def check_content(cls, data: dict[str, Any], path: Path) -> None:
        super().check_content(data, path)
        unique_ids(data.get("scenarios", []), path, "scenario")
        require(len(data["scenarios"]) >= 3, path, "needs at least 3 scenarios")
        for sc in data["scenarios"]:
            nodes = sc.get("nodes", {})
            require(sc.get("start") in nodes, path, f"{sc['id']}: start node missing")
            for node_id, node in nodes.items():
                require(bool(node.get("text")), path, f"{sc['id']}/{node_id}: text is required")
                for choice in node.get("choices", []):
                    target = choice.get("next")
                    require(
                        target in nodes,
                        path,
                        f"{sc['id']}/{node_id}: choice leads to unknown node {target!r}",
                    )
                if node_id != sc["start"]:
                    require(
                        bool(node.get("feedback")),
                        path,
                        f"{sc['id']}/{node_id}: feedback is required",
                    )
                    require(
                        node.get("tone") in data["tones"],
                        path,
                        f"{sc['id']}/{node_id}: unknown tone",
                    )
            reachable = cls._reachable(nodes, sc["start"])
            require(
                reachable == set(nodes),
                path,
                f"{sc['id']}: unreachable nodes {sorted(set(nodes) - reachable)}",
            )

    @staticmethod
    def _reachable(nodes: dict[str, Any], start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo += [c["next"] for c in nodes[node].get("choices", [])]
        return seen

    def _nodes(self, scenario: str) -> dict[str, Any]:
        for sc in self.content["scenarios"]:
            if sc["id"] == scenario:
                return sc
        raise traitlets.TraitError(f"unknown scenario {scenario!r}")

    @traitlets.validate("path")
    def _check_path(self, proposal: dict[str, Any]) -> list[str]:
        path = proposal["value"]
        if not path:
            return path
        sc = self._nodes(self.scenario)
        if path[0] != sc["start"]:
            raise traitlets.TraitError(f"path must begin at {sc['start']!r}")
        for here, there in zip(path, path[1:], strict=False):
            if there not in {c["next"] for c in sc["nodes"][here].get("choices", [])}:
                raise traitlets.TraitError(f"no choice leads from {here!r} to {there!r}")
        return path

    def start(self, scenario: str) -> None:
        """Open ``scenario`` at its first node."""
        self.scenario = scenario
        self.path = [self._nodes(scenario)["start"]]

    def choose(self, index: int) -> dict[str, Any]:
        """Take choice ``index`` at the current node; returns the node reached."""
        sc = self._nodes(self.scenario)
        choice = sc["nodes"][self.path[-1]]["choices"][index]
        self.path = [*self.path, choice["next"]]
        return sc["nodes"][choice["next"]]

    def back(self) -> None:
        if len(self.path) > 1:
            self.path = self.path[:-1]


class PhraseBuilder(ContentWidget):
    """Compose an opening line from parts. ``selected`` maps a part id to an option id."""

    content_name = "phrase_builder"
    _esm = bundle("phrase_builder.js")
    selected = traitlets.Dict().tag(sync=True)

    @classmethod
    def check_content(cls, data: dict[str, Any], path: Path) -> None:
        super().check_content(data, path)
        unique_ids(data.get("parts", []), path, "part")
        for part in data["parts"]:
            unique_ids(part.get("options", []), path, f"option of {part['id']}")
            for option in part["options"]:
                require(
                    bool(option.get("text") and option.get("tip")),
                    path,
                    f"{part['id']}/{option['id']}: text and tip are required",
                )

    @traitlets.validate("selected")
    def _check_selected(self, proposal: dict[str, Any]) -> dict[str, str]:
        parts = {p["id"]: {o["id"] for o in p["options"]} for p in self.content["parts"]}
        for part, option in proposal["value"].items():
            if option not in parts.get(part, set()):
                raise traitlets.TraitError(f"selection {part}={option!r}: unknown part or option")
        return proposal["value"]

    @property
    def sentence(self) -> str:
        """The composed line, in the parts' order (what the page shows)."""
        words = []
        for part in self.content["parts"]:
            chosen = self.selected.get(part["id"])
            words += [o["text"] for o in part["options"] if o["id"] == chosen]
        return " ".join(words)


class TalkTimeSimulator(ContentWidget):
    """Who holds the floor: ``share`` is the percent of talking time you take among ``people``.

    A new widget opens at an equal share; the page shows no verdict until the learner moves the
    slider. Contexts that are not the affected people's space get their own texts
    (``mixed_text``, ``mixed_tone`` of a band).
    """

    content_name = "talk_time"
    _esm = bundle("talk_time.js")
    context = traitlets.Unicode("").tag(sync=True)
    people = traitlets.Int(6).tag(sync=True)
    share = traitlets.Int(40).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.context:
            first = self.content["contexts"][0]
            self.context = first["id"]
            if "people" not in kwargs:
                self.people = first["default_people"]
        if "share" not in kwargs:
            # Open at an equal share (on the slider's 5 % steps), not at a share to be judged.
            self.share = min(self.content["limits"]["max_share"], 5 * round(20 / self.people))

    @classmethod
    def check_content(cls, data: dict[str, Any], path: Path) -> None:
        super().check_content(data, path)
        unique_ids(data.get("contexts", []), path, "context")
        bands = data.get("bands", [])
        unique_ids(bands, path, "band")
        require(
            bool(bands) and bands[-1].get("max_ratio") is None,
            path,
            "the last band must be open-ended",
        )
        for band in bands:
            require(bool(band.get("text")), path, f"band {band['id']}: text is required")
        require(
            bool(data.get("start") and data.get("practice")),
            path,
            "'start' (shown before the slider moves) and 'practice' are required",
        )
        limits = data.get("limits", {})
        require(
            2 <= limits.get("min_people", 0) <= limits.get("max_people", 0),
            path,
            "bad people limits",
        )

    @traitlets.validate("context")
    def _check_context(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] and proposal["value"] not in {
            c["id"] for c in self.content["contexts"]
        }:
            raise traitlets.TraitError(f"unknown context {proposal['value']!r}")
        return proposal["value"]

    @traitlets.validate("people")
    def _check_people(self, proposal: dict[str, Any]) -> int:
        limits = self.content["limits"]
        if not limits["min_people"] <= proposal["value"] <= limits["max_people"]:
            raise traitlets.TraitError(
                f"people must be {limits['min_people']}-{limits['max_people']}"
            )
        return proposal["value"]

    @traitlets.validate("share")
    def _check_share(self, proposal: dict[str, Any]) -> int:
        if not 0 <= proposal["value"] <= self.content["limits"]["max_share"]:
            raise traitlets.TraitError("share must be between 0 and the content's max_share")
        return proposal["value"]

    @property
    def fair_share(self) -> float:
        """An equal share of the talking time, in percent."""
        return 100 / self.people


class CommitmentsTracker(ContentWidget):
    """Pick or write commitments and mark them done.

    ``commitments`` is a list of ``{"id", "text", "done", "custom"}``; the page keeps it in the
    browser's localStorage.
    """

    content_name = "commitments_tracker"
    _esm = bundle("commitments_tracker.js")
    commitments = traitlets.List(traitlets.Dict()).tag(sync=True)

    @classmethod
    def check_content(cls, data: dict[str, Any], path: Path) -> None:
        super().check_content(data, path)
        unique_ids(data.get("suggestions", []), path, "suggestion")
        require(
            all(s.get("text") for s in data["suggestions"]), path, "every suggestion needs text"
        )

    @traitlets.validate("commitments")
    def _check_commitments(self, proposal: dict[str, Any]) -> list[dict[str, Any]]:
        for item in proposal["value"]:
            if not str(item.get("text", "")).strip() or not item.get("id"):
                raise traitlets.TraitError(f"commitment {item!r}: id and text are required")
        ids = [item["id"] for item in proposal["value"]]
        if len(set(ids)) != len(ids):
            raise traitlets.TraitError("commitment ids must be unique")
        return proposal["value"]

    def add(self, text_or_suggestion: str) -> dict[str, Any]:
        """Add a suggestion (by id) or a commitment of your own (by text)."""
        for s in self.content["suggestions"]:
            if s["id"] == text_or_suggestion:
                item = {"id": s["id"], "text": s["text"], "done": False, "custom": False}
                break
        else:
            item = {
                "id": f"own-{uuid.uuid4().hex[:8]}",
                "text": text_or_suggestion.strip(),
                "done": False,
                "custom": True,
            }
        self.commitments = [*self.commitments, item]
        return item

    def mark_done(self, commitment_id: str, done: bool = True) -> None:
        if commitment_id not in {c["id"] for c in self.commitments}:
            raise KeyError(commitment_id)
        self.commitments = [
            {**c, "done": done} if c["id"] == commitment_id else c for c in self.commitments
        ]

    @property
    def progress(self) -> tuple[int, int]:
        """(done, total)."""
        return sum(bool(c.get("done")) for c in self.commitments), len(self.commitments)
