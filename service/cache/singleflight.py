"""Single-flight: one `work()` per key at a time, per process (threads) and, with a Redis lock,
per cluster. One path: `SingleFlight.do(key, work)`.

In-process, the first thread asking about a key leads and the others wait for its result or its
exception. With a cluster lock the leader then takes its turn across processes and replicas: a
short Redis lock (SET NX PX) lets one process run `work` at a time, the others wait a bounded
time for it to go and then run `work` themselves. `work` reads the shared cache before it asks
the registry, so a later turn finds the first one's answer; the flight never knows the cache.
"""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from service.cache.redis_link import RedisLink
from service.clock import SYSTEM, Clock
from service.metrics import SINGLEFLIGHT_WAITS

T = TypeVar("T")

LOCK_PREFIX = "lock:"
POLL_INTERVAL = 0.025  # seconds between looks at a Redis lock held by another process

# Delete the lock only if it is still ours: it may have expired and been taken by another.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass
class _Call(Generic[T]):
    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    error: BaseException | None = None


class SingleFlight:
    """Per key: one leader runs `fn` (in its cluster turn, given `cluster`); threads asking
    meanwhile get its result or its error."""

    def __init__(self, cluster: ClusterFlight | None = None) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, _Call] = {}
        self._cluster = cluster

    def do(self, key: str, fn: Callable[[], T]) -> T:
        with self._lock:
            call = self._calls.get(key)
            leader = call is None
            if call is None:
                call = self._calls[key] = _Call()
        if not leader:
            return self._wait(call)
        try:
            call.value = fn() if self._cluster is None else self._cluster.do(key, fn)
            return call.value
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._calls[key]
            call.done.set()

    @staticmethod
    def _wait(call: _Call[T]) -> T:
        SINGLEFLIGHT_WAITS.labels(scope="process").inc()
        call.done.wait()
        if call.error is not None:
            raise _private_copy(call.error)
        return call.value  # type: ignore[return-value]

    def in_flight(self) -> int:
        with self._lock:
            return len(self._calls)


def _private_copy(exc: BaseException) -> BaseException:
    """Each waiter raises its own copy, so concurrent raises don't share one __traceback__."""
    try:
        clone = copy.copy(exc)
    except Exception:
        return exc
    return clone.with_traceback(exc.__traceback__)


@dataclass(frozen=True)
class Held:
    """A lock we hold. `token` None: Redis could not be asked, so we lead without a lock."""

    name: str
    token: str | None


class RedisLock:
    """A short cluster-wide lock: SET NX PX with a random token, released only by its holder."""

    def __init__(self, link: RedisLink, *, ttl: float) -> None:
        self._link = link
        self._ttl_ms = max(1, int(ttl * 1000))
        self._release = link.client.register_script(_RELEASE)

    def _key(self, name: str) -> str:
        return self._link.key(LOCK_PREFIX + name)

    def acquire(self, name: str) -> Held | None:
        """Held when it is ours (or Redis is out of reach); None while another holds it."""
        token = secrets.token_hex(16)
        key = self._key(name)
        taken = self._link.call(
            "lock", lambda r: r.set(key, token, nx=True, px=self._ttl_ms), _UNANSWERED
        )
        if taken is _UNANSWERED:
            return Held(name, None)
        return Held(name, token) if taken else None

    def release(self, held: Held) -> None:
        if held.token is not None:
            key = self._key(held.name)
            self._link.call("unlock", lambda r: self._release([key], [held.token], r), None)

    def held(self, name: str) -> bool:
        """Whether anyone holds it; False when Redis cannot say, so waiters stop waiting."""
        key = self._key(name)
        return self._link.call("lock", lambda r: bool(r.exists(key)), False)


_UNANSWERED = object()


class ClusterFlight:
    """One `work()` per name at a time across the cluster, each waiting a bounded time."""

    def __init__(
        self, lock: RedisLock, *, wait: float, poll: float = POLL_INTERVAL, clock: Clock = SYSTEM
    ) -> None:
        self._lock = lock
        self._wait = wait
        self._poll = poll
        self._clock = clock

    def do(self, name: str, work: Callable[[], T]) -> T:
        """`work` in our turn: it finds in the cache what an earlier turn stored, or asks the
        registry and stores it. When the turn does not come in time, `work` anyway."""
        deadline = self._clock.monotonic() + self._wait
        counted = False
        while self._clock.monotonic() < deadline:
            held = self._lock.acquire(name)
            if held is not None:
                try:
                    return work()
                finally:
                    self._lock.release(held)
            if not counted:
                SINGLEFLIGHT_WAITS.labels(scope="cluster").inc()
                counted = True
            self._until_released(name, deadline)
        return work()  # the leader is too slow or gone: ask ourselves

    def _until_released(self, name: str, deadline: float) -> None:
        while self._clock.monotonic() < deadline and self._lock.held(name):
            self._clock.sleep(self._poll)
