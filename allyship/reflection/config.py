"""The rules' data, loaded once from ``rules.json`` (the one source of every threshold, word
list and student-facing sentence; ``rules.js`` reads the same file)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from allyship.reflection.text import stem

RULES_PATH = Path(__file__).resolve().parent / "rules.json"
#: Closed word classes used by the word-order check (each is a list in rules.json).
WORD_CLASSES = ("det", "prep", "aux_be", "aux", "aux_fin", "pron", "subj", "conj", "wh", "to")


class Rules:
    """Typed access to ``rules.json``: word sets, stemmed lexicons and thresholds."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.t: dict[str, Any] = data["thresholds"]
        self.reasons: dict[str, str] = data["reasons"]
        self.canonical: dict[str, str] = data["canonical"]
        self.function_words = frozenset(data["function_words"])
        self.common_words = frozenset(data["common_words"])
        self.first_person = frozenset(data["first_person"])
        self.lorem_words = frozenset(data["lorem_words"])
        self.generic_words = frozenset(data["generic_words"])
        self.generic_phrases = [tuple(p.split()) for p in data["generic_phrases"]]
        self.meta_phrases = [tuple(p.split()) for p in data["meta_phrases"]]
        self.second_person = frozenset(data["second_person"])
        #: any reference to the writer, singular or plural ("I", "my", "we", "our"...)
        self.self_words = self.first_person | frozenset(data["first_person_plural"])
        #: the course's subject, all categories together (matched as written, not stemmed)
        self.course_words = frozenset(w for words in data["course_words"].values() for w in words)
        self.summary_subjects = frozenset(data["summary_subjects"])
        self.reporting_verbs = frozenset(data["reporting_verbs"])
        self.concrete_words = frozenset(data["concrete_words"])
        #: the register of commitments and corporate values ("leverage", "going forward")
        self.abstract_words = frozenset(data["abstract_words"])
        self.abstract_phrases = [tuple(p.split()) for p in data["abstract_phrases"]]
        #: agreeing with or praising the reading ("I agree", "the author is right")
        self.agreement_words = frozenset(data["agreement_words"])
        self.agreement_phrases = [tuple(p.split()) for p in data["agreement_phrases"]]
        #: a polite refusal to share ("I'd rather not"): to the instructor, never a silent zero
        self.decline_phrases = [tuple(p.split()) for p in data["decline_phrases"]]
        self.decline_cues = tuple(data["decline_cues"])  # word starts
        self.english_suffixes = tuple(data["english_suffixes"])
        self.classes = {name: frozenset(data[name]) for name in WORD_CLASSES}
        self.impossible = [tuple(pair) for pair in data["impossible"]]
        self.other_languages = {k: frozenset(v) for k, v in sorted(data["other_languages"].items())}
        index: dict[str, list[int]] = {}
        for number, words in enumerate(self.other_languages.values()):
            for word in words:
                index.setdefault(word, []).append(number)
        #: word -> the other languages (by position) that use it commonly
        self.language_index = {w: tuple(v) for w, v in index.items()}
        self.vowels = frozenset(data["vowels"])
        self.latin_ranges = [tuple(r) for r in data["latin_ranges"]]
        self.dense_ranges = [tuple(r) for r in data["dense_ranges"]]
        self._stems: dict[str, str] = {}

    def stem(self, word: str) -> str:
        found = self._stems.get(word)
        if found is None:
            found = stem(word, self.data["stem_suffixes"], self.data["stem_min_length"])
            if len(self._stems) < 100_000:  # bounded memo: the same words recur in every text
                self._stems[word] = found
        return found

    def stems(self, words: Iterable[str]) -> frozenset[str]:
        return frozenset(self.stem(w) for w in words)

    @cached_property
    def theme_stems(self) -> frozenset[str]:
        return self.stems(self.data["theme_words"])

    @cached_property
    def topic_stems(self) -> frozenset[str]:
        """The course's themes and the wider social field (identity, relations, power,
        feelings, judgement, speech): what a reflection on any prompt tends to talk about."""
        return self.theme_stems | self.stems(self.data["social_words"])

    @cached_property
    def task_stems(self) -> frozenset[str]:
        return self.stems(self.data["task_words"])

    @cached_property
    def meta_stems(self) -> frozenset[str]:
        """Words that describe what a task asks for ("asks me to consider a specific example")."""
        return self.stems(self.data["meta_words"])

    @cached_property
    def english_words(self) -> frozenset[str]:
        """Every English word the rules know, to tell English word lists from another language."""
        lists = ("function_words", "common_words", "first_person", "second_person",
                 "experience_words", "generic_words", "theme_words", "social_words",
                 "task_words", "meta_words")  # fmt: skip
        words = {w for name in lists for w in self.data[name]}
        for domain in self.data["domains"].values():
            words.update(domain)
        return frozenset(words)

    @cached_property
    def domain_stems(self) -> frozenset[str]:
        """Vocabulary of other fields (clinical, code, maths, games, sport, products, recipes...),
        minus anything the course's own field shares with them."""
        stems = self.stems(w for words in self.data["domains"].values() for w in words)
        return stems - self.topic_stems

    @cached_property
    def experience_stems(self) -> frozenset[str]:
        return self.stems(self.data["experience_words"])

    def canonical_words(self, words: Iterable[str]) -> list[str]:
        """Words with pronouns and forms of "be" folded, so "you were" matches "I was"."""
        return [self.canonical.get(w, w) for w in words]


def load_rules(path: Path = RULES_PATH) -> Rules:
    return Rules(json.loads(path.read_text(encoding="utf-8")))


RULES = load_rules()
