"""Gunicorn configuration: `gunicorn -c python:service.gunicorn_conf service.wsgi:app`.

Everything is read from the environment once, when gunicorn loads this module in the master:

- ``WEB_CONCURRENCY``: worker processes (default ``min(2 * cores + 1, 8)``).
- ``WINCOMPAT_THREADS``: threads per worker (default 8); registry I/O blocks a thread, not a worker.
- ``WINCOMPAT_BIND``: listen address (default ``0.0.0.0:8080``); ``-b`` on the command line wins.
- ``WINCOMPAT_WORKER_TIMEOUT`` (60), ``WINCOMPAT_GRACEFUL_TIMEOUT`` (30),
  ``WINCOMPAT_KEEPALIVE`` (5), ``WINCOMPAT_MAX_REQUESTS`` (0 = never recycle: a recycled
  worker throws its in-process cache away), ``WINCOMPAT_MAX_REQUESTS_JITTER`` (10% of max
  requests), ``WINCOMPAT_REUSE_PORT`` (1: each worker listens on its own SO_REUSEPORT socket, so
  the kernel spreads connections across workers), ``WINCOMPAT_LOG_LEVEL`` (info).
- ``PROMETHEUS_MULTIPROC_DIR``: where workers write their metric files; a fresh temporary
  directory is made (and exported to the workers) when it is unset.

The access log is one JSON object a line on stdout; gunicorn's own messages are JSON lines on
stderr. Module-level names without a leading underscore are gunicorn settings: gunicorn applies
every module attribute whose name is one of its settings, so helpers here start with ``_``.
"""

from __future__ import annotations

# PROMETHEUS_MULTIPROC_DIR must be in os.environ before anything imports prometheus_client:
# the library picks its value class (in-memory or shared files) at import time. This block runs
# first, in the master, and the workers (forked later, app not preloaded) inherit it.
import os
import tempfile

_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_CREATED_MULTIPROC_DIR: str | None = None

if os.environ.get(_MULTIPROC_ENV, "").strip():
    os.makedirs(os.environ[_MULTIPROC_ENV], exist_ok=True)
else:
    _CREATED_MULTIPROC_DIR = tempfile.mkdtemp(prefix="wincompat-prometheus-")
    os.environ[_MULTIPROC_ENV] = _CREATED_MULTIPROC_DIR

import glob  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from gunicorn.glogging import Logger as _GunicornLogger  # noqa: E402

from service.config import env_number  # noqa: E402
from service.logs import JsonFormatter  # noqa: E402  (the one JSON formatter, for gunicorn too)


def _int_env(name: str, default: int, *, minimum: int) -> int:
    return int(env_number(os.environ, name, default, minimum=minimum, kind=int))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _default_workers() -> int:
    return min(2 * _cores() + 1, 8)


# --- server socket and workers ---------------------------------------------------------------

