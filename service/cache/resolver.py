"""Image reference -> ResolvedImage through the cache, asking the registry as little as possible.

Keys (the prefix is the metrics `kind`):
  tag:<reference>                       -> digest the tag points to, fresh for tag_ttl
  digest:<registry>/<repository>@<dgst> -> the ResolvedImage (immutable; LRU-evicted)
  negative:<reference>                  -> ImageNotFound detail, fresh for negative_ttl
  tags:<registry>/<repository>          -> the repository's tag list, fresh for tag_ttl
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from service.cache.backends import Cache, CacheEntry, LayeredCache, MemoryCache, RedisCache
from service.cache.redis_link import REDIS_COOLDOWN, RedisLink, connect_redis
from service.cache.serialise import decode_image, encode_image
from service.cache.singleflight import ClusterFlight, RedisLock, SingleFlight
from service.clock import SYSTEM, Clock
from service.compat.image import ResolvedImage
from service.config import Config
from service.registry.budget import ColdLimitExceeded, admit_cold, question_budget
from service.registry.errors import (
    ImageNotFound,
    RegistryRateLimited,
    RegistryTimeout,
    RegistryUnavailable,
)

# After a registry fails, its stale answers are served without asking it for this long, so a
# dead or black-holed registry does not cost every request its timeout.
FAILURE_BACKOFF = 5.0
IMMUTABLE_MAX_AGE = 86_400  # what an HTTP client may reuse an answer about a digest for
STALE_IF = (RegistryUnavailable, RegistryTimeout, RegistryRateLimited)  # transient failures


class Reference(Protocol):
    """What the resolver reads of an ImageReference; str() is the canonical reference."""

    @property
    def registry(self) -> str: ...
    @property
    def repository(self) -> str: ...
    @property
    def tag(self) -> str | None: ...
    @property
    def digest(self) -> str | None: ...


class ImageSource(Protocol):
    """What the resolver asks of service.registry.client.RegistryClient (or a test double)."""

    def resolve_digest(self, ref: Any) -> str: ...
    def fetch_image(self, ref: Any, digest: str) -> ResolvedImage: ...
    def list_tags(self, ref: Any) -> Any: ...  # service.registry.tags.TagList


@dataclass(frozen=True)
class Timings:
    """How long the resolver backs off and waits; tests shorten them, production keeps these."""

    failure_backoff: float = FAILURE_BACKOFF
    redis_cooldown: float = REDIS_COOLDOWN
    cluster_wait: float | None = None  # None: about one registry round (2 x timeout + 1 s)


@dataclass(frozen=True)
class Resolution:
    image: ResolvedImage
    cache_status: str  # "hit" | "miss" | "stale"
    age_seconds: int  # age of the tag->digest answer (0 on a miss)
    max_age: int  # seconds an HTTP client may reuse this answer (0 when stale)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Answer:
    """What a lookup or a registry round found; `entry` dates the answer."""

    image: ResolvedImage
    entry: CacheEntry
    status: str


class Resolver:
    """Thread-safe; one per process. With Redis (config.redis_url, or `redis_client` made by
    service.cache.redis_link.connect_redis) the in-process layer sits in front of it."""

    def __init__(
        self,
        client: ImageSource,
        config: Config,
        *,
        clock: Clock = SYSTEM,
        redis_client: Any = None,
        timings: Timings = Timings(),
    ) -> None:
        self._client = client
        self._config = config
        self._clock = clock
        self._timings = timings
        self._flights = SingleFlight()
        self._failed: dict[str, tuple[float, Exception]] = {}  # registry -> (until, failure)
        self._link: RedisLink | None = None
        # Every registry request of one question shares this; over it, registry-timeout.
        self._budget = 2 * config.registry_timeout
        memory = MemoryCache(config.cache_size, clock=clock, max_bytes=config.cache_bytes)
        self._cache: Cache = memory
        if redis_client is None and config.redis_url:
            redis_client = connect_redis(config.redis_url)
        if redis_client is not None:
            self._use_redis(memory, redis_client)

    def _use_redis(self, memory: MemoryCache, client: Any) -> None:
        cooldown = self._timings.redis_cooldown
        self._link = RedisLink(client, clock=self._clock, cooldown=cooldown)
        self._cache = LayeredCache(memory, RedisCache(self._link, clock=self._clock))
        # A leader sends a HEAD and maybe a GET; hold the lock about that long, wait as long.
        hold = self._timings.cluster_wait or 2 * self._config.registry_timeout + 1
        lock = RedisLock(self._link, ttl=hold)
        self._flights = SingleFlight(ClusterFlight(lock, wait=hold, clock=self._clock))

    def ready(self) -> bool:
        """False while a configured Redis does not answer a PING."""
        return self._link is None or self._link.ping()

    def close(self) -> None:
        if self._link is not None:
            self._link.close()

    def resolve(self, ref: Reference) -> Resolution:
        """Raises service.registry.errors.* as the client does (or a cached ImageNotFound)."""
        return self._by_digest(ref) if ref.digest else self._by_tag(ref)

    # -- tag references ---------------------------------------------------------------------

    def _by_tag(self, ref: Reference) -> Resolution:
        key = f"tag:{ref}"
        seen = self._cache.get(key)
        if seen is not None and seen.fresh(self._clock()):
            hit = self._cached_image(ref, seen)
            if hit is not None:
                return self._resolution(ref, hit)  # no registry request at all
        self._raise_if_missing(ref)
        failed = self._recent_failure(ref.registry)
        stale = self._stale(ref, seen, failed) if failed else None
        if stale is not None:
            return stale
        try:
            admit_cold()  # the per-client limit on questions that reach a registry
        except ColdLimitExceeded as exc:
            stale = self._stale(ref, seen, exc)  # an expired answer beats a 429
            if stale is None:
                raise
            return stale
        try:
            answer = self._flights.do(key, lambda: self._lookup_tag(ref) or self._fetch_tag(ref))
        except STALE_IF as exc:
            self._failed[ref.registry] = (self._clock() + self._timings.failure_backoff, exc)
            stale = self._stale(ref, seen, exc)
            if stale is None:
                raise
            return stale
        self._failed.pop(ref.registry, None)
        return self._resolution(ref, answer)

    def _recent_failure(self, registry: str) -> Exception | None:
        failed = self._failed.get(registry)
        return failed[1] if failed and failed[0] > self._clock() else None

    def _lookup_tag(self, ref: Reference) -> _Answer | None:
        """A fresh answer another process stored meanwhile (or its ImageNotFound)."""
        entry = self._cache.get(f"tag:{ref}")
        if entry is not None and entry.fresh(self._clock()):
            return self._cached_image(ref, entry)
        self._raise_if_missing(ref)
        return None

    def _fetch_tag(self, ref: Reference) -> _Answer:
        with self._remembering_missing(ref), question_budget(self._budget):
            digest = self._client.resolve_digest(ref)  # a HEAD
            image = self._image(ref, digest)
        ttl, keep = self._config.tag_ttl, max(self._config.tag_ttl, self._config.stale_ttl)
        entry = self._cache.set(f"tag:{ref}", digest, ttl=ttl, keep=keep)
        return _Answer(image, entry, "miss")

    def _cached_image(self, ref: Reference, tag_entry: CacheEntry) -> _Answer | None:
        image = self._image_from_cache(ref, str(tag_entry.value))
        return None if image is None else _Answer(image, tag_entry, "hit")

    def _stale(self, ref: Reference, seen: CacheEntry | None, exc: Exception) -> Resolution | None:
        """The expired answer, while it is younger than stale_ttl and its image is at hand."""
        now = self._clock()
        if seen is None or seen.age(now) >= self._config.stale_ttl:
            return None
        image = self._image_from_cache(ref, str(seen.value))
        if image is None:
            return None
        age = int(seen.age(now))
        warning = (
            f"Served a stale cached answer because {_what_failed(exc)}; the answer is"
            f" {_duration(age)} old and the tag may have moved since."
        )
        return Resolution(self._as_asked(ref, image), "stale", age, 0, (warning,))

    # -- tag lists (advice) -----------------------------------------------------------------

    def tags(self, ref: Reference) -> TagListing:
        """The repository's tags, cached like a tag (tag_ttl; stale while the registry fails)."""
        key = f"tags:{ref.registry}/{ref.repository}"
        seen = self._cache.get(key)
        now = self._clock()
        if seen is not None and seen.fresh(now):
            return _listing(seen, "hit", now)

        missing = self._cache.get(f"negative:{key}")
        if missing is not None and missing.fresh(now):
            raise ImageNotFound(str(missing.value))  # a typo cannot hammer the registry

        def fetch() -> CacheEntry:
            stored = self._cache.get(key)  # another replica's turn may have stored it
            if stored is not None and stored.fresh(self._clock()):
                return stored
            try:
                found = self._client.list_tags(ref)
            except ImageNotFound as exc:
                if self._config.negative_ttl > 0:
                    self._cache.set(f"negative:{key}", exc.detail, ttl=self._config.negative_ttl)
                raise
            value = {"tags": list(found.tags), "truncated": found.truncated}
            ttl, keep = self._config.tag_ttl, max(self._config.tag_ttl, self._config.stale_ttl)
            return self._cache.set(key, value, ttl=ttl, keep=keep)

        try:
            return _listing(self._flights.do(key, fetch), "miss", now)
        except STALE_IF:
            if seen is None or seen.age(now) >= self._config.stale_ttl:
                raise
            return _listing(seen, "stale", now)

    # -- digest references ------------------------------------------------------------------

    def _by_digest(self, ref: Reference) -> Resolution:
        digest = str(ref.digest)
        entry = self._cache.get(_digest_key(ref, digest))
        image = None if entry is None else _decode(entry)
        if entry is not None and image is not None:
            return self._resolution(ref, _Answer(image, entry, "hit"))
        self._raise_if_missing(ref)
        admit_cold()  # the per-client limit on questions that reach a registry
        with self._remembering_missing(ref), question_budget(self._budget):
            image = self._image(ref, digest)
        stored = CacheEntry.create(digest, self._clock(), ttl=None)
        return self._resolution(ref, _Answer(image, stored, "miss"))

    # -- shared steps -----------------------------------------------------------------------

    def _image(self, ref: Reference, digest: str) -> ResolvedImage:
        """From the digest cache, or one GET by digest per key (process and cluster), stored
        for good."""
        key = _digest_key(ref, digest)

        def work() -> ResolvedImage:
            cached = self._image_from_cache(ref, digest)  # an earlier turn's answer
            if cached is not None:
                return cached
            image = self._client.fetch_image(ref, digest)
            self._cache.set(key, encode_image(image), ttl=None)
            return image

        return self._image_from_cache(ref, digest) or self._flights.do(key, work)

    def _image_from_cache(self, ref: Reference, digest: str) -> ResolvedImage | None:
        entry = self._cache.get(_digest_key(ref, digest))
        return None if entry is None else _decode(entry)

    def _raise_if_missing(self, ref: Reference) -> None:
        entry = self._cache.get(f"negative:{ref}")
        if entry is not None and entry.fresh(self._clock()):
            raise ImageNotFound(str(entry.value))

    @contextmanager
    def _remembering_missing(self, ref: Reference) -> Iterator[None]:
        """An ImageNotFound raised inside is cached, so a typo cannot hammer the registry."""
        try:
            yield
        except ImageNotFound as exc:
            if self._config.negative_ttl > 0:
                self._cache.set(f"negative:{ref}", exc.detail, ttl=self._config.negative_ttl)
            raise

    def _resolution(self, ref: Reference, answer: _Answer) -> Resolution:
        now = self._clock()
        image = self._as_asked(ref, answer.image)
        age = 0 if answer.status == "miss" else int(answer.entry.age(now))
        if ref.digest:
            return Resolution(image, answer.status, age, IMMUTABLE_MAX_AGE)
        left = answer.entry.fresh_until - now
        max_age = IMMUTABLE_MAX_AGE if math.isinf(left) else max(0, int(left))
        return Resolution(image, answer.status, age, max_age)

    @staticmethod
    def _as_asked(ref: Reference, image: ResolvedImage) -> ResolvedImage:
        """The digest entry is shared by every tag pointing at it; name the one asked about."""
        reference = str(ref)
        if image.reference == reference:
            return image
        return dataclasses.replace(image, reference=reference)


@dataclass(frozen=True)
class TagListing:
    tags: tuple[str, ...]
    truncated: bool
    cache_status: str  # "hit" | "miss" | "stale"
    age_seconds: int


def _listing(entry: CacheEntry, status: str, now: float) -> TagListing:
    value = entry.value
    age = 0 if status == "miss" else int(entry.age(now))
    return TagListing(tuple(value["tags"]), bool(value["truncated"]), status, age)


def _digest_key(ref: Reference, digest: str) -> str:
    # The same digest in another repository is another image as far as access goes.
    return f"digest:{ref.registry}/{ref.repository}@{digest}"


def _decode(entry: CacheEntry) -> ResolvedImage | None:
    try:
        return decode_image(entry.value)
    except (KeyError, TypeError, ValueError):
        return None


def _what_failed(exc: Exception) -> str:
    if isinstance(exc, ColdLimitExceeded):
        return "this client reached its limit of questions that reach a registry"
    if isinstance(exc, RegistryTimeout):
        what = "the registry timed out"
    elif isinstance(exc, RegistryRateLimited):
        what = "the registry rate-limited us"
    else:
        what = "the registry is unavailable"
    detail = getattr(exc, "detail", "") or str(exc)
    return f"{what} ({detail})" if detail else what


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
