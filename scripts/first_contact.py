"""Measure the reflection rules once on a new collection, per kind, before anyone tunes on it.

A collection is JSON Lines (``id, assignment, grade_id, kind, expected, text``) written by
authors who never saw the rules. The figures are the ones the product promises: for genuine
answers, how many get full credit, how many are flagged, how many are zeroed; for gaming
answers, how many are denied full automatic credit (incomplete, or credited but flagged for the
instructor), and for declines, whether they reach the instructor rather than a silent zero.

    python scripts/first_contact.py tests/reflections/first-contact/blind6.jsonl [...]

Prints a table per file, for the rules alone and for the grader as shipped (rules plus the
learned second opinion), and writes ``<file>.first-contact.json`` beside it. Run it once, when a
collection arrives, and commit the figures with the collection.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from allyship.course import assignments, load_prompts
from allyship.reflection import evaluate


def kind_of(item: dict) -> str:
    """The kind without its serial number (``gaming-pledge-3`` -> ``gaming-pledge``)."""
    head, _, tail = item["kind"].rpartition("-")
    return head if tail.isdigit() and head else item["kind"]


def measure(path: Path, model: bool = True) -> dict:
    prompts = {p.grade_id: p for a in assignments() for p in load_prompts(a)}
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        settings = prompts[item["grade_id"]].rule_settings()
        verdict = evaluate(item["text"], settings, model=None if model else False)
        row = by_kind[kind_of(item)]
        row["items"] += 1
        row["expected_" + item["expected"]] += 1
        row[verdict.status] += 1
        row["review"] += verdict.needs_review
        wrong = (item["expected"] == "complete" and verdict.credit < 1) or (
            item["expected"] == "incomplete" and verdict.status == "complete"
        )
        if wrong:
            misses.append(
                {
                    "id": item["id"],
                    "kind": item["kind"],
                    "status": verdict.status,
                    "checks": list(verdict.checks),
                }
            )
    return {
        "collection": path.name,
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "kinds": {k: dict(v) for k, v in sorted(by_kind.items())},
        "totals": totals(by_kind),
        "misses": misses,
    }


def totals(by_kind: dict[str, dict[str, int]]) -> dict[str, str]:
    """The promise's figures over the whole file (genuine / gaming / declines)."""

    def pick(expected: str) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for row in by_kind.values():
            if row.get("expected_" + expected):
                for key in ("items", "complete", "flagged", "incomplete", "review"):
                    out[key] += row.get(key, 0)
        return out

    genuine, gaming = pick("complete"), pick("incomplete")
    declines = pick("flagged")
    out = {}
    if genuine["items"]:
        n = genuine["items"]
        out["genuine full credit"] = f"{genuine['complete'] + genuine['flagged']}/{n}"
        out["genuine flagged"] = f"{genuine['flagged']}/{n}"
        out["genuine zeroed"] = f"{genuine['incomplete']}/{n}"
    if gaming["items"]:
        n = gaming["items"]
        out["gaming denied full automatic credit"] = f"{gaming['incomplete']}/{n}"
        out["gaming denied or flagged"] = f"{gaming['incomplete'] + gaming['flagged']}/{n}"
    if declines["items"]:
        n = declines["items"]
        out["declines sent to the instructor"] = f"{declines['review']}/{n}"
        out["declines silently zeroed"] = f"{declines['items'] - declines['review']}/{n}"
    return out


def show(result: dict) -> None:
    print(f"\n{result['collection']}  (measured {result['measured']})")
    print(f"{'kind':32} {'items':>5} {'complete':>8} {'flagged':>7} {'incomplete':>10}")
    for kind, row in result["kinds"].items():
        print(
            f"{kind:32} {row['items']:>5} {row.get('complete', 0):>8} "
            f"{row.get('flagged', 0):>7} {row.get('incomplete', 0):>10}"
        )
    for name, value in result["totals"].items():
        print(f"  {name}: {value}")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for name in argv:
        path = Path(name)
        result = measure(path)
        alone = measure(path, model=False)
        result["rules alone"] = {"kinds": alone["kinds"], "totals": alone["totals"]}
        print("\n-- rules alone (no learned second opinion)")
        show(alone)
        print("\n-- the grader (rules + learned second opinion)")
        show(result)
        out = path.with_suffix(".first-contact.json")
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"  wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
