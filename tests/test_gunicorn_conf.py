"""service/gunicorn_conf.py: settings follow the environment, the Prometheus multiprocess
directory is prepared before any worker exists, and both logs are JSON lines (checked on a real
gunicorn serving a probe app on loopback)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import SafeAtoms

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "service" / "gunicorn_conf.py"

ENV_NAMES = (
    "WEB_CONCURRENCY",
    "WINCOMPAT_THREADS",
    "WINCOMPAT_BIND",
    "WINCOMPAT_WORKER_TIMEOUT",
    "WINCOMPAT_GRACEFUL_TIMEOUT",
    "WINCOMPAT_KEEPALIVE",
    "WINCOMPAT_MAX_REQUESTS",
    "WINCOMPAT_MAX_REQUESTS_JITTER",
    "WINCOMPAT_REUSE_PORT",
    "WINCOMPAT_LOG_LEVEL",
    "PROMETHEUS_MULTIPROC_DIR",
)


def load_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """Execute a fresh copy of the config module with exactly `env` among its variables."""
    for name in ENV_NAMES:
        # setenv first so that monkeypatch restores the original state, even for a variable that
        # was absent and that the module then sets itself (PROMETHEUS_MULTIPROC_DIR).
        monkeypatch.setenv(name, "placeholder")
        if name in env:
            monkeypatch.setenv(name, env[name])
        else:
            monkeypatch.delenv(name)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", CONF)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gunicorn_settings(module: ModuleType) -> Config:
    """Apply the module the way gunicorn does (every attribute named like a setting)."""
    cfg = Config()
    applied = 0
    for name, value in vars(module).items():
        if name in cfg.settings:
            cfg.set(name, value)
            applied += 1
    assert applied >= 15
    return cfg


def test_settings_follow_environment(monkeypatch, tmp_path):
    conf = load_conf(
        monkeypatch,
        WEB_CONCURRENCY="3",
        WINCOMPAT_THREADS="12",
        WINCOMPAT_BIND="127.0.0.1:9999",
        WINCOMPAT_WORKER_TIMEOUT="90",
        WINCOMPAT_MAX_REQUESTS="500",
        WINCOMPAT_LOG_LEVEL="WARNING",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"),
    )
    cfg = gunicorn_settings(conf)
    assert cfg.workers == 3
    assert cfg.threads == 12
    assert cfg.bind == ["127.0.0.1:9999"]
    assert cfg.timeout == 90
    assert cfg.max_requests == 500
    assert cfg.max_requests_jitter == 50
    assert cfg.loglevel == "warning"
    assert conf.logconfig_dict["loggers"]["gunicorn.error"]["level"] == "WARNING"
    assert cfg.worker_class_str == "service.gunicorn_worker.ProblemThreadWorker"
    assert cfg.preload_app is False
    assert cfg.logger_class is conf.JsonLogger


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    cfg = gunicorn_settings(conf)
    assert cfg.workers == 7  # 2 * 3 cores + 1
    assert cfg.threads == 8
    assert cfg.bind == ["0.0.0.0:8080"]
    assert cfg.graceful_timeout == 30
    assert cfg.keepalive == 5
    assert cfg.max_requests == 0  # recycling throws each worker's cache away
    assert cfg.max_requests_jitter == 0
    assert cfg.reuse_port is True  # the kernel balances connections across workers
    assert cfg.accesslog == "-"
    assert cfg.errorlog == "-"


def test_default_workers_capped_at_eight(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(32)), raising=False)
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert conf.workers == 8


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEB_CONCURRENCY", "two"),
        ("WEB_CONCURRENCY", "0"),
        ("WINCOMPAT_THREADS", "-1"),
        ("WINCOMPAT_LOG_LEVEL", "chatty"),
    ],
)
def test_bad_values_are_named(monkeypatch, tmp_path, name, value):
    with pytest.raises(ValueError, match=name):
        load_conf(monkeypatch, **{name: value, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})


def test_multiproc_dir_created_when_unset(monkeypatch):
    conf = load_conf(monkeypatch)
    made = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    try:
        assert made == conf._CREATED_MULTIPROC_DIR
        assert os.path.isdir(made)
        assert os.listdir(made) == []
        conf.on_exit(SimpleNamespace())
        assert not os.path.exists(made)
    finally:
        if os.path.isdir(made):
            os.rmdir(made)


def test_multiproc_dir_given_is_created_cleaned_and_kept(monkeypatch, tmp_path):
    target = tmp_path / "nested" / "prometheus"
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(target))
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(target)
    assert target.is_dir()
    assert conf._CREATED_MULTIPROC_DIR is None

    (target / "counter_123.db").write_bytes(b"stale")
    (target / "gauge_livesum_123.db").write_bytes(b"stale")
    (target / "keep.txt").write_text("not a metrics file")
    messages: list[str] = []
    server = SimpleNamespace(log=SimpleNamespace(info=lambda msg, *a: messages.append(msg % a)))
    conf.on_starting(server)
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert "2 stale files removed" in messages[0]

    conf.on_exit(server)  # not ours: left in place
    assert target.is_dir()


def test_child_exit_marks_worker_dead(monkeypatch, tmp_path):
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    for name in ("gauge_livesum_4242.db", "gauge_liveall_4242.db", "counter_4242.db"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "gauge_livesum_777.db").write_bytes(b"x")
    conf.child_exit(SimpleNamespace(), SimpleNamespace(pid=4242))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "counter_4242.db",
        "gauge_livesum_777.db",
    ]


def _sample(conf: ModuleType, headers, user_agent: str, path: str, query: str):
    resp = SimpleNamespace(status="200 OK", sent=1234, headers=[("Content-Type", "x")])
    req = SimpleNamespace(headers=headers)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.1.2.3",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_USER_AGENT": user_agent,
    }
    return resp, req, environ


def test_access_log_line_is_json_even_for_hostile_values(monkeypatch, tmp_path):
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    cfg = gunicorn_settings(conf)
    logger = conf.JsonLogger(cfg)
    ua = 'curl/8 "quoted" back\\slash \x01 tab\t'
    path = '/compat"\\'
    resp, req, environ = _sample(
        conf, [("X-REQUEST-ID", 'rid-"1"')], ua, path, 'image=a"b&host=\\x'
    )
    atoms = logger.atoms(resp, req, environ, timedelta(seconds=1, microseconds=2500))
    line = cfg.access_log_format % conf._JsonAtoms(atoms)
    entry = json.loads(line)
    assert entry == {
        "time": entry["time"],
        "remote_addr": "10.1.2.3",
        "method": "GET",
        "path": path,
        "query": 'image=a"b&host=\\x',
        "status": 200,
        "bytes": 1234,
        "duration_ms": 1002.5,
        "user_agent": ua,
        "request_id": 'rid-"1"',
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])


def test_access_log_through_gunicorn_logger(monkeypatch, tmp_path):
    """The same through Logger.access, as a worker calls it; no body and no request id."""
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    cfg = gunicorn_settings(conf)
    logger = conf.JsonLogger(cfg)
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    handler = Capture()
    logger.access_log.addHandler(handler)
    try:
        resp, req, environ = _sample(conf, [], "probe", "/healthz", "")
        resp.sent = None
        logger.access(resp, req, environ, timedelta(microseconds=400))
    finally:
        logger.access_log.removeHandler(handler)
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["bytes"] is None
    assert entry["request_id"] == "-"
    assert entry["duration_ms"] == 0.4
    assert entry["path"] == "/healthz"


def test_request_id_falls_back_to_response_header(monkeypatch, tmp_path):
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    logger = conf.JsonLogger(gunicorn_settings(conf))
    resp, req, environ = _sample(conf, [], "probe", "/compat", "")
    resp.headers = [("X-Request-ID", "generated-1")]
    atoms = logger.atoms(resp, req, environ, timedelta(0))
    assert json.loads(conf.access_log_format % conf._JsonAtoms(atoms))["request_id"] == (
        "generated-1"
    )


def test_format_is_json_with_plain_gunicorn_atoms_too(monkeypatch, tmp_path):
    """Even rendered with gunicorn's stock SafeAtoms the template is JSON for ordinary values."""
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    sample = {
        "time": "2025-01-01T00:00:00.000Z",
        "h": "127.0.0.1",
        "m": "GET",
        "U": "/compat",
        "q": "image=x",
        "s": "200",
        "B": 12,
        "duration_ms": 3.5,
        "a": 'agent "x"',
        "request_id": "r1",
    }
    entry = json.loads(conf.access_log_format % SafeAtoms(sample))
    assert entry["status"] == 200
    assert entry["user_agent"] == 'agent "x"'


