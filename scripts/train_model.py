"""Train the learned second opinion (``allyship/reflection/model.json``) from the collections.

    python scripts/train_model.py            # train, print cross-validated figures, write the model
    python scripts/train_model.py --check    # retrain and fail if model.json would change

Trained only on the development collections (``TRAINING`` below); the held-out collections
(``HELD_OUT``) are never read here, so their figures stay first-contact figures. Deterministic:
the same collections give the same file, which ``tests/test_model.py`` checks.

Two models, both linear over the features of ``allyship.reflection.model``:

- ``gaming``: genuine answers (expected complete) against gaming (expected incomplete), word
  and character n-grams, L2 logistic regression with balanced classes. Answers written for
  another prompt are genuine in texture and are left to the prompt model; answers that are only
  too short are left to the word count.
- ``prompts``: which prompt an answer addresses, multinomial logistic regression over words,
  trained on the genuine answers of each prompt plus the prompt's own trusted text and its
  ``asks_for`` description from ``source/``.

The thresholds are chosen on out-of-fold probabilities (5 folds): the learned part may deny
credit only where almost no genuine answer of the training collections would lose it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from allyship.course import assignments, load_prompts  # noqa: E402
from allyship.reflection.model import (  # noqa: E402
    MODEL_PATH,
    char_features,
    model_words,
    word_features,
)

COLLECTIONS = REPO / "tests" / "reflections"
FIRST_CONTACT = COLLECTIONS / "first-contact"
#: Collections never learned from. blind12's gaming answers were written to be indistinguishable
#: in style from genuine ones (another person's story, a flipped point of view, a formal résumé
#: voice): learning from them taught the model to deny genuine answers in a formal voice, so it
#: stays an adversarial benchmark, measured (see its first-contact figures), never learned from.
HELD_OUT: list[Path] = [FIRST_CONTACT / "blind12.jsonl"]
#: Collections the models learn from: every other one (each first-contact collection only
#: after its first-contact figures were recorded).
TRAINING = sorted(COLLECTIONS.glob("*.jsonl")) + sorted(
    p
    for p in FIRST_CONTACT.glob("blind*.jsonl")
    if p not in HELD_OUT and p.with_suffix(".first-contact.json").is_file()
)
MAX_WORDS = 3000
DIGITS = 4
WORD_MIN_DF, CHAR_MIN_DF, PROMPT_MIN_DF = 5, 20, 6
GAMING_C, PROMPT_C = 4.0, 8.0
#: the most out-of-fold genuine answers the learned part may deny, and may flag
DENY_GENUINE_SHARE, FLAG_GENUINE_SHARE = 0.002, 0.02
#: another prompt's probability at least, and the answer's own prompt's at most
OTHER_DENY, OWN_DENY, OTHER_FLAG, OWN_FLAG = 0.85, 0.05, 0.6, 0.2
#: a judgement flag of the rules is cleared below this gaming probability, when the answer's
#: own prompt is at least this likely
CLEAR_FLAG, OWN_CLEAR = 0.15, 0.5


def kind_of(item: dict) -> str:
    head, _, tail = item["kind"].rpartition("-")
    return head if tail.isdigit() and head else item["kind"]


def other_prompt(item: dict) -> bool:
    kind = kind_of(item).replace("_", "-")
    return "other-prompt" in kind or "otherprompt" in kind or "answers" in item


def load_items() -> list[dict]:
    items = []
    for path in TRAINING:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append({**json.loads(line), "source": path.name})
    return items


def vocabulary(docs: list[list[str]], min_df: int) -> tuple[list[str], dict[str, float]]:
    df: Counter[str] = Counter()
    for grams in docs:
        df.update(set(grams))
    n = len(docs)
    vocab = sorted(g for g, c in df.items() if c >= min_df)
    idf = {g: round(math.log((1 + n) / (1 + df[g])) + 1, DIGITS) for g in vocab}
    return vocab, idf


def matrix(docs: list[list[str]], vocab: list[str], idf: dict[str, float]) -> csr_matrix:
    """The same sublinear, L2-normalised TF-IDF as ``model.block_vector``."""
    index = {g: i for i, g in enumerate(vocab)}
    rows, cols, vals = [], [], []
    for r, grams in enumerate(docs):
        counts = Counter(g for g in grams if g in index)
        vec = {g: (1 + math.log(c)) * idf[g] for g, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        for g, v in vec.items():
            rows.append(r)
            cols.append(index[g])
            vals.append(v / norm)
    return csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)))


def _in_gaming(item: dict) -> bool:
    """Learned by the gaming model: genuine or gaming, not another prompt's, not only short."""
    kind = kind_of(item).replace("_", "-")
    if item["expected"] not in ("complete", "incomplete") or other_prompt(item):
        return False
    return not kind.startswith("too-short") and bool(model_words(item["text"], MAX_WORDS))


