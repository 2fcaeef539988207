"""One real `wincompat serve`: gunicorn, its config module, workers, metrics across them."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from helpers import free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    port = free_port()
    env = {
        **os.environ,
        "WEB_CONCURRENCY": "2",
        "WINCOMPAT_THREADS": "4",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("prom")),
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "service.cli", "serve", "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()  # graceful: the master takes its workers down with it
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:  # the master binds before its workers have booted: wait for an answer
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    pytest.fail(f"wincompat serve did not come up: {process.stderr.read1().decode()[-2000:]}")


def test_serves_answers_and_problems(served):
    url, _ = served
    answer = requests.get(
        f"{url}/compat", params={"image_version": "ltsc2019", "host": "10.0.20348.2700"}, timeout=5
    )
    assert answer.status_code == 200
    assert answer.json()["recommended_isolation"] == "hyperv"
    text = requests.get(
        f"{url}/compat",
        params={"image_version": "10.0.20348.1", "host": "10.0.20348.5"},
        headers={"Accept": "text/plain"},
        timeout=5,
    )
    assert text.text.startswith("Yes: ")
    bad = requests.get(f"{url}/compat", params={"host": "hyperv", "image_version": "1"}, timeout=5)
    assert bad.status_code == 422
    assert bad.headers["Content-Type"] == "application/problem+json"


def test_metrics_aggregate_across_workers(served):
    url, _ = served
    session = requests.Session()
    for _ in range(40):  # new connections spread over both workers
        requests.get(f"{url}/healthz", timeout=5)
    text = session.get(f"{url}/metrics", timeout=5).text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("wincompat_http_requests_total{")
        and 'endpoint="/healthz"' in line
        and 'status="200"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) >= 40


def test_a_too_long_url_is_a_problem_json_414(served):
    url, _ = served
    r = requests.get(f"{url}/compat", params={"host": "1" * 9000, "image": "x"}, timeout=5)
    assert r.status_code == 414
    assert r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "/problems/invalid-request" and "POST" in body["detail"]


def test_a_413_closes_the_connection_and_the_next_request_works(served):
    url, _ = served
    port = int(url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    question = {"host": "10.0.20348.5", "image_version": "10.0.20348.1"}
    huge = json.dumps({**question, "pad": "x" * 200_000})
    conn.request("POST", "/compat", body=huge, headers={"Content-Type": "application/json"})
    first = conn.getresponse()
    first.read()
    assert first.status == 413
    assert first.getheader("Connection") == "close"
    assert first.will_close
    conn.request(
        "POST", "/compat", body=json.dumps(question), headers={"Content-Type": "application/json"}
    )
    second = conn.getresponse()  # http.client reopened the closed connection
    assert second.status == 200 and json.loads(second.read())["compatible"] is True
    conn.close()


def test_graceful_shutdown_and_json_access_log(served):
    url, process = served
    requests.get(f"{url}/healthz", headers={"X-Request-ID": "serve-test-1"}, timeout=5)
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    out = process.stdout.read().decode()
    access = [line for line in out.splitlines() if "serve-test-1" in line]
    assert access, out[-2000:]
    entry = json.loads(access[0])
    assert entry["status"] in (200, "200") and "/healthz" in json.dumps(entry)
