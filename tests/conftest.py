"""Shared fixtures: a temporary copy of the course, the built book, a local server, Chromium.

Tests never touch the repository's own gradebook or _build folder: each works on copies.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COURSE_FILES = ("nbgrader_config.py", "source", "assignments")
#: Polite refusals to share, of our own writing: the rules and the journal treat them alike.
DECLINES = [
    "I would rather not write about this. It is personal.",
    "Honestly I'm not comfortable sharing something like that in a graded notebook, sorry.",
    "I prefer not to answer this one.",
    "This is too personal for me to put in writing right now.",
    "Can I skip this? I don't want to share it.",
]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (servers under test bind to loopback only)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_course(dest: Path) -> Path:
    """Copy the course (config, source/, assignments/) into ``dest``, without any gradebook."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A fresh, writable copy of the course in a temporary folder."""
    return copy_course(tmp_path / "course")


def tool_env() -> dict[str, str]:
    """Environment for running the project's commands (nbgrader needs ``alembic`` on PATH)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_tool(
    tool: str, cwd: Path, *args: str, check: bool = False, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """Run one of the venv's commands (``nbgrader``, ``allyship``…) in ``cwd``, as a user would.

    With ``check``, a failure fails the test and shows the command's own error output.
    """
    result = subprocess.run(
        [str(BIN / tool), *args],
        cwd=cwd,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert result.returncode == 0, f"{tool} {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    return result


def nbgrader(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The real ``nbgrader`` command, run in ``cwd``."""
    return run_tool("nbgrader", cwd, *args, check=check)


def allyship(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The ``allyship`` command, run in ``course`` and pointed at it."""
    return run_tool("allyship", course, *args, "--course", str(course))


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book built once per session with the strict README build; returns the HTML folder.

    Built from the repository into a temporary output folder, so the build is real and the
    repository's own _build is left alone.
    """
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [
            str(BIN / "jupyter-book"),
            "build",
            str(REPO),
            "--all",
            "-W",
            "-n",
            "--keep-going",
            "--path-output",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=tool_env(),
        cwd=REPO,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"strict book build failed:\n{log[-6000:]}"
    html = out / "_build" / "html"
    assert (html / "index.html").is_file()
    return html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def book_url(built_book: Path) -> Iterator[str]:
    """The built book served over HTTP on 127.0.0.1; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (Playwright's own browser download fails here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
