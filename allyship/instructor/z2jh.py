"""``allyship hub z2jh``: the course on Zero to JupyterHub (Kubernetes), ngshare its exchange.

A hub on several machines shares no folder, so the exchange is ngshare (its own Helm chart,
beside the hub's). What ``hub init`` writes for one machine is written here as Helm values,
from the same functions, so both hubs give each role the same settings:

- ``values.yaml`` for the ``jupyterhub`` chart: the roster's users and nbgrader's groups, the
  ngshare service, and every role's Jupyter settings mounted into each user's pod
  (``singleuser.extraFiles``), with a spawn hook that points each role at its own;
- ``ngshare-values.yaml`` for the ``ngshare`` chart: the instructors as its admins and the
  token it shares with the hub;
- ``Dockerfile`` and ``install-image.sh``: the single-user image, built from the course folder
  (a copy of this repository): the course environment's pins, JupyterHub at the chart's hub
  version, and ngshare's nbgrader side.

Each user has a pod and a volume of their own, so homes are private by construction; ngshare
records who submits from the hub's token.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from allyship.instructor.hub import (
    NGSHARE_EXCHANGE_DEPENDENCIES,
    NGSHARE_EXCHANGE_PINS,
    NGSHARE_SCOPE,
    CourseRecord,
    HubError,
    HubPlan,
    files,
    people_lines,
    role_hook_lines,
    server_pins,
)

#: The Zero to JupyterHub chart these values are written and validated for, and the JupyterHub
#: its hub image runs (its images/hub/requirements.txt): the image's single-user server matches.
CHART_VERSION = "4.4.0"
CHART_JUPYTERHUB = "5.5.0"
#: Where every user pod finds the course: the role settings (mounted from the values), the
#: course environment (in the image), the home volume Zero to JupyterHub mounts.
POD_SETTINGS = Path("/etc/allyship")
POD_VENV = Path("/opt/allyship/venv")
POD_HOME = Path("/home/jovyan")
#: The build context's files the image needs (the course folder is a copy of this repository).
IMAGE_SOURCES = ("pyproject.toml", "README.md", "allyship")
#: Zero to JupyterHub's stand-in authenticator lets anyone in with any password.
UNSAFE_AUTHENTICATORS = {"dummy", "jupyterhub.auth.DummyAuthenticator", "null"}


@dataclass(frozen=True)
class Deployment:
    record: CourseRecord  # its course folder is where the instructor keeps it in their pod
    course: Path  # the course folder here: the image's build context
    out: Path
    image: str  # name:tag
    authenticator: str
    namespace: str = "default"
    ngshare_token: str = ""

    @property
    def ngshare_service_url(self) -> str:
        return f"http://ngshare.{self.namespace}.svc.cluster.local:8080"

    def plan(self) -> HubPlan:
        return HubPlan(
            courses=(self.record,),
            out=POD_SETTINGS,
            venv=POD_VENV,
            exchange=Path("/nonexistent"),  # ngshare: no folder is shared
            exchange_service="ngshare",
            ngshare_url=f"{self.ngshare_service_url}/services/ngshare",
        )


def check(deployment: Deployment) -> list[str]:
    """Why the deployment cannot be written as asked (empty: it can)."""
    problems = []
    if deployment.authenticator in UNSAFE_AUTHENTICATORS:
        problems.append(
            f"--authenticator {deployment.authenticator} lets anyone log in as any student; "
            "name your institution's (for example github, generic-oauth, ltiauthenticator)"
        )
    if not re.fullmatch(r"[^\s:@]+(:\d+)?(/[^\s:@]+)*:[\w][\w.-]{0,127}", deployment.image):
        problems.append(f"--image {deployment.image!r} is not NAME:TAG")
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", deployment.namespace):
        problems.append(f"--namespace {deployment.namespace!r} is not a Kubernetes namespace")
    for name in ("requirements.txt", *IMAGE_SOURCES):
        if not (deployment.course / name).exists():
            problems.append(
                f"{deployment.course / name} is missing: the image is built from the course "
                "folder, a copy of the allyship repository"
            )
    try:
        deployment.out.resolve().relative_to(deployment.course.resolve())
    except ValueError:
        problems.append(
            f"--out {deployment.out} is not inside the course folder, the build context"
        )
    return problems


def extra_files(plan: HubPlan) -> dict[str, dict[str, str]]:
    """Every role's Jupyter settings, as the chart mounts them into each user's pod."""
    found = {}
    for relative, text in files(plan).items():
        if relative.startswith("jupyter/"):
            key = re.sub(r"[^a-z0-9]+", "-", relative.removeprefix("jupyter/").lower()).strip("-")
            found[key] = {"mountPath": str(plan.out / relative), "stringData": text}
    return found


def hub_extra_config(plan: HubPlan) -> str:
    return "\n".join(
        [
            "# The allyship course's users, groups and per-role settings. Written by",
            "# `allyship hub z2jh`; re-run it after a roster change rather than edit.",
            *people_lines(plan),
            "",
            *role_hook_lines(plan),
        ]
    )


def values(deployment: Deployment) -> dict:
    plan = deployment.plan()
    name, tag = deployment.image.rsplit(":", 1)
    return {
        "hub": {
            "config": {"JupyterHub": {"authenticator_class": deployment.authenticator}},
            "services": {
                "ngshare": {
                    "url": deployment.ngshare_service_url,
                    "api_token": deployment.ngshare_token,
                    "oauth_no_confirm": True,
                }
            },
            # every user's server may call ngshare (its own token's scopes say so too)
            "loadRoles": {"user": {"scopes": ["self", NGSHARE_SCOPE]}},
            "extraConfig": {"allyship.py": hub_extra_config(plan)},
        },
        "singleuser": {
            "image": {"name": name, "tag": tag},
            "cmd": "jupyterhub-singleuser",
            "defaultUrl": "/lab",
            "extraEnv": {"JUPYTER_CONFIG_PATH": plan.config_path("student")},
            # ngshare runs in the cluster: the pods may reach its private address
            "networkPolicy": {"egressAllowRules": {"privateIPs": True}},
            "extraFiles": extra_files(plan),
        },
    }


def ngshare_values(deployment: Deployment) -> dict:
    return {
        "ngshare": {
            "hub_api_token": deployment.ngshare_token,
            "admins": sorted(deployment.record.instructors),
        }
    }


def install_script(deployment: Deployment) -> str:
    """The image's Python environment, in one script the Dockerfile runs (and a test runs
    without Docker): the course's pins, JupyterHub at the chart's version, ngshare_exchange
    without its dependencies (it pins an older jupyter-core than nbgrader needs)."""
    pins = " ".join(server_pins(deployment.course / "requirements.txt"))
    return "\n".join(
        [
            "#!/bin/sh",
            "# Written by `allyship hub z2jh`: the single-user image's Python environment.",
            "# Usage: sh install-image.sh SOURCE VENV [PYTHON]",
            "set -eu",
            "src=$1 venv=$2 python=${3:-python3}",
            '"$python" -m venv "$venv"',
            f'"$venv/bin/pip" install --no-cache-dir --quiet {pins} '
            f'jupyterhub=={CHART_JUPYTERHUB} "$src"',
            f'"$venv/bin/pip" install --no-cache-dir --quiet --no-deps '
            f"{' '.join(NGSHARE_EXCHANGE_PINS)}",
            f'"$venv/bin/pip" install --no-cache-dir --quiet '
            f"{' '.join(NGSHARE_EXCHANGE_DEPENDENCIES)}",
            "",
        ]
    )


def dockerfile(deployment: Deployment) -> str:
    out = deployment.out.resolve().relative_to(deployment.course.resolve())
    copies = [f"COPY {name} /opt/allyship/src/{name}" for name in IMAGE_SOURCES]
    return "\n".join(
        [
            "# The allyship course's single-user image for Zero to JupyterHub. Written by",
            "# `allyship hub z2jh`. Build it from the course folder and push it:",
            f"#   docker build -f {out / 'Dockerfile'} -t {deployment.image} .",
            "FROM python:3.11-slim-bookworm",
            "# git for the instructor's course folder; jovyan is the user Zero to JupyterHub",
            "# runs (uid 1000, group 100) with its home volume at /home/jovyan.",
            "RUN apt-get update && apt-get install -y --no-install-recommends git \\",
            " && rm -rf /var/lib/apt/lists/* \\",
            f" && useradd --create-home --uid 1000 --gid 100 --shell /bin/bash --home-dir "
            f"{POD_HOME} jovyan",
            *copies,
            f"COPY {out / 'install-image.sh'} /opt/allyship/install-image.sh",
            f"RUN sh /opt/allyship/install-image.sh /opt/allyship/src {POD_VENV} \\",
            " && rm -rf /opt/allyship/src",
            f"ENV PATH={POD_VENV}/bin:$PATH VIRTUAL_ENV={POD_VENV}",
            "USER 1000",
            f"WORKDIR {POD_HOME}",
            "EXPOSE 8888",
            'CMD ["jupyterhub-singleuser"]',
            "",
        ]
    )


def known_token(out: Path) -> str:
    """The ngshare token of an earlier run, so a re-run does not cut the hub off ngshare."""
    try:
        data = yaml.safe_load((out / "ngshare-values.yaml").read_text(encoding="utf-8"))
        token = data["ngshare"]["hub_api_token"]
    except (OSError, yaml.YAMLError, TypeError, KeyError):
        return secrets.token_hex(32)
    return token if isinstance(token, str) and len(token) >= 32 else secrets.token_hex(32)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (settings files, the hub's Python) as YAML blocks, readable as is."""


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100)


HEADER = (
    "# Written by `allyship hub z2jh` for the Zero to JupyterHub chart {chart}. It holds the\n"
    "# ngshare token: keep it out of version control. Re-run the command after a roster change.\n"
)


def write(deployment: Deployment) -> list[Path]:
    if problems := check(deployment):
        raise HubError("; ".join(problems))
    deployment.out.mkdir(parents=True, exist_ok=True)
    header = HEADER.format(chart=CHART_VERSION)
    texts = {
        "values.yaml": header + to_yaml(values(deployment)),
        "ngshare-values.yaml": header + to_yaml(ngshare_values(deployment)),
        "Dockerfile": dockerfile(deployment),
        "install-image.sh": install_script(deployment),
    }
    written = []
    for name, text in texts.items():
        path = deployment.out / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600 if name.endswith("values.yaml") else 0o644)
        written.append(path)
    return written
