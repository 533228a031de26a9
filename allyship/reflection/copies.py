"""Near-identical answers between students: fingerprints that keep no text, and the pairs.

An answer is fingerprinted by the hashes of its word 5-grams (``text.shingle_hashes``, the
reading check's own), less those the course itself supplies (the prompt, the starting text,
the instructor's example answer, the course reading): two students quoting the essay, or both
starting from the example, have not copied each other. Two answers are near-identical when
most of the smaller one's remaining 5-grams are in the other. Only hashes are compared and kept
(for earlier terms), never text, so a report can name both students without showing either
one's words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass

from allyship.reflection.text import shingle_hashes, tokenize

SHINGLE = 5
#: at least this share of the smaller answer's own 5-grams found in the other
MIN_SHARED_SHARE = 0.5
#: and at least this many (a few common phrases are not a copy)
MIN_SHARED = 15
#: a 5-gram in more answers than this is a stock phrase of the class, not a copy
MAX_HOLDERS = 8
MAX_WORDS = 5000


def fingerprint(text: str, course: Container[int] = frozenset()) -> frozenset[int]:
    """The answer's own 5-gram hashes: what the course supplied is left out."""
    words = tokenize(text, limit=MAX_WORDS).prose_words().norm
    return frozenset(h for h in shingle_hashes(words, SHINGLE) if h not in course)


@dataclass(frozen=True)
class Match:
    """Two answers to one prompt that share most of their own words."""

    grade_id: str
    first: str
    second: str
    share: float  # of the smaller answer's own 5-grams found in the other


def near_identical(
    current: Mapping[str, Mapping[str, frozenset[int]]],
    earlier: Mapping[str, Mapping[str, frozenset[int]]] | None = None,
) -> list[Match]:
    """Pairs of near-identical answers, prompt by prompt.

    ``current`` and ``earlier`` map grade_id -> owner -> fingerprint; owners of ``earlier``
    (other terms) are only compared with the current class, never with each other. Linear in
    the class: only answers that share a 5-gram are ever compared.
    """
    earlier = earlier or {}
    matches = []
    for grade_id, answers in current.items():
        pool = {**{("earlier", o): f for o, f in earlier.get(grade_id, {}).items()}}
        pool.update({("current", o): f for o, f in answers.items()})
        matches += _pairs(grade_id, pool)
    return sorted(matches, key=lambda m: (m.grade_id, m.first, m.second))


def _pairs(grade_id: str, pool: Mapping[tuple[str, str], frozenset[int]]) -> list[Match]:
    holders: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for owner, hashes in pool.items():
        for h in hashes:
            holders[h].append(owner)
    shared: dict[tuple[tuple[str, str], tuple[str, str]], int] = defaultdict(int)
    for owners in holders.values():
        if 1 < len(owners) <= MAX_HOLDERS:
            for i, a in enumerate(owners):
                for b in owners[i + 1 :]:
                    if a[0] == "current" or b[0] == "current":
                        shared[(a, b) if a < b else (b, a)] += 1
    found = []
    for (a, b), count in shared.items():
        smaller = min(len(pool[a]), len(pool[b]))
        share = count / smaller if smaller else 0.0
        if count >= MIN_SHARED and share >= MIN_SHARED_SHARE:
            first, second = sorted((a[1], b[1]))
            found.append(Match(grade_id, first, second, round(share, 2)))
    return found


class Supplied:
    """The 5-grams the course supplies: its own texts (prompts, starting texts, example
    answers) and the course reading's fingerprints."""

    def __init__(self, texts: Iterable[str], reading: Container[int] = frozenset()) -> None:
        self.hashes: set[int] = set()
        for text in texts:
            self.hashes.update(fingerprint(text))
        self.reading = reading

    def __contains__(self, h: object) -> bool:
        return h in self.hashes or h in self.reading
