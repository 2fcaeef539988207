"""Allow-list and server-side request forgery guard: which hosts the service may contact.

One Guard per process, one check per URL (every request, token realm and redirect hop), made on
the URL as urllib3 parses it; the request is then built from that parsed form and connects to
the address that was checked (see transport.py), so a refused host never sees a byte.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple
from urllib.parse import urlsplit

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from service.config import Config
from service.registry.errors import RegistryNotAllowed, RegistryUnavailable, not_allowed
from service.registry.reference import normalise_registry

# Hosts a registry legitimately sends us to: token realms and blob CDNs (patterns as in the
# allow-list). Only consulted for a registry that is itself allowed.
COMPANION_HOSTS: dict[str, tuple[str, ...]] = {
    "docker.io": (
        "auth.docker.io",
        "production.cloudflare.docker.com",
        "*.docker.com",
        "*.r2.cloudflarestorage.com",  # Docker Hub's blob storage since 2024
    ),
    "mcr.microsoft.com": ("*.data.mcr.microsoft.com", "mcr.microsoft.com"),
    "ghcr.io": ("*.githubusercontent.com",),
    "quay.io": ("*.quay.io", "*.cloudfront.net"),
    "gcr.io": ("*.gcr.io", "*.googleapis.com", "*.googleusercontent.com"),
    "public.ecr.aws": ("*.cloudfront.net", "*.amazonaws.com"),
    "*.azurecr.io": ("*.blob.core.windows.net", "*.azurecr.io"),
    "*.pkg.dev": ("*.googleapis.com", "*.googleusercontent.com"),
}
# Registries whose endpoint differs from the name users write.
ENDPOINT_ALIASES: dict[str, str] = {"docker.io": "registry-1.docker.io"}

Resolver = Callable[[str, int], Iterable[str]]
_RESOLVE_TTL = 30.0


class Target(NamedTuple):
    """A URL the guard accepted, in the one parsed form the HTTP client is given."""

    url: str  # rebuilt from the parsed parts: what requests/urllib3 will parse again
    scheme: str
    host: str  # lowercase, IDNA-encoded, IPv6 without brackets
    port: int
    address: str | None  # the checked address to connect to; None when named exactly

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters on which urllib3 and urllib.parse (or a proxy) read a URL differently.
_AMBIGUOUS = re.compile(r"[\\\x00-\x20\x7f]")


def parse_target(url: str) -> tuple[str, str, int, str]:
    """scheme, host, port and the rebuilt URL, parsed with urllib3's own parser.

    Refuses what another parser could read differently: backslashes, control characters,
    userinfo, non-ASCII outside a valid IDNA host, or a host urllib.parse disagrees on."""
    refuse_ambiguous(url)
    try:
        parsed = parse_url(url)
        split = urlsplit(url)
        split_host, split_port = split.hostname, split.port
    except (LocationParseError, ValueError, UnicodeError):
        raise RegistryUnavailable("a registry sent a URL that does not parse") from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in _DEFAULT_PORTS or not parsed.host:
        raise _unsafe_url("only http(s) URLs with a host are contacted")
    if parsed.auth is not None or "@" in split.netloc:
        raise _unsafe_url("it carries userinfo (user@host)")
    host = parsed.host.lower().strip("[]")
    try:
        if not host.isascii() or not (split_host or "").encode("idna").decode() == host:
            raise _unsafe_url("its host reads differently to different parsers")
    except UnicodeError:
        raise _unsafe_url("its host is not valid IDNA") from None
    port = parsed.port or _DEFAULT_PORTS[scheme]
    if split_port is not None and split_port != port:
        raise _unsafe_url("its port reads differently to different parsers")
    rest = f"{parsed.path or '/'}" + (f"?{parsed.query}" if parsed.query else "")
    if not rest.isascii():
        raise _unsafe_url("its path holds non-ASCII characters")
    authority = f"[{host}]" if ":" in host else host
    rebuilt = f"{scheme}://{authority}" + (f":{parsed.port}" if parsed.port else "") + rest
    return scheme, host, port, rebuilt


def refuse_ambiguous(url: str) -> None:
    if len(url) > 8192 or _AMBIGUOUS.search(url):
        raise _unsafe_url("it holds a backslash, a space or a control character")


def _unsafe_url(why: str) -> RegistryNotAllowed:
    return RegistryNotAllowed(f"refusing a registry URL: {why}")


def split_host(netloc: str) -> tuple[str, int | None]:
    """host and port of `host[:port]` / `[v6]:port`, host lowercased without brackets."""
    netloc = netloc.lower().rsplit("@", 1)[-1]
    if netloc.startswith("["):
        host, _, rest = netloc[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = netloc.partition(":")
    return host, int(port) if port.isdigit() else None


def host_matches(pattern: str, netloc: str) -> bool:
    """Allow-list matching: exact host, or `*.suffix` for any subdomain (not the suffix itself).

    A pattern with a port matches that port only; without one, any port of the host.
    """
    want_host, want_port = split_host(normalise_registry(pattern.strip()))
    host, port = split_host(normalise_registry(netloc))
    if want_port is not None and want_port != port:
        return False
    if want_host.startswith("*."):
        return host.endswith(want_host[1:]) and len(host) > len(want_host) - 1
    return want_host == host


def is_internal_address(address: str) -> bool:
    """Loopback, private, link-local, unspecified, multicast, reserved or otherwise not global."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or ip.is_reserved
        or not ip.is_global
    )


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class Guard:
    """Decides, per URL, whether the service may send a request there, and where to connect."""

    def __init__(
        self,
        config: Config,
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._allowed = tuple(config.allowed_registries)
        self._insecure = tuple(normalise_registry(h) for h in config.insecure_registries)
        self._named = {normalise_registry(n) for n in (*self._allowed, *self._insecure)}
        self._resolver = resolver or system_resolver
        self._clock = clock
        self._resolved: dict[tuple[str, int], tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def is_insecure(self, netloc: str) -> bool:
        """Reached over plain HTTP: named exactly in WINCOMPAT_INSECURE_REGISTRIES."""
        return normalise_registry(netloc) in self._insecure

    def registry_allowed(self, registry: str) -> bool:
        """By name only: on the allow-list, or an insecure registry."""
        return self.is_insecure(registry) or any(host_matches(p, registry) for p in self._allowed)

    def check_registry(self, registry: str) -> None:
        """By name, before any cache: a shared Redis may hold answers another replica allowed."""
        if not self.registry_allowed(registry):
            raise not_allowed(registry)

    def check_url(self, url: str, registry: str) -> Target:
        """Every request, realm and redirect hop made on behalf of `registry`: the one check."""
        self.check_registry(registry)
        scheme, host, port, rebuilt = parse_target(url)
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        given = netloc if port != _DEFAULT_PORTS[scheme] else netloc.rsplit(":", 1)[0]
        if not (self._host_allowed(given, registry) or self._host_allowed(netloc, registry)):
            raise RegistryNotAllowed(
                f"refusing to contact {host} for {registry}: "
                "not the registry, a known companion host or on the allow-list"
            )
        if scheme != "https" and not (self.is_insecure(given) or self.is_insecure(netloc)):
            raise RegistryNotAllowed(
                f"refusing {scheme} URL to {host}: "
                "only https, or http for WINCOMPAT_INSECURE_REGISTRIES"
            )
        address = None if self._named_exactly(given, netloc) else self._address(host, port)
        return Target(rebuilt, scheme, host, port, address)

    def _host_allowed(self, netloc: str, registry: str) -> bool:
        if self.registry_allowed(netloc):
            return True
        own = (registry, ENDPOINT_ALIASES.get(registry, registry))
        if any(split_host(h)[0] == split_host(netloc)[0] for h in own):
            return True
        return any(
            host_matches(companion, netloc)
            for key, companions in COMPANION_HOSTS.items()
            if host_matches(key, registry)
            for companion in companions
        )

    def _named_exactly(self, given: str, netloc: str) -> bool:
        names = self._named
        return bool({normalise_registry(given), normalise_registry(netloc)} & names) or (
            split_host(given)[0] in names
        )

    def _address(self, host: str, port: int) -> str:
        """A global address of `host`, checked: the one the connection is pinned to."""
        key, now = (host, port), self._clock()
        with self._lock:
            cached = self._resolved.get(key)
        if cached and cached[0] > now:
            address = cached[1]
        else:
            address = self._lookup(host, port)
            with self._lock:
                if len(self._resolved) > 1024:
                    self._resolved.clear()
                self._resolved[key] = (now + _RESOLVE_TTL, address)
        if address is None:
            raise RegistryNotAllowed(
                f"refusing to contact {host}: it resolves to an internal address; "
                "name it exactly in WINCOMPAT_ALLOWED_REGISTRIES or "
                "WINCOMPAT_INSECURE_REGISTRIES to allow it"
            )
        return address

    def _lookup(self, host: str, port: int) -> str | None:
        """The first address, or None when any address is internal (or there is none)."""
        try:
            addresses = list(self._resolver(host, port))
        except (OSError, UnicodeError) as exc:
            raise RegistryUnavailable(f"cannot resolve registry host {host}: {exc}") from None
        if not addresses or any(is_internal_address(a) for a in addresses):
            return None
        return addresses[0]
