"""The instructor's side of the course: roster import, submission intake, grading, exports.

Logic lives here; ``allyship.commands.grade`` and ``allyship.commands.roster`` are thin adapters.
Everything is built on nbgrader's public API (``NbGraderAPI``, ``Gradebook``) and the course's
``nbgrader_config.py``.
"""
