"""Fingerprints of the course reading, so copied passages can be found without shipping the text.

The reading is whatever the course is configured with: ``allyship_reading`` in ``_config.yml``
(under ``sphinx.config``, where the book's reading page reads its title, author and link too)
names its ``file``, a text or Markdown file that is never published. The book is being rewritten
as the course grows, so ``reading.json`` stores one Bloom filter of hashed word shingles per
source: the reading and the book. ``build_fingerprints(root)`` regenerates it in well under a
second; ``allyship release`` calls :func:`update_reading`. When the configured file is not on
this machine, the stored filter of that same file is kept as it is.

A course keeps its own fingerprints in its folder (``<course>/reading.json``, written by
``allyship release``), so an instructor who edits the book grades against their own reading
with a shared, read-only install; the package's file holds this repository's reading and is
what a course without its own file, or a student's self-check, uses.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from allyship.errors import AllyshipError
from allyship.reflection.config import RULES, Rules
from allyship.reflection.text import bloom_positions, shingle_hashes, tokenize

HERE = Path(__file__).resolve().parent
READING_PATH = HERE / "reading.json"
#: The file name of a course's own fingerprints, at the top of its folder.
COURSE_READING = "reading.json"
#: The book's configuration, at the top of the course folder, and the reading's key in it.
BOOK_CONFIG = "_config.yml"
READING_KEY = "allyship_reading"
READING_FIELDS = ("title", "author", "url", "file")

# MyST fences whose body is prose (kept); any other fence (code, code-cell, widgets) is dropped.
PROSE_DIRECTIVES = {
    "admonition", "note", "tip", "hint", "important", "warning", "caution", "attention",
    "danger", "error", "seealso", "epigraph", "pull-quote", "sidebar", "margin", "dropdown",
    "grid", "grid-item-card", "card", "tab-set", "tab-item", "topic", "glossary", "div",
}  # fmt: skip
_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*(\{([\w-]+)\})?")
_OPTION = re.compile(r"^\s*:[\w-]+:")
_ROLE = re.compile(r"\{[\w-]+\}`([^`]*)`")


class ReadingConfigError(AllyshipError):
    """The reading's settings in ``_config.yml`` are not usable; the message names the file."""


def reading_settings(root: Path) -> dict[str, str]:
    """The reading the course is configured with (title, author, url, file; each "" when not
    set), from ``sphinx.config.allyship_reading`` in ``<root>/_config.yml``. A course folder
    without that file, or without the key, has no reading configured."""
    path = root / BOOK_CONFIG
    if not path.is_file():
        return dict.fromkeys(READING_FIELDS, "")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ReadingConfigError(f"{path}: not readable YAML ({err})") from err
    found = ((config.get("sphinx") or {}).get("config") or {}).get(READING_KEY) or {}
    if not isinstance(found, dict):
        raise ReadingConfigError(f"{path}: sphinx.config.{READING_KEY} must be a mapping")
    settings = {}
    for name in READING_FIELDS:
        value = found.get(name) or ""
        if not isinstance(value, str):
            raise ReadingConfigError(f"{path}: sphinx.config.{READING_KEY}.{name} must be text")
        settings[name] = value.strip()
    return settings


def reading_file(root: Path) -> Path | None:
    """The configured reading's text file (relative paths from the course folder), if set."""
    name = reading_settings(root)["file"]
    return (root / name) if name else None


def reading_note(root: Path) -> str | None:
    """Why the copy check cannot read the reading's own words on this machine, if it cannot."""
    path = reading_file(root)
    if path is None:
        return (
            f"no reading file is configured (sphinx.config.{READING_KEY}.file in "
            f"{root / BOOK_CONFIG}): the copy check compares answers with the book only"
        )
    if not path.is_file():
        return (
            f"the reading file {path} (set in {root / BOOK_CONFIG}) is not on this machine: "
            "the copy check keeps its earlier fingerprints of it, if any"
        )
    return None


def markdown_prose(markdown: str) -> str:
    """The prose of a MyST page: front matter, code and widget cells, directive options gone."""
    lines = markdown.splitlines()
    if lines and lines[0].strip() == "---":
        close = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0)
        lines = lines[close + 1 :]
    kept: list[str] = []
    stack: list[tuple[str, bool]] = []  # open fences: (marker, is prose)
    for line in lines:
        fence = _FENCE.match(line)
        if fence and stack and fence.group(1) == stack[-1][0] and not fence.group(2):
            stack.pop()
            continue
        if fence and (not stack or stack[-1][1]):
            name = fence.group(3)
            stack.append((fence.group(1), name in PROSE_DIRECTIVES))
            continue
        if stack and not stack[-1][1]:
            continue
        if _OPTION.match(line) or line.lstrip().startswith(("+++", "(", "%")):
            continue
        kept.append(_ROLE.sub(r"\1", line))
    return "\n".join(kept)


