"""wincompat check-files and advise as CI runs them: a subprocess against the real registry.
The files follow the Dockerfile reference, the Compose specification and Kubernetes apps/v1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOST_2019, HOST_2022 = "10.0.17763.7314", "10.0.20348.2762"


@pytest.fixture(scope="module")
def repo(registry):
    name = registry.new_repo("windows/servercore")
    registry.push_mcr_base(name, "ltsc2019", HOST_2019)
    registry.push_mcr_base(name, "ltsc2022", HOST_2022)
    registry.push_mcr_base(name, HOST_2022, HOST_2022)
    return f"{registry.host}/{name}"


def _run(registry, *args: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "WINCOMPAT_INSECURE_REGISTRIES": registry.host,
        "WINCOMPAT_ALLOWED_REGISTRIES": "",
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    command = [sys.executable, "-m", "service.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture()
def files(tmp_path, repo):
    (tmp_path / "Dockerfile").write_text(f"ARG TAG=ltsc2022\nFROM {repo}:${{TAG}}\n")
    (tmp_path / "docker-compose.yml").write_text(f"services:\n  web:\n    image: {repo}:ltsc2019\n")
    (tmp_path / "k8s.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        f"  nodeSelector: {{kubernetes.io/os: windows}}\n  containers:\n"
        f"    - name: c\n      image: {repo}:ltsc2022\n"
    )
    return tmp_path


def test_everything_runs_exit_0(registry, files):
    done = _run(
        registry,
        "check-files",
        str(files / "Dockerfile"),
        str(files / "k8s.yaml"),
        "--host",
        HOST_2022,
    )
    assert done.returncode == 0, done.stderr
    assert f"{files / 'Dockerfile'}:2: runs" in done.stdout
    assert f"{files / 'k8s.yaml'}:8: runs" in done.stdout


def test_something_does_not_run_exit_1(registry, files):
    done = _run(
        registry,
        "check-files",
        str(files / "Dockerfile"),
        str(files / "docker-compose.yml"),
        "--host",
        HOST_2022,
        "--build-arg",
        "TAG=ltsc2019",
    )
    assert done.returncode == 1, done.stderr
    assert f"{files / 'docker-compose.yml'}:3: fails" in done.stdout
    assert f"{files / 'Dockerfile'}:2: fails" in done.stdout  # --build-arg TAG=ltsc2019
    assert f"try {registry.host}/" in done.stdout


def test_unparseable_file_exit_2(registry, files):
    bad = files / "broken.yaml"
    bad.write_text("services:\n  web: [\n")
    done = _run(registry, "check-files", str(bad), "--host", HOST_2022)
    assert done.returncode == 2
    assert "line 3" in done.stderr


def test_advise_names_the_from_line(registry, repo):
    done = _run(registry, "advise", repo, "--host", HOST_2022)
    assert done.returncode == 0, done.stderr
    assert f"FROM {repo}:ltsc2022" in done.stdout


def test_nodes_from_a_kubectl_node_list(registry, files):
    nodes = ROOT / "tests" / "data" / "nodes" / "aks-array-2019-2022.json"
    done = _run(registry, "check-files", str(files / "k8s.yaml"), "--nodes", str(nodes))
    assert done.returncode == 1, done.stderr  # the 2019 node cannot run the ltsc2022 image
    assert f"{files / 'k8s.yaml'}:8: fails" in done.stdout and "akswin19000000" in done.stdout
