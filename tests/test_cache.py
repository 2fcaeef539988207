"""The cache layers: times, LRU bound, Redis round trips, layering, the Redis circuit breaker."""

from __future__ import annotations

import logging
import math
import threading

import pytest
import redis
from helpers import OCI_INDEX, FakeClock, free_port
from prometheus_client import REGISTRY

from service.cache.backends import CacheEntry, LayeredCache, MemoryCache, RedisCache
from service.cache.redis_link import KEY_PREFIX, RedisLink, connect_redis
from service.cache.serialise import decode_image, encode_image
from service.compat.image import Platform, ResolvedImage


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def events(layer: str, kind: str, result: str) -> float:
    return sample("wincompat_cache_events_total", layer=layer, kind=kind, result=result)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def link(redis_db, clock):
    link = RedisLink(connect_redis(redis_db.url), clock=clock)
    yield link
    link.close()


# -- entries and the in-process layer ----------------------------------------------------------


def test_entry_times() -> None:
    entry = CacheEntry.create("d", 100.0, ttl=10, keep=50)
    assert (entry.stored_at, entry.fresh_until, entry.keep_until) == (100.0, 110.0, 150.0)
    assert entry.fresh(109.9) and not entry.fresh(110.0)
    assert entry.age(130.0) == 30.0
    assert CacheEntry.create("d", 100.0, ttl=10).keep_until == 110.0  # keep defaults to ttl
    forever = CacheEntry.create("d", 100.0, ttl=None)
    assert forever.fresh_until == forever.keep_until == math.inf


def test_memory_entry_expires_at_its_ttl(clock: FakeClock) -> None:
    cache = MemoryCache(10, clock=clock)
    cache.set("tag:a", "sha256:1", ttl=300)
    clock.advance(299)
    entry = cache.get("tag:a")
    assert entry is not None and entry.fresh(clock()) and entry.value == "sha256:1"
    clock.advance(1)
    assert cache.get("tag:a") is None


def test_memory_keeps_an_expired_entry_until_keep(clock: FakeClock) -> None:
    cache = MemoryCache(10, clock=clock)
    cache.set("tag:a", "sha256:1", ttl=10, keep=100)
    clock.advance(50)
    entry = cache.get("tag:a")
    assert entry is not None and not entry.fresh(clock()) and entry.age(clock()) == 50
    clock.advance(50)
    assert cache.get("tag:a") is None


def test_memory_lru_bound_evicts_least_recently_used(clock: FakeClock) -> None:
    cache = MemoryCache(3, clock=clock)
    for name in "abc":
        cache.set(f"digest:{name}", name, ttl=None)
    assert cache.get("digest:a") is not None  # a is now the most recent; b the least
    cache.set("digest:d", "d", ttl=None)
    assert len(cache) == 3
    assert cache.get("digest:b") is None
    assert [cache.get(f"digest:{n}").value for n in "acd"] == ["a", "c", "d"]


def test_memory_counts_hit_stale_and_miss_by_kind(clock: FakeClock) -> None:
    cache = MemoryCache(10, clock=clock)
    before = [events("memory", "tag", r) for r in ("hit", "stale", "miss")]
    cache.set("tag:x", "d", ttl=10, keep=20)
    cache.get("tag:x")
    clock.advance(15)
    cache.get("tag:x")
    cache.get("tag:nothing")
    after = [events("memory", "tag", r) for r in ("hit", "stale", "miss")]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]


