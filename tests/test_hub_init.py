"""``allyship hub init`` writes a hub classroom that JupyterHub and Jupyter read as intended.

The generated ``jupyterhub_config.py`` is loaded by JupyterHub's own application; each role's
configuration folder is given to a real Jupyter server (on 127.0.0.1), which must serve
formgrader to the instructor and not to a student; ``allyship doctor`` then checks the set-up
the files describe.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import BIN, copy_course, free_port

ROSTER = (
    "id,first_name,last_name,email,lms_id\n"
    "asmith,Ana,Smith,ana@example.org,101\n"
    "bnguyen,Ben,Nguyen,ben@example.org,102\n"
    "cdiaz,Carla,Diaz,carla@example.org,103\n"
)


def allyship(*args: str, cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        [str(BIN / "allyship"), *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("hub")
    course = copy_course(base / "course")
    (base / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out, exchange = base / "hub", base / "exchange"
    done = allyship(
        "hub", "init", "--out", str(out), "--instructor", "teacher",
        "--roster", str(base / "roster.csv"), "--exchange", str(exchange),
        "--bind-url", "http://127.0.0.1:8123", cwd=course,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return SimpleNamespace(base=base, course=course, out=out, exchange=exchange, done=done)


def load_hub_config(path: Path):
    from jupyterhub.app import JupyterHub

    app = JupyterHub()
    app.load_config_file(str(path))
    return app.config


def test_jupyterhub_reads_users_groups_and_the_course_environment(hub: SimpleNamespace) -> None:
    config = load_hub_config(hub.out / "jupyterhub_config.py")
    assert config.Authenticator.allowed_users == {"teacher", "asmith", "bnguyen", "cdiaz"}
    assert config.JupyterHub.load_groups == {
        "instructors": {"users": ["teacher"]},
        "students": {"users": ["asmith", "bnguyen", "cdiaz"]},
        "formgrade-allyship": {"users": ["teacher"]},
        "nbgrader-allyship": {"users": ["asmith", "bnguyen", "cdiaz"]},
    }
    assert config.Spawner.server_token_scopes == ["users:activity!user", "access:servers!server"]
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8123"
    assert config.Spawner.cmd == [str(BIN / "jupyterhub-singleuser")]
    assert config.Spawner.environment["PATH"].startswith(f"{BIN}:")
    assert "admin_users" not in config.Authenticator  # instructors do not see students' servers
    hook = config.Spawner.pre_spawn_hook
    paths = {}
    for name in ("teacher", "asmith"):
        spawner = SimpleNamespace(user=SimpleNamespace(name=name), environment={"PATH": "/x"})
        hook(spawner)
        assert spawner.environment["PATH"] == "/x"
        paths[name] = spawner.environment["JUPYTER_CONFIG_PATH"].split(os.pathsep)
    assert paths["teacher"] == [
        str(hub.out / "jupyter/course-allyship"),
        str(hub.out / "jupyter/instructor"),
        str(hub.out / "jupyter/common"),
    ]
    assert paths["asmith"] == [str(hub.out / "jupyter/student"), str(hub.out / "jupyter/common")]


def test_the_hub_state_is_private_and_the_jupyter_settings_readable(hub: SimpleNamespace) -> None:
    assert (hub.out / "state").stat().st_mode & 0o777 == 0o700
    for path in (hub.out / "jupyter").rglob("*"):
        assert path.stat().st_mode & 0o005 == (0o005 if path.is_dir() else 0o004), path
    script = (hub.out / "setup-system.sh").read_text()
    assert 'chmod 700 "$home"' in script and "chmod 1777" in script


def status(url: str, token: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers)


def served(hub: SimpleNamespace, role: str) -> dict[str, tuple[int, dict[str, str]]]:
    """Start a real Jupyter server with the role's configuration; what it serves."""
    config = load_hub_config(hub.out / "jupyterhub_config.py")
    name = "teacher" if role == "instructor" else "asmith"
    spawner = SimpleNamespace(user=SimpleNamespace(name=name), environment={})
    config.Spawner.pre_spawn_hook(spawner)
    return serve(BIN, {**spawner.environment, "HOME": str(hub.base)}, hub.base)


