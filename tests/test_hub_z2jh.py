"""``allyship hub z2jh``: Zero to JupyterHub values and a single-user image, checked here.

No Kubernetes cluster, Helm or Docker engine runs here, so what can be validated is:

- the values against the chart's own schema (chart 4.4.0, vendored in ``tests/data/z2jh``);
- the hub's configuration as the chart builds it from the values (its
  ``jupyterhub_config.py`` steps for services, roles, ``hub.config``, the single-user
  settings and ``hub.extraConfig``), loaded by JupyterHub's own application;
- the image: every file its Dockerfile copies exists in the build context, and its Python
  environment, built by the very script the Dockerfile runs, serves formgrader to the
  instructor and not to a student from the settings the values mount into each pod, with
  ngshare as nbgrader's exchange.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml
from conftest import REPO, copy_course
from test_hub_init import ROSTER, allyship, serve

from allyship.instructor import z2jh

CHART = REPO / "tests" / "data" / "z2jh"
SCHEMA = json.loads((CHART / "values.schema.json").read_text())
SYSTEM_PYTHON = Path("/usr/bin/python3.11")
VALUES = ("values.yaml", "ngshare-values.yaml")
IMAGE = "registry.example.org/allyship-singleuser:2026.12"


def course_repository(path: Path) -> Path:
    """A course folder as the guide makes one: a copy of this repository."""
    course = copy_course(path)
    for name in ("requirements.txt", *z2jh.IMAGE_SOURCES):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, course / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, course / name)
    return course


@pytest.fixture(scope="module")
def deploy(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("z2jh")
    course = course_repository(base / "course")
    (base / "roster.csv").write_text(ROSTER, encoding="utf-8")
    pod_course = base / "pod-course"  # where the instructor's pod keeps the course
    copy_course(pod_course)
    done = allyship(
        "hub", "z2jh", "--instructor", "teacher", "--roster", str(base / "roster.csv"),
        "--image", IMAGE, "--authenticator", "github", "--namespace", "classes",
        "--pod-course", str(pod_course), cwd=course,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = course / "deploy" / "z2jh"
    values, ngshare = (yaml.safe_load((out / n).read_text()) for n in VALUES)
    return SimpleNamespace(
        base=base, course=course, out=out, pod_course=pod_course, done=done, values=values,
        ngshare=ngshare,
    )  # fmt: skip


def helm_merge(defaults: dict, values: dict) -> dict:
    """Values over a chart's defaults, as Helm merges them: maps key by key, a null removes."""
    merged = dict(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def test_the_values_are_valid_for_the_chart(deploy: SimpleNamespace) -> None:
    defaults = yaml.safe_load((CHART / "chart-values.yaml").read_text())
    jsonschema.validate(helm_merge(defaults, deploy.values), SCHEMA)
    broken = json.loads(json.dumps(deploy.values))
    broken["singleuser"]["extraFiles"]["student-jupyter-server-config-json"].pop("mountPath")
    with pytest.raises(jsonschema.ValidationError):  # the schema does catch a broken value
        jsonschema.validate(helm_merge(defaults, broken), SCHEMA)
    assert deploy.values["singleuser"]["image"] == {
        "name": "registry.example.org/allyship-singleuser",
        "tag": "2026.12",
    }


def chart_hub_config(values: dict, folder: Path) -> Path:
    """The hub's configuration as the chart's jupyterhub_config.py builds it from values."""
    hub, single = values["hub"], values["singleuser"]
    lines = [
        "c = get_config()  # noqa: F821",
        "c.JupyterHub.services = []",
        "c.JupyterHub.load_roles = []",
        f"for key, service in {hub.get('services', {})!r}.items():",
        "    service.setdefault('name', key)",
        "    c.JupyterHub.services.append(service)",
        f"for key, role in {hub.get('loadRoles', {})!r}.items():",
        "    role.setdefault('name', key)",
        "    c.JupyterHub.load_roles.append(role)",
        f"c.Spawner.cmd = {single['cmd']!r}",
        f"c.Spawner.default_url = {single['defaultUrl']!r}",
        f"c.Spawner.environment = {single['extraEnv']!r}",
        f"for section, cfg in {hub.get('config', {})!r}.items():",
        "    c[section].update(cfg)",
    ]
    for key, code in sorted(hub.get("extraConfig", {}).items()):
        lines.append(f"exec({code!r})  # hub.extraConfig.{key}")
    path = folder / "jupyterhub_config.py"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_hub_the_chart_builds_has_the_course(deploy: SimpleNamespace) -> None:
    config = chart_config(deploy)
    assert config.Authenticator.allowed_users == {"teacher", "asmith", "bnguyen", "cdiaz"}
    assert config.JupyterHub.load_groups["formgrade-allyship"] == {"users": ["teacher"]}
    (service,) = config.JupyterHub.services
    assert service["url"] == "http://ngshare.classes.svc.cluster.local:8080"
    assert service["api_token"] == deploy.ngshare["ngshare"]["hub_api_token"]
    assert len(service["api_token"]) == 64
    assert deploy.ngshare["ngshare"]["admins"] == ["teacher"]
    assert "access:services!service=ngshare" in config.Spawner.server_token_scopes
    assert config.JupyterHub.load_roles[0]["scopes"] == ["self", z2jh.NGSHARE_SCOPE]
    files = deploy.values["singleuser"]["extraFiles"].values()
    mounted = {Path(f["mountPath"]).parent for f in files}
    for user in ("teacher", "asmith"):
        folders = [Path(p) for p in pod_config_path(deploy, user).split(":")]
        assert set(folders) <= mounted, folders  # every folder a role reads is in its pod
        assert folders[0].name == ("course-allyship" if user == "teacher" else "student")


def chart_config(deploy: SimpleNamespace):
    from jupyterhub.app import JupyterHub
    from traitlets.config.loader import PyFileConfigLoader

    path = chart_hub_config(deploy.values, deploy.base)
    loaded = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    # the hub image has oauthenticator; this environment does not
    assert loaded.JupyterHub.pop("authenticator_class") == "github"
    return JupyterHub(config=loaded).config  # JupyterHub's own traits accept the rest


def pod_config_path(deploy: SimpleNamespace, user: str) -> str:
    """The JUPYTER_CONFIG_PATH of ``user``'s pod, as the chart's hub spawns it."""
    config = chart_config(deploy)
    spawner = SimpleNamespace(
        user=SimpleNamespace(name=user), environment=dict(config.Spawner.environment)
    )
    config.Spawner.pre_spawn_hook(spawner)
    return spawner.environment["JUPYTER_CONFIG_PATH"]


def test_a_re_run_keeps_the_token_and_unsafe_choices_are_refused(deploy) -> None:
    token = deploy.ngshare["ngshare"]["hub_api_token"]
    again = allyship(
        "hub", "z2jh", "--instructor", "teacher", "--image", IMAGE, "--authenticator",
        "github", cwd=deploy.course,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert (
        yaml.safe_load((deploy.out / "ngshare-values.yaml").read_text())["ngshare"]["hub_api_token"]
        == token
    )  # the hub and ngshare keep talking
    assert (deploy.out / "values.yaml").stat().st_mode & 0o077 == 0  # it holds the token
    refused = allyship(
        "hub", "z2jh", "--instructor", "teacher", "--image", "no tag", "--authenticator",
        "dummy", "--out", str(deploy.base / "elsewhere"), cwd=deploy.course,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "--authenticator dummy lets anyone log in as any student" in refused.stderr
    assert "--image 'no tag' is not NAME:TAG" in refused.stderr
    assert "is not inside the course folder, the build context" in refused.stderr


def test_every_file_the_dockerfile_copies_is_in_the_build_context(deploy) -> None:
    dockerfile = (deploy.out / "Dockerfile").read_text()
    copies = re.findall(r"^COPY (\S+) ", dockerfile, flags=re.M)
    assert copies and all((deploy.course / source).exists() for source in copies), copies
    assert "FROM python:3.11" in dockerfile and 'CMD ["jupyterhub-singleuser"]' in dockerfile
    assert "USER 1000" in dockerfile  # the user Zero to JupyterHub runs


@pytest.mark.slow
@pytest.mark.skipif(not SYSTEM_PYTHON.is_file(), reason="needs /usr/bin/python3.11")
def test_the_image_environment_serves_each_role_from_the_mounted_settings(deploy) -> None:
    """Build the image's environment with the script its Dockerfile runs, then start its
    Jupyter server with the settings the values mount into a pod (moved under a folder)."""
    src, venv = deploy.base / "src", deploy.base / "image-venv"
    src.mkdir()
    for name in z2jh.IMAGE_SOURCES:  # what the Dockerfile copies
        copy = shutil.copytree if (deploy.course / name).is_dir() else shutil.copy2
        copy(deploy.course / name, src / name)
    script = deploy.out / "install-image.sh"
    built = subprocess.run(
        ["sh", str(script), str(src), str(venv), str(SYSTEM_PYTHON)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-4000:]
    version = subprocess.run(
        [str(venv / "bin/jupyterhub-singleuser"), "--version"], capture_output=True, text=True
    )
    assert version.stdout.strip() == z2jh.CHART_JUPYTERHUB  # the chart's hub's version

    pod = deploy.base / "pod"
    for item in deploy.values["singleuser"]["extraFiles"].values():
        path = pod / item["mountPath"].lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item["stringData"])

    def pod_path(role: str) -> str:  # the pod's folders, moved under ``pod``
        paths = pod_config_path(deploy, "teacher" if role == "instructor" else "asmith")
        return ":".join(str(pod / p.lstrip("/")) for p in paths.split(":"))

    exchange = subprocess.run(
        [str(venv / "bin/python"), "-c", EXCHANGE_PROBE],
        env={"JUPYTER_CONFIG_PATH": pod_path("student"), "JUPYTERHUB_USER": "asmith"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert exchange.returncode == 0, exchange.stderr
    assert json.loads(exchange.stdout) == {
        "exchange": "ngshare_exchange.Exchange",
        "course_id": "allyship",
        "url": "http://ngshare.classes.svc.cluster.local:8080/services/ngshare",
    }
    home = deploy.base / "home"
    home.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "JUPYTERHUB_USER": "asmith"}
    student = serve(venv / "bin", {**env, "JUPYTER_CONFIG_PATH": pod_path("student")}, home)
    teacher = serve(venv / "bin", {**env, "JUPYTER_CONFIG_PATH": pod_path("instructor")}, home)
    assert student["formgrader"][0] == 404 and student["assignments"][0] != 404
    assert teacher["formgrader"][0] == 200
    assert "frame-ancestors 'self'" in teacher["lab"][1].get("Content-Security-Policy", "")


#: nbgrader's configuration as the image's nbgrader reads it from the mounted settings.
EXCHANGE_PROBE = """
import json, os
from jupyter_core.paths import jupyter_config_path
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader
config = Config()
for folder in reversed(jupyter_config_path()):
    if os.path.isfile(os.path.join(folder, "nbgrader_config.py")):
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
exchange = config.ExchangeFactory.exchange
print(json.dumps({
    "exchange": exchange.__module__.split(".")[0] + "." + exchange.__name__,
    "course_id": config.CourseDirectory.course_id,
    "url": exchange._ngshare_url,
}))
"""
