"""A real `wincompat serve` (gunicorn) on a free 127.0.0.1 port, for tests that need the
service as users run it: the browser and MCP tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Until `url` answers 200 (any HTTP answer for a non-200 check) or the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    err = process.stderr.read1().decode() if process.stderr else ""
    pytest.fail(f"{process.args} did not come up: {err[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextmanager
def running(args: list[str], probe: str, env: dict | None = None) -> Iterator[subprocess.Popen]:
    """`python -m service.cli ARGS` until the block ends; `probe` is the URL that says it is up."""
    command = [sys.executable, "-m", "service.cli", *args]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    process = subprocess.Popen(
        command, env=full_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for(probe, process)
        yield process
    finally:
        stop(process)


@pytest.fixture(scope="module")
def wincompat_url(tmp_path_factory) -> Iterator[str]:
    url = f"http://127.0.0.1:{free_port()}"
    env = {"WEB_CONCURRENCY": "1", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("prom"))}
    with running(["serve", "--bind", url.removeprefix("http://")], f"{url}/healthz", env):
        yield url


__all__ = ["free_port", "running", "stop", "wait_for", "wincompat_url"]
