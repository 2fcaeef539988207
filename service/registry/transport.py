"""One bounded HTTP exchange with a registry: guard, timeouts, size cap, retries, redirects.

Every request passes the guard first (every redirect hop too) and is sent to the URL the guard
parsed, connected to the address it checked. Each exchange has a total deadline (headers and
body: the registry timeout, or what is left of the question's budget), and its body is read in
small pieces under a size cap. Connection failures and 5xx are retried a few times; 429 honours
a short Retry-After. Time comes from an injected clock and sleep.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import requests
import urllib3

from service import logs, metrics
from service.config import Config
from service.registry import budget
from service.registry.errors import RegistryRateLimited, RegistryTimeout, RegistryUnavailable
from service.registry.guard import Guard, Target, refuse_ambiguous
from service.registry.pinning import PinnedAdapter, Watch, exchange

log = logs.logger("registry")

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
POOL_SIZE = 32  # connections kept per host: enough for gunicorn's threaded workers
BACKOFF_BASE = 0.1
BACKOFF_MAX = 2.0
READ_CHUNK = 16 * 1024
RETRY_AFTER_CAP = 86_400.0  # longer waits are as good as "not now"
_PRINTABLE = re.compile(r"[^\x20-\x7e]+")
_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")  # str.isdigit() accepts "²", which int() refuses


@dataclass(frozen=True)
class Reply:
    """A response read in full (within bounds); the connection is already released."""

    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    url: str


class _ConnectionFailed(Exception):
    """Retryable: could not connect, or the connection broke mid-response."""


def new_session(pool_size: int = POOL_SIZE) -> requests.Session:
    """A pooled session that ignores .netrc (it would replace our Authorization headers)."""
    session = requests.Session()
    session.trust_env = False
    # Manifests are small; compressed bodies would only let a tiny reply inflate in memory.
    session.headers.update({"Accept-Encoding": "identity", "User-Agent": "wincompat"})
    adapter = PinnedAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if bundle := os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE"):
        session.verify = bundle
    return session


_shared: tuple[int, requests.Session] | None = None
_shared_lock = threading.Lock()


def shared_session() -> requests.Session:
    """One session per process; a forked worker gets its own instead of the parent's sockets."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared[0] != os.getpid():
            _shared = (os.getpid(), new_session())
        return _shared[1]


def registry_errors(body: bytes) -> list[tuple[str, str]]:
    """(code, message) pairs of a distribution error body; [] when it is not one."""
    try:
        errors = json.loads(body).get("errors")
        return [(str(e.get("code", ""))[:100], str(e.get("message", ""))[:1000]) for e in errors]
    except (ValueError, AttributeError, TypeError, RecursionError):
        return []