def serve(bin: Path, env: dict[str, str], root: Path) -> dict[str, tuple[int, dict[str, str]]]:
    """What a real Jupyter server of ``bin`` with ``env`` (on 127.0.0.1) serves: formgrader,
    the Assignment List, JupyterLab."""
    port, token = free_port(), "hubinit-test-token"
    server = subprocess.Popen(
        [str(bin / "jupyter"), "server", "--allow-root", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if status(f"{base}/api/status", token)[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(f"the Jupyter server of {bin} did not start")
        return {p: status(f"{base}/{p}", token) for p in ("formgrader", "assignments", "lab")}
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_students_get_the_assignment_list_and_instructors_formgrader_too(
    hub: SimpleNamespace,
) -> None:
    student, instructor = served(hub, "student"), served(hub, "instructor")
    assert student["formgrader"][0] == 404
    assert instructor["formgrader"][0] == 200
    assert student["assignments"][0] != 404 and instructor["assignments"][0] != 404
    csp = instructor["lab"][1].get("Content-Security-Policy", "")
    assert "frame-ancestors 'self'" in csp  # formgrader can show inside JupyterLab
    disabled = json.loads((hub.out / "jupyter/student/labconfig/page_config.json").read_text())
    assert disabled["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True


def test_doctor_agrees_with_the_set_up_it_describes(hub: SimpleNamespace) -> None:
    """With the hub's settings (env.sh) and setup-system.sh's exchange, doctor sees the same
    exchange and course id as the students; before the exchange exists it says so."""
    env = {
        **os.environ,
        "JUPYTER_CONFIG_PATH": ":".join(
            f"{hub.out}/jupyter/{name}" for name in ("course-allyship", "instructor", "common")
        ),
    }
    found = allyship("doctor", "--homes", str(hub.base / "none"), cwd=hub.course, env=env)
    assert f"the exchange {hub.exchange} does not exist" in found.stdout
    hub.exchange.mkdir(exist_ok=True)
    hub.exchange.chmod(0o1777)
    hub.course.chmod(0o700)
    found = allyship("doctor", "--homes", str(hub.base / "none"), cwd=hub.course, env=env)
    assert f"ok: exchange {hub.exchange}" in found.stdout, found.stdout
    assert "ok: course id 'allyship'" in found.stdout


def test_users_who_cannot_be_hub_accounts_are_refused_by_name(tmp_path: Path) -> None:
    course = copy_course(tmp_path / "course")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name\nAna.Smith,Ana\nteacher,T\n", encoding="utf-8")
    done = allyship(
        "hub", "init", "--out", str(tmp_path / "hub"), "--instructor", "teacher",
        "--roster", str(roster), cwd=course,
    )  # fmt: skip
    assert done.returncode == 2
    assert "'Ana.Smith' is not a Unix login" in done.stderr
    assert "teacher: listed as instructor and as student" in done.stderr
    assert not (tmp_path / "hub").exists()  # nothing half-written


def test_the_ngshare_exchange_runs_as_a_hub_service_on_loopback(hub: SimpleNamespace) -> None:
    out = hub.base / "hub-ngshare"
    done = allyship(
        "hub", "init", "--out", str(out), "--instructor", "teacher",
        "--roster", str(hub.base / "roster.csv"), "--exchange-service", "ngshare",
        "--bind-url", "http://127.0.0.1:8123", "--ngshare-port", "10555", cwd=hub.course,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = load_hub_config(out / "jupyterhub_config.py")
    (service,) = config.JupyterHub.services
    assert service["url"] == "http://127.0.0.1:10555"
    assert service["command"][1:4] == [str(out / "run-ngshare.py"), "--admins", "teacher"]
    assert "access:services!service=ngshare" in config.Spawner.server_token_scopes
    common = (out / "jupyter/common/nbgrader_config.py").read_text()
    assert "configureExchange(c, 'http://127.0.0.1:8123/services/ngshare')" in common
    assert "'127.0.0.1'" in (out / "run-ngshare.py").read_text()
    students = (hub.course / "ngshare-students.csv").read_text().splitlines()
    assert students[0] == "student_id,first_name,last_name,email" and len(students) == 4
    assert (hub.course / "ngshare-students.csv").stat().st_mode & 0o077 == 0
    assert "add_students allyship ngshare-students.csv --no-gb" in done.stdout
