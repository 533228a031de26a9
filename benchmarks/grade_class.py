"""Benchmark: ``allyship grade`` against the stock nbgrader CLI steps on the same class.

For each class size, two fresh copies of the course get the same synthetic submissions through
their own nbgrader exchange. One is graded with ``allyship grade ASSIGNMENT`` (which also checks
files, releases feedback and writes the LMS files and class report); the other with the stock
CLI calls ``nbgrader collect``, ``autograde``, ``generate_feedback``, ``release_feedback`` and
``export``. Both use the course's ``nbgrader_config.py``. A second ``allyship grade`` (nothing
changed) shows the cost of a re-run. Prints the figures and writes
``benchmarks/results/grade_class.json``.

    python benchmarks/grade_class.py [--sizes 30 100]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import BIN, copy_course, tool_env  # noqa: E402

from allyship.instructor.demo import demo_class, submit_to_exchange, write_roster  # noqa: E402
from allyship.nbgrader_support import load_course_config  # noqa: E402

ASSIGNMENT = "introspection"
RESULTS = REPO / "benchmarks" / "results" / "grade_class.json"


def run(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=tool_env())
    return time.perf_counter() - start, result


def prepare(base: Path, name: str, size: int) -> Path:
    """A course with its own exchange, the assignment released, every student submitted."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    course = copy_course(base / name / "course")
    exchange = base / name / "exchange"
    exchange.mkdir()
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
        fh.write(f"\nc.Exchange.root = {str(exchange)!r}\nc.ExchangeCollect.check_owner = False\n")
    config = load_course_config(course)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    assert api.generate_assignment(ASSIGNMENT)["success"]
    assert api.release_assignment(ASSIGNMENT)["success"]
    students = demo_class(course, ASSIGNMENT, size)
    for s in students:
        if s.submits:
            home = base / name / "students" / s.roster.id
            submit_to_exchange(course, exchange, ASSIGNMENT, s, home)
    write_roster(course / "roster.csv", students)
    return course


def measure(size: int) -> dict[str, float | int | str]:
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        base = Path(tmp)
        ours, stock = prepare(base, "allyship", size), prepare(base, "stock", size)
        _, imported = run([str(BIN / "allyship"), "roster", "import", "roster.csv"], ours)
        assert imported.returncode == 0, imported.stderr

        t_ours, first = run([str(BIN / "allyship"), "grade", ASSIGNMENT], ours)
        t_rerun, second = run([str(BIN / "allyship"), "grade", ASSIGNMENT], ours)
        for result in (first, second):
            assert result.returncode in (0, 1) and result.stdout, result.stderr[-3000:]
        stock_steps, exits = {}, {}
        nbgrader = str(BIN / "nbgrader")
        for step in ("collect", "autograde", "generate_feedback", "release_feedback"):
            stock_steps[step], result = run([nbgrader, step, ASSIGNMENT], stock)
            exits[step] = result.returncode  # autograde exits 1: the class has a broken file
        stock_steps["export"], result = run([nbgrader, "export"], stock)
        exits["export"] = result.returncode
        t_stock = sum(stock_steps.values())
        summary = first.stdout.strip().splitlines()[-1]
        graded = len(list((stock / "autograded").glob(f"*/{ASSIGNMENT}")))
        return {
            "students": size,
            "stock_graded": graded,
            "allyship_summary": summary,
            "allyship_grade_s": round(t_ours, 2),
            "allyship_rerun_unchanged_s": round(t_rerun, 2),
            "rerun_summary": second.stdout.strip().splitlines()[0],
            "stock_cli_s": round(t_stock, 2),
            "stock_steps_s": {k: round(v, 2) for k, v in stock_steps.items()},
            "stock_exit_codes": exits,
            "ratio_allyship_over_stock": round(t_ours / t_stock, 3),
            "ratio_rerun_over_stock": round(t_rerun / t_stock, 3),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 100])
    args = parser.parse_args()
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    figures = []
    for size in args.sizes:
        row = measure(size)
        figures.append(row)
        print(
            f"N={size}: allyship grade {row['allyship_grade_s']} s "
            f"(re-run, nothing changed: {row['allyship_rerun_unchanged_s']} s); stock nbgrader "
            f"CLI {row['stock_cli_s']} s {row['stock_steps_s']}; "
            f"ratio {row['ratio_allyship_over_stock']} (re-run {row['ratio_rerun_over_stock']})"
        )
        print(f"       {row['allyship_summary']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "grade_class",
                "assignment": ASSIGNMENT,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "results": figures,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
