"""Reflection completion rules: a pure core with no Jupyter imports.

``evaluate(text, settings)`` decides whether a reflection is a complete, personal attempt at its
prompt and says why, in words written for the student. The grader, the student self-check and
the book's journal (through the JavaScript port in ``rules.js``) all apply these same rules.
"""

from allyship.reflection.rules import Verdict, evaluate

__all__ = ["Verdict", "evaluate"]
