"""``allyship grade``: submissions in, grades, feedback, LMS files and a class report out.

Four steps over one :class:`~allyship.instructor.run.GradeRun`: open the run (course, paths,
roster, state), take submissions in (the exchange through :class:`SafeExchangeCollect`, or an
LMS archive, then a check of every collected file), grade what changed (nbgrader's autograde
and feedback through ``NbGraderAPI`` in process), and publish (rows from the gradebook, exports,
report). One bad submission never stops the others; a problem already reported on an unchanged
file is set aside, not retried.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import TextIO

from allyship.course import assignments, load_prompts
from allyship.instructor import exports, report
from allyship.instructor.batches import in_batches, only
from allyship.instructor.exchange import SafeExchangeCollect, service_collect
from allyship.instructor.identity import id_problem, shown_id
from allyship.instructor.intake import Problem, assignment_shape, inspect_submitted
from allyship.instructor.late import due_date
from allyship.instructor.lms import intake_archive
from allyship.instructor.paths import CoursePaths
from allyship.instructor.results import build_rows
from allyship.instructor.roster import load_roster, markup_problem
from allyship.instructor.run import GradeError, GradeRun
from allyship.instructor.state import (
    GradeState,
    grades_digest,
    setup_digest,
    submission_hash,
)
from allyship.nbgrader_support import load_course_config


def grade_assignment(
    root: Path,
    assignment: str,
    archive: Path | None = None,
    include_text: bool = False,
    stream: TextIO | None = None,
) -> GradeRun:
    """Run the whole day's work for one assignment; see the module docstring."""
    run = open_run(root, assignment, archive, include_text, stream)
    try:
        take_in(run, archive)
        grade(run)
    finally:  # an interrupt keeps what was graded: the next run goes on from there
        run.state.save()
    publish(run)
    return run


# --- 1. open the run --------------------------------------------------------------------------


def open_run(
    root: Path,
    assignment: str,
    archive: Path | None,
    include_text: bool,
    stream: TextIO | None,
) -> GradeRun:
    from nbgrader.apps import NbGraderAPI

    config = load_course_config(root)
    paths = CoursePaths.from_config(config)
    if id_problem(assignment) or not paths.source(assignment).is_dir():
        known = ", ".join(assignments(root)) or "no assignments"
        raise GradeError(
            f"no assignment {assignment!r} in {paths.source_folders().name}/; "
            f"the course has: {known}"
        )
    api = NbGraderAPI(paths.coursedir, config=config)
    state = GradeState.load(paths.reports(assignment) / ".grade-state.json")
    run = GradeRun(
        assignment=assignment,
        paths=paths,
        api=api,
        prompts=load_prompts(assignment, root),
        shape=assignment_shape(paths, assignment),
        due=_ensure_assignment(api, assignment, due_date(config, assignment)),
        roster=[],
        state=state,
        include_text=include_text,
        stream=stream,
        use_exchange=archive is None and bool(api.exchange_is_functional),
        from_archive=archive is not None,
        set_aside_before=frozenset(state.set_aside),
    )
    for student in load_roster(config):  # stored before import refused them, or by hand
        problem = id_problem(student.id) or markup_problem(vars(student))
        if problem:
            run.notes.append(
                f"student {shown_id(student.id)} in the gradebook: {problem}; not graded: "
                "fix it in the roster and import it again"
            )
        else:
            run.roster.append(student)
    return run


def _ensure_assignment(api, assignment: str, due: datetime | None) -> datetime | None:
    """The gradebook must know the assignment's cells (``generate_assignment``) and due date.

    A due date set in the course config is written to the gradebook; without one, a due date
    already in the gradebook (set with formgrader or ``nbgrader db``) is kept and returned.
    """
    from nbgrader.api import MissingEntry

    with api.gradebook as gb:
        try:
            known = bool(gb.find_assignment(assignment).notebooks)
        except MissingEntry:
            known = False
    if not known:
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise GradeError(f"nbgrader generate_assignment failed:\n{result.get('error', '')}")
    with api.gradebook as gb:
        stored = gb.find_assignment(assignment).duedate
        if due is not None and stored != due:
            gb.update_or_create_assignment(assignment, duedate=due)
    return due if due is not None else stored


# --- 2. take submissions in -------------------------------------------------------------------


