"""The course reading as the instructor configures it: the reading page (a real Sphinx build
with this package's extension) and the copy check's fingerprints of whatever file is named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, allyship, copy_course

from allyship.course import load_prompts
from allyship.reflection import evaluate
from allyship.reflection.reading import (
    COURSE_READING,
    Reading,
    ReadingConfigError,
    build_fingerprints,
    reading_note,
    reading_settings,
)

# A reading no other text of the course holds: copying it is caught only through its file.
OTHER_READING = (
    "Lighthouse keepers on the northern coast kept logbooks of every ship that passed, noting "
    "the weather, the colour of the sails and the hour the lamp was trimmed. Historians now "
    "read those logbooks to reconstruct storms that no instrument recorded, and they find "
    "that the keepers wrote most carefully on the nights when nothing happened at all. "
) * 3


def configure(root: Path, **reading: str) -> None:
    """Write ``reading`` as the course's ``sphinx.config.allyship_reading`` in _config.yml."""
    path = root / "_config.yml"
    config = yaml.safe_load(path.read_text()) if path.is_file() else {}
    config.setdefault("sphinx", {}).setdefault("config", {})["allyship_reading"] = reading
    path.write_text(yaml.safe_dump(config))


def copied_answer() -> tuple[str, dict]:
    settings = load_prompts("accountability", REPO)[1].rule_settings()
    return "I think this is true for me. " + OTHER_READING, settings


def test_the_repository_names_its_reading_file_and_nothing_it_does_not_know() -> None:
    settings = reading_settings(REPO)
    assert settings["file"], "_config.yml should name the reading's file"
    # Title and author are the instructor's to give: nothing is invented.
    assert set(settings) == {"title", "author", "url", "file"}


def test_copy_check_fingerprints_the_configured_reading(tmp_path: Path) -> None:
    course = copy_course(tmp_path / "course")
    (course / "texts").mkdir()
    (course / "texts" / "lighthouse.md").write_text("# Keepers\n\n" + OTHER_READING)
    text, settings = copied_answer()

    configure(course, file="texts/lighthouse.md")
    reading = Reading(build_fingerprints(course))
    verdict = evaluate(text, settings, reading=reading, model=False)
    assert verdict.status == "incomplete" and "reading_copy" in verdict.checks, verdict
    assert reading_note(course) is None

    # Another reading configured: the lighthouse text is no longer the course's reading.
    configure(course, file="texts/missing.txt")
    previous = build_fingerprints(course.parent / "course")
    assert "reading" not in previous["sources"]
    verdict = evaluate(text, settings, reading=Reading(previous), model=False)
    assert "reading_copy" not in verdict.checks, verdict
    assert "texts/missing.txt" in reading_note(course) and "not on this machine" in (
        reading_note(course)
    )


def test_a_reading_file_kept_elsewhere_keeps_its_fingerprints_only_for_that_file(
    tmp_path: Path,
) -> None:
    course = copy_course(tmp_path / "course")
    outside = tmp_path / "reading.txt"
    outside.write_text(OTHER_READING)
    configure(course, file="../reading.txt")
    stored = build_fingerprints(course)
    assert stored["sources"]["reading"]["file"] == "../reading.txt"
    outside.unlink()  # a fresh machine: the reading is not beside the course
    assert build_fingerprints(course, stored)["sources"]["reading"] == stored["sources"]["reading"]
    configure(course, file="../another.txt")
    assert "reading" not in build_fingerprints(course, stored)["sources"]


def test_release_says_when_no_reading_is_configured(tmp_path: Path) -> None:
    course = copy_course(tmp_path / "course")
    configure(course, title="", file="")
    result = allyship(course, "release")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no reading file is configured" in result.stdout
    data = json.loads((course / COURSE_READING).read_text())
    assert set(data["sources"]) == {"book"} or "reading" not in data["sources"]


def test_a_broken_reading_setting_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "_config.yml").write_text("sphinx:\n  config:\n    allyship_reading: [1, 2]\n")
    with pytest.raises(ReadingConfigError, match=r"_config\.yml: sphinx\.config\.allyship_reading"):
        reading_settings(tmp_path)
    configure(tmp_path, title="A", file="x.txt", author=["not", "text"])  # type: ignore[arg-type]
    with pytest.raises(ReadingConfigError, match="allyship_reading.author must be text"):
        reading_settings(tmp_path)


def sphinx_build(tmp_path: Path, reading: dict[str, str]) -> subprocess.CompletedProcess:
    """A real, strict Sphinx build of a page holding the directive, with ``reading``
    configured (in its own process: Sphinx registers its nodes once per process)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"extensions = ['myst_parser', 'allyship.sphinx']\nallyship_reading = {reading!r}\n"
    )
    (src / "index.md").write_text("# The reading\n\n```{course-reading}\n```\n")
    (src / "allyship-book.css").write_text("")
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )


def build_reading_page(tmp_path: Path, reading: dict[str, str]) -> str:
    result = sphinx_build(tmp_path, reading)
    assert result.returncode == 0, result.stdout + result.stderr
    return (tmp_path / "out" / "index.html").read_text()


def article(html: str) -> str:
    import re

    body = html.split('role="main"', 1)[-1] if 'role="main"' in html else html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_reading_page_shows_title_author_and_link(tmp_path: Path) -> None:
    html = build_reading_page(
        tmp_path,
        {"title": "Keepers <of> Light", "author": "A. Writer", "url": "https://example.org/r"},
    )
    assert "This course is built on Keepers &lt;of&gt; Light by A. Writer." in article(html)
    assert 'href="https://example.org/r"' in html
    assert "<of>" not in html  # the instructor's text is escaped like any other


def test_reading_page_without_a_reading_says_so(tmp_path: Path) -> None:
    text = article(build_reading_page(tmp_path, {"title": "", "author": "", "url": ""}))
    assert "has not named its reading here yet" in text
    assert "built on" not in text.replace("This course is built on one", "")


def test_reading_page_refuses_a_link_that_is_not_web(tmp_path: Path) -> None:
    result = sphinx_build(tmp_path, {"title": "T", "url": "javascript:alert(1)"})
    assert result.returncode != 0
    assert "allyship_reading.url must start with https://" in result.stdout + result.stderr
