"""Driving nbgrader's per-student steps in batches, one failure never stopping the others.

nbgrader compiles its templates once per call, so students are graded about ten calls at a
time (``student_id="*"`` with every other student excluded), and a student whose output is
missing after a batch is run again alone, to get its own reason. nbgrader's ``capture_log``
swallows every exception, Ctrl-C included, so an interrupt is recorded here and raised between
calls: the run stops at once and keeps what is done.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from allyship.instructor.identity import is_safe_id
from allyship.instructor.progress import Progress
from allyship.instructor.run import GradeRun


def chunks(students: list[str]) -> list[list[str]]:
    """About ten batches: nbgrader compiles its templates once per call, not per student."""
    size = max(5, math.ceil(len(students) / 10))
    return [students[i : i + size] for i in range(0, len(students), size)]


@contextmanager
def only(run: GradeRun, step: str, students: list[str]) -> Iterator[bool]:
    """Make the next ``student_id="*"`` call see only ``students``; yields False when a
    ``"*"`` call is not safe (a folder whose name is not a safe id could not be excluded:
    nbgrader's exclude list is comma-separated and its student id a glob)."""
    folder = run.paths.step_root(step)
    others = sorted(p.parent.name for p in folder.glob(f"*/{run.assignment}"))
    coursedir = run.api.coursedir
    saved = coursedir.student_id_exclude
    wanted = set(students)
    coursedir.student_id_exclude = ",".join(s for s in others if s not in wanted)
    try:
        yield all(is_safe_id(s) for s in others)
    finally:
        coursedir.student_id_exclude = saved


class Interrupt:
    """Ctrl-C seen while nbgrader was running (nbgrader itself would swallow it)."""

    def __init__(self) -> None:
        self.seen = False

    def check(self) -> None:
        if self.seen:
            raise KeyboardInterrupt


@contextmanager
def interruptible() -> Iterator[Interrupt]:
    interrupt = Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield interrupt
        return

    def handler(signum: int, frame: Any) -> None:
        interrupt.seen = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield interrupt
    finally:
        signal.signal(signal.SIGINT, previous)


def batch(
    run: GradeRun, step: str, source: str, output: str, students: list[str], guard: Interrupt
) -> dict[str, dict | None]:
    """Run ``step`` on ``students`` in one nbgrader call; returns {student: None or failure}.

    Students whose output is missing or older than the call are run again alone, so each
    failure gets its own reason and one bad notebook never stops the batch's others.
    """
    call: Callable[..., dict] = getattr(run.api, step)
    start = time.time()
    result: dict[str, Any] = {"success": False}
    with only(run, source, students) as safe:
        if safe:
            result = call(run.assignment, "*", force=True)
            run.logs.append(result.get("log") or "")
    guard.check()
    done: dict[str, dict | None] = {}
    for student in students:
        out = getattr(run.paths, output)(student, run.assignment)
        fresh = Path(out).is_dir() and Path(out).stat().st_mtime >= start - 1
        if result["success"] and fresh:
            done[student] = None
            continue
        alone = call(run.assignment, student, force=True)
        run.logs.append(alone.get("log") or "")
        guard.check()
        done[student] = None if alone["success"] else alone
    return done


def in_batches(
    run: GradeRun, step: str, label: str, source: str, output: str, students: list[str]
) -> Iterator[tuple[str, dict | None]]:
    """Run ``step`` over ``students`` in batches with a progress bar; yields each student with
    None when it succeeded, else nbgrader's failed result."""
    bar = Progress(label, len(students), run.stream)
    with interruptible() as guard:
        for chunk in chunks(students):
            for student, error in batch(run, step, source, output, chunk, guard).items():
                bar.step(student)
                yield student, error