def _in_prompts(item: dict) -> bool:
    """Learned by the prompt model: genuine answers, and answers to a known other prompt."""
    wanted = item["expected"] == "complete" or bool(item.get("answers"))
    return wanted and bool(model_words(item["text"], MAX_WORDS))


def gaming_data(items: list[dict]) -> tuple[list[list[str]], list[int]]:
    chosen = [i for i in items if _in_gaming(i)]
    texts = [model_words(i["text"], MAX_WORDS) for i in chosen]
    return texts, [1 if i["expected"] == "incomplete" else 0 for i in chosen]


def fit_gaming(docs: list[list[str]], y: list[int]) -> tuple[dict, np.ndarray]:
    wdocs = [word_features(d) for d in docs]
    cdocs = [char_features(d) for d in docs]
    wv, widf = vocabulary(wdocs, WORD_MIN_DF)
    cv, cidf = vocabulary(cdocs, CHAR_MIN_DF)
    x = hstack([matrix(wdocs, wv, widf), matrix(cdocs, cv, cidf)]).tocsr()
    labels = np.array(y)
    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=7).split(x, labels):
        # Out-of-fold: the vocabulary is the full one (unsupervised), the weights are not.
        clf = _gaming_classifier().fit(x[train], labels[train])
        oof[test] = clf.predict_proba(x[test])[:, 1]
    clf = _gaming_classifier().fit(x, labels)
    weights = clf.coef_[0]
    word = {g: [widf[g], round(float(weights[i]), DIGITS)] for i, g in enumerate(wv)}
    char = {g: [cidf[g], round(float(weights[len(wv) + i]), DIGITS)] for i, g in enumerate(cv)}
    model = {
        "bias": round(float(clf.intercept_[0]), DIGITS),
        "word": {g: v for g, v in word.items() if v[1] != 0},
        "char": {g: v for g, v in char.items() if v[1] != 0},
    }
    return model, oof


def _gaming_classifier() -> LogisticRegression:
    return LogisticRegression(C=GAMING_C, class_weight="balanced", solver="liblinear")


def prompt_data(items: list[dict]) -> tuple[list[list[str]], list[str]]:
    chosen = [i for i in items if _in_prompts(i)]
    docs = [model_words(i["text"], MAX_WORDS) for i in chosen]
    return docs, [str(i.get("answers") or i["grade_id"]) for i in chosen]


def trusted_prompt_docs() -> tuple[list[list[str]], list[str]]:
    """Each prompt's own words and its ``asks_for`` description, from the course's source/."""
    docs, labels = [], []
    for assignment in assignments(REPO):
        for prompt in load_prompts(assignment, REPO):
            asks = " ".join(prompt.settings.get("asks_for", []))
            text = f"{prompt.rule_settings()['prompt']}\n{asks}"
            docs.append(model_words(text, MAX_WORDS))
            labels.append(prompt.grade_id)
    return docs, labels


def fit_prompts(docs: list[list[str]], labels: list[str]) -> tuple[dict, np.ndarray]:
    """The prompt model, and each training answer's out-of-fold probabilities (classes sorted)."""
    grams = [word_features(d) for d in docs]
    vocab, idf = vocabulary(grams, PROMPT_MIN_DF)
    x = matrix(grams, vocab, idf)
    y = np.array(labels)
    classes = sorted(set(labels))
    oof = np.zeros((len(labels), len(classes)))
    folds = StratifiedKFold(5, shuffle=True, random_state=7)
    for train, test in folds.split(x, y):
        clf = _prompt_classifier().fit(x[train], y[train])
        oof[test] = clf.predict_proba(x[test])
    clf = _prompt_classifier().fit(x, y)
    assert list(clf.classes_) == classes
    coef = clf.coef_
    word = {}
    for i, g in enumerate(vocab):
        row = [round(float(coef[k, i]), DIGITS) for k in range(len(classes))]
        if any(row):
            word[g] = [idf[g], *row]
    model = {
        "classes": classes,
        "bias": [round(float(b), DIGITS) for b in clf.intercept_],
        "word": word,
    }
    return model, oof


