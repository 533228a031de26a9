"""A dependency-free progress bar on stderr (redrawn in place on a terminal, lines otherwise)."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, max(total, 0), 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_decile = -1
        if self.total:
            self._draw("")

    def step(self, what: str = "") -> None:
        self.done = min(self.done + 1, self.total)
        self._draw(what)

    def _draw(self, what: str) -> None:
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        line = f"{self.label:<10} [{bar}] {self.done}/{self.total} {what}"
        if self.tty:
            end = "\n" if self.done == self.total else ""
            self.stream.write("\r" + line[:100].ljust(100) + end)
        else:
            decile = 10 * self.done // self.total if self.total else 10
            if decile == self._last_decile:
                return
            self._last_decile = decile
            self.stream.write(line.rstrip() + "\n")
        self.stream.flush()
