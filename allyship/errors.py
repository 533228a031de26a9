"""The one error type every ``allyship`` command reports the same way.

A subclass says which part of the course is at fault; the message names the file and what is
wrong. ``allyship.cli.main`` catches it once and prints ``allyship <command>: <message>``.
"""

from __future__ import annotations


class AllyshipError(Exception):
    """A problem the user can fix (a file, a setting, an argument); never a bug."""


class GradeError(AllyshipError):
    """An assignment cannot be graded at all (not a per-student problem)."""
