"""The command line as people use it: --version, --help, configuration errors, WINCOMPAT_BIND,
quiet output, exit codes by --isolation, and the status line on a terminal."""

from __future__ import annotations

import argparse
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from service.cli import main, parser, status

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("wincompat 0.")


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["serve", "--help"]])
def test_help_has_examples_and_exit_codes(capsys, argv):
    with pytest.raises(SystemExit):
        main(argv)
    out = capsys.readouterr().out
    assert "examples:" in out and "exit codes" in out


def _subparsers(top: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_subparsers(parser())))
def test_every_option_has_help(command):
    sub = _subparsers(parser())[command]
    missing = [a.dest for a in sub._actions if not a.help]
    assert not missing


BAD_VARIABLES = [
    pytest.param("WINCOMPAT_REGISTRY_TIMEOUT", "soon", id="number"),
    pytest.param("WINCOMPAT_REDIS_URL", "cache:6379", id="redis-url"),
    pytest.param("WINCOMPAT_DOCKER_CONFIG", "/nonexistent/config.json", id="docker-config"),
]


@pytest.mark.parametrize(("name", "value"), BAD_VARIABLES)
def test_check_with_a_bad_variable_is_one_line_and_exit_2(monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    code = main(["check", "--image-version", "ltsc2022", "--host", "10.0.20348.1"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith(f"error: {name}")


@pytest.mark.parametrize(
    ("name", "value"),
    [*BAD_VARIABLES, pytest.param("WINCOMPAT_THREADS", "many", id="gunicorn-setting")],
)
def test_serve_with_a_bad_variable_is_one_line_and_exit_2(name, value):
    done = _run("serve", **{name: value})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], done.stderr


def test_serve_honours_wincompat_bind(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WINCOMPAT_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "WINCOMPAT_GRACEFUL_TIMEOUT": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        deadline, answered = time.monotonic() + 20, None
        while time.monotonic() < deadline and answered is None and process.poll() is None:
            try:
                answered = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
            except requests.RequestException:
                time.sleep(0.1)
        assert answered == 200
    finally:
        process.terminate()
        process.wait(15)


@pytest.mark.parametrize(
    ("isolation", "code"),
    [pytest.param("any", 0, id="any"), pytest.param("process", 1, id="process")],
)
def test_exit_code_follows_isolation(capsys, isolation, code):
    argv = ["check", "--image-version", "10.0.17763.5329", "--host", "10.0.20348.2700"]
    assert main([*argv, "--isolation", isolation]) == code


@pytest.fixture
def pushed(registry, monkeypatch):
    registry.push_mcr_base("windows/servercore", "ltsc2022", "10.0.20348.473")
    monkeypatch.setenv("WINCOMPAT_ALLOWED_REGISTRIES", "")
    monkeypatch.setenv("WINCOMPAT_INSECURE_REGISTRIES", registry.host)
    return f"{registry.host}/windows/servercore:ltsc2022"


def test_check_prints_no_log_lines_unless_verbose(pushed, capsys):
    assert main(["check", pushed, "--host", "10.0.20348.2700"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == "" and quiet.out.startswith("Yes: ")
    assert main(["check", pushed, "--host", "10.0.20348.2700", "-v"]) == 0
    assert '"logger": "wincompat.registry"' in capsys.readouterr().err


def test_a_terminal_gets_a_status_line_while_the_registry_is_asked(pushed, monkeypatch):
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        monkeypatch.setattr(status, "STATUS_AFTER", 0.0)
        assert main(["check", pushed, "--host", "10.0.20348.2700"]) == 0
    shown = ""
    while select.select([master], [], [], 0.5)[0]:  # each write arrives as its own chunk
        shown += os.read(master, 4096).decode()
        if shown.endswith(status.CLEAR):
            break
    os.close(master)
    host = pushed.split("/", 1)[0]
    assert f"asking {host}…" in shown and shown.endswith(status.CLEAR)


def test_no_status_line_when_stderr_is_not_a_terminal(pushed, monkeypatch, capsys):
    monkeypatch.setattr(status, "STATUS_AFTER", 0.0)
    assert main(["check", pushed, "--host", "10.0.20348.2700"]) == 0
    assert "asking" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["nodes", "--image-version", "ltsc2022", "NODES"],
        ["matrix", "--image-version", "ltsc2022", "--host", "10.0.20348.1"],
        ["advise", "mcr.microsoft.com/windows/servercore", "--host", "10.0.20348.1"],
        ["check-files", "DOCKERFILE", "--host", "10.0.20348.1"],
        ["explain", "PASTE"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_command_names_a_bad_setting_in_one_line(argv, tmp_path, monkeypatch, capsys):
    nodes = tmp_path / "nodes.json"
    nodes.write_text('{"kind": "Node", "metadata": {"name": "n"}}')
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM mcr.microsoft.com/windows/servercore:ltsc2022\n")
    paste = tmp_path / "paste.txt"
    paste.write_text("docker: Error response from daemon: 0xc0370101\n")
    files = {"NODES": str(nodes), "DOCKERFILE": str(dockerfile), "PASTE": str(paste)}
    monkeypatch.setenv("WINCOMPAT_REGISTRY_TIMEOUT", "soon")
    assert main([files.get(a, a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "WINCOMPAT_REGISTRY_TIMEOUT" in err, err