def take_in(run: GradeRun, archive: Path | None) -> None:
    """Collect or file the submissions, then check every one; decide who can be graded."""
    if run.use_exchange:
        collect(run)
    elif archive is None:
        run.notes.append(
            f"no nbgrader exchange for course {run.api.course_id!r} ({run.api.exchange_root}): "
            "grading what is already in submitted/ (use --zip for an LMS archive)"
        )
    if archive is not None:
        run.notes.extend(
            intake_archive(archive, run.paths, run.shape, run.roster, run.due, run.intake)
        )
    inspect_submitted(run.paths, run.assignment, run.shape, run.intake)


def collect(run: GradeRun) -> None:
    """nbgrader's collect through :class:`SafeExchangeCollect`; refusals become problems."""
    from nbgrader.exchange.default.collect import ExchangeCollect
    from nbgrader.utils import capture_log, temp_attrs

    api = run.api
    safe = configured = api.exchange.collect
    if configured is ExchangeCollect:
        safe = SafeExchangeCollect
    elif not issubclass(configured, SafeExchangeCollect):  # another exchange, e.g. ngshare
        run.notes.append(f"collecting with {configured.__name__}: allyship's checks not applied")
    with temp_attrs(api.coursedir, assignment_id=run.assignment):
        app = safe(coursedir=api.coursedir, authenticator=api.authenticator, parent=api)
        app.update = True
        result = capture_log(app)
    if not result["success"]:
        raise GradeError(f"nbgrader collect failed:\n{result.get('error', '')}")
    for problem in getattr(app, "refused", []):
        known = problem.student in {s.id for s in run.roster}
        (run.intake.problems if known else run.intake.unknown).append(problem)
    for student, note in getattr(app, "notes", []):
        run.intake.note(student, note)
    run.warnings.extend(_warnings(result.get("log") or "", skip="Refused "))


def _warnings(log: str, skip: str = "", keep_info: bool = False) -> list[str]:
    """nbgrader's warning and error lines (the ones a grader must see), joined per message."""
    levels = ("[WARNING]", "[ERROR]", "[INFO]") if keep_info else ("[WARNING]", "[ERROR]")
    found = []
    for message in re.split(r"\n(?=\[[A-Z]+\])", log):
        text = " ".join(message.split())
        if text.startswith(levels) and not (skip and skip in text):
            found.append(text)
    return found


# --- 3. grade what changed --------------------------------------------------------------------


def grade(run: GradeRun) -> None:
    ready = sorted(run.intake.ready)
    digests = {s: submission_hash(run.paths.submitted(s, run.assignment)) for s in ready}
    for student in ready:  # notes belong to the submission they were made about
        if student in run.intake.notes or run.state.get(student, "notes_for") != digests[student]:
            notes = sorted(set(run.intake.notes.get(student, [])))
            run.state.set(student, notes=notes, notes_for=digests[student])
    failed = autograde(run, digests)
    run.graded = {
        s for s in ready if s not in failed and run.paths.autograded(s, run.assignment).is_dir()
    }
    troubled = {p.student for p in run.intake.problems} - failed
    run.earlier = {  # a refused or broken new submission: the earlier grade stays
        s
        for s in troubled
        if run.state.get(s, "submission") and run.paths.autograded(s, run.assignment).is_dir()
    }
    run.graded |= run.earlier
    feedback(run)


def autograde(run: GradeRun, digests: dict[str, str]) -> set[str]:
    """Autograde the submissions that changed since their last autograde; returns failures.

    A failed one is tried again on the next run (the cause may have passed, say a locked
    gradebook); failing again on the same file, it is reported as set aside, not as new.
    """
    setup = setup_digest(run.paths, run.assignment, run.due)
    todo, failed = [], set()
    for student, digest in digests.items():
        state = run.state.students.get(student, {})
        unchanged = (
            state.get("submission") == digest
            and state.get("setup") == setup
            and run.paths.autograded(student, run.assignment).is_dir()
        )
        (run.unchanged if unchanged else todo).append(student)
    for student, error in in_batches(
        run, "autograde", "autograde", "submitted", "autograded", todo
    ):
        if error is None:
            run.autograded.append(student)
            run.state.set(student, submission=digests[student], setup=setup)
        else:
            failed.add(student)
            reason = last_error(error)
            run.state.set(student, submission=None)
            run.intake.problems.append(_autograde_problem(run, student, digests[student], reason))
    run.warnings.extend(student_warnings(run, run.logs))
    run.logs.clear()
    return failed


#: nbgrader's routine warnings on every regrade: nothing for a grader to act on.
ROUTINE = re.compile(r"Removing existing|Updating existing|seconds late|Removing failed")


