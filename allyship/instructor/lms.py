"""Filing an LMS "download all submissions" archive (Canvas or Moodle) into ``submitted/``.

Everything in the archive is the students' or the LMS's: member names, sizes, compression,
dates and bytes. Each member is read on its own, with a size cap, and anything unreadable
(damaged, encrypted, an unsupported compression) is reported by student and file while the
others go on. Whose file it is comes from the roster (:mod:`allyship.instructor.matching`),
never from the archive alone, and an older archive never replaces a newer submission.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from allyship.course import MAX_NOTEBOOK_BYTES
from allyship.errors import GradeError
from allyship.instructor.intake import Intake, Problem, Shape, identify, too_large
from allyship.instructor.matching import RosterIndex
from allyship.instructor.paths import CoursePaths
from allyship.instructor.roster import RosterStudent

CANVAS = re.compile(
    r"^(?P<name>[^_/]+)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<sid>\d+)_(?P<orig>.+)$"
)
MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<uid>\d+)_assignsubmission_[a-z]+_$")
#: Canvas appends ``-1``, ``-2``... to a resubmitted file's name.
CANVAS_COPY_SUFFIX = re.compile(r"-\d+$")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


@dataclass(frozen=True)
class ArchiveFile:
    info: zipfile.ZipInfo
    filename: str  # the student's original file name
    name: str  # the name the LMS wrote ("lastfirst" on Canvas, "Full Name" on Moodle)
    lms_id: str  # Canvas user id, or Moodle participant id (not a user id)
    late: bool  # marked late by the LMS (Canvas only)
    lms: str  # "canvas" or "moodle"

    @property
    def modified(self) -> datetime:
        """The archive's time for the file (naive, read as UTC)."""
        return datetime(*self.info.date_time)

    @property
    def key(self) -> str:
        return f"zip|{self.info.filename}|{self.info.CRC}|{self.info.file_size}"


def read_archive_names(zf: zipfile.ZipFile) -> tuple[list[ArchiveFile], list[Problem]]:
    """Parse LMS file names; files named neither way are problems (student unknown)."""
    files, problems = [], []
    for info in zf.infolist():
        parts = PurePosixPath(info.filename).parts
        if info.is_dir() or not parts or parts[0] == "__MACOSX" or parts[-1] == ".DS_Store":
            continue
        moodle = next((m for p in parts[:-1] if (m := MOODLE_FOLDER.match(p))), None)
        canvas = CANVAS.match(parts[-1])
        if moodle:
            files.append(
                ArchiveFile(info, parts[-1], moodle["name"], moodle["uid"], False, "moodle")
            )
        elif canvas:
            late = bool(canvas["late"])
            files.append(
                ArchiveFile(info, canvas["orig"], canvas["name"], canvas["uid"], late, "canvas")
            )
        else:
            reason = (
                "cannot tell whose file this is (not named the way Canvas or Moodle name downloads)"
            )
            problems.append(Problem("?", info.filename, reason, key=f"zip|{info.filename}"))
    return files, problems


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes | None, str]:
    """The bytes of one member, or None and why not: never more than the cap, never a crash."""
    if info.flag_bits & 0x1:
        return None, "encrypted in the archive (password-protected); download it again unencrypted"
    if info.compress_type not in READABLE:
        return None, (
            f"compressed with a method that cannot be read (zip method {info.compress_type}, "
            "e.g. Deflate64); re-create the archive with ordinary zip compression"
        )
    if info.file_size > MAX_NOTEBOOK_BYTES:
        return None, too_large()
    try:
        with zf.open(info) as fh:
            data = fh.read(MAX_NOTEBOOK_BYTES + 1)
    except Exception as err:  # the bytes are the student's: any decoder failure means damaged
        reason = f"{type(err).__name__}: {str(err)[:120]}"
        return None, f"damaged in the archive ({reason}); download the archive again"
    if len(data) > MAX_NOTEBOOK_BYTES:
        return None, too_large()
    return data, ""


def submission_time(file: ArchiveFile, due: datetime | None) -> tuple[datetime, str]:
    """The submission time to record, and a note when it is not the LMS's own time.

    Canvas archives mark lateness (``_LATE_``) but carry no reliable submission time. A file
    marked late is recorded after the due date (its archive time when that is later, else one
    second after the due date, so the smallest late penalty applies and the grader is told);
    an on-time file is never recorded after the due date.
    """
    if file.lms != "canvas":
        return file.modified, ""
    if file.late:
        if due is None:
            return file.modified, "Canvas marked it late, but no due date is set: no penalty"
        if file.modified > due:
            return file.modified, ""
        return due + timedelta(seconds=1), (
            "Canvas marked it late without saying when it was submitted: recorded 1 second "
            "after the due date (smallest late penalty); check the time in Canvas"
        )
    if due is not None and file.modified > due:
        return due, ""
    return file.modified, ""


