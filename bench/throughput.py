"""Part 1: cached /compat under gunicorn + wrk, against bare Flask under the same settings."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from common import BENCH, LOOPBACK, ROOT, free_port

WRK = "/usr/bin/wrk"
WRK_THREADS = 2
WRK_CONNECTIONS = 16
LUA = BENCH / "report.lua"
_WRK_JSON = re.compile(r"^WRK_JSON (\{.*\})$", re.MULTILINE)
_BOOTED = "Booting worker with pid"
_TICK = os.sysconf("SC_CLK_TCK")
IMBALANCED = 0.8  # busiest worker's share of the CPU time above which a run is lopsided


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


@dataclass(frozen=True)
class LoadRun:
    """One measured wrk run and the CPU time spent while it ran."""

    wrk: WrkResult
    worker_cpu: float  # seconds, all workers of the app under test
    wrk_cpu: float  # seconds, wrk itself
    other_cpu: float  # seconds the machine was busy outside those (other processes, kernel)
    restarts: int  # workers booted during the run (max_requests recycling, crashes)
    busiest: float  # share of the workers' CPU time used by the busiest worker
    text: str  # wrk's own output

    @property
    def imbalanced(self) -> bool:
        """One worker did nearly all the work: gthread let it accept nearly every connection."""
        return self.busiest > IMBALANCED

    @property
    def cpu_us_per_request(self) -> float:
        return self.worker_cpu / self.wrk.requests * 1e6 if self.wrk.requests else 0.0


def wrk_command(url: str, seconds: int) -> list[str]:
    return [
        WRK,
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(LUA),
        url,
    ]


def run_wrk(url: str, seconds: int) -> tuple[WrkResult, str]:
    """wrk's result (from report.lua's line) and its full text output."""
    assert url.startswith(f"http://{LOOPBACK}:"), url  # loopback only, always
    done = subprocess.run(
        wrk_command(url, seconds), capture_output=True, text=True, timeout=seconds + 30
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout), done.stdout


def parse_wrk(output: str) -> WrkResult:
    match = _WRK_JSON.search(output)
    if not match:
        raise RuntimeError(f"no WRK_JSON line in wrk output:\n{output}")
    data = json.loads(match[1])
    errors = {k: int(data[k]) for k in ("connect", "read", "write", "status", "timeout")}
    return WrkResult(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=errors,
    )


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / _TICK  # minus idle and iowait


def _process_cpu(pid: int, *, reaped: bool = False) -> float:
    """utime + stime of `pid`, or (reaped) of its children it has waited for."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    first = 13 if reaped else 11
    return (int(fields[first]) + int(fields[first + 1])) / _TICK


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds of each live worker, and of the workers the master has reaped so far."""

    workers: dict[int, float]
    reaped: float

    def busiest_share(self, later: CpuSnapshot) -> float:
        """The share of the live workers' CPU time that the busiest one used."""
        used = [cpu - self.workers.get(pid, 0.0) for pid, cpu in later.workers.items()]
        return max(used) / sum(used) if used and sum(used) > 0 else 0.0

    def until(self, later: CpuSnapshot) -> float:
        """Worker CPU seconds between the two snapshots, recycled workers included."""
        alive = sum(cpu - self.workers.get(pid, 0.0) for pid, cpu in later.workers.items())
        gone = sum(cpu for pid, cpu in self.workers.items() if pid not in later.workers)
        return alive + (later.reaped - self.reaped) - gone


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Gunicorn:
    """`gunicorn -c python:service.gunicorn_conf APP` on a free loopback port; a context manager
    that stops the master (and so its workers) on exit, killing its process group if need be."""

    def __init__(self, app: str, env: dict[str, str], workers: int) -> None:
        self.app = app
        self.port = free_port()
        self.base = f"http://{LOOPBACK}:{self.port}"
        self._env = {**env, "WINCOMPAT_BIND": f"{LOOPBACK}:{self.port}"}
        self._workers = workers
        self._log = Path(tempfile.mkstemp(prefix="wincompat-bench-gunicorn-", suffix=".log")[1])
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        command = [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf"]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [*command, self.app],
                cwd=ROOT,
                env=self._env,
                stdout=subprocess.DEVNULL,  # the JSON access log: written, then dropped
                stderr=log,
                start_new_session=True,
            )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        """Every worker booted and `path` answered 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            if self.booted() >= self._workers and self.get(path)[0] == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn {self.app} not ready in {timeout} s:\n{self.log_tail()}")

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, ConnectionError):
            return 0, b""

    def booted(self) -> int:
        """Workers booted so far, from gunicorn's error log."""
        return self._log.read_text(errors="replace").count(_BOOTED)

    def cpu(self) -> CpuSnapshot:
        """The workers' CPU time now (a worker the master has reaped counts in `reaped`)."""
        assert self._process is not None
        master = self._process.pid
        pids: list[int] = []
        for task in os.listdir(f"/proc/{master}/task"):
            with open(f"/proc/{master}/task/{task}/children") as children:
                pids += [int(p) for p in children.read().split()]
        return CpuSnapshot({p: _process_cpu(p) for p in pids}, _process_cpu(master, reaped=True))

    def _check_alive(self) -> None:
        if self._process is None or self._process.poll() is not None:
            raise RuntimeError(f"gunicorn {self.app} exited:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # our own group: master and workers
                process.wait(timeout=5)
        self._log.unlink(missing_ok=True)


def measured_run(server: Gunicorn, path: str, seconds: int) -> LoadRun:
    """One wrk run against `server`, with the CPU time of everyone involved."""
    booted, workers, children, busy = (
        server.booted(),
        server.cpu(),
        _children_cpu(),
        _machine_busy(),
    )
    result, text = run_wrk(server.base + path, seconds)
    after = server.cpu()
    worker_cpu = workers.until(after)
    wrk_cpu = _children_cpu() - children
    other = max(0.0, _machine_busy() - busy - worker_cpu - wrk_cpu)
    restarts = server.booted() - booted
    return LoadRun(result, worker_cpu, wrk_cpu, other, restarts, workers.busiest_share(after), text)