bind = [os.environ.get("WINCOMPAT_BIND", "").strip() or "0.0.0.0:8080"]
workers = _int_env("WEB_CONCURRENCY", _default_workers(), minimum=1)
# gthread, with gunicorn's own 400/414/431 answers written as problem+json.
worker_class = "service.gunicorn_worker.ProblemThreadWorker"
threads = _int_env("WINCOMPAT_THREADS", 8, minimum=1)
timeout = _int_env("WINCOMPAT_WORKER_TIMEOUT", 60, minimum=1)
graceful_timeout = _int_env("WINCOMPAT_GRACEFUL_TIMEOUT", 30, minimum=0)
keepalive = _int_env("WINCOMPAT_KEEPALIVE", 5, minimum=0)
# Off: at load, 10,000 requests came every few seconds, each recycle emptied a worker's cache.
max_requests = _int_env("WINCOMPAT_MAX_REQUESTS", 0, minimum=0)
max_requests_jitter = _int_env("WINCOMPAT_MAX_REQUESTS_JITTER", max_requests // 10, minimum=0)
# Without it, gthread lets one worker accept nearly all keep-alive connections while the others
# idle; with it each worker has its own listening socket and the kernel balances new ones.
reuse_port = _int_env("WINCOMPAT_REUSE_PORT", 1, minimum=0) > 0
# Never import the app in the master: the workers must import prometheus_client themselves,
# after fork, with PROMETHEUS_MULTIPROC_DIR already set.
preload_app = False
proc_name = "wincompat"
# The heartbeat file is fchmod'ed every second; keep it in memory when the machine allows.
worker_tmp_dir = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
# gunicorn >= 25 opens a control socket under $HOME by default; the container's root filesystem
# is read-only and nothing here uses it.
control_socket_disable = True


# --- request limits ----------------------------------------------------------------------------

# gunicorn's longest request line; a longer one (a host paste in a GET URL) gets the
# problem+json 414 of service/gunicorn_worker.py, saying to POST it, not gunicorn's HTML page.
limit_request_line = 8190


# --- logging ---------------------------------------------------------------------------------

loglevel = os.environ.get("WINCOMPAT_LOG_LEVEL", "").strip().lower() or "info"
if loglevel not in {"debug", "info", "warning", "error", "critical"}:
    raise ValueError(
        f"WINCOMPAT_LOG_LEVEL must be debug, info, warning, error or critical, not {loglevel!r}"
    )
accesslog = "-"
errorlog = "-"

# Quoted placeholders are strings, JSON-escaped by _JsonAtoms; bare ones are numbers or null.
access_log_format = (
    "{"
    '"time": "%(time)s", '
    '"remote_addr": "%(h)s", '
    '"method": "%(m)s", '
    '"path": "%(U)s", '
    '"query": "%(q)s", '
    '"status": %(s)s, '
    '"bytes": %(B)s, '
    '"duration_ms": %(duration_ms)s, '
    '"user_agent": "%(a)s", '
    '"request_id": "%(request_id)s"'
    "}"
)

_NUMERIC_ATOMS = frozenset({"s", "B", "T", "D", "M", "duration_ms"})


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _JsonAtoms(dict):
    """Access-log atoms made safe for a JSON template.

    Like gunicorn's SafeAtoms (header keys are case-insensitive, unknown atoms give ``-``), but a
    string comes out JSON-escaped without its quotes (the template supplies them), so a quote,
    backslash or control character in a path, query or user agent cannot break the line, and a
    numeric atom comes out as a JSON number, or ``null`` when gunicorn has no value.
    """

    def __init__(self, atoms: dict[str, object]) -> None:
        super().__init__((k.lower() if k.startswith("{") else k, v) for k, v in atoms.items())

    def __getitem__(self, key: str) -> str:
        lookup = key.lower() if key.startswith("{") else key
        value = self.get(lookup)
        if lookup in _NUMERIC_ATOMS:
            if isinstance(value, bool) or value is None:
                return "null"
            if isinstance(value, int | float):
                return json.dumps(value)
            try:
                return json.dumps(int(str(value).strip()))
            except ValueError:
                return "null"
        if value is None:
            return "-"
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        return json.dumps(str(value))[1:-1]


class JsonLogger(_GunicornLogger):
    """gunicorn's logger with two more access-log atoms (ISO time, fractional milliseconds), a
    request id taken from the request's ``X-Request-ID`` (or, failing that, the response's), and
    atoms escaped for the JSON ``access_log_format``."""

    atoms_wrapper_class = _JsonAtoms

    def atoms(self, resp, req, environ, request_time):  # type: ignore[override]
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["time"] = _iso_now()
        atoms["duration_ms"] = round(request_time.total_seconds() * 1000, 3)
        atoms["request_id"] = atoms.get("{x-request-id}i") or atoms.get("{x-request-id}o")
        return atoms


logger_class = JsonLogger
_LEVEL = loglevel.upper()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": JsonFormatter},
        # Access-log messages are already JSON (access_log_format).
        "message": {"format": "%(message)s"},
    },
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
        "access_console": {
            "class": "logging.StreamHandler",
            "formatter": "message",
            "stream": "ext://sys.stdout",
        },
    },
    "root": {"level": _LEVEL, "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {"level": _LEVEL, "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access_console"], "propagate": False},
    },
}


# --- server hooks ----------------------------------------------------------------------------


def _clean_multiproc_dir(path: str) -> int:
    """Remove metric files left by a previous run; returns how many were removed."""
    removed = 0
    for stale in glob.glob(os.path.join(path, "*.db")):
        try:
            os.remove(stale)
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def on_starting(server) -> None:
    """Master start: the multiprocess directory exists and holds no stale worker files (a
    restarted container keeps its emptyDir, and dead pids' counters would be summed again)."""
    from service.app import start_problem

    problem = start_problem()  # e.g. a malformed WINCOMPAT_KNOWN_PROBLEMS: stop, one line
    if problem:
        server.log.error(problem)
        sys.exit(2)
    path = os.environ[_MULTIPROC_ENV]
    os.makedirs(path, exist_ok=True)
    removed = _clean_multiproc_dir(path)
    server.log.info("prometheus multiprocess directory %s (%d stale files removed)", path, removed)


def child_exit(server, worker) -> None:
    """A worker exited: drop its live gauges from the aggregate (counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """Master exit: remove the multiprocess directory if this module made it."""
    if _CREATED_MULTIPROC_DIR and os.environ.get(_MULTIPROC_ENV) == _CREATED_MULTIPROC_DIR:
        shutil.rmtree(_CREATED_MULTIPROC_DIR, ignore_errors=True)
