"""The in-process cache is bounded in bytes as well as entries (WINCOMPAT_CACHE_BYTES), keeps no
value over ENTRY_MAX_BYTES, and an answer keeps at most MAX_PLATFORMS platforms."""

from __future__ import annotations

import json

import pytest
from helpers import FakeClock
from hostile_harness import sha

from service.cache.backends import ENTRY_MAX_BYTES, CacheEntry, MemoryCache, approximate_bytes
from service.cache.resolver import Resolver
from service.config import Config
from service.registry.client import MAX_PLATFORMS, RegistryClient
from service.registry.reference import parse_reference

DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_IMAGE = "application/vnd.docker.distribution.manifest.v2+json"
MiB = 1024 * 1024


def put(cache: MemoryCache, key: str, value) -> None:
    cache.put(key, CacheEntry.create(value, cache.clock(), ttl=None))


@pytest.mark.parametrize(
    ("maxsize", "max_bytes", "values", "most_entries"),
    [
        (1000, MiB, [{"v": "x" * 100_000}] * 40, 10),  # bytes bind first
        (10, 64 * MiB, ["tiny"] * 40, 10),  # entries bind first
    ],
    ids=["bytes", "entries"],
)
def test_both_bounds_hold(maxsize, max_bytes, values, most_entries):
    cache = MemoryCache(maxsize, clock=FakeClock(), max_bytes=max_bytes)
    for i, value in enumerate(values):
        put(cache, f"digest:{i}", value)
    assert cache.bytes_held <= max_bytes
    assert 0 < len(cache) <= most_entries
    assert cache.get(f"digest:{len(values) - 1}") is not None  # LRU keeps the newest


def test_a_value_over_the_entry_cap_is_not_kept():
    cache = MemoryCache(100, clock=FakeClock(), max_bytes=64 * MiB)
    huge = {"platforms": ["p" * 1000] * (ENTRY_MAX_BYTES // 1000)}
    assert approximate_bytes(huge) > ENTRY_MAX_BYTES
    put(cache, "digest:huge", huge)
    assert cache.get("digest:huge") is None
    put(cache, "digest:small", {"platforms": []})
    assert cache.get("digest:small") is not None


def _big_list(hostile, n: int, salt: str) -> str:
    """A Docker list of n Linux entries and 3 Windows ones (~380 bytes an entry)."""
    entries = [
        {
            "mediaType": DOCKER_IMAGE,
            "size": 1,
            "digest": sha(f"{salt}-{i}".encode()),
            "platform": {"os": "linux", "architecture": "amd64", "variant": "v" * 150},
        }
        for i in range(n)
    ]
    entries += [
        {
            "mediaType": DOCKER_IMAGE,
            "size": 1,
            "digest": sha(f"{salt}-win-{i}".encode()),
            "platform": {"os": "windows", "architecture": "amd64", "os.version": f"10.0.2034{i}.1"},
        }
        for i in range(3)
    ]
    body = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": entries})
    return hostile.serve_index(body.encode(), tag=salt)


def test_big_lists_fill_the_cache_only_up_to_its_bytes(hostile):
    config = Config(
        allowed_registries=(),
        insecure_registries=(hostile.host,),
        max_manifest_bytes=4 * MiB,
        cache_bytes=300_000,
        registry_retries=0,
    )
    resolver = Resolver(RegistryClient(config), config)
    for round_ in range(4):  # 4 distinct lists of ~3.8 MB each
        _big_list(hostile, 10_000, f"t{round_}")
        image = resolver.resolve(parse_reference(f"{hostile.host}/app:t{round_}")).image
        assert len(image.platforms) == MAX_PLATFORMS
        windows = [p for p in image.platforms if p.is_windows]
        assert len(windows) == 3  # the platforms an answer needs are the ones kept
    memory = resolver._cache  # no Redis here: the memory layer itself
    assert memory.bytes_held <= 300_000
