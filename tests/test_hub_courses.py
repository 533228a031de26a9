"""Several courses side by side on one hub, each set up by its own ``allyship hub init``.

The generated configuration is loaded by JupyterHub's application; then a real JupyterHub on
127.0.0.1 holds the generated groups, and real ``nbgrader`` commands run as students with a
hub token of the scopes the generated configuration gives their servers: each student sees,
fetches and submits only their own courses, from one exchange.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import BIN, REPO, copy_course, free_port, tool_env
from test_autograde import ASSIGNMENT
from test_hub_init import ROSTER, allyship, load_hub_config

PROXY = REPO / "tests" / "js" / "node_modules" / ".bin" / "configurable-http-proxy"
SECOND_ROSTER = "id,first_name,last_name,email\nasmith,Ana,Smith,ana@example.org\ndlee,Dee,Lee,\n"


def second_course(path: Path, course_id: str = "ethics-201") -> Path:
    course = copy_course(path)
    config = course / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('course_id = "allyship"', f"course_id = {course_id!r}"))
    return course


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("courses")
    first, second = copy_course(base / "allyship"), second_course(base / "ethics")
    (base / "roster-a.csv").write_text(ROSTER, encoding="utf-8")
    (base / "roster-b.csv").write_text(SECOND_ROSTER, encoding="utf-8")
    out, exchange = base / "hub", base / "exchange"
    done = allyship(
        "hub", "init", "--out", str(out), "--instructor", "teacher",
        "--roster", str(base / "roster-a.csv"), "--exchange", str(exchange),
        "--bind-url", "http://127.0.0.1:8123", "--proxy", str(PROXY), cwd=first,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = allyship(
        "hub", "init", "--out", str(out), "--instructor", "prof",
        "--roster", str(base / "roster-b.csv"), cwd=second,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return SimpleNamespace(base=base, first=first, second=second, out=out, exchange=exchange)


def config_path(hub: SimpleNamespace, user: str) -> list[str]:
    spawner = SimpleNamespace(user=SimpleNamespace(name=user), environment={})
    load_hub_config(hub.out / "jupyterhub_config.py").Spawner.pre_spawn_hook(spawner)
    return spawner.environment["JUPYTER_CONFIG_PATH"].split(os.pathsep)


def test_each_course_has_its_groups_and_each_instructor_their_course(hub) -> None:
    config = load_hub_config(hub.out / "jupyterhub_config.py")
    groups = {name: group["users"] for name, group in config.JupyterHub.load_groups.items()}
    assert groups == {
        "instructors": ["prof", "teacher"],
        "students": ["asmith", "bnguyen", "cdiaz", "dlee"],
        "formgrade-allyship": ["teacher"],
        "nbgrader-allyship": ["asmith", "bnguyen", "cdiaz"],
        "formgrade-ethics-201": ["prof"],
        "nbgrader-ethics-201": ["asmith", "dlee"],
    }
    assert config.Authenticator.allowed_users == set(groups["instructors"] + groups["students"])
    # the second run kept the first one's exchange and proxy, which it was not given
    common = (hub.out / "jupyter/common/nbgrader_config.py").read_text()
    assert f"c.Exchange.root = {str(hub.exchange)!r}" in common
    assert config.ConfigurableHTTPProxy.command == [str(PROXY)]
    assert "course_id" not in common and "c.Exchange.path_includes_course = True" in common
    assert "read:users:groups!user" in config.Spawner.server_token_scopes
    jupyter = hub.out / "jupyter"
    assert config_path(hub, "prof")[:2] == [
        str(jupyter / "course-ethics-201"),
        str(jupyter / "instructor"),
    ]
    assert config_path(hub, "teacher")[0] == str(jupyter / "course-allyship")
    assert config_path(hub, "dlee") == [str(jupyter / "student"), str(jupyter / "common")]
    ethics = (jupyter / "course-ethics-201/nbgrader_config.py").read_text()
    assert f"c.CourseDirectory.root = {str(hub.second)!r}" in ethics
    assert "c.CourseDirectory.course_id = 'ethics-201'" in ethics


def shell_path(hub: SimpleNamespace, user: str) -> str:
    """JUPYTER_CONFIG_PATH after sourcing env.sh as ``user`` (``id`` answers for them)."""
    fake = hub.base / f"id-{user}"
    fake.mkdir(exist_ok=True)
    (fake / "id").write_text(f"#!/bin/sh\necho {user}\n")
    (fake / "id").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    script = f'. {hub.out / "env.sh"} && echo "$JUPYTER_CONFIG_PATH"'
    done = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
    return done.stdout.strip()


def test_a_shell_outside_the_hub_gets_its_instructors_course(hub) -> None:
    assert shell_path(hub, "prof").startswith(f"{hub.out}/jupyter/course-ethics-201:")
    assert shell_path(hub, "teacher").startswith(f"{hub.out}/jupyter/course-allyship:")
    assert shell_path(hub, "someone").startswith(f"{hub.out}/jupyter/instructor:")


def test_an_instructor_of_two_courses_is_refused_and_nothing_changes(hub, tmp_path) -> None:
    before = {p: p.read_bytes() for p in hub.out.rglob("*") if p.is_file()}
    third = second_course(tmp_path / "third", "history-101")
    done = allyship(
        "hub", "init", "--out", str(hub.out), "--instructor", "teacher", "--instructor", "dlee",
        "--roster", str(hub.base / "roster-b.csv"), cwd=third,
    )  # fmt: skip
    assert done.returncode == 2
    assert "teacher already teaches 'allyship' on this hub" in done.stderr
    assert "dlee is a student of 'ethics-201' on this hub" in done.stderr
    assert {p: p.read_bytes() for p in hub.out.rglob("*") if p.is_file()} == before


def test_a_course_id_that_cannot_name_a_group_is_refused(tmp_path: Path) -> None:
    course = second_course(tmp_path / "bad", "a b/../c")
    done = allyship("hub", "init", "--out", str(tmp_path / "hub"), "--instructor", "t", cwd=course)
    assert done.returncode == 2
    assert "the course id 'a b/../c' is not letters, digits" in done.stderr
    assert not (tmp_path / "hub").exists()


# ------------------------------------------------------------------ a real hub, real nbgrader


def api(url: str, token: str, data: dict | None = None) -> dict:
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def running(hub: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory):
    """The generated hub, running on 127.0.0.1, with a service that mints user tokens."""
    folder = tmp_path_factory.mktemp("running")
    port, hub_port, mint = free_port(), free_port(), "mint-" + os.urandom(16).hex()
    local = folder / "jupyterhub_config.py"
    local.write_text(
        f"load_subconfig({str(hub.out / 'jupyterhub_config.py')!r})\n"
        f"c.JupyterHub.bind_url = 'http://127.0.0.1:{port}'\n"
        f"c.JupyterHub.hub_port = {hub_port}\n"
        f"c.JupyterHub.db_url = 'sqlite:///{folder / 'hub.sqlite'}'\n"
        f"c.JupyterHub.pid_file = {str(folder / 'hub.pid')!r}\n"
        f"c.JupyterHub.services = [{{'name': 'mint', 'api_token': {mint!r}}}]\n"
        "c.JupyterHub.load_roles = [{'name': 'mint', 'services': ['mint'],\n"
        "                            'scopes': ['tokens', 'read:users']}]\n"
    )
    log = folder / "hub.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(local)], cwd=folder, stdout=out, stderr=out
        )
    api_url = f"http://127.0.0.1:{hub_port}/hub/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                api(f"{api_url}/users/asmith", mint)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the hub did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield SimpleNamespace(api_url=api_url, mint=mint, folder=folder)
    finally:
        process.terminate()
        process.wait(timeout=30)


def as_student(hub, running, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A real nbgrader command as ``user``'s hub server runs it: the student settings and a
    hub token of exactly the read scopes the generated configuration grants a server."""
    config = load_hub_config(hub.out / "jupyterhub_config.py")
    scopes = [s for s in config.Spawner.server_token_scopes if s.startswith("read:")]
    token = api(f"{running.api_url}/users/{user}/tokens", running.mint, {"scopes": scopes})
    home = running.folder / user
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "HOME": str(home),
        "JUPYTERHUB_USER": user,
        "JUPYTERHUB_API_URL": running.api_url,
        "JUPYTERHUB_API_TOKEN": token["token"],
        "JUPYTER_CONFIG_PATH": ":".join(config_path(hub, user)),
    }
    return subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=home, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_students_see_fetch_and_submit_only_their_own_courses(hub, running) -> None:
    hub.exchange.mkdir(exist_ok=True)
    hub.exchange.chmod(0o1777)
    for course, instructor in ((hub.first, "teacher"), (hub.second, "prof")):
        env = {**tool_env(), "JUPYTER_CONFIG_PATH": ":".join(config_path(hub, instructor))}
        for step in ("generate_assignment", "release_assignment"):
            done = subprocess.run(
                [str(BIN / "nbgrader"), step, ASSIGNMENT, "--force"], cwd=course, env=env,
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr[-3000:]

    both = as_student(hub, running, "asmith", "list")
    assert f"allyship {ASSIGNMENT}" in both.stderr and f"ethics-201 {ASSIGNMENT}" in both.stderr
    only = as_student(hub, running, "dlee", "list")
    assert f"ethics-201 {ASSIGNMENT}" in only.stderr and "allyship" not in only.stderr

    refused = as_student(
        hub, running, "dlee", "fetch_assignment", "--course", "allyship", ASSIGNMENT
    )
    assert "You do not have access to this course" in refused.stderr
    assert refused.returncode != 0 and not (running.folder / "dlee/allyship").exists()
    fetched = as_student(
        hub, running, "dlee", "fetch_assignment", "--course", "ethics-201", ASSIGNMENT
    )
    assert fetched.returncode == 0, fetched.stderr
    assert (running.folder / "dlee/ethics-201" / ASSIGNMENT).is_dir()  # a folder per course
    submitted = as_student(hub, running, "dlee", "submit", "--course", "ethics-201", ASSIGNMENT)
    assert submitted.returncode == 0, submitted.stderr
    inbound = hub.exchange / "ethics-201" / "inbound"
    assert len(list(inbound.iterdir())) == 1  # named for the Unix user, as on the hub
    assert not (hub.exchange / "allyship" / "inbound").exists() or not any(
        (hub.exchange / "allyship" / "inbound").iterdir()
    )
