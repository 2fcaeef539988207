"""One small cache interface and its backends: in-process (TTL + LRU), Redis, and the two layered.

Values are JSON-ready (str, dict, list, numbers) so every backend holds the same thing. Each
entry carries its own times, measured from when the value was first fetched from the registry,
so a copy promoted from Redis into a process expires when the original does and replicas agree.
"""

from __future__ import annotations

import json
import math
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from cachetools import TLRUCache

from service import logs
from service.cache.redis_link import RedisLink
from service.clock import SYSTEM, Clock
from service.metrics import CACHE_EVENTS

log = logs.logger("cache")

REDIS_MAX_KEEP = 7 * 86_400  # Redis has no LRU bound of ours: even immutable values expire
ENTRY_MAX_BYTES = 1024 * 1024  # one value larger than this is not cached (in memory or Redis)
# Python objects of a decoded JSON value took ~1.2x its compact JSON length (tracemalloc, an
# image of 256 platforms); 2x leaves room for dict and string headers of smaller values.
_MEMORY_FACTOR = 2


def approximate_bytes(value: Any) -> int:
    """About what a JSON-ready value costs in memory."""
    if isinstance(value, str):
        return len(value) + 64
    return _MEMORY_FACTOR * len(json.dumps(value, separators=(",", ":"))) + 64


@dataclass(frozen=True)
class CacheEntry:
    """A cached value: fresh until `fresh_until`, kept (for stale-if-error) until `keep_until`."""

    value: Any
    stored_at: float
    fresh_until: float = math.inf
    keep_until: float = math.inf

    @classmethod
    def create(
        cls, value: Any, now: float, *, ttl: float | None, keep: float | None = None
    ) -> CacheEntry:
        """`ttl` None means immutable; `keep` (>= ttl) holds the value past its freshness."""
        if ttl is None:
            return cls(value, now)
        return cls(value, now, now + ttl, now + max(ttl, keep or 0))

    def fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def age(self, now: float) -> float:
        return max(0.0, now - self.stored_at)


class Cache(ABC):
    """get/put/delete by string key. The key's prefix up to ':' is its metrics `kind`."""

    layer = "memory"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    @abstractmethod
    def get(self, key: str) -> CacheEntry | None:
        """The entry, fresh or only kept (the caller checks `fresh`), or None."""

    @abstractmethod
    def put(self, key: str, entry: CacheEntry) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    def set(
        self, key: str, value: Any, *, ttl: float | None, keep: float | None = None
    ) -> CacheEntry:
        entry = CacheEntry.create(value, self.clock(), ttl=ttl, keep=keep)
        self.put(key, entry)
        return entry

    def _record(self, key: str, entry: CacheEntry | None, now: float) -> None:
        result = "miss" if entry is None else "hit" if entry.fresh(now) else "stale"
        CACHE_EVENTS.labels(layer=self.layer, kind=key.partition(":")[0], result=result).inc()