def notebook_prose(text: str) -> str:
    """The Markdown cells of a notebook, as prose."""
    cells = json.loads(text).get("cells", [])
    chunks = []
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            chunks.append(markdown_prose("".join(source) if isinstance(source, list) else source))
    return "\n\n".join(chunks)


def book_texts(root: Path) -> list[str]:
    """The prose of every page under ``book/`` (Markdown and notebooks), in path order."""
    book = root / "book"
    pages = sorted(p for p in book.rglob("*") if p.suffix in {".md", ".ipynb"} and p.is_file())
    texts = []
    for page in pages:
        if "_build" in page.parts or ".ipynb_checkpoints" in page.parts:
            continue
        raw = page.read_text(encoding="utf-8")
        texts.append(notebook_prose(raw) if page.suffix == ".ipynb" else markdown_prose(raw))
    return texts


def text_shingles(texts: Iterable[str], rules: Rules = RULES) -> set[int]:
    """Every hashed shingle of the texts, over the same canonical words the rules match."""
    size = rules.t["reading_shingle"]
    found: set[int] = set()
    for text in texts:
        for paragraph in re.split(r"\n\s*\n", text):
            words = tokenize(paragraph).prose_words().norm
            found.update(shingle_hashes(rules.canonical_words(words), size))
    return found


def bloom_filter(hashes: set[int], rules: Rules = RULES) -> dict[str, Any]:
    """A Bloom filter of ``hashes`` sized by the rules (bits per item, number of hashes)."""
    per_item = rules.t["bloom_bits_per_item"]
    k = rules.t["bloom_hashes"]
    bits = max(64, math.ceil(len(hashes) * per_item / 8) * 8)
    data = bytearray(bits // 8)
    for h in sorted(hashes):
        for pos in bloom_positions(h, bits, k):
            data[pos >> 3] |= 1 << (pos & 7)
    return {
        "count": len(hashes),
        "bits": bits,
        "hashes": k,
        "filter": base64.b64encode(bytes(data)).decode("ascii"),
    }


def build_fingerprints(root: Path | str, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fingerprints of the configured reading and the book's prose. Keeps ``previous``'s filter
    of a source that is not here: the reading's file kept outside the repository (only when
    ``previous`` fingerprinted that same file), or the book of a course copy without it."""
    root = Path(root)
    sources: dict[str, Any] = {}
    old = (previous or {}).get("sources", {})
    name = reading_settings(root)["file"]
    path = reading_file(root)
    if path is not None and path.is_file():
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix in {".md", ".markdown"}:
            text = markdown_prose(text)
        sources["reading"] = {"file": name, **bloom_filter(text_shingles([text]))}
    elif path is not None and old.get("reading", {}).get("file") == name:
        sources["reading"] = old["reading"]
    if (root / "book").is_dir():
        sources["book"] = bloom_filter(text_shingles(book_texts(root)))
    elif "book" in old:
        sources["book"] = old["book"]  # a course copy without the book
    return {
        "version": 1,
        "about": "Bloom filters of hashed word shingles of the course reading and the book; "
        "regenerate with allyship.reflection.reading.update_reading(root).",
        "shingle": RULES.t["reading_shingle"],
        "sources": sources,
    }


def update_reading(root: Path | str, path: Path = READING_PATH) -> bool:
    """Regenerate ``reading.json`` from the course at ``root``; True when it changed."""
    previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    fresh = build_fingerprints(root, previous)
    if fresh == previous:
        return False
    path.write_text(json.dumps(fresh, indent=1) + "\n", encoding="utf-8")
    _load.cache_clear()
    return True


class Reading:
    """Membership tests against the stored filters: is this shingle in the course reading?"""

    def __init__(self, data: dict[str, Any] | None) -> None:
        self.filters = []
        for source in (data or {}).get("sources", {}).values():
            raw = base64.b64decode(source["filter"])
            self.filters.append((raw, int(source["bits"]), int(source["hashes"])))

    def __contains__(self, h: int) -> bool:
        for raw, bits, k in self.filters:
            if all(raw[p >> 3] >> (p & 7) & 1 for p in bloom_positions(h, bits, k)):
                return True
        return False


def reading_path(course: Path | None = None) -> Path:
    """The fingerprints a course grades against: its own file, else the package's."""
    if course is not None and (course / COURSE_READING).is_file():
        return course / COURSE_READING
    return READING_PATH


def load_reading(course: Path | None = None) -> Reading:
    """The fingerprints of ``course``'s reading (the package's when it has none of its own, or
    with no course); none when the file is missing: copy checks are then off."""
    return _load(reading_path(course))


@lru_cache(maxsize=8)
def _load(path: Path) -> Reading:
    if not path.is_file():
        return Reading(None)
    return Reading(json.loads(path.read_text(encoding="utf-8")))
