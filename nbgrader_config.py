"""nbgrader configuration of the allyship course.

nbgrader's own course layout: instructor versions in ``source/``, student versions released into
``assignments/`` (committed, so learners without nbgrader can download them). The reflection
rules plug in through the preprocessors of the installed ``allyship`` package.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

# Each course (or section) on one hub needs its own id: nbgrader's exchange keeps courses apart
# by it. This file wins over a hub-wide /etc/jupyter/nbgrader_config.py, which `allyship` reads
# too, as nbgrader does; delete this line to take the id from the hub-wide file.
c.CourseDirectory.course_id = "allyship"
c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///" + str(Path(__file__).resolve().parent / "gradebook.db")

# --- Reflection grading (allyship.nbgrader_plugins) ------------------------------------------
# nbgrader's default pipelines with four classes swapped in or added, named by dotted path so the
# CLI, NbGraderAPI and formgrader (another working directory) load them from the installed package.
_NBG = "nbgrader.preprocessors."
_OURS = "allyship.nbgrader_plugins."

# Each reflection is released with its own starting text (metadata.allyship.release_text).
c.GenerateAssignment.preprocessors = [
    _NBG + "IncludeHeaderFooter",
    _NBG + "InstantiateTests",
    _NBG + "LockCells",
    _OURS + "ReleaseTextClearSolutions",
    _NBG + "ClearOutput",
    _NBG + "CheckCellMetadata",
    _NBG + "ComputeChecksums",
    _NBG + "SaveCells",
    _NBG + "ClearHiddenTests",
    _NBG + "ClearMarkScheme",
    _NBG + "ComputeChecksums",
    _NBG + "CheckCellMetadata",
]
# Repair copied, split or deleted answer cells against source/ before nbgrader's checks.
c.Autograde.sanitize_preprocessors = [
    _NBG + "ClearOutput",
    _OURS + "RepairAnswerCells",
    _NBG + "DeduplicateIds",
    _NBG + "OverwriteKernelspec",
    _NBG + "OverwriteCells",
    _NBG + "CheckCellMetadata",
]
# No kernel for a notebook without code tests; reflections scored by our rules, before the
# late penalty (which reads the notebook's score); then students' HTML is escaped for display.
c.Autograde.autograde_preprocessors = [
    _OURS + "ExecuteWhenTested",
    _NBG + "IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    _NBG + "LimitOutput",
    _OURS + "ReflectionAutoGrades",
    _NBG + "AssignLatePenalties",
    _OURS + "EscapeStudentHtml",
    _NBG + "CheckCellMetadata",
]
# Feedback shows graders' and the rules' comments as text, like the answers.
c.GenerateFeedback.preprocessors = [
    _NBG + "GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    _OURS + "EscapeFeedbackComments",
]
# Feedback pages and formgrader's submission page request nothing from another host: nbgrader's
# templates, found after allyship/templates/{feedback,formgrade}/mathjax.html.j2, macros that
# load nothing instead of MathJax from cdnjs.
import nbgrader as _nbgrader  # noqa: E402

import allyship as _allyship  # noqa: E402

c.HTMLExporter.extra_template_basedirs = [
    str(Path(_allyship.__file__).parent / "templates"),
    str(Path(_nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
]
# Name each unreadable submitted notebook (e.g. not JSON); nbgrader then goes on with the others.
c.Autograde.pre_convert_hook = _OURS + "report_unreadable_notebooks"

# --- Collecting from the exchange (allyship.instructor.exchange) ------------------------------
# nbgrader's collect, refusing a submission under an unsafe id, owned by another user, holding a
# link or a special file, too large, or not made by `nbgrader submit`; never following a link.
c.ExchangeFactory.collect = "allyship.instructor.exchange.SafeExchangeCollect"

# --- Due dates and late penalties (`allyship grade`, allyship.instructor.late) ---------------
# Per assignment. `allyship grade` writes each due date into the gradebook (Assignment.duedate,
# shown by formgrader); nbgrader's AssignLatePenalties then asks SubtractPerHour for the penalty:
# points subtracted per started hour late, never more than the notebook's score.
c.CourseSchedule.due_dates = {
    # "introspection": "2026-10-02 17:00:00 Europe/Paris",
}
c.AssignLatePenalties.plugin_class = "allyship.instructor.late.SubtractPerHour"
c.SubtractPerHour.points_per_hour = {
    # "introspection": 0.25,
}

# --- formgrader's pages (allyship.formgrader_guard) -------------------------------------------
# In the grader's Jupyter server, an address whose student, assignment or notebook id is not a
# plain id gets a 400: nbgrader 0.9.6 writes those ids unescaped into the page's script.
from allyship.formgrader_guard import guard_running_server  # noqa: E402

guard_running_server()