def _prompt_classifier() -> LogisticRegression:
    return LogisticRegression(C=PROMPT_C, max_iter=2000)


def thresholds(oof: np.ndarray, y: list[int]) -> tuple[dict[str, float], dict[str, str]]:
    labels = np.array(y)
    genuine = np.sort(oof[labels == 0])[::-1]
    gaming = oof[labels == 1]

    def above(share: float) -> float:
        k = int(math.floor(share * len(genuine)))
        return round(float(genuine[k]) + 1e-4, 4)

    deny, flag = above(DENY_GENUINE_SHARE), above(FLAG_GENUINE_SHARE)
    figures = {
        "genuine denied (out of fold)": f"{int((genuine >= deny).sum())}/{len(genuine)}",
        "genuine flagged or denied (out of fold)": f"{int((genuine >= flag).sum())}/{len(genuine)}",
        "gaming denied (out of fold, model alone)": f"{int((gaming >= deny).sum())}/{len(gaming)}",
        "gaming denied or flagged (out of fold, model alone)": (
            f"{int((gaming >= flag).sum())}/{len(gaming)}"
        ),
    }
    return {"deny": deny, "flag": flag}, figures


def prompt_thresholds(
    oof: np.ndarray, labels: list[str], classes: list[str], genuine: list[bool]
) -> tuple[dict[str, float], dict[str, str]]:
    """Deny only where no genuine training answer would lose credit; flag a little wider."""
    own = np.array([oof[i, classes.index(g)] for i, g in enumerate(labels)])
    masked = oof.copy()
    for i, g in enumerate(labels):
        masked[i, classes.index(g)] = -1
    other = masked.max(axis=1)
    cut = {
        "other_prompt_deny": OTHER_DENY,
        "own_prompt_deny": OWN_DENY,
        "other_prompt_flag": OTHER_FLAG,
        "own_prompt_flag": OWN_FLAG,
    }
    mine = np.array(genuine)
    denied = (other >= OTHER_DENY) & (own <= OWN_DENY)
    flagged = (other >= OTHER_FLAG) & (own <= OWN_FLAG)
    figures = {
        "genuine placed under another prompt, denied (out of fold)": (
            f"{int((denied & mine).sum())}/{int(mine.sum())}"
        ),
        "genuine placed under another prompt, flagged or denied (out of fold)": (
            f"{int((flagged & mine).sum())}/{int(mine.sum())}"
        ),
    }
    return cut, figures


def train() -> dict:
    items = load_items()
    docs, y = gaming_data(items)
    gaming, oof = fit_gaming(docs, y)
    # (combined() below pairs these with the items again, in the same order)
    cut, figures = thresholds(oof, y)
    pdocs, plabels = prompt_data(items)
    tdocs, tlabels = trusted_prompt_docs()
    prompts, poof = fit_prompts(pdocs + tdocs, plabels + tlabels)
    poof_items = poof[: len(pdocs)]
    genuine = [True] * len(pdocs) + [False] * len(tdocs)
    pcut, pfigures = prompt_thresholds(poof, plabels + tlabels, prompts["classes"], genuine)
    right = sum(
        prompts["classes"][int(np.argmax(row))] == label
        for row, label in zip(poof, plabels + tlabels, strict=True)
    )
    figures["prompt identified (out of fold)"] = f"{right}/{len(poof)}"
    figures.update(pfigures)
    model = {
        "version": 1,
        "about": "Trained by scripts/train_model.py; do not edit by hand.",
        "trained_on": {p.name: sum(1 for i in items if i["source"] == p.name) for p in TRAINING},
        "max_words": MAX_WORDS,
        "thresholds": {**cut, **pcut, "clear_flag": CLEAR_FLAG, "own_prompt_clear": OWN_CLEAR},
        "figures": figures,
        "gaming": gaming,
        "prompts": prompts,
    }
    model["figures"].update(combined(items, oof, poof_items, pdocs, model))
    return model


