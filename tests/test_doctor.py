"""``allyship doctor`` names each problem of a set-up, and says ok when there is none.

Set-ups are built in temporary folders: the hub-wide configuration on ``JUPYTER_CONFIG_PATH``
(looked up as nbgrader looks up ``/etc/jupyter``), home folders under a ``--homes`` folder.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, copy_course

from allyship.instructor.doctor import _interpreter, inspect

#: What allyship hub init gives instructors: a plain shell in terminals, framing by itself.
INSTRUCTOR_SERVER = {
    "ServerApp": {
        "terminado_settings": {"shell_command": ["/bin/bash", "-i"]},
        "tornado_settings": {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}},
    }
}


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    course = copy_course(tmp_path / "course")
    course.chmod(0o700)
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)
    etc = tmp_path / "etc-jupyter"
    etc.mkdir()
    (etc / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.CourseDirectory.course_id = "allyship"\n'
        f"c.Exchange.root = {str(exchange)!r}\n"
    )
    (etc / "jupyter_server_config.json").write_text(json.dumps(INSTRUCTOR_SERVER))
    homes = tmp_path / "home"
    for user in ("ana", "ben"):
        (homes / user).mkdir(parents=True)
        (homes / user).chmod(0o700)
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(etc))
    return {"course": course, "exchange": exchange, "etc": etc, "homes": homes}


def lines(hub: dict[str, Path]) -> list[str]:
    return [f.line() for f in inspect(hub["course"], hub["homes"]) if "Python" not in f.text]


def test_a_sound_set_up_is_all_ok(hub: dict[str, Path]) -> None:
    found = lines(hub)
    assert all(line.startswith("ok: ") for line in found), found
    assert f"ok: exchange {hub['exchange']} (mode drwxrwxrwt)" in found


def test_an_exchange_the_students_do_not_use_is_named(hub: dict[str, Path]) -> None:
    other = hub["course"].parent / "other-exchange"
    other.mkdir()
    other.chmod(0o1777)
    with (hub["course"] / "nbgrader_config.py").open("a") as fh:
        fh.write(f"\nc.Exchange.root = {str(other)!r}\n")
    (problem,) = [line for line in lines(hub) if line.startswith("problem:")]
    assert f"this course collects from the exchange {other}" in problem
    assert f"students' nbgrader reads {hub['exchange']}" in problem
    assert str(hub["etc"] / "nbgrader_config.py") in problem


def test_an_exchange_without_the_sticky_bit_is_named(hub: dict[str, Path]) -> None:
    hub["exchange"].chmod(0o777)
    assert any("chmod 1777" in line for line in lines(hub))


def test_a_course_id_the_students_do_not_use_is_named(hub: dict[str, Path]) -> None:
    config = hub["etc"] / "nbgrader_config.py"
    config.write_text(config.read_text().replace('"allyship"', '"section-b"'))
    problems = [line for line in lines(hub) if line.startswith("problem:")]
    assert problems == [
        "problem: this course's id is 'allyship', but students' nbgrader uses 'section-b' "
        f"(from {config}): their submissions go to another course"
    ]


def test_readable_course_files_and_homes_are_named(hub: dict[str, Path]) -> None:
    hub["course"].chmod(0o755)
    (hub["course"] / "submitted").mkdir()
    (hub["course"] / "submitted").chmod(0o755)
    (hub["homes"] / "ben").chmod(0o755)
    problems = [line for line in lines(hub) if line.startswith("problem:")]
    assert len(problems) == 3, problems
    assert "the course folder" in problems[0] and "drwxr-xr-x" in problems[0]
    assert "submitted" in problems[1]
    assert f"1 home folder other users can enter or list: {hub['homes'] / 'ben'}" in problems[2]


def test_an_interpreter_behind_a_closed_folder_is_named(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    (closed / "bin").mkdir(parents=True)
    python = closed / "bin" / "python"
    python.write_text("")
    python.chmod(0o755)
    closed.chmod(0o700)
    (finding,) = _interpreter(python)
    assert not finding.ok and "students cannot run the course's Python" in finding.text
    assert _interpreter(Path("/usr/bin/env"))[0].ok


def test_the_command_prints_each_finding_and_fails_on_a_problem(hub: dict[str, Path]) -> None:
    hub["exchange"].chmod(0o755)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [str(BIN / "allyship"), "doctor", "--course", str(hub["course"]), "--homes",
         str(hub["homes"])], capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "problem: the exchange" in done.stdout and "chmod 1777" in done.stdout
    assert "ok: course id 'allyship'" in done.stdout
    assert done.stdout.strip().splitlines()[-1].endswith("problems") or "1 problem" in done.stdout


def test_a_terminal_that_would_lose_allyship_is_named(hub: dict[str, Path]) -> None:
    """Hub terminals are login shells unless told otherwise; /etc/profile resets PATH, and
    this environment's allyship is not on the system's PATH."""
    (hub["etc"] / "jupyter_server_config.json").unlink()
    (problem,) = [line for line in lines(hub) if line.startswith("problem:")]
    assert "in a terminal of a hub server (a login shell) allyship is not on PATH" in problem


def test_formgrader_that_the_hub_would_keep_out_of_jupyterlab_is_named(
    hub: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTERHUB_API_URL", "http://127.0.0.1:1/hub/api")
    assert not [line for line in lines(hub) if line.startswith("problem:")]
    settings = {"ServerApp": {**INSTRUCTOR_SERVER["ServerApp"], "tornado_settings": {}}}
    (hub["etc"] / "jupyter_server_config.json").write_text(json.dumps(settings))
    (problem,) = [line for line in lines(hub) if line.startswith("problem:")]
    assert "formgrader inside JupyterLab stays blank" in problem


def test_students_settings_in_a_hub_folder_are_checked(hub: dict[str, Path]) -> None:
    student = hub["course"].parent / "hubfolder" / "jupyter" / "student"
    student.mkdir(parents=True)
    extensions = {"nbgrader.server_extensions.assignment_list": False}
    (student / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": extensions}})
    )
    found = [f.line() for f in inspect(hub["course"], hub["homes"], student.parent.parent)]
    assert (
        "problem: students' servers have no Assignment List: they cannot fetch or submit" in found
    )
    assert any("students' servers offer formgrader" in line for line in found)
