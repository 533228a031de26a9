"""Cost per submission of autograding with our rules, against the stock nbgrader pipeline.

Both pipelines grade the same N submissions in the same run, each in its own temporary copy of the
course, in process through ``NbGraderAPI`` (so the ~1.5-3.5 s start-up of each CLI call is left
out). "stock" is the course with nbgrader's default preprocessor lists, which starts a kernel for
every notebook and sends every written answer to manual grading; "rules" is the course as shipped.

    python benchmarks/autograde_cost.py [N]     # default N = 12

Prints the figures and writes ``benchmarks/results/autograde_cost.json``.
"""

from __future__ import annotations

import copy
import json
import platform
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "introspection"
RESULTS = REPO / "benchmarks" / "results" / "autograde_cost.json"

#: nbgrader 0.9.6's own defaults, restored for the baseline course.
STOCK = """
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors." + n for n in (
        "IncludeHeaderFooter", "InstantiateTests", "LockCells", "ClearSolutions", "ClearOutput",
        "CheckCellMetadata", "ComputeChecksums", "SaveCells", "ClearHiddenTests",
        "ClearMarkScheme", "ComputeChecksums", "CheckCellMetadata")]
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors." + n for n in (
        "ClearOutput", "DeduplicateIds", "OverwriteKernelspec", "OverwriteCells",
        "CheckCellMetadata")]
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata"]
c.Autograde.pre_convert_hook = None
"""


def make_course(dest: Path, stock: bool) -> Path:
    """A temporary course copy (own gradebook); the baseline gets nbgrader's defaults."""
    dest.mkdir(parents=True)
    shutil.copy2(REPO / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(REPO / "source", dest / "source")
    if stock:
        with (dest / "nbgrader_config.py").open("a") as config:
            config.write(STOCK)
    return dest


def api_for(course: Path) -> Any:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from allyship.nbgrader_support import load_course_config

    config = load_course_config(course)
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def submissions(course: Path, n: int) -> None:
    """N submissions: a third untouched, a third half done, a third with every answer written."""
    released = json.loads((course / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    source = json.loads((course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    exemplar = {
        c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
        for c in source["cells"]
        if c["metadata"].get("nbgrader", {}).get("solution")
    }
    for k in range(n):
        nb = copy.deepcopy(released)
        answer_cells = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
        for i, cell in enumerate(answer_cells):
            if k % 3 == 2 or (k % 3 == 1 and i == 0):
                words = exemplar[cell["metadata"]["nbgrader"]["grade_id"]].split()
                cell["source"] = " ".join(words[k % 5 :] + words[: k % 5])
        folder = course / "submitted" / f"student{k:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(nb))


def measure(course: Path, n: int) -> dict[str, float]:
    api = api_for(course)
    result = api.generate_assignment(ASSIGNMENT, force=True)
    assert result["success"], result.get("error")
    submissions(course, n)
    start = time.perf_counter()
    for k in range(n):
        result = api.autograde(ASSIGNMENT, f"student{k:03d}", force=True)
        assert result["success"], result.get("log", "")[-2000:]
    seconds = time.perf_counter() - start
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        pending = sum(s.needs_manual_grade for s in gb.find_assignment(ASSIGNMENT).submissions)
    return {"seconds": seconds, "per_submission": seconds / n, "needs_manual_grade": pending}


def main(n: int) -> dict[str, object]:
    warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy warnings drown the figures
    with tempfile.TemporaryDirectory(prefix="allyship-bench-") as tmp:
        rules = measure(make_course(Path(tmp) / "rules", stock=False), n)
        stock = measure(make_course(Path(tmp) / "stock", stock=True), n)
    report = {
        "submissions": n,
        "assignment": ASSIGNMENT,
        "rules": rules,
        "stock": stock,
        "ratio_rules_to_stock": rules["per_submission"] / stock["per_submission"],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"autograde, {n} submissions of {ASSIGNMENT} (in process, same run)")
    for name in ("rules", "stock"):
        fig = report[name]
        print(
            f"  {name:5s}: {fig['per_submission'] * 1000:7.0f} ms per submission "
            f"({fig['seconds']:.1f} s total, {fig['needs_manual_grade']} left for manual grading)"
        )
    print(f"  ratio rules/stock: {report['ratio_rules_to_stock']:.2f}")
    print(f"  written to {RESULTS.relative_to(REPO)}")
    return report


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
