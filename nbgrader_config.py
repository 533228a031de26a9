"""nbgrader configuration of the allyship course.

nbgrader's own course layout: instructor versions in ``source/``, student versions released into
``assignments/`` (committed, so learners without nbgrader can download them). The reflection
rules plug in through the preprocessors of the installed ``allyship`` package.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "allyship"
c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///" + str(Path(__file__).resolve().parent / "gradebook.db")