class MemoryCache(Cache):
    """In-process, thread-safe; bounded LRU whose entries also leave at `keep_until`.

    With `max_bytes`, the bound is in (approximate) bytes as well as entries: each entry counts
    at least max_bytes / maxsize, so neither bound can be exceeded; a value over
    ENTRY_MAX_BYTES is not kept at all."""

    layer = "memory"

    def __init__(
        self, maxsize: int, *, clock: Clock = SYSTEM, max_bytes: int | None = None
    ) -> None:
        super().__init__(clock)
        self._lock = threading.Lock()
        self._floor = max(1, (max_bytes or maxsize) // maxsize)
        self._entry_max = min(ENTRY_MAX_BYTES, max_bytes or ENTRY_MAX_BYTES)
        self._bounded = max_bytes is not None
        self._data: TLRUCache[str, CacheEntry] = TLRUCache(
            max_bytes or maxsize,
            ttu=lambda _key, entry, _now: entry.keep_until,
            timer=clock,
            getsizeof=self._size if self._bounded else None,
        )

    def _size(self, entry: CacheEntry) -> int:
        return min(self._data.maxsize, max(self._floor, approximate_bytes(entry.value)))

    @property
    def bytes_held(self) -> int:
        with self._lock:
            return int(self._data.currsize)

    def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._data.get(key)
        self._record(key, entry, self.clock())
        return entry

    def put(self, key: str, entry: CacheEntry) -> None:
        if self._bounded and approximate_bytes(entry.value) > self._entry_max:
            _too_large(self.layer, key)
            return
        with self._lock:
            self._data[key] = entry

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            self._data.expire()
            return len(self._data)


_UNANSWERED = object()


class RedisCache(Cache):
    """Entries as JSON under `wincompat:v1:<key>`, shared by every worker and replica."""

    layer = "redis"

    def __init__(
        self, link: RedisLink, *, clock: Clock = SYSTEM, max_keep: float = REDIS_MAX_KEEP
    ) -> None:
        super().__init__(clock)
        self._link = link
        self._max_keep = max_keep

    def get(self, key: str) -> CacheEntry | None:
        raw = self._link.call("get", lambda r: r.get(self._link.key(key)), _UNANSWERED)
        if raw is _UNANSWERED:
            return None  # counted in REDIS_ERRORS, not as a miss
        now = self.clock()
        entry = _decode_entry(key, raw) if raw is not None else None
        if entry is not None and entry.keep_until <= now:
            entry = None  # our clock, not Redis's, decides expiry
        self._record(key, entry, now)
        return entry

    def put(self, key: str, entry: CacheEntry) -> None:
        now = self.clock()
        px = int((min(entry.keep_until, now + self._max_keep) - now) * 1000)
        if px > 0:
            payload = _encode_entry(entry)
            if len(payload) > ENTRY_MAX_BYTES:
                _too_large(self.layer, key)
                return
            self._link.call("set", lambda r: r.set(self._link.key(key), payload, px=px), None)

    def delete(self, key: str) -> None:
        self._link.call("delete", lambda r: r.delete(self._link.key(key)), None)


class LayeredCache(Cache):
    """The in-process layer in front of Redis: a fresh local entry never asks Redis; a fresh
    Redis entry is copied in front with its original times."""

    def __init__(self, front: Cache, back: Cache) -> None:
        super().__init__(front.clock)
        self.front = front
        self.back = back

    def get(self, key: str) -> CacheEntry | None:
        now = self.clock()
        near = self.front.get(key)
        if near is not None and near.fresh(now):
            return near
        far = self.back.get(key)
        if far is not None and far.fresh(now):
            self.front.put(key, far)
            return far
        kept = [e for e in (near, far) if e is not None]
        return max(kept, key=lambda e: e.stored_at) if kept else None  # for stale-if-error

    def put(self, key: str, entry: CacheEntry) -> None:
        self.front.put(key, entry)
        self.back.put(key, entry)

    def delete(self, key: str) -> None:
        self.front.delete(key)
        self.back.delete(key)


def _too_large(layer: str, key: str) -> None:
    CACHE_EVENTS.labels(layer=layer, kind=key.partition(":")[0], result="too_large").inc()


def _time_out(value: float) -> float | None:
    return None if math.isinf(value) else value


def _time_in(value: float | None) -> float:
    return math.inf if value is None else float(value)


def _encode_entry(entry: CacheEntry) -> str:
    return json.dumps(
        {
            "v": entry.value,
            "t": entry.stored_at,
            "f": _time_out(entry.fresh_until),
            "k": _time_out(entry.keep_until),
        },
        separators=(",", ":"),
    )


def _decode_entry(key: str, raw: bytes | str) -> CacheEntry | None:
    try:
        data = json.loads(raw)
        return CacheEntry(data["v"], float(data["t"]), _time_in(data["f"]), _time_in(data["k"]))
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed Redis cache entry under %s", key)
        return None
