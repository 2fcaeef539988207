"""One Redis client behind a circuit breaker, shared by the cache and the cluster lock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from service import logs
from service.clock import SYSTEM, Clock
from service.metrics import REDIS_ERRORS

log = logs.logger("cache")

KEY_PREFIX = "wincompat:v1:"
REDIS_TIMEOUT = 0.3  # seconds; a dead Redis must not stall requests
REDIS_COOLDOWN = 5.0  # seconds to skip Redis after a failure (circuit breaker)

T = TypeVar("T")


def connect_redis(url: str, *, timeout: float = REDIS_TIMEOUT) -> redis.Redis:
    """A client that fails fast: short socket timeouts and no retries (the breaker decides)."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )


class RedisLink:
    """A Redis client behind a circuit breaker. A failure is counted, logged once until Redis
    answers again, and Redis is skipped for `cooldown` seconds so requests don't each pay the
    timeout; then one caller probes while the others keep skipping."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        clock: Clock = SYSTEM,
        cooldown: float = REDIS_COOLDOWN,
        prefix: str = KEY_PREFIX,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self._clock = clock
        self._cooldown = cooldown
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0

    def key(self, name: str) -> str:
        return self.prefix + name

    @property
    def down(self) -> bool:
        return self._down

    def call(self, operation: str, fn: Callable[[redis.Redis], T], default: T) -> T:
        """fn(client), or `default` when Redis failed now or recently."""
        if self._down and not self._claim_probe():
            return default
        return self.call_now(operation, fn, default)

    def ping(self) -> bool:
        """A real PING, breaker or not: readiness must see a recovered Redis at once."""
        return self.call_now("ping", lambda r: bool(r.ping()), False)

    def call_now(self, operation: str, fn: Callable[[redis.Redis], T], default: T) -> T:
        """fn(client) even while the breaker is open; `default` if it fails."""
        try:
            result = fn(self.client)
        except (redis.RedisError, OSError) as exc:
            self._failed(operation, exc)
            return default
        self._answered()
        return result

    def close(self) -> None:
        self.client.close()

    def _claim_probe(self) -> bool:
        with self._lock:
            if self._clock() < self._retry_at:
                return False
            self._retry_at = self._clock() + self._cooldown
            return True

    def _failed(self, operation: str, exc: Exception) -> None:
        REDIS_ERRORS.labels(operation=operation).inc()
        with self._lock:
            was_down, self._down = self._down, True
            self._retry_at = self._clock() + self._cooldown
        if not was_down:
            log.warning(
                "Redis at %s failed on %s (%s: %s); using the in-process cache until it answers",
                self.describe(),
                operation,
                type(exc).__name__,
                exc,
            )

    def _answered(self) -> None:
        if not self._down:
            return
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            log.warning("Redis at %s answers again; shared cache resumed", self.describe())

    def describe(self) -> str:
        """Where Redis is, without the password a URL may carry."""
        kwargs = self.client.connection_pool.connection_kwargs
        if "path" in kwargs:
            return str(kwargs["path"])
        return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
