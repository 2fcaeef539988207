"""A real `wincompat serve` (gunicorn, its config module, our worker class) against clients
that misbehave: slow bodies, broken chunking, oversized request lines and headers."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
BODY_TIMEOUT = 0.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, int]]:
    port = _free_port()
    env = {
        **os.environ,
        "WEB_CONCURRENCY": "2",
        "WINCOMPAT_THREADS": "4",
        "WINCOMPAT_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("prom")),
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "service.cli", "serve", "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            pytest.fail(f"serve did not come up: {process.stderr.read1().decode()[-2000:]}")
        yield url, port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def exchange(port: int, data: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (the server closes after an error)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
    return parse(received)


def parse(received: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def test_slow_bodies_do_not_starve_health_checks(server):
    """45 clients each sending one byte of a 100-byte body held every thread; /healthz
    stopped answering. Now each is cut off at the body deadline with a 408 problem."""
    url, port = server
    head = (
        b"POST /compat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    slow = []
    for _ in range(45):
        sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        sock.sendall(head)
        slow.append(sock)
    try:
        started = time.monotonic()
        health = requests.get(f"{url}/healthz", timeout=15)
        waited = time.monotonic() - started
        assert health.status_code == 200
        # 45 slow clients over 8 threads, each released after BODY_TIMEOUT: a few seconds.
        assert waited < 45 * BODY_TIMEOUT / 8 + 3
        status, headers, body = parse(slow[0].recv(65536))
        assert status == 408
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["type"] == "/problems/request-timeout"
    finally:
        for sock in slow:
            sock.close()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (
            b"POST /compat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
            400,
        ),
        (b"GET /compat?image=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-H%d: v\r\n" % i for i in range(150))
            + b"\r\n",
            431,
        ),
        (b"NOT A REQUEST LINE\r\n\r\n", 400),
        (
            b"POST /compat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10\r\n\r\n" + b"[" * 10,
            400,
        ),
    ],
    ids=["invalid-chunk-size", "uri-too-long", "too-many-headers", "bad-request-line", "json"],
)
def test_errors_the_server_itself_answers_are_problems(server, request_bytes, status):
    _, port = server
    got, headers, body = exchange(port, request_bytes)
    assert got == status
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == status
