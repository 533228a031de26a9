"""nbgrader's exchange collect, refusing what a student could use against the instructor.

The exchange inbound folder is writable by every student, and ``nbgrader collect`` runs as the
instructor, trusts the folder name as the student's id, follows links (``copytree`` with
``symlinks=False``), only logs an owner mismatch, and stops the whole class on one unreadable
entry. :class:`SafeExchangeCollect` keeps nbgrader's behaviour for honest submissions and refuses,
by student and folder, any submission that:

- claims an id that breaks the id rule (:mod:`allyship.instructor.identity`);
- is owned by another Unix user than the student it claims to be (when ``check_owner`` is on);
- holds a link or a special file (a pipe, a device), or is itself a link;
- is larger than ``CourseDirectory.max_dir_size``, counted without following anything;
- was not made by ``nbgrader submit`` (no ``submission_secret.txt``, or an unreadable name).

A refused submission is never copied, so the student's earlier collected submission, and its
grade, stay. Copies never follow links, even one swapped in after the checks. It is named in
``nbgrader_config.py`` (``ExchangeFactory.collect``), so formgrader's own collect uses it too.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from glob import glob
from pathlib import Path
from typing import Any

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns, parse_utc

from allyship.instructor.identity import id_problem, shown_id
from allyship.instructor.intake import Problem, file_kind, unsafe_entries

if sys.platform != "win32":
    import pwd
else:  # pragma: no cover
    pwd = None

#: How far ``timestamp.txt`` may be from the time the folder itself was last changed.
CLOCK_SLACK = timedelta(minutes=10)


def service_collect(config: Any) -> type | None:
    """The collect of an exchange service (ngshare) the configuration chain names, or None.

    The course's ``nbgrader_config.py`` names this class, and it wins over a hub-wide file
    that switches every account to an exchange service (``ngshare_exchange.configureExchange``
    names its own collect too). A service's collect is then the one that can reach the
    submissions; ngshare records who submitted from the hub's token, so there is no folder
    to vet.
    """
    exchange = config.ExchangeFactory.get("exchange") if config is not None else None
    if exchange is None:
        return None
    if isinstance(exchange, str):
        from traitlets.utils.importstring import import_item

        exchange = import_item(exchange)
    package = sys.modules.get(exchange.__module__.split(".")[0])
    if package is None or package.__name__ == "nbgrader":
        return None
    return getattr(package, "ExchangeCollect", None)


class SafeExchangeCollect(ExchangeCollect):
    """``nbgrader collect`` that refuses hostile submissions instead of copying them."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        parent = kwargs.get("parent")
        config = kwargs.get("config") or getattr(parent, "config", None)
        service = service_collect(config)
        if service is not None and cls is SafeExchangeCollect:
            return service(*args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refused: list[Problem] = []
        self.notes: list[tuple[str, str]] = []  # (student, note) for the grader

    # --- which submissions -------------------------------------------------------------------

    def init_src(self) -> None:
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        student = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, f"{student}+{self.coursedir.assignment_id}+*")
        records = [rec for path in sorted(glob(pattern)) if (rec := self._vet(path))]
        self.duedate = self._duedate()
        by_student: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in records:
            by_student[rec["username"]].append(rec)
        self.src_records = [self._pick(recs) for recs in by_student.values()]

    def _duedate(self) -> datetime | None:
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                return gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                return None

    def _pick(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """The newest submission, or with ``before_duedate`` the newest one before it."""
        newest = sorted(records, key=lambda rec: rec["timestamp"], reverse=True)
        if self.duedate is not None and self.before_duedate:
            on_time = [rec for rec in newest if rec["timestamp"] <= self.duedate]
            return (on_time or newest)[0]
        return newest[0]

    def _refuse(self, student: str, filename: str, reason: str) -> None:
        self.log.warning("Refused %s: %s", filename, reason)
        self.refused.append(Problem(student, filename, reason, key=f"inbound|{filename}"))

    def _vet(self, path: str) -> dict[str, Any] | None:
        """The record of one inbound folder, or None when it is refused (and reported)."""
        filename = os.path.basename(path)
        parts = filename.rsplit("+", 3)
        username = parts[0]
        shown = shown_id(username)
        problem = id_problem(username)
        if problem:
            self._refuse(shown, shown_id(filename), f"{problem}; not collected")
            return None
        try:
            timestamp = parse_utc(parts[2])
        except Exception:  # dateutil raises several types for a name nbgrader did not write
            self._refuse(
                username,
                filename,
                "not a submission made by nbgrader submit (no time in its name); not collected",
            )
            return None
        reason = self._folder_problem(Path(path), username)
        if reason:
            self._refuse(username, filename, f"{reason}; not collected")
            return None
        self._check_time(Path(path), username, timestamp)
        return {"username": username, "filename": filename, "timestamp": timestamp}

    def _folder_problem(self, folder: Path, username: str) -> str | None:
        info = folder.lstat()
        kind = file_kind(info.st_mode)
        if kind != "a folder":
            return f"is {kind}, not a folder"
        if self.check_owner and pwd is not None:
            try:
                owner = pwd.getpwuid(info.st_uid).pw_name
            except KeyError:
                owner = f"uid {info.st_uid}"
            if owner != username:
                return f"claims to be {username}'s submission but belongs to the user {owner!r}"
        links = unsafe_entries(folder)
        if links:
            name, what = links[0]
            return f"{name!r} is {what}: a submission may hold only its own files"
        size = sum((Path(d) / f).lstat().st_size for d, _, files in os.walk(folder) for f in files)
        limit = 1000 * self.coursedir.max_dir_size
        if size > limit:
            return f"{size // 1000} kB is more than the course's limit of {limit // 1000} kB"
        if not (folder / "submission_secret.txt").is_file():
            return "not a submission made by nbgrader submit (no submission_secret.txt)"
        return None

    def _check_time(self, folder: Path, username: str, claimed: datetime) -> None:
        """Note a ``timestamp.txt`` that disagrees with the folder's name or its change time.

        Both the name and the file are the student's; the inode change time is not (it cannot
        be set back), so a claimed time well before it is flagged for the grader.
        """
        stamp = self.coursedir.get_existing_timestamp(str(folder))
        changed = datetime.fromtimestamp(folder.lstat().st_ctime, UTC).replace(tzinfo=None)
        if stamp is None:
            return
        if abs(stamp - claimed) > CLOCK_SLACK:
            other = f"the submission's folder name says {claimed:%Y-%m-%d %H:%M:%S} UTC"
        elif changed - stamp > CLOCK_SLACK:
            other = f"its folder was created or changed at {changed:%Y-%m-%d %H:%M:%S} UTC"
        else:
            return
        note = f"timestamp.txt says {stamp:%Y-%m-%d %H:%M:%S} UTC but {other}: check the time"
        self.notes.append((username, note))

    # --- copying -----------------------------------------------------------------------------

    def copy_files(self) -> None:
        """nbgrader's copy, one submission at a time: one failure never stops the others, and
        an earlier submission is replaced only once the new one is completely copied."""
        for rec in self.src_records:
            try:
                self._collect(rec)
            except Exception as err:  # a folder changed under us, a full disk, a permission
                reason = f"could not be copied ({type(err).__name__}: {err}); not collected"
                self._refuse(rec["username"], rec["filename"], reason)

    def _collect(self, rec: dict[str, Any]) -> None:
        student, assignment = rec["username"], self.coursedir.assignment_id
        src = os.path.join(self.inbound_path, rec["filename"])
        dest = self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment)
        if os.path.isdir(dest):
            existing = self.coursedir.get_existing_timestamp(dest)
            newer = existing is None or rec["timestamp"] > existing
            changed = self.before_duedate and existing != rec["timestamp"]
            if not ((self.update and newer) or changed):
                self.log.info("No newer submission to collect: %s %s", student, assignment)
                return
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        incoming = f"{dest}.incoming"
        shutil.rmtree(incoming, ignore_errors=True)
        try:
            self.do_copy(src, incoming)
        except BaseException:
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        if os.path.isdir(dest):
            self.log.info("Updating submission: %s %s", student, assignment)
            retired = f"{dest}.replaced"
            shutil.rmtree(retired, ignore_errors=True)
            os.rename(dest, retired)
            os.rename(incoming, dest)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            self.log.info("Collecting submission: %s %s", student, assignment)
            os.rename(incoming, dest)

    def do_copy(self, src: str, dest: str, log: Any = None) -> None:
        """Copy a submission without following links (a link swapped in after the checks is
        copied as a link, and the grade run refuses it)."""
        shutil.copytree(
            src,
            dest,
            symlinks=True,
            ignore=ignore_patterns(
                exclude=self.coursedir.ignore,
                include=self.coursedir.include,
                max_file_size=self.coursedir.max_file_size,
                log=self.log,
            ),
        )
        if self.coursedir.groupshared:
            for dirname, _, filenames in os.walk(dest):
                os.chmod(dirname, (os.stat(dirname).st_mode | 0o2770) & 0o2777)
                for name in filenames:
                    path = os.path.join(dirname, name)
                    if not os.path.islink(path):
                        os.chmod(path, (os.stat(path).st_mode | 0o660) & 0o777)
