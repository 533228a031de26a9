"""Allyship in Practice: a course package (book, widgets, nbgrader reflections)."""

__version__ = "0.1.0"
