"""Text primitives shared by the rules and the reading fingerprints.

Every step here has an exact twin in ``rules.js``: the same normalisation, the same token
pattern, the same hashes. Change one, change both (``tests/test_rules_js.py`` checks parity).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MASK32 = 0xFFFFFFFF
FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193

# A word: letters and digits, with inner apostrophes ("don't"). A break: . ! ? ; or newline.
# A pause (a comma, colon, bracket, quote, dash, slash or bullet) splits a phrase, not a sentence.
# ``[^\W_]`` is exactly Unicode categories L and N, like ``[\p{L}\p{N}]`` in JavaScript.
_TOKEN = re.compile(
    r"([^\W_]+(?:['\u2019][^\W_]+)*)|([.!?;\n])"
    r"|([,:()\[\]\"\u201c\u201d\u00ab\u00bb\u2013\u2014/*\u2022|-])"
)
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_URL = re.compile(r"(?:https?://|www\.)\S+")


@dataclass(frozen=True)
class Tokens:
    """The words of a text: as written, normalised (lowercase, ASCII apostrophe), where a
    sentence ends (``ends[i]`` is true when a break follows word ``i``) and where a phrase
    pauses (``pauses[i]``: punctuation other than a break follows word ``i``)."""

    raw: tuple[str, ...]
    norm: tuple[str, ...]
    ends: tuple[bool, ...]
    pauses: tuple[bool, ...] = ()

    def prose_words(self) -> Tokens:
        """The words that count: those with a letter, and a lone number in prose ("in 2019",
        "at 17"). Numbers next to numbers (counting, padding) are not words; a break or pause
        after a dropped number moves to the word before it."""
        raw: list[str] = []
        ends: list[bool] = []
        pauses: list[bool] = []
        numeric = [not any(c.isalpha() for c in word) for word in self.raw]
        last = len(numeric) - 1
        for i, word in enumerate(self.raw):
            lone = not (i > 0 and numeric[i - 1]) and not (i < last and numeric[i + 1])
            if not numeric[i] or lone:
                raw.append(word)
                ends.append(self.ends[i])
                pauses.append(self.pauses[i])
            elif raw:
                ends[-1] = ends[-1] or self.ends[i]
                pauses[-1] = pauses[-1] or self.pauses[i]
        return Tokens(tuple(raw), tuple(normalise_word(w) for w in raw), tuple(ends), tuple(pauses))


def strip_markup(text: str) -> str:
    """NFKC-normalise and drop what is not prose: HTML comments and tags, URLs."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _drop_comments(text)
    text = _TAG.sub(" ", text)
    return _URL.sub(" ", text)


def _drop_comments(text: str) -> str:
    """Remove ``<!-- ... -->`` in linear time (an unclosed comment runs to the end)."""
    out, pos = [], 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:start])
        end = text.find("-->", start + 4)
        if end < 0:
            return " ".join(out)
        out.append(" ")
        pos = end + 3


def normalise_word(word: str) -> str:
    return word.lower().replace("\u2019", "'")


def tokenize(text: str, limit: int | None = None) -> Tokens:
    """Split prose into words (at most ``limit``) and record sentence breaks."""
    raw: list[str] = []
    ends: list[bool] = []
    pauses: list[bool] = []
    for match in _TOKEN.finditer(strip_markup(text)):
        word = match.group(1)
        if word is None:
            if ends:
                if match.group(2) is None:
                    pauses[-1] = True
                else:
                    ends[-1] = True
            continue
        if limit is not None and len(raw) >= limit:
            break
        raw.append(word)
        ends.append(False)
        pauses.append(False)
    norm = tuple(normalise_word(w) for w in raw)
    return Tokens(tuple(raw), norm, tuple(ends), tuple(pauses))


def fnv1a(data: bytes) -> int:
    """FNV-1a, 32 bits."""
    h = FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & MASK32
    return h


def fmix32(h: int) -> int:
    """MurmurHash3's finaliser: spreads every input bit over the output."""
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & MASK32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & MASK32
    return h ^ (h >> 16)


def shingle_hashes(words: Iterable[str], size: int) -> list[int]:
    """One 32-bit hash per run of ``size`` consecutive words (FNV-1a per word, folded, mixed)."""
    cache: dict[str, int] = {}
    hashed = []
    for word in words:
        h = cache.get(word)
        if h is None:
            h = cache[word] = fnv1a(word.encode("utf-8"))
        hashed.append(h)
    out = []
    for start in range(len(hashed) - size + 1):
        h = FNV_OFFSET
        for token_hash in hashed[start : start + size]:
            h = ((h ^ token_hash) * FNV_PRIME) & MASK32
        out.append(fmix32(h))
    return out


def bloom_positions(h: int, bits: int, hashes: int) -> list[int]:
    """The ``hashes`` bit positions of hash ``h`` in a Bloom filter of ``bits`` bits."""
    step = fmix32(h ^ 0x9E3779B9) | 1
    return [((h + i * step) & MASK32) % bits for i in range(hashes)]


def stem(word: str, suffixes: list[list[str]], min_length: int) -> str:
    """A light suffix stripper, enough to match "assumed" with "assumption"'s neighbours."""
    word = word.replace("'", "")
    for suffix, replacement in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= min_length:
            word = word[: len(word) - len(suffix)] + replacement
            break
    if len(word) > min_length and word.endswith("e"):
        word = word[:-1]
    return word
