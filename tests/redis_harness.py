"""Real redis-server on 127.0.0.1 for tests.

Fixtures:
  redis_server  session-wide RedisServer (started once, killed at the end)
  redis_db      per test: the same server, running and flushed, so tests never see each
                other's keys; a test may .stop() and .start() it (same port) mid-test
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from helpers import free_port
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ["RedisServer", "redis_db", "redis_server"]

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """One redis-server process without persistence, in its own directory."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 5.0) -> None:
        if self.running:
            return
        self._process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_for_ping(timeout)

    def _wait_for_ping(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self._log_tail()}")
            if self.ping():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer PING in {timeout} s: {self._log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()  # no persistence to flush, and the port must free at once
        process.wait(timeout=5)

    def ping(self) -> bool:
        with self.client(timeout=0.2) as client:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

    def client(self, timeout: float = 1.0) -> redis.Redis:
        """A fresh client; close it (or use it in `with`)."""
        return redis.Redis.from_url(
            self.url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # redis-py retries with backoff by default
        )

    def flush(self) -> None:
        with self.client() as client:
            client.flushall()

    def stored_keys(self, pattern: str = "*") -> list[str]:
        with self.client() as client:
            return sorted(k.decode() for k in client.keys(pattern))

    def _log_tail(self) -> str:
        log = self.workdir / "redis.log"
        return log.read_text()[-2000:] if log.exists() else "(no log)"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_db(redis_server: RedisServer) -> Iterator[RedisServer]:
    redis_server.start()  # a previous test may have stopped it
    redis_server.flush()
    yield redis_server
    redis_server.start()