@dataclass
class Chosen:
    """The file kept for one notebook of one student, and how many candidates there were."""

    file: ArchiveFile
    data: bytes
    candidates: int = 1


def intake_archive(
    archive: Path,
    paths: CoursePaths,
    shape: Shape,
    roster: Iterable[RosterStudent],
    due: datetime | None,
    intake: Intake,
) -> list[str]:
    """File each notebook of an LMS archive under its student; report the rest.

    Returns notes about the archive as a whole (for instance, that it holds no files).
    """
    if archive.is_dir():
        raise GradeError(f"{archive}: is a folder, not a zip archive")
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, ValueError, EOFError) as err:
        raise GradeError(f"{archive}: not a readable zip archive ({err})") from err
    index = RosterIndex(roster)
    with zf:
        files, unknown = read_archive_names(zf)
        intake.unknown.extend(unknown)
        chosen: dict[str, dict[str, Chosen]] = {}
        for file in files:
            student, how = index.find(file.lms, file.lms_id, file.name)
            if student is None:
                intake.unknown.append(Problem(file.name, file.filename, how, key=file.key))
                continue
            if how:
                intake.note(student.id, how)
            data, reason = read_member(zf, file.info)
            name = None
            if data is not None:
                name, reason = identify(data, file.filename, shape)
            if name is None:
                intake.problems.append(Problem(student.id, file.filename, reason, key=file.key))
                continue
            mine = chosen.setdefault(student.id, {})
            previous = mine.get(name)
            if previous is None:
                mine[name] = Chosen(file, data)
            elif previous.file.modified <= file.modified:
                mine[name] = Chosen(file, data, previous.candidates + 1)
            else:
                previous.candidates += 1
    notes = [] if files or unknown else [f"{archive.name}: the archive holds no files"]
    for student_id, notebooks in chosen.items():
        folder = paths.submitted(student_id, shape.assignment)
        _file_submission(folder, notebooks, due, intake, student_id)
    return notes


def _recorded_time(folder: Path) -> datetime | None:
    try:
        text = (folder / "timestamp.txt").read_text(encoding="utf-8").strip()
        return datetime.strptime(text, TIMESTAMP_FORMAT)
    except (OSError, ValueError):
        return None


def _file_submission(
    folder: Path,
    notebooks: dict[str, Chosen],
    due: datetime | None,
    intake: Intake,
    student_id: str,
) -> None:
    """Write a student's notebooks and ``timestamp.txt``; unchanged files are left untouched.

    A submission already filed with a later time is kept: an older archive never replaces it.
    """
    for name, kept in notebooks.items():
        if kept.candidates > 1:
            intake.note(
                student_id,
                f"{kept.candidates} files in the archive are {name}.ipynb; graded the newest, "
                f"{kept.file.filename!r} ({kept.file.modified:%Y-%m-%d %H:%M})",
            )
        stem = PurePosixPath(kept.file.filename).stem
        if kept.file.filename != f"{name}.ipynb" and not (
            CANVAS_COPY_SUFFIX.search(stem) and CANVAS_COPY_SUFFIX.sub("", stem) == name
        ):
            intake.note(student_id, f"submitted as {kept.file.filename!r}; graded as {name}.ipynb")
    stamps = [submission_time(kept.file, due) for kept in notebooks.values()]
    when = max(stamp for stamp, _ in stamps)
    for _, note in stamps:
        if note:
            intake.note(student_id, note)
    filed = _recorded_time(folder)
    if filed is not None and filed > when:
        intake.note(
            student_id,
            f"the archive's submission ({when:%Y-%m-%d %H:%M:%S} UTC) is older than the one "
            f"already filed ({filed:%Y-%m-%d %H:%M:%S} UTC): kept the newer one",
        )
        intake.ready.add(student_id)
        return
    wanted = {f"{name}.ipynb": kept.data for name, kept in notebooks.items()}
    wanted["timestamp.txt"] = when.strftime(TIMESTAMP_FORMAT).encode()
    current = (
        {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.is_symlink()}
        if folder.is_dir()
        else {}
    )
    if current != wanted:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, data in wanted.items():
            (folder / name).write_bytes(data)
    intake.ready.add(student_id)