def safe_text(text: str, limit: int = 200) -> str:
    """Registry-supplied text made fit for a log line or a user-facing detail."""
    return _PRINTABLE.sub(" ", text).strip()[:limit]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from `Retry-After`: delta-seconds or an HTTP date; None if absent or junk."""
    if not value:
        return None
    value = value.strip()[:100]
    if value.isascii() and value.isdigit():
        return min(RETRY_AFTER_CAP, float(value[:12]))
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delta = (when - (now or datetime.now(UTC))).total_seconds()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(RETRY_AFTER_CAP, max(0.0, delta))


Clock = Callable[[], float]


class Transport:
    def __init__(
        self,
        config: Config,
        session: requests.Session,
        guard: Guard,
        *,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        self._session = session
        self._guard = guard
        self._clock = clock
        self._sleep = sleep

    def request(
        self,
        method: str,
        url: str,
        *,
        registry: str,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send, following redirects by hand so the guard sees each hop."""
        headers = dict(headers or {})
        target = self._guard.check_url(url, registry)
        for _ in range(MAX_REDIRECTS + 1):
            reply = self._with_retries(method, target, headers, registry, data)
            location = reply.headers.get("Location")
            if reply.status not in REDIRECT_STATUSES or not location:
                return reply
            refuse_ambiguous(location)  # before urljoin, which silently drops tabs and newlines
            try:
                joined = urljoin(target.url, location[:8192])
            except ValueError:
                raise RegistryUnavailable(
                    f"{registry} redirected to a URL that does not parse"
                ) from None
            hop = self._guard.check_url(joined, registry)
            if hop.netloc != target.netloc:
                headers.pop("Authorization", None)  # credentials stay with their host
            if reply.status == 303 and method != "HEAD":
                method, data = "GET", None
            target = hop
        raise RegistryUnavailable(f"{registry}: more than {MAX_REDIRECTS} redirects")

    def _with_retries(
        self,
        method: str,
        target: Target,
        headers: Mapping[str, str],
        registry: str,
        data: Mapping[str, str] | None,
    ) -> Reply:
        attempt, waited_for_429 = 0, False
        while True:
            try:
                reply = self._send(method, target, headers, registry, data)
            except _ConnectionFailed as exc:
                if attempt >= self._config.registry_retries:
                    raise RegistryUnavailable(str(exc)) from None
            else:
                if reply.status == 429:
                    delay = parse_retry_after(reply.headers.get("Retry-After"))
                    if (
                        waited_for_429
                        or delay is None
                        or delay > self._config.retry_after_max
                        or delay >= budget.remaining()
                    ):
                        raise _rate_limited(reply, delay)
                    self._sleep(delay)
                    waited_for_429 = True
                    continue
                if reply.status < 500 or attempt >= self._config.registry_retries:
                    return reply
            pause = min(BACKOFF_MAX, BACKOFF_BASE * 2**attempt) * random.uniform(0.5, 1.0)
            if pause >= budget.remaining():
                raise RegistryTimeout(f"{registry}: the question ran out of time")
            self._sleep(pause)
            attempt += 1

    def _send(
        self,
        method: str,
        target: Target,
        headers: Mapping[str, str],
        registry: str,
        data: Mapping[str, str] | None,
    ) -> Reply:
        start, status = self._clock(), "error"
        try:
            reply = self._exchange(method, target, headers, data)
            status = str(reply.status)
            return reply
        except RegistryTimeout:
            status = "timeout"
            raise
        finally:
            elapsed = self._clock() - start
            # Labels take the registry's normalised name only: hosts in URLs are unbounded.
            metrics.REGISTRY_REQUESTS.labels(registry=registry, status=status).inc()
            metrics.REGISTRY_LATENCY.labels(registry=registry).observe(elapsed)
            # Path only: queries may carry signed CDN tokens; headers are never logged.
            parts = urllib3.util.parse_url(target.url)
            path, ms = parts.path or "/", elapsed * 1000
            log.info("%s %s %s -> %s in %.0f ms", method, parts.netloc, path[:200], status, ms)

    def _exchange(
        self,
        method: str,
        target: Target,
        headers: Mapping[str, str],
        data: Mapping[str, str] | None,
    ) -> Reply:
        seconds = min(self._config.registry_timeout, budget.remaining())
        host = target.host
        if seconds <= 0:
            raise RegistryTimeout(f"{host}: the question ran out of time")
        watch = Watch(seconds)
        pin = None if target.address is None else (target.host, target.port, target.address)
        try:
            with exchange(pin, watch):
                return self._exchange_within(method, target, headers, data, watch, seconds)
        finally:
            watch.cancel()

    def _exchange_within(
        self,
        method: str,
        target: Target,
        headers: Mapping[str, str],
        data: Mapping[str, str] | None,
        watch: Watch,
        seconds: float,
    ) -> Reply:
        host = target.host
        try:
            response = self._session.request(
                method,
                target.url,
                headers=headers,
                data=data,
                timeout=(seconds, seconds),
                stream=True,
                allow_redirects=False,
                proxies=self._proxies(target.url),
            )
        except requests.Timeout:
            raise RegistryTimeout(f"{host} did not answer within {seconds:g} s") from None
        except requests.RequestException as exc:
            if watch.fired:
                raise RegistryTimeout(f"{host} did not answer within {seconds:g} s") from None
            raise _ConnectionFailed(f"cannot reach {host}: {_reason(exc)}") from None
        except (ValueError, UnicodeError):  # requests parses Location even when not following
            raise RegistryUnavailable(f"{host} sent an answer that does not parse") from None
        try:
            if method == "HEAD":
                body = b""
                response.raw.release_conn()  # no body follows: the connection can be reused
            elif response.status_code in REDIRECT_STATUSES:
                body = b""  # not worth draining; the connection is dropped
            else:
                body = self._read(response, host, watch)
        finally:
            response.close()
        if watch.fired:  # the deadline cut the exchange short, even if it looked complete
            raise RegistryTimeout(f"{host} did not finish its answer within {seconds:g} s")
        return Reply(response.status_code, response.headers, body, target.url)

    def _read(self, response: requests.Response, host: str, watch: Watch) -> bytes:
        """The body, cut off past the size cap; the watch ends it at the deadline."""
        cap = self._config.max_manifest_bytes
        declared = response.headers.get("Content-Length", "").strip()
        if declared and not _ASCII_DIGITS.fullmatch(declared):
            raise RegistryUnavailable(f"{host} sent an invalid Content-Length")
        if declared and int(declared) > cap:
            raise RegistryUnavailable(f"{host} sent {declared} bytes; the limit is {cap}")
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := response.raw.read1(READ_CHUNK, decode_content=True):
                size += len(chunk)
                if size > cap:
                    raise RegistryUnavailable(f"{host} sent more than {cap} bytes; cut off")
                chunks.append(chunk)
            response.raw.release_conn()  # read to the end: back to the pool
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            raise RegistryTimeout(f"{host} stopped sending its answer") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if watch.fired:
                raise RegistryTimeout(f"{host} did not finish its answer in time") from None
            raise _ConnectionFailed(f"{host} broke off its answer: {_reason(exc)}") from None
        return b"".join(chunks)

    def _proxies(self, url: str) -> dict[str, str] | None:
        """Our own session ignores the environment (.netrc); proxies still come from it."""
        if self._session.trust_env:
            return None
        return requests.utils.get_environ_proxies(url) or None


def _rate_limited(reply: Reply, delay: float | None) -> RegistryRateLimited:
    host = urllib3.util.parse_url(reply.url).netloc
    messages = "; ".join(safe_text(m or c) for c, m in registry_errors(reply.body)[:5])
    limit = reply.headers.get("ratelimit-remaining") or reply.headers.get("x-ratelimit-remaining")
    detail = f"{host} is rate-limiting us (429)"
    if messages:
        detail += f": {messages}"
    if limit:
        detail += f" (remaining {safe_text(limit, 40)})"
    return RegistryRateLimited(detail, None if delay is None else math.ceil(delay))


def _reason(exc: BaseException) -> str:
    """A short cause without URLs (they may carry signed query strings)."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "reset"):
        if marker.lower() in text.lower():
            return marker.lower()
    return safe_text(type(exc).__name__, 80)
