"""wincompat nodes / wincompat matrix: human output, --json, exit codes (fleet.md)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from service.cli import main

NODES = Path(__file__).parent / "data" / "nodes"


@pytest.fixture
def env(monkeypatch, registry):
    monkeypatch.setenv("WINCOMPAT_ALLOWED_REGISTRIES", "")
    monkeypatch.setenv("WINCOMPAT_INSECURE_REGISTRIES", registry.host)
    monkeypatch.delenv("WINCOMPAT_REDIS_URL", raising=False)


@pytest.fixture(scope="module")
def ltsc2022(registry):
    repo = registry.new_repo("windows/servercore")
    registry.push_mcr_base(repo, "ltsc2022", "10.0.20348.2700")
    return f"{registry.host}/{repo}:ltsc2022"


def run(monkeypatch, capsys, argv, stdin_file=None):
    if stdin_file:
        monkeypatch.setattr(sys, "stdin", io.StringIO((NODES / stdin_file).read_text()))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_nodes_from_stdin_human(env, monkeypatch, capsys, ltsc2022):
    code, out, _ = run(monkeypatch, capsys, ["nodes", ltsc2022, "-", "--isolation", "process"],
                       "aks-mixed.json")  # fmt: skip
    assert code == 1  # runs on some Windows nodes, not all
    lines = out.splitlines()
    assert lines[0].startswith("Runs on 4 of 5 Windows nodes")
    row = next(line for line in lines if "akswin19000000" in line)
    assert "10.0.17763.8389" in row and "fails" in row
    cordoned = next(line for line in lines if "akswin22000001" in line)
    assert "runs (process)" in cordoned and "unschedulable" in cordoned
    assert any("skipped (linux node)" in line for line in lines)
    yaml_text = out.split("# pod spec:\n", 1)[1].split("\n\n", 1)[0]
    spec = yaml.safe_load(yaml_text)
    assert "affinity" in spec and spec["tolerations"][0]["value"] == "spot"


def test_nodes_exit_0_when_every_windows_node_runs_it(env, monkeypatch, capsys, ltsc2022):
    code, out, _ = run(monkeypatch, capsys, ["nodes", ltsc2022, "-"], "aks-single-node-2022.json")
    assert code == 0
    assert 'node.kubernetes.io/windows-build: "10.0.20348"' in out


def test_nodes_json_and_swarm_file_argument(env, monkeypatch, capsys):
    path = str(NODES / "swarm-node-inspect.json")
    argv = ["nodes", "--image-version", "ltsc2019", path, "--json", "--isolation", "process"]
    code, out, _ = run(monkeypatch, capsys, argv)
    assert code == 1
    body = json.loads(out)
    assert body["runs_on"] == ["WIN-2019-A"]
    assert body["swarm"]["commands"][-1].startswith("docker service update --constraint-add")


def test_nodes_errors_exit_2(env, monkeypatch, capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"items": [1]}')
    code, _, err = run(monkeypatch, capsys, ["nodes", "--image-version", "ltsc2022", str(bad)])
    assert code == 2
    assert "nodes.items[0]" in err
    code, _, err = run(monkeypatch, capsys, ["nodes", "img", str(bad), "--image-version", "v"])
    assert code == 2 and "exactly one" in err


def test_matrix_cli(env, monkeypatch, capsys, ltsc2022):
    argv = ["matrix", "--image", ltsc2022, "--image-version", "10.0.17763.5329",
            "--host", "10.0.17763.6054", "--host", "10.0.20348.2700"]  # fmt: skip
    code, out, _ = run(monkeypatch, capsys, argv)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "1 of 2 images run on all 2 hosts; 1 run on some."
    assert lines[2].split()[1:] == ["no", "process"]
    assert lines[3].split()[2:] == ["process", "hyperv"]
    code, out, _ = run(monkeypatch, capsys, [*argv[:3], "--host", "10.0.20348.2700", "--json"])
    assert code == 0
    assert json.loads(out)["cells"][0][0]["runs"] is True
    code, _, err = run(monkeypatch, capsys, ["matrix", "--image", ltsc2022, "--host", "hyperv"])
    assert code == 2 and "hosts[0]" in err


def test_kubectl_pipe_in_a_real_process():
    """`kubectl get nodes -o json | wincompat nodes … -` as a shell runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WINCOMPAT_")}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "nodes", "--image-version", "ltsc2022", "-"],
        input=(NODES / "openshift-windows.yaml").read_text(),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "winworker-6k2mq" in done.stdout
    assert "key: os" in done.stdout
