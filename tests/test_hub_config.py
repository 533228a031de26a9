"""``allyship`` reads nbgrader's whole configuration chain, as on a JupyterHub.

nbgrader's hub documentation puts ``Exchange.root`` and ``course_id`` in a system-wide
``/etc/jupyter/nbgrader_config.py``. Here the system folder is a temporary one on
``JUPYTER_CONFIG_PATH`` (the same lookup, without touching the machine's ``/etc``), and the
real ``nbgrader`` CLI and ``allyship grade`` are run with it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, copy_course

from allyship.instructor.demo import demo_class, submit_to_exchange, write_roster

pytestmark = pytest.mark.slow
ASSIGNMENT = "introspection"


def hub_env(etc: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_CONFIG_PATH"] = str(etc)
    return env


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip


def test_exchange_and_course_id_from_the_hub_wide_config(tmp_path: Path) -> None:
    course = copy_course(tmp_path / "course")
    config = course / "nbgrader_config.py"
    # The course file leaves the course id and the exchange to the hub-wide file.
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'c.CourseDirectory.course_id = "allyship"\n', ""
        ),
        encoding="utf-8",
    )
    exchange = tmp_path / "srv" / "exchange"
    exchange.mkdir(parents=True)
    exchange.chmod(0o777)
    etc = tmp_path / "etc-jupyter"
    etc.mkdir()
    (etc / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        'c.CourseDirectory.course_id = "ally-section-b"\n'
        f"c.Exchange.root = {str(exchange)!r}\n"
        # the students' submissions below are made by this test's own Unix user
        "c.ExchangeCollect.check_owner = False\n",
        encoding="utf-8",
    )
    env = hub_env(etc)
    os.environ["JUPYTER_CONFIG_PATH"] = str(etc)  # for the in-process student submissions
    try:
        students = demo_class(course, ASSIGNMENT, 8)
        write_roster(course / "roster.csv", students)
        assert run(env, course, "allyship", "roster", "import", "roster.csv").returncode == 0
        assert run(env, course, "allyship", "release").returncode == 0
        released = run(env, course, "nbgrader", "release_assignment", ASSIGNMENT)
        assert released.returncode == 0, released.stderr
        assert (exchange / "ally-section-b" / "outbound" / ASSIGNMENT).is_dir()
        honest = [s for s in students if s.kind == "complete"][:3]
        for s in honest:
            submit_to_exchange(course, exchange, ASSIGNMENT, s, tmp_path / "homes" / s.roster.id)
    finally:
        del os.environ["JUPYTER_CONFIG_PATH"]
    listed = run(env, course, "nbgrader", "list", "--inbound")
    assert listed.stdout.count(ASSIGNMENT) + listed.stderr.count(ASSIGNMENT) >= 3

    graded = run(env, course, "allyship", "grade", ASSIGNMENT)
    assert graded.returncode == 0, graded.stderr
    summary = graded.stdout.strip().splitlines()[-1]
    assert summary.startswith("graded 3,"), graded.stdout + graded.stderr
    for s in honest:
        assert (course / "submitted" / s.roster.id / ASSIGNMENT).is_dir()


def test_a_broken_hub_wide_config_is_named(tmp_path: Path) -> None:
    course = copy_course(tmp_path / "course")
    etc = tmp_path / "etc-jupyter"
    etc.mkdir()
    (etc / "nbgrader_config.py").write_text("c = get_config()\nc.Exchange.root = (\n")
    result = run(hub_env(etc), course, "allyship", "grade", ASSIGNMENT)
    assert result.returncode == 2
    assert f"{etc / 'nbgrader_config.py'}: cannot be read as nbgrader configuration" in (
        result.stderr
    )