def student_warnings(run: GradeRun, logs: list[str]) -> list[str]:
    """The warnings autograde logged about a submission (a merged, deleted or renamed answer
    cell...), each named with its student: nbgrader logs them under the notebook it converts."""
    found = []
    submitted = re.escape(str(run.paths.step_root("submitted")))
    prefix = re.compile(rf"Converting notebook {submitted}[/\\](?P<student>[^/\\]+)")
    for log in logs:
        student = None
        for message in _warnings(log, keep_info=True):
            if (m := prefix.search(message)) and message.startswith("[INFO]"):
                student = m["student"]
            elif not message.startswith("[INFO]") and not ROUTINE.search(message):
                found.append(f"{student or 'autograde'}: {message}")
    return found


def _autograde_problem(run: GradeRun, student: str, digest: str, reason: str) -> Problem:
    return Problem(
        student, f"{run.assignment} (autograde)", reason, key=f"autograde|{student}|{digest}"
    )


def feedback(run: GradeRun) -> None:
    """Generate feedback where the grades or comments changed; release it through the exchange
    to everyone it can be released to, and say who it could not reach."""
    graded = sorted(run.graded)
    with run.api.gradebook as gb:
        digests = {s: grades_digest(gb.find_submission(run.assignment, s)) for s in graded}
    todo = [
        s
        for s in graded
        if run.state.get(s, "feedback") != digests[s]
        or not run.paths.feedback(s, run.assignment).is_dir()
    ]
    for student, error in in_batches(
        run, "generate_feedback", "feedback", "autograded", "feedback", todo
    ):
        if error is None:
            run.state.set(student, feedback=digests[student])
        else:  # graded, but the student would see nothing: the instructor must hear of it
            reason = f"feedback could not be generated: {last_error(error)}"
            key = f"feedback|{student}|{digests[student]}"
            run.intake.problems.append(
                Problem(student, f"{run.assignment} (feedback)", reason, key=key)
            )
    if todo and run.use_exchange:
        release_feedback(run, graded)


def release_feedback(run: GradeRun, graded: list[str]) -> None:
    """One ``release_feedback`` call for every student whose feedback can be released.

    nbgrader reads ``timestamp.txt`` and ``submission_secret.txt`` from each feedback folder and
    stops the whole class at the first one missing, so those students are left out and named.
    """
    ready = []
    # nbgrader's own exchange reads both files; an exchange service (ngshare) the time alone.
    needed = ("timestamp.txt",)
    if service_collect(run.api.config) is None:
        needed += ("submission_secret.txt",)
    for student in graded:
        folder = run.paths.feedback(student, run.assignment)
        missing = [n for n in needed if not (folder / n).is_file()]
        if missing and folder.is_dir():
            run.warnings.append(
                f"feedback for {student} not released: its submission has no {missing[0]} "
                "(it was not made by nbgrader submit)"
            )
        elif folder.is_dir():
            ready.append(student)
    with only(run, "feedback", ready):
        result = run.api.release_feedback(run.assignment)
    run.feedback_released = bool(result["success"])
    run.warnings.extend(_warnings(result.get("log") or ""))
    if not result["success"]:
        run.warnings.append(f"release_feedback failed: {last_error(result)}")


def last_error(result: dict) -> str:
    """The most telling line of a failed nbgrader step: the exception, not the boilerplate."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    boiler = re.compile(r"see the (the )?above traceback|^Traceback|^\[ERROR\] There was an error")
    telling = [ln for ln in lines if not boiler.search(ln)]
    exceptions = [ln for ln in telling if re.match(r"^[\w.]+(Error|Exception)\b", ln)]
    errors = exceptions or [ln for ln in telling if ln.startswith("[ERROR]")]
    return (errors or telling or ["autograde failed"])[-1][:300]


# --- 4. publish -------------------------------------------------------------------------------


def publish(run: GradeRun) -> None:
    """Rows from the gradebook; exports and the report from the rows; the set-aside ledger."""
    with run.api.gradebook as gb:
        run.rows = build_rows(gb, run)
    run.state.set_aside = {
        p.key: run.state.set_aside.get(p.key) or datetime.utcnow().isoformat(timespec="seconds")
        for p in run.failed
        if p.key
    }
    run.state.save()
    exports.write_all(run.reports, run.assignment, run.prompts, run.rows, run.include_text)
    report.write(run.reports / "report.html", run)
