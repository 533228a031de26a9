"""How fast are the reflection rules? Python and JavaScript, over the labeled collection.

Baselines, measured in the same run over the same texts: a plain word count (``\\w+``), the
cheapest thing a completion grader could do, and the rules without the learned second opinion.
Prints the figures and writes benchmarks/results/rules_speed.json.
Run: ``python benchmarks/rules_speed.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import subprocess
import time
from pathlib import Path

from allyship.course import assignments, load_prompts
from allyship.reflection import evaluate
from allyship.reflection.config import RULES_PATH
from allyship.reflection.reading import READING_PATH

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results" / "rules_speed.json"
WORD = re.compile(r"\w+")


def cases() -> list[tuple[str, dict]]:
    prompts = {
        p.grade_id: p.rule_settings() for a in assignments(REPO) for p in load_prompts(a, REPO)
    }
    out = []
    for split in ("dev", "heldout"):
        path = REPO / "tests" / "reflections" / f"{split}.jsonl"
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                out.append((item["text"], prompts[item["grade_id"]]))
    return out


def python_figures(items: list[tuple[str, dict]], rounds: int) -> dict:
    for text, settings in items:  # warm-up: loads rules.json and reading.json once
        evaluate(text, settings)
    start = time.perf_counter()
    for _ in range(rounds):
        for text, settings in items:
            evaluate(text, settings)
    rules_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(rounds):
        for text, _settings in items:
            len(WORD.findall(text))
    base_s = time.perf_counter() - start
    calls = rounds * len(items)
    start = time.perf_counter()
    for _ in range(rounds):
        for text, settings in items:
            evaluate(text, settings, model=False)
    alone_s = time.perf_counter() - start
    big = (" ".join(t for t, _ in items) * 20)[:200_000]
    start = time.perf_counter()
    evaluate(big, items[0][1])
    big_s = time.perf_counter() - start
    return {
        "collection_s": rules_s / rounds,
        "per_item_us": rules_s / calls * 1e6,
        "baseline_per_item_us": base_s / calls * 1e6,
        "ratio_to_baseline": rules_s / base_s,
        "rules_alone_per_item_us": alone_s / calls * 1e6,
        "learned_part_per_item_us": (rules_s - alone_s) / calls * 1e6,
        "ratio_to_rules_alone": rules_s / alone_s,
        "one_200k_char_text_s": big_s,
    }


def js_figures(items: list[tuple[str, dict]], rounds: int) -> dict | None:
    node = shutil.which("node")
    if node is None:
        return None
    lines = "".join(json.dumps({"text": t, "settings": s}) + "\n" for t, s in items)
    runner = REPO / "tests" / "js" / "run_rules.mjs"
    done = subprocess.run(
        [node, str(runner), str(RULES_PATH), str(READING_PATH), "--time", str(rounds)],
        input=lines, capture_output=True, text=True, check=True,
    )  # fmt: skip
    data = json.loads(done.stdout)
    calls = data["rounds"] * data["items"]
    return {
        "collection_s": data["rules_us"] / 1e6 / data["rounds"],
        "per_item_us": data["rules_us"] / calls,
        "baseline_per_item_us": data["wordcount_us"] / calls,
        "ratio_to_baseline": data["rules_us"] / max(data["wordcount_us"], 1e-9),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    items = cases()
    result = {
        "items": len(items),
        "rounds": args.rounds,
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}",
        "python": python_figures(items, args.rounds),
        "javascript": js_figures(items, args.rounds),
    }
    for lang in ("python", "javascript"):
        fig = result[lang]
        if fig is None:
            print(f"{lang}: node not found, skipped")
            continue
        print(
            f"{lang:10s}: collection of {len(items)} in {fig['collection_s'] * 1e3:.1f} ms, "
            f"{fig['per_item_us']:.0f} µs/item; word-count baseline "
            f"{fig['baseline_per_item_us']:.1f} µs/item; ratio {fig['ratio_to_baseline']:.0f}x"
        )
    py = result["python"]
    print(
        f"python: rules alone {py['rules_alone_per_item_us']:.0f} µs/item; the learned second "
        f"opinion adds {py['learned_part_per_item_us']:.0f} µs/item "
        f"(ratio {py['ratio_to_rules_alone']:.2f}x to the rules alone)"
    )
    print(f"python: one 200k-character text in {py['one_200k_char_text_s']:.3f} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
