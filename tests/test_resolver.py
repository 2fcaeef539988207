"""The resolver: cache hits cost the registry nothing; misses, negatives, stale-if-error,
single-flight per process and per cluster, and Redis dying mid-flight."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from helpers import OCI_INDEX, FakeClock, burst, sha256_digest, wait_until
from prometheus_client import REGISTRY

from service.cache.redis_link import KEY_PREFIX, RedisLink, connect_redis
from service.cache.resolver import (
    FAILURE_BACKOFF,
    IMMUTABLE_MAX_AGE,
    Resolution,
    Resolver,
    Timings,
)
from service.cache.singleflight import RedisLock
from service.clock import SYSTEM, Clock
from service.compat.image import Platform, ResolvedImage
from service.config import Config
from service.registry.errors import (
    ImageNotFound,
    RegistryAuthError,
    RegistryError,
    RegistryRateLimited,
    RegistryTimeout,
    RegistryUnavailable,
)


@dataclass(frozen=True)
class Ref:
    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        name = f"{self.registry}/{self.repository}"
        return f"{name}@{self.digest}" if self.digest else f"{name}:{self.tag}"


INDEX = OCI_INDEX
digest_of = sha256_digest


class FakeRegistry:
    """A recording double of RegistryClient: real ResolvedImage values, real error types."""

    def __init__(self) -> None:
        self.tags: dict[tuple[str, str], str] = {}
        self.images: dict[tuple[str, str], ResolvedImage] = {}
        self.calls: list[tuple[str, str]] = []
        self.failure: Callable[[], RegistryError] | None = None
        self.gate: Callable[[], object] = lambda: None  # runs inside each request
        self._lock = threading.Lock()

    def push(self, repo: str, tag: str, os_version: str) -> str:
        digest = digest_of(f"{repo}:{tag}:{os_version}")
        platform = Platform("windows", "amd64", os_version, digest_of(os_version))
        self.images[(repo, digest)] = ResolvedImage(f"{repo}:{tag}", digest, INDEX, (platform,))
        self.tags[(repo, tag)] = digest
        return digest

    def resolve_digest(self, ref: Ref) -> str:
        if ref.digest:
            return ref.digest  # no request, as the real client
        self._request("HEAD", str(ref))
        try:
            return self.tags[(_repo(ref), str(ref.tag))]
        except KeyError:
            raise ImageNotFound(f"{ref} not found") from None

    def fetch_image(self, ref: Ref, digest: str) -> ResolvedImage:
        self._request("GET", f"{_repo(ref)}@{digest}")
        try:
            return self.images[(_repo(ref), digest)]
        except KeyError:
            raise ImageNotFound(f"{_repo(ref)}@{digest} not found") from None

    def _request(self, method: str, what: str) -> None:
        with self._lock:
            self.calls.append((method, what))
        self.gate()
        if self.failure is not None:
            raise self.failure()

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for m, _ in self.calls if m == method)


def _repo(ref: Ref) -> str:
    return f"{ref.registry}/{ref.repository}"


REPO = "mcr.microsoft.com/windows/servercore"
LTSC2022 = Ref("mcr.microsoft.com", "windows/servercore", tag="ltsc2022")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry() -> FakeRegistry:
    reg = FakeRegistry()
    reg.push(REPO, "ltsc2022", "10.0.20348.2113")
    return reg


CONFIG = Config()
TIMINGS = Timings(cluster_wait=3.0, redis_cooldown=5.0)


@pytest.fixture
def make_resolver(registry: FakeRegistry, clock: FakeClock):
    made: list[Resolver] = []

    def make(
        config: Config = CONFIG, client: FakeRegistry | None = None, on: Clock | None = None
    ) -> Resolver:
        resolver = Resolver(client or registry, config, clock=on or clock, timings=TIMINGS)
        made.append(resolver)
        return resolver

    yield make
    for resolver in made:
        resolver.close()


def redis_config(url: str, **changes: object) -> Config:
    return Config(redis_url=url, **changes)


# -- one process, no Redis ---------------------------------------------------------------------


def test_miss_then_hit_costs_the_registry_nothing(make_resolver, registry, clock) -> None:
    resolver = make_resolver()
    first = resolver.resolve(LTSC2022)
    assert (first.cache_status, first.age_seconds, first.max_age) == ("miss", 0, 300)
    assert first.image.digest == registry.tags[(REPO, "ltsc2022")]
    assert first.image.platforms[0].os_version == "10.0.20348.2113"
    assert registry.calls == [("HEAD", str(LTSC2022)), ("GET", f"{REPO}@{first.image.digest}")]
    clock.advance(120)
    second = resolver.resolve(LTSC2022)
    assert second == Resolution(first.image, "hit", 120, 180, ())
    assert len(registry.calls) == 2
    assert resolver.ready() is True


def test_after_the_tag_ttl_one_head_and_no_get_for_a_known_digest(
    make_resolver, registry, clock
) -> None:
    resolver = make_resolver()
    resolver.resolve(LTSC2022)
    clock.advance(299)
    assert resolver.resolve(LTSC2022).max_age == 1
    clock.advance(1)
    again = resolver.resolve(LTSC2022)
    assert (again.cache_status, again.age_seconds, again.max_age) == ("miss", 0, 300)
    assert [m for m, _ in registry.calls] == ["HEAD", "GET", "HEAD"]


def test_a_moved_tag_is_seen_after_the_ttl(make_resolver, registry, clock) -> None:
    resolver = make_resolver()
    old = resolver.resolve(LTSC2022).image.digest
    new = registry.push(REPO, "ltsc2022", "10.0.20348.2700")
    clock.advance(100)
    assert resolver.resolve(LTSC2022).image.digest == old  # trusted for the TTL
    clock.advance(200)
    moved = resolver.resolve(LTSC2022)
    assert moved.image.digest == new != old
    assert moved.image.platforms[0].os_version == "10.0.20348.2700"
    assert [m for m, _ in registry.calls] == ["HEAD", "GET", "HEAD", "GET"]


def test_tag_ttl_comes_from_config(make_resolver, registry, clock) -> None:
    resolver = make_resolver(Config(tag_ttl=30))
    assert resolver.resolve(LTSC2022).max_age == 30
    clock.advance(30)
    assert resolver.resolve(LTSC2022).cache_status == "miss"
    assert registry.count("HEAD") == 2


def test_two_tags_on_one_digest_share_the_image_but_keep_their_names(
    make_resolver, registry
) -> None:
    registry.tags[(REPO, "latest")] = registry.tags[(REPO, "ltsc2022")]
    resolver = make_resolver()
    first = resolver.resolve(LTSC2022)
    latest = Ref("mcr.microsoft.com", "windows/servercore", tag="latest")
    second = resolver.resolve(latest)
    assert second.image.reference == str(latest)
    assert second.image.platforms == first.image.platforms
    assert [m for m, _ in registry.calls] == ["HEAD", "GET", "HEAD"]


def test_digest_reference_never_heads_and_is_immutable(make_resolver, registry, clock) -> None:
    digest = registry.tags[(REPO, "ltsc2022")]
    ref = Ref("mcr.microsoft.com", "windows/servercore", digest=digest)
    resolver = make_resolver()
    first = resolver.resolve(ref)
    assert (first.cache_status, first.max_age, first.image.reference) == (
        "miss",
        IMMUTABLE_MAX_AGE,
        str(ref),
    )
    clock.advance(7200)  # far past any tag TTL
    second = resolver.resolve(ref)
    assert (second.cache_status, second.age_seconds, second.max_age) == (
        "hit",
        7200,
        IMMUTABLE_MAX_AGE,
    )
    assert registry.calls == [("GET", f"{REPO}@{digest}")]


def test_same_digest_in_another_repository_is_asked_about(make_resolver, registry) -> None:
    digest = registry.tags[(REPO, "ltsc2022")]
    resolver = make_resolver()
    resolver.resolve(Ref("mcr.microsoft.com", "windows/servercore", digest=digest))
    other = Ref("mcr.microsoft.com", "windows/private", digest=digest)
    with pytest.raises(ImageNotFound):
        resolver.resolve(other)
    assert registry.count("GET") == 2


def test_not_found_is_remembered_for_the_negative_ttl(make_resolver, registry, clock) -> None:
    resolver = make_resolver()
    typo = Ref("mcr.microsoft.com", "windows/servercore", tag="ltsc2202")
    hits_before = sample(
        "wincompat_cache_events_total", layer="memory", kind="negative", result="hit"
    )
    with pytest.raises(ImageNotFound, match="ltsc2202"):
        resolver.resolve(typo)
    clock.advance(59)
    for _ in range(5):
        with pytest.raises(ImageNotFound, match="ltsc2202"):
            resolver.resolve(typo)
    assert registry.calls == [("HEAD", str(typo))]
    hits = sample("wincompat_cache_events_total", layer="memory", kind="negative", result="hit")
    assert hits - hits_before == 5
    clock.advance(1)
    registry.push(REPO, "ltsc2202", "10.0.20348.1")  # fixed upstream after a minute
    assert resolver.resolve(typo).cache_status == "miss"


def test_missing_digest_is_remembered_too(make_resolver, registry) -> None:
    ref = Ref("mcr.microsoft.com", "windows/servercore", digest=digest_of("nothing"))
    resolver = make_resolver()
    for _ in range(3):
        with pytest.raises(ImageNotFound):
            resolver.resolve(ref)
    assert registry.count("GET") == 1


# -- stale-if-error ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (lambda: RegistryUnavailable("503 from mcr.microsoft.com"), "unavailable (503 from"),
        (lambda: RegistryTimeout("no answer in 10 s"), "timed out (no answer in 10 s)"),
        (lambda: RegistryRateLimited("429", retry_after=30), "rate-limited us (429)"),
    ],
)
def test_registry_failure_serves_the_expired_answer_as_stale(
    make_resolver, registry, clock, failure, words
) -> None:
    resolver = make_resolver()
    fresh = resolver.resolve(LTSC2022)
    clock.advance(2 * 3600 + 5 * 60)
    registry.failure = failure
    stale = resolver.resolve(LTSC2022)
    assert (stale.cache_status, stale.age_seconds, stale.max_age) == ("stale", 7500, 0)
    assert stale.image == fresh.image
    [warning] = stale.warnings
    assert words in warning and "2 h 5 min old" in warning
    assert registry.count("HEAD") == 2  # it did try


@pytest.mark.parametrize(
    "failure",
    [lambda: ImageNotFound("tag deleted"), lambda: RegistryAuthError("401 after token")],
)
def test_definite_answers_are_not_papered_over_with_stale(
    make_resolver, registry, clock, failure
) -> None:
    resolver = make_resolver()
    resolver.resolve(LTSC2022)
    clock.advance(301)
    registry.failure = failure
    with pytest.raises(type(failure())):
        resolver.resolve(LTSC2022)


def test_stale_beyond_stale_ttl_raises_the_failure(make_resolver, registry, clock) -> None:
    resolver = make_resolver(Config(stale_ttl=3600))
    resolver.resolve(LTSC2022)
    registry.failure = lambda: RegistryTimeout("no answer")
    clock.advance(3599)
    assert resolver.resolve(LTSC2022).cache_status == "stale"
    clock.advance(1)
    with pytest.raises(RegistryTimeout):
        resolver.resolve(LTSC2022)


def test_stale_ttl_is_the_readers_even_for_an_answer_kept_longer(
    redis_db, make_resolver, registry, clock
) -> None:
    make_resolver(redis_config(redis_db.url)).resolve(LTSC2022)  # keeps it 24 h in Redis
    strict = make_resolver(redis_config(redis_db.url, stale_ttl=3600))
    clock.advance(7200)
    registry.failure = lambda: RegistryUnavailable("502")
    with pytest.raises(RegistryUnavailable):
        strict.resolve(LTSC2022)


def test_no_earlier_answer_means_the_failure(make_resolver, registry) -> None:
    registry.failure = lambda: RegistryUnavailable("connection refused")
    with pytest.raises(RegistryUnavailable, match="connection refused"):
        make_resolver().resolve(LTSC2022)


def test_registry_back_after_stale_gives_fresh_answers(make_resolver, registry, clock) -> None:
    resolver = make_resolver()
    resolver.resolve(LTSC2022)
    clock.advance(400)
    registry.failure = lambda: RegistryUnavailable("502")
    assert resolver.resolve(LTSC2022).cache_status == "stale"
    registry.failure = None
    clock.advance(FAILURE_BACKOFF)  # the back-off after a failure is over: ask again
    assert resolver.resolve(LTSC2022).cache_status == "miss"
    clock.advance(10)
    assert resolver.resolve(LTSC2022).cache_status == "hit"


def test_after_a_failure_stale_answers_spare_the_registry_for_a_while(
    make_resolver, registry, clock
) -> None:
    resolver = make_resolver()
    resolver.resolve(LTSC2022)
    clock.advance(400)
    registry.failure = lambda: RegistryTimeout("no answer")
    assert resolver.resolve(LTSC2022).cache_status == "stale"
    asked = len(registry.calls)
    for _ in range(5):  # each would otherwise wait out the registry's timeout again
        assert resolver.resolve(LTSC2022).cache_status == "stale"
    assert len(registry.calls) == asked
    clock.advance(FAILURE_BACKOFF)
    assert resolver.resolve(LTSC2022).cache_status == "stale"
    assert len(registry.calls) == asked + 1  # tried again once the back-off ended


def test_the_back_off_never_hides_a_failure_without_a_stale_answer(make_resolver, registry) -> None:
    resolver = make_resolver()
    registry.failure = lambda: RegistryTimeout("no answer")
    for _ in range(3):
        with pytest.raises(RegistryTimeout):
            resolver.resolve(LTSC2022)
    assert len(registry.calls) == 3


# -- single-flight in one process --------------------------------------------------------------


def test_burst_of_32_threads_costs_one_resolution(make_resolver, registry) -> None:
    resolver = make_resolver()
    start = sample("wincompat_singleflight_waits_total", scope="process")

    def hold_until_everyone_waits() -> None:
        if registry.count("HEAD") == 1:
            wait_until(
                lambda: sample("wincompat_singleflight_waits_total", scope="process") - start >= 31
            )

    registry.gate = hold_until_everyone_waits
    results = burst(32, lambda _: resolver.resolve(LTSC2022))
    assert all(isinstance(r, Resolution) for r in results), results
    assert {r.image.digest for r in results} == {registry.tags[(REPO, "ltsc2022")]}
    assert {r.cache_status for r in results} == {"miss"}
    assert [m for m, _ in registry.calls] == ["HEAD", "GET"]
    assert sample("wincompat_singleflight_waits_total", scope="process") - start == 31


def test_burst_shares_the_leaders_error(make_resolver, registry) -> None:
    resolver = make_resolver()
    start = sample("wincompat_singleflight_waits_total", scope="process")
    registry.failure = lambda: RegistryTimeout("slow registry")
    registry.gate = lambda: wait_until(
        lambda: sample("wincompat_singleflight_waits_total", scope="process") - start >= 15
    )
    results = burst(16, lambda _: resolver.resolve(LTSC2022))
    assert all(isinstance(r, RegistryTimeout) and r.detail == "slow registry" for r in results)
    assert registry.calls == [("HEAD", str(LTSC2022))]


# -- two replicas sharing one real Redis -------------------------------------------------------


def test_second_replica_answers_from_redis(redis_db, make_resolver, registry, clock) -> None:
    first, second = (
        make_resolver(redis_config(redis_db.url)),
        make_resolver(redis_config(redis_db.url)),
    )
    answer = first.resolve(LTSC2022)
    assert len(registry.calls) == 2
    assert KEY_PREFIX + f"tag:{LTSC2022}" in redis_db.stored_keys()
    clock.advance(200)
    redis_hits = sample("wincompat_cache_events_total", layer="redis", kind="tag", result="hit")
    shared = second.resolve(LTSC2022)
    assert (shared.cache_status, shared.age_seconds, shared.max_age) == ("hit", 200, 100)
    assert shared.image == answer.image
    assert len(registry.calls) == 2
    assert (
        sample("wincompat_cache_events_total", layer="redis", kind="tag", result="hit")
        == redis_hits + 1
    )
    clock.advance(100)  # the copy in the second replica expires with the original
    assert second.resolve(LTSC2022).cache_status == "miss"
    assert registry.count("HEAD") == 2
    assert first.resolve(LTSC2022).cache_status == "hit"  # and the first reads that refresh
    assert registry.count("HEAD") == 2


def test_negative_answers_are_shared_through_redis(redis_db, make_resolver, registry) -> None:
    replicas = [make_resolver(redis_config(redis_db.url)) for _ in range(3)]
    typo = Ref("mcr.microsoft.com", "windows/servercore", tag="ltsc2202")
    for resolver in replicas:
        with pytest.raises(ImageNotFound):
            resolver.resolve(typo)
    assert registry.count("HEAD") == 1


def test_one_resolution_cluster_wide(redis_db, make_resolver, registry) -> None:
    # Real time: the replicas' threads wait for each other, a fake clock would not let them.
    replicas = [make_resolver(redis_config(redis_db.url), on=SYSTEM) for _ in range(2)]
    cluster_start = sample("wincompat_singleflight_waits_total", scope="cluster")

    def hold_until_the_other_replica_waits() -> None:
        wait_until(
            lambda: sample("wincompat_singleflight_waits_total", scope="cluster") > cluster_start
        )

    registry.gate = hold_until_the_other_replica_waits
    results = burst(16, lambda i: replicas[i % 2].resolve(LTSC2022))
    assert all(isinstance(r, Resolution) for r in results), results
    assert {r.image.digest for r in results} == {registry.tags[(REPO, "ltsc2022")]}
    assert [m for m, _ in registry.calls] == ["HEAD", "GET"]
    assert sample("wincompat_singleflight_waits_total", scope="cluster") - cluster_start == 1
    assert not any(k.startswith(KEY_PREFIX + "lock:") for k in redis_db.stored_keys())


def test_redis_dying_mid_test_never_fails_a_request(
    redis_db, make_resolver, registry, clock, caplog
) -> None:
    resolver = make_resolver(redis_config(redis_db.url))
    resolver.resolve(LTSC2022)
    errors_before = sample("wincompat_redis_errors_total", operation="get")
    redis_db.stop()
    with caplog.at_level(logging.WARNING, logger="wincompat.cache"):
        assert resolver.resolve(LTSC2022).cache_status == "hit"  # memory in front
        clock.advance(301)
        for _ in range(5):
            assert resolver.resolve(LTSC2022).image.digest  # memory and the registry
        other = Ref("mcr.microsoft.com", "windows/servercore", tag="ltsc2019")
        registry.push(REPO, "ltsc2019", "10.0.17763.5122")
        assert resolver.resolve(other).cache_status == "miss"
        assert resolver.ready() is False
        assert resolver.ready() is False
        assert sample("wincompat_redis_errors_total", operation="get") > errors_before
        assert caplog.text.count("using the in-process cache") == 1  # once, not per request
        redis_db.start()
        assert resolver.ready() is True
        assert caplog.text.count("answers again") == 1
    assert registry.count("HEAD") == 3  # the first, the expired tag once, the new tag
    assert KEY_PREFIX + f"tag:{other}" not in redis_db.stored_keys()  # learnt while down
    clock.advance(301)
    assert resolver.resolve(other).cache_status == "miss"
    assert KEY_PREFIX + f"tag:{other}" in redis_db.stored_keys()  # shared again


def redis_attempts_failed() -> float:
    operations = ("get", "set", "delete", "lock", "unlock", "ping")
    return sum(sample("wincompat_redis_errors_total", operation=op) for op in operations)


def test_redis_breaker_spares_requests_the_timeout(make_resolver, registry, clock) -> None:
    with socket.socket() as silent:  # accepts connections, never answers: a hung Redis
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        resolver = make_resolver(redis_config(url))
        before = redis_attempts_failed()
        assert resolver.resolve(LTSC2022).cache_status == "miss"
        assert redis_attempts_failed() - before == 1  # one timeout, then the breaker skips
        for _ in range(20):
            assert resolver.resolve(LTSC2022).cache_status == "hit"
        assert redis_attempts_failed() - before == 1  # the cooldown has not passed: no tries
        clock.advance(TIMINGS.redis_cooldown)
        registry.push(REPO, "ltsc2019", "10.0.17763.5122")
        other = Ref("mcr.microsoft.com", "windows/servercore", tag="ltsc2019")
        assert resolver.resolve(other).cache_status == "miss"  # not in memory: Redis is asked
        assert redis_attempts_failed() - before == 2  # one probe after the cooldown, no more
        began = time.monotonic()
        assert resolver.ready() is False  # readiness pings even while the breaker is open
        assert time.monotonic() - began < 0.8  # the client's own socket timeout (0.3 s)
    assert redis_attempts_failed() - before == 3


def test_ready_without_redis_is_true(make_resolver) -> None:
    assert make_resolver().ready() is True


def test_cluster_wait_runs_on_the_resolvers_clock(redis_db, make_resolver, registry, clock) -> None:
    other = RedisLink(connect_redis(redis_db.url))  # another replica, stuck holding the lock
    try:
        stuck = RedisLock(other, ttl=30).acquire(f"tag:{LTSC2022}")
        assert stuck is not None and stuck.token is not None
        began = clock()
        assert make_resolver(redis_config(redis_db.url)).resolve(LTSC2022).cache_status == "miss"
        assert clock() - began == pytest.approx(TIMINGS.cluster_wait, abs=0.05)  # fake seconds
        assert clock.slept and registry.count("HEAD") == 1
    finally:
        other.close()
