"""Due dates and late penalties, through nbgrader's own mechanisms.

Due dates are stored on the gradebook's ``Assignment.duedate`` (what formgrader shows and what
``SubmittedAssignment.total_seconds_late`` is computed from); the penalty is decided by a
``LateSubmissionPlugin`` that nbgrader's ``AssignLatePenalties`` calls during autograde. Both are
set per assignment in ``nbgrader_config.py``::

    c.CourseSchedule.due_dates = {"introspection": "2026-12-04 17:00:00 Europe/Paris"}
    c.AssignLatePenalties.plugin_class = "allyship.instructor.late.SubtractPerHour"
    c.SubtractPerHour.points_per_hour = {"introspection": 0.25}
"""

from __future__ import annotations

import math
from datetime import datetime

from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.utils import parse_utc
from traitlets import Dict, Float
from traitlets.config import Config, Configurable


class CourseSchedule(Configurable):
    """Per-assignment due dates, written into the gradebook before grading."""

    due_dates = Dict(
        {},
        help="assignment name -> due date ('YYYY-MM-DD HH:MM:SS TZ', TZ a name or UTC offset)",
    ).tag(config=True)

    def due_date(self, assignment: str) -> datetime | None:
        """The due date of ``assignment`` as naive UTC (nbgrader's convention), or None."""
        value = self.due_dates.get(assignment)
        if not value:
            return None
        try:
            return parse_utc(str(value))
        except (ValueError, OverflowError) as err:
            raise ValueError(
                f"nbgrader_config.py: CourseSchedule.due_dates[{assignment!r}] = {value!r} "
                f"is not a date ({err})"
            ) from err


def due_date(config: Config, assignment: str) -> datetime | None:
    """The configured due date of ``assignment`` (naive UTC), or None when none is set."""
    return CourseSchedule(config=config).due_date(assignment)


class SubtractPerHour(LateSubmissionPlugin):
    """Subtract a number of points per started hour late, set per assignment.

    nbgrader gives the plugin only the student, the notebook score and the seconds late; the
    assignment is read from the calling ``AssignLatePenalties`` preprocessor (its parent).
    nbgrader itself caps the penalty at the notebook's score.
    """

    points_per_hour = Dict(
        {}, help="assignment name -> points subtracted per started hour late"
    ).tag(config=True)
    default_points_per_hour = Float(
        0.0, help="points per started hour for assignments not in points_per_hour"
    ).tag(config=True)

    def late_submission_penalty(
        self, student_id: str, score: float, total_seconds_late: float
    ) -> float | None:
        assignment = getattr(self.parent, "assignment_id", None)
        rate = float(self.points_per_hour.get(assignment, self.default_points_per_hour))
        if total_seconds_late <= 0 or rate <= 0:
            return None
        return round(math.ceil(total_seconds_late / 3600) * rate, 4)