def combined(
    items: list[dict], oof: np.ndarray, poof: np.ndarray, pdocs: list, model: dict
) -> dict[str, str]:
    """The grader as shipped (rules, then the second opinion), each answer judged by models that
    never saw it: the gaming probability out of fold, and the prompt scores out of fold for the
    answers the prompt model learned from (the others it never saw)."""
    from allyship.reflection.model import Model, Opinion
    from allyship.reflection.rules import RULES, evaluate, reconsider

    learned = Model(model)
    prompts = {p.grade_id: p for a in assignments(REPO) for p in load_prompts(a, REPO)}
    classes = model["prompts"]["classes"]
    gaming_items = [i for i in items if _in_gaming(i)]
    prompt_items = [i for i in items if _in_prompts(i)]
    assert len(gaming_items) == len(oof) and len(prompt_items) == len(pdocs)
    p_oof = {
        id(i): dict(zip(classes, row, strict=True))
        for i, row in zip(prompt_items, poof, strict=True)
    }
    g_oof = {id(i): float(v) for i, v in zip(gaming_items, oof, strict=True)}
    tally: Counter[tuple[str, str]] = Counter()
    for item in items:
        if item["expected"] not in ("complete", "incomplete"):
            continue
        settings = prompts[item["grade_id"]].rule_settings()
        alone = evaluate(item["text"], settings, model=False)

        def opinion(item: dict = item) -> Opinion:
            fresh = learned.opinion(item["text"])
            return Opinion(
                g_oof.get(id(item), fresh.gaming), p_oof.get(id(item), fresh.prompt_scores)
            )

        verdict = reconsider(alone, opinion, settings, RULES, learned)
        tally[(item["expected"], verdict.status)] += 1
    genuine = sum(tally[("complete", s)] for s in ("complete", "flagged", "incomplete"))
    gaming = sum(tally[("incomplete", s)] for s in ("complete", "flagged", "incomplete"))
    return {
        "grader, genuine credited (out of fold)": (
            f"{genuine - tally[('complete', 'incomplete')]}/{genuine}"
        ),
        "grader, genuine flagged (out of fold)": f"{tally[('complete', 'flagged')]}/{genuine}",
        "grader, gaming denied (out of fold)": f"{tally[('incomplete', 'incomplete')]}/{gaming}",
        "grader, gaming denied or flagged (out of fold)": (
            f"{gaming - tally[('incomplete', 'complete')]}/{gaming}"
        ),
    }


#: Linear algebra libraries round differently on different processors: a retrained weight may
#: differ from the stored one in its last digit, never more.
TOLERANCE = 3 * 10**-DIGITS


def compare(stored: object, fresh: object, where: str = "model") -> list[str]:
    """Where ``stored`` and a fresh training differ beyond rounding (the figures are reports)."""
    if isinstance(stored, dict) and isinstance(fresh, dict):
        if stored.keys() != fresh.keys():
            return [f"{where}: keys differ ({len(stored)} stored, {len(fresh)} retrained)"]
        return [
            d
            for k in stored
            if k != "figures"
            for d in compare(stored[k], fresh[k], f"{where}.{k}")
        ]
    if isinstance(stored, list) and isinstance(fresh, list):
        if len(stored) != len(fresh):
            return [f"{where}: {len(stored)} values stored, {len(fresh)} retrained"]
        return [d for i, (a, b) in enumerate(zip(stored, fresh, strict=True))
                for d in compare(a, b, f"{where}[{i}]")]  # fmt: skip
    if isinstance(stored, float | int) and isinstance(fresh, float | int):
        return [] if abs(stored - fresh) <= TOLERANCE else [f"{where}: {stored} != {fresh}"]
    return [] if stored == fresh else [f"{where}: {stored!r} != {fresh!r}"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if model.json is stale")
    args = parser.parse_args(argv)
    model = train()
    text = json.dumps(model, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"
    for name, value in model["figures"].items():
        print(f"{name}: {value}")
    print(f"thresholds: {model['thresholds']}")
    print(f"size: {len(text.encode()) / 1024:.0f} KiB")
    if args.check:
        differences = compare(json.loads(MODEL_PATH.read_text(encoding="utf-8")), model)
        if differences:
            print(f"{MODEL_PATH}: stale; run python scripts/train_model.py", file=sys.stderr)
            print("\n".join(differences[:10]), file=sys.stderr)
            return 1
        return 0
    MODEL_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {MODEL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
