"""Which roster student an LMS file belongs to.

Canvas names each file with the student's Canvas user id, which the roster stores as ``lms_id``.
Moodle names each folder with a *participant* id of the assignment, which is not the user's id:
matching it against ``lms_id`` would credit another student, so Moodle files match by name only.
A Canvas file matches by name only a student with no LMS id in the roster: a student who has
one is another Canvas user than the file's.
An id or name shared by several roster students matches nobody, and says so.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from allyship.instructor.roster import RosterStudent


def name_key(text: str) -> str:
    """Letters and digits only, accents removed, case folded: how LMS names are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


class RosterIndex:
    """Find a roster student by Canvas user id, else by name; unique matches only."""

    def __init__(self, students: Iterable[RosterStudent]) -> None:
        self.by_lms: dict[str, list[RosterStudent]] = {}
        self.by_name: dict[str, list[RosterStudent]] = {}
        for student in students:
            if student.lms_id:
                self.by_lms.setdefault(student.lms_id, []).append(student)
            keys = {
                name_key(student.last_name + student.first_name),
                name_key(student.first_name + student.last_name),
            }
            for key in keys - {""}:
                self.by_name.setdefault(key, []).append(student)

    def find(self, lms: str, lms_id: str, name: str) -> tuple[RosterStudent | None, str]:
        """The student, and a note for the grader when the match is not by a unique LMS id."""
        if lms == "canvas":
            holders = self.by_lms.get(lms_id, [])
            if len(holders) == 1:
                return holders[0], ""
            if len(holders) > 1:
                ids = ", ".join(repr(s.id) for s in holders)
                return None, f"{len(holders)} students on the roster have LMS id {lms_id} ({ids})"
        matches = self.by_name.get(name_key(name), [])
        if len(matches) == 1 and lms == "canvas" and matches[0].lms_id:
            other = matches[0]  # same name, another Canvas user: never theirs
            return None, (
                f"LMS id {lms_id} is not in the roster; the name matches {other.id!r}, whose "
                f"LMS id is {other.lms_id}"
            )
        if len(matches) == 1:
            if lms == "canvas":
                return matches[0], f"matched by name (LMS id {lms_id} is not in the roster)"
            return matches[0], ""
        if len(matches) > 1:
            return None, f"{len(matches)} students on the roster are called {name!r}"
        if lms == "canvas":
            return None, f"no student on the roster has LMS id {lms_id} or the name {name!r}"
        return None, f"no student on the roster is called {name!r} (Moodle files match by name)"
