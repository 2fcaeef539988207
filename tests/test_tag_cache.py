"""Tag lists in the resolver's cache: fresh for the tag TTL, stale while the registry fails,
shared through Redis. Real registry behind the paging front; an injected clock, no sleeps."""

from __future__ import annotations

import pytest
from helpers import FakeClock
from paging_front import PagingFront
from registry_harness import config_for

from service.cache.resolver import Resolver, Timings
from service.registry.client import RegistryClient
from service.registry.errors import ImageNotFound, RegistryUnavailable
from service.registry.reference import parse_reference
from service.registry.tags import TagBounds

TTL = 300


@pytest.fixture()
def front(registry):
    paging = PagingFront(registry.url)
    yield paging
    paging.close()


@pytest.fixture()
def repo(registry, front):
    name = registry.new_repo("windows/servercore")
    image = registry.push_mcr_base(name, "ltsc2022", "10.0.20348.2762")
    for tag in ("10.0.20348.2762", "ltsc2022-amd64", "1809", "latest"):
        registry.push_manifest(name, tag, image.body, image.media_type)
    return parse_reference(f"{front.host}/{name}")


def _resolver(front, clock, **extra):
    config = config_for(front, tag_ttl=TTL, stale_ttl=3600, registry_retries=0)
    client = RegistryClient(config, tag_bounds=TagBounds(page_size=2))
    return Resolver(client, config, clock=clock, timings=Timings(failure_backoff=0), **extra)


def test_fresh_for_the_tag_ttl_then_read_again(front, repo):
    clock = FakeClock()
    resolver = _resolver(front, clock)
    first = resolver.tags(repo)
    assert sorted(first.tags) == ["10.0.20348.2762", "1809", "latest", "ltsc2022", "ltsc2022-amd64"]
    assert first.cache_status == "miss" and len(front.pages) == 3  # pages of 2
    clock.advance(TTL - 1)
    assert resolver.tags(repo).cache_status == "hit" and len(front.pages) == 3
    clock.advance(2)
    assert resolver.tags(repo).cache_status == "miss" and len(front.pages) == 6


def test_stale_while_the_registry_fails_then_an_error(front, repo):
    clock = FakeClock()
    resolver = _resolver(front, clock)
    resolver.tags(repo)
    front.fail_tags = True
    clock.advance(TTL + 1)
    stale = resolver.tags(repo)
    assert stale.cache_status == "stale" and stale.age_seconds == TTL + 1
    assert len(stale.tags) == 5
    clock.advance(3600)
    with pytest.raises(RegistryUnavailable):
        resolver.tags(repo)


def test_second_replica_reads_the_list_from_redis(front, repo, redis_db):
    clock = FakeClock()
    first = _resolver(front, clock, redis_client=redis_db.client())
    second = _resolver(front, clock, redis_client=redis_db.client())
    first.tags(repo)
    pages = len(front.pages)
    assert second.tags(repo).cache_status == "hit" and len(front.pages) == pages


def test_unknown_repository_is_remembered_for_the_negative_ttl(front, registry):
    clock = FakeClock()
    resolver = _resolver(front, clock)
    ref = parse_reference(f"{front.host}/{registry.new_repo('missing/repo')}")
    for _ in range(3):
        with pytest.raises(ImageNotFound):
            resolver.tags(ref)
    assert len(front.pages) == 1
    clock.advance(61)  # past the default negative TTL of 60 s
    with pytest.raises(ImageNotFound):
        resolver.tags(ref)
    assert len(front.pages) == 2
