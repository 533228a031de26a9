"""The learned second opinion beside the rules: two small linear models over TF-IDF features.

The rules count what they can name (own words, first person, lived moments); what they cannot
name is the *texture* of a personal, specific attempt as against text that imitates one
(generic essays, pledges, another course's journal). ``gaming`` is a logistic regression over
word and character n-grams that scores that texture; ``prompts`` is a multinomial regression
over words that says which of the course's prompts an answer addresses. Both are trained by
``scripts/train_model.py`` on the collections in ``tests/reflections/`` and stored as data in
``model.json``; ``rules.js`` has the same inference for the journal, step for step.

Features are computed from the rules' own tokens (``text.tokenize``), so Python and JavaScript
see the same words: word unigrams and bigrams, and character 3- to 5-grams inside each word
padded with spaces. Each block is TF-IDF weighted (``1 + ln(count)`` times the stored idf)
and L2-normalised over the features the model knows, then the blocks are concatenated.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from allyship.reflection.text import tokenize

MODEL_PATH = Path(__file__).resolve().parent / "model.json"
CHAR_SIZES = (3, 4, 5)


def word_features(words: list[str]) -> list[str]:
    """Word unigrams and bigrams, in order of appearance."""
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def char_features(words: list[str]) -> list[str]:
    """Character 3- to 5-grams inside each word padded with spaces (code points, not bytes)."""
    out = []
    for word in words:
        padded = f" {word} "
        for size in CHAR_SIZES:
            out.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return out


def model_words(text: str, limit: int) -> list[str]:
    """The words the models read: the rules' normalised tokens, at most ``limit`` of them."""
    return list(tokenize(text, limit=limit).prose_words().norm)


def block_vector(grams: Iterable[str], idf: dict[str, float]) -> dict[str, float]:
    """Sublinear TF-IDF over the known features, L2-normalised (insertion order kept)."""
    counts: dict[str, int] = {}
    for gram in grams:
        if gram in idf:
            counts[gram] = counts.get(gram, 0) + 1
    vector = {g: (1.0 + math.log(c)) * idf[g] for g, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {g: v / norm for g, v in vector.items()} if norm > 0 else {}


@dataclass(frozen=True)
class Opinion:
    """What the models think of one answer.

    ``gaming`` is the probability that the answer is not a genuine personal attempt;
    ``prompt_scores`` the probability of each prompt the model knows, by grade id.
    """

    gaming: float
    prompt_scores: dict[str, float]


class Model:
    """Typed access to ``model.json``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.limit = int(data["max_words"])
        gaming = data["gaming"]
        self.gaming_bias = float(gaming["bias"])
        self.word_idf = {g: float(v[0]) for g, v in gaming["word"].items()}
        self.word_weight = {g: float(v[1]) for g, v in gaming["word"].items()}
        self.char_idf = {g: float(v[0]) for g, v in gaming["char"].items()}
        self.char_weight = {g: float(v[1]) for g, v in gaming["char"].items()}
        prompts = data["prompts"]
        self.classes: list[str] = list(prompts["classes"])
        self.class_bias = [float(b) for b in prompts["bias"]]
        self.prompt_idf = {g: float(v[0]) for g, v in prompts["word"].items()}
        self.prompt_weight = {g: [float(w) for w in v[1:]] for g, v in prompts["word"].items()}
        self.thresholds: dict[str, float] = data["thresholds"]

    def opinion(self, text: str) -> Opinion:
        words = model_words(text, self.limit)
        grams = word_features(words)
        return Opinion(self._gaming(grams, char_features(words)), self._prompts(grams))

    def _gaming(self, grams: list[str], chars: list[str]) -> float:
        score = self.gaming_bias
        for gram, value in block_vector(grams, self.word_idf).items():
            score += value * self.word_weight[gram]
        for gram, value in block_vector(chars, self.char_idf).items():
            score += value * self.char_weight[gram]
        return sigmoid(score)

    def _prompts(self, grams: list[str]) -> dict[str, float]:
        scores = list(self.class_bias)
        for gram, value in block_vector(grams, self.prompt_idf).items():
            for k, weight in enumerate(self.prompt_weight[gram]):
                scores[k] += value * weight
        return dict(zip(self.classes, softmax(scores), strict=True))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> Model | None:
    """The packaged model, or None before one has been trained."""
    if not path.is_file():
        return None
    return Model(json.loads(path.read_text(encoding="utf-8")))