def test_json_formatter(monkeypatch, tmp_path):
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    try:
        raise RuntimeError('boom "x"')
    except RuntimeError:
        record = logging.LogRecord(
            "gunicorn.error", logging.ERROR, __file__, 1, "worker %s failed", ("w1",), None
        )
        record.exc_info = sys.exc_info()
    entry = json.loads(conf.JsonFormatter().format(record))
    assert entry["level"] == "error"
    assert entry["logger"] == "gunicorn.error"
    assert entry["message"] == "worker w1 failed"
    assert 'RuntimeError: boom "x"' in entry["exc_info"]


def test_importing_config_does_not_import_prometheus_client(tmp_path):
    code = (
        "import os, sys\n"
        "os.environ.pop('PROMETHEUS_MULTIPROC_DIR', None)\n"
        "import service.gunicorn_conf as c\n"
        "assert 'prometheus_client' not in sys.modules, 'imported too early'\n"
        "import prometheus_client.values as v\n"
        "assert os.path.isdir(os.environ['PROMETHEUS_MULTIPROC_DIR'])\n"
        "print(v.ValueClass.__name__)\n"
        "c.on_exit(None)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "MmapedValue"


PROBE_APP = """
import json, os
from prometheus_client import Counter, values

HITS = Counter("probe_hits_total", "requests seen by the probe app")


def app(environ, start_response):
    HITS.inc()
    body = json.dumps({
        "pid": os.getpid(),
        "multiproc_dir": os.environ.get("PROMETHEUS_MULTIPROC_DIR"),
        "value_class": values.ValueClass.__name__,
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
"""


def _wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def _json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_real_gunicorn_serves_with_json_logs_and_shared_metrics(tmp_path):
    (tmp_path / "probe_app.py").write_text(PROBE_APP)
    prom = tmp_path / "prom"
    prom.mkdir()
    (prom / "counter_99999.db").write_bytes(b"stale from an earlier run")
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    with socket.socket() as probe:  # each worker binds its own SO_REUSEPORT socket: no port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env.update(
        WEB_CONCURRENCY="2",
        WINCOMPAT_THREADS="2",
        WINCOMPAT_BIND=f"127.0.0.1:{port}",
        PROMETHEUS_MULTIPROC_DIR=str(prom),
    )
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as out_f, err.open("wb") as err_f:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:service.gunicorn_conf",
                "--pythonpath",
                str(tmp_path),
                "probe_app:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out_f,
            stderr=err_f,
        )
    try:
        booted: set[int] = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(booted) < 2:
            assert proc.poll() is None, err.read_text()
            for entry in _json_lines(err):
                match = re.search(r"Booting worker with pid: (\d+)", entry["message"])
                if match:
                    booted.add(int(match.group(1)))
            time.sleep(0.1)
        assert len(booted) == 2, err.read_text()
        _wait_listening(port)
        assert not (prom / "counter_99999.db").exists()

        hits = 12
        for i in range(hits):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/compat?image=a%22b&n={i}",
                headers={"X-Request-ID": f"req-{i}", "User-Agent": 'probe "ua"'},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                body = json.loads(response.read())
            assert body["multiproc_dir"] == str(prom)
            assert body["value_class"] == "MmapedValue"
            assert body["pid"] in booted

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(_json_lines(out)) < hits:
            time.sleep(0.1)
        access = _json_lines(out)
        assert len(access) == hits
        # Two workers share the pipe and log after answering: lines may swap places.
        access.sort(key=lambda a: int(a["request_id"].split("-")[1]))
        assert [a["request_id"] for a in access] == [f"req-{i}" for i in range(hits)]
        assert all(a["status"] == 200 and a["path"] == "/compat" for a in access)
        assert access[0]["query"] == "image=a%22b&n=0"
        assert access[0]["user_agent"] == 'probe "ua"'
        assert all(isinstance(a["duration_ms"], float) for a in access)

        from prometheus_client import CollectorRegistry
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(prom))
        assert registry.get_sample_value("probe_hits_total") == hits
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.read_text()
    errors = _json_lines(err)  # every stderr line is a JSON object
    assert {e["logger"] for e in errors} == {"gunicorn.error"}
    assert any("Shutting down: Master" in e["message"] for e in errors)
    assert prom.is_dir()  # given by the operator: kept