def test_memory_is_thread_safe_under_churn(clock: FakeClock) -> None:
    cache = MemoryCache(50, clock=clock)
    errors: list[BaseException] = []

    def churn(worker: int) -> None:
        try:
            for i in range(2000):
                cache.set(f"digest:{worker}:{i % 200}", i, ttl=None)
                cache.get(f"digest:{(worker + 1) % 8}:{i % 200}")
                if i % 50 == 0:
                    cache.delete(f"digest:{worker}:{i % 200}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=churn, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) <= 50


def test_codec_round_trip() -> None:
    image = ResolvedImage(
        "mcr.microsoft.com/windows/servercore:ltsc2022",
        "sha256:" + "a" * 64,
        OCI_INDEX,
        (
            Platform("windows", "amd64", "10.0.20348.2113", "sha256:" + "b" * 64),
            Platform("linux", "arm64", None, None, variant="v8"),
        ),
    )
    assert decode_image(encode_image(image)) == image


# -- Redis -------------------------------------------------------------------------------------


def test_redis_round_trip_keeps_times_under_prefix(redis_db, link, clock: FakeClock) -> None:
    cache = RedisCache(link, clock=clock)
    stored = cache.set("tag:docker.io/library/nginx:latest", "sha256:1", ttl=300, keep=86_400)
    clock.advance(100)
    entry = cache.get("tag:docker.io/library/nginx:latest")
    assert entry == stored
    assert entry.fresh(clock()) and entry.age(clock()) == 100
    assert redis_db.stored_keys() == [KEY_PREFIX + "tag:docker.io/library/nginx:latest"]
    with redis_db.client() as raw:
        ttl_ms = raw.pttl(KEY_PREFIX + "tag:docker.io/library/nginx:latest")
    assert 86_000_000 < ttl_ms <= 86_400_000  # Redis keeps it for stale-if-error


def test_redis_immutable_values_still_expire_eventually(redis_db, link, clock) -> None:
    cache = RedisCache(link, clock=clock, max_keep=3600)
    cache.set("digest:r/x@sha256:1", {"k": [1, 2]}, ttl=None)
    assert cache.get("digest:r/x@sha256:1").value == {"k": [1, 2]}
    with redis_db.client() as raw:
        assert 3_500_000 < raw.pttl(KEY_PREFIX + "digest:r/x@sha256:1") <= 3_600_000


def test_redis_entry_past_keep_is_absent_by_our_clock(link, clock: FakeClock) -> None:
    cache = RedisCache(link, clock=clock)
    cache.set("negative:x", "no such tag", ttl=60)
    clock.advance(61)  # Redis's own expiry runs on real time; ours decides
    assert cache.get("negative:x") is None


def test_redis_malformed_entry_is_a_miss(redis_db, link, clock, caplog) -> None:
    with redis_db.client() as raw:
        raw.set(KEY_PREFIX + "tag:bad", b"{not json")
    with caplog.at_level(logging.WARNING, logger="wincompat.cache"):
        assert RedisCache(link, clock=clock).get("tag:bad") is None
    assert "malformed" in caplog.text


# -- layering ----------------------------------------------------------------------------------


def test_layered_fresh_memory_entry_never_asks_redis(link, clock: FakeClock) -> None:
    memory, shared = MemoryCache(10, clock=clock), RedisCache(link, clock=clock)
    layered = LayeredCache(memory, shared)
    layered.set("tag:a", "sha256:1", ttl=300)
    shared.set("tag:a", "sha256:other", ttl=300)
    redis_before = sum(events("redis", "tag", r) for r in ("hit", "miss", "stale"))
    assert layered.get("tag:a").value == "sha256:1"
    assert sum(events("redis", "tag", r) for r in ("hit", "miss", "stale")) == redis_before


def test_layered_promotes_redis_entry_with_its_original_times(link, clock: FakeClock) -> None:
    shared = RedisCache(link, clock=clock)
    stored = shared.set("tag:a", "sha256:1", ttl=300)
    clock.advance(200)
    memory = MemoryCache(10, clock=clock)
    assert LayeredCache(memory, shared).get("tag:a") == stored
    local = memory.get("tag:a")
    assert local == stored  # expires 100 s from now, as in Redis, not 300
    clock.advance(100)
    assert memory.get("tag:a") is None


def test_layered_prefers_fresh_redis_over_stale_memory(link, clock: FakeClock) -> None:
    memory, shared = MemoryCache(10, clock=clock), RedisCache(link, clock=clock)
    layered = LayeredCache(memory, shared)
    memory.set("tag:a", "sha256:old", ttl=10, keep=1000)
    clock.advance(20)
    shared.set("tag:a", "sha256:new", ttl=300)
    assert layered.get("tag:a").value == "sha256:new"
    assert memory.get("tag:a").value == "sha256:new"


def test_layered_returns_newest_kept_entry_when_none_is_fresh(link, clock: FakeClock) -> None:
    memory, shared = MemoryCache(10, clock=clock), RedisCache(link, clock=clock)
    memory.set("tag:a", "sha256:older", ttl=10, keep=1000)
    clock.advance(5)
    shared.set("tag:a", "sha256:newer", ttl=10, keep=1000)
    clock.advance(50)
    entry = LayeredCache(memory, shared).get("tag:a")
    assert entry is not None and entry.value == "sha256:newer" and not entry.fresh(clock())


# -- the Redis circuit breaker -----------------------------------------------------------------


class BrokenRedis:
    """Stands in for redis.Redis: fails every call until `healthy`, counting calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.healthy = False
        self.connection_pool = type("Pool", (), {"connection_kwargs": {"host": "h", "port": 1}})

    def get(self, _key: str) -> bytes | None:
        self.calls += 1
        if not self.healthy:
            raise redis.ConnectionError("Connection refused")
        return None

    def ping(self) -> bool:
        return self.get("") is None


def redis_errors(operation: str) -> float:
    return sample("wincompat_redis_errors_total", operation=operation)


def test_breaker_counts_logs_once_and_skips_redis_during_cooldown(clock, caplog) -> None:
    client = BrokenRedis()
    link = RedisLink(client, clock=clock, cooldown=5)  # type: ignore[arg-type]
    cache = RedisCache(link, clock=clock)
    errors_before = redis_errors("get")
    with caplog.at_level(logging.WARNING, logger="wincompat.cache"):
        for _ in range(10):
            assert cache.get("tag:a") is None
        assert client.calls == 1 and link.down
        clock.advance(5)
        for _ in range(10):
            cache.get("tag:a")
        assert client.calls == 2  # one probe after the cooldown, then skipping again
        assert redis_errors("get") - errors_before == 2
        assert caplog.text.count("failed on get") == 1
        client.healthy = True
        clock.advance(5)
        cache.get("tag:a")
        cache.get("tag:a")
    assert client.calls == 4 and not link.down
    assert caplog.text.count("answers again") == 1


def test_ping_ignores_the_breaker_so_readiness_sees_recovery(clock) -> None:
    client = BrokenRedis()
    link = RedisLink(client, clock=clock, cooldown=60)  # type: ignore[arg-type]
    assert link.ping() is False and link.down
    client.healthy = True
    assert link.ping() is True and not link.down


def test_connect_redis_fails_fast_on_a_dead_port(clock) -> None:
    link = RedisLink(connect_redis(f"redis://127.0.0.1:{free_port()}/0"), clock=clock)
    try:
        assert RedisCache(link, clock=clock).get("tag:a") is None
        assert link.down and link.ping() is False
    finally:
        link.close()
