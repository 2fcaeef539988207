"""Single-flight in one process (threads) and across processes (a Redis lock)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from helpers import FakeClock, burst, wait_until
from prometheus_client import REGISTRY

from service.cache.redis_link import RedisLink, connect_redis
from service.cache.singleflight import ClusterFlight, Held, RedisLock, SingleFlight
from service.registry.errors import RegistryRateLimited


def waits(scope: str) -> float:
    return REGISTRY.get_sample_value("wincompat_singleflight_waits_total", {"scope": scope}) or 0


# -- in-process --------------------------------------------------------------------------------


def burst_behind_one_leader(n: int, finish: Callable[[], str]) -> list[object]:
    """n threads ask about one key; the leader holds on until the n - 1 others wait (so the
    counts are exact), then finishes; returns what each thread got."""
    flights = SingleFlight()
    calls: list[int] = []
    start = waits("process")

    def work() -> str:
        calls.append(1)
        assert wait_until(lambda: waits("process") - start >= n - 1)
        return finish()

    results = burst(n, lambda _: flights.do("tag:x", work))
    assert len(calls) == 1
    assert waits("process") - start == n - 1
    assert flights.in_flight() == 0
    return results


def test_burst_of_32_threads_runs_the_work_once() -> None:
    assert burst_behind_one_leader(32, lambda: "sha256:1") == ["sha256:1"] * 32


def test_waiters_get_the_leaders_error_each_their_own_copy() -> None:
    def fail() -> str:
        raise RegistryRateLimited("429 from registry", retry_after=7)

    results = burst_behind_one_leader(8, fail)
    assert all(isinstance(r, RegistryRateLimited) for r in results)
    assert {(r.detail, r.retry_after) for r in results} == {("429 from registry", 7)}
    assert len({id(r) for r in results}) == 8


def test_nothing_is_remembered_after_the_flight_lands() -> None:
    flights = SingleFlight()
    counter = iter(range(100))
    assert flights.do("k", lambda: next(counter)) == 0
    assert flights.do("k", lambda: next(counter)) == 1
    with pytest.raises(ZeroDivisionError):
        flights.do("k", lambda: 1 // 0)
    assert flights.do("k", lambda: next(counter)) == 2


def test_different_keys_fly_at_the_same_time() -> None:
    flights = SingleFlight()
    both_in = threading.Barrier(2, timeout=2)

    def work(value: str) -> str:
        both_in.wait()  # would time out if the second key waited for the first
        return value

    results = burst(2, lambda _: flights.do(threading.current_thread().name, lambda: work("v")))
    assert results == ["v", "v"]


# -- the Redis lock ----------------------------------------------------------------------------


@pytest.fixture
def link(redis_db):
    link = RedisLink(connect_redis(redis_db.url))
    yield link
    link.close()


def test_lock_is_exclusive_until_released(redis_db, link) -> None:
    lock = RedisLock(link, ttl=5)
    held = lock.acquire("tag:x")
    assert held is not None and held.token is not None
    assert lock.acquire("tag:x") is None
    assert lock.held("tag:x")
    assert redis_db.stored_keys("wincompat:v1:lock:*") == ["wincompat:v1:lock:tag:x"]
    lock.release(held)
    assert not lock.held("tag:x")
    assert lock.acquire("tag:x") is not None


def test_lock_expires_and_a_late_release_spares_the_next_holder(link) -> None:
    lock = RedisLock(link, ttl=0.05)
    first = lock.acquire("tag:x")
    assert first is not None
    key = link.key("lock:tag:x")
    assert 0 < link.client.pttl(key) <= 50  # Redis will drop it after the lock's ttl
    link.client.delete(key)  # as Redis does then: no wall-clock wait
    assert not lock.held("tag:x")
    second = lock.acquire("tag:x")
    assert second is not None
    lock.release(first)  # its token no longer matches
    assert lock.held("tag:x")
    lock.release(second)
    assert not lock.held("tag:x")


def test_lock_without_redis_lets_the_caller_lead_alone(redis_db) -> None:
    link = RedisLink(connect_redis(redis_db.url))
    redis_db.stop()
    try:
        held = RedisLock(link, ttl=5).acquire("tag:x")
        assert held == Held("tag:x", None)
    finally:
        link.close()


# -- across processes --------------------------------------------------------------------------


@pytest.fixture
def two_links(redis_db):
    """Two connections, as two replicas would have."""
    links = [RedisLink(connect_redis(redis_db.url)) for _ in range(2)]
    yield links
    for link in links:
        link.close()


def test_cluster_waiter_reads_the_leaders_answer(two_links) -> None:
    flights = [ClusterFlight(RedisLock(link, ttl=5), wait=5) for link in two_links]
    shared: dict[str, str] = {}  # stands in for the Redis cache layer
    calls: list[int] = []
    start = waits("cluster")

    def work() -> str:
        calls.append(1)
        assert wait_until(lambda: waits("cluster") - start >= 1)  # the other is waiting
        shared["tag:x"] = "sha256:1"
        return "sha256:1"

    replica = iter(flights)
    replica_lock = threading.Lock()

    def ask(_: int) -> str:
        with replica_lock:
            flight = next(replica)
        return flight.do("tag:x", lambda: shared.get("tag:x") or work())

    assert burst(2, ask) == ["sha256:1", "sha256:1"]
    assert len(calls) == 1
    assert waits("cluster") - start == 1


def test_cluster_waiter_gives_up_after_the_bounded_wait(two_links) -> None:
    stuck = RedisLock(two_links[0], ttl=5).acquire("tag:x")  # a leader that never finishes
    assert stuck is not None
    clock = FakeClock()
    flight = ClusterFlight(RedisLock(two_links[1], ttl=5), wait=1.0, poll=0.25, clock=clock)
    assert flight.do("tag:x", lambda: "asked myself") == "asked myself"
    assert clock.slept == [0.25] * 4  # polled the held lock until the wait was over


def test_cluster_waiter_leads_when_the_leader_failed(two_links) -> None:
    other = RedisLock(two_links[0], ttl=5)
    failing = other.acquire("tag:x")
    assert failing is not None
    clock = FakeClock()
    polled = clock.sleep

    def poll_then_fail(seconds: float) -> None:
        polled(seconds)
        other.release(failing)  # the leader fails while we poll: it stores nothing

    clock.sleep = poll_then_fail
    flight = ClusterFlight(RedisLock(two_links[1], ttl=5), wait=5, poll=0.25, clock=clock)
    calls: list[int] = []
    assert flight.do("tag:x", lambda: calls.append(1) or "mine") == "mine"
    assert calls == [1]
    assert clock.slept == [0.25]  # one poll: the leader gave up, not the whole 5 s wait
    assert not RedisLock(two_links[1], ttl=5).held("tag:x")


def test_cluster_work_runs_holding_the_lock_and_releases_it(two_links) -> None:
    lock = RedisLock(two_links[0], ttl=5)
    flight = ClusterFlight(lock, wait=5)
    assert flight.do("tag:x", lambda: lock.held("tag:x")) is True
    assert not lock.held("tag:x")
    with pytest.raises(ZeroDivisionError):
        flight.do("tag:x", lambda: 1 // 0)
    assert not lock.held("tag:x")


def test_process_flight_takes_its_cluster_turn(two_links) -> None:
    lock = RedisLock(two_links[0], ttl=5)
    flights = SingleFlight(ClusterFlight(lock, wait=5))
    assert flights.do("tag:x", lambda: lock.held("tag:x")) is True
    assert flights.in_flight() == 0 and not lock.held("tag:x")
