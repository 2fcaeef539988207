"""Allow-list and server-side request forgery guard: which hosts the service may contact.

Checked before every request and every redirect hop, so a refused host never sees a byte.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from service.config import Config
from service.registry.errors import RegistryNotAllowed, RegistryUnavailable
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
    """Decides, per URL, whether the service may send a request there."""

    def __init__(self, config: Config, resolver: Resolver | None = None) -> None:
        self._allowed = tuple(config.allowed_registries)
        self._insecure = tuple(normalise_registry(h) for h in config.insecure_registries)
        self._resolver = resolver or system_resolver
        self._resolved: dict[tuple[str, int], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def is_insecure(self, netloc: str) -> bool:
        """Reached over plain HTTP: named exactly in WINCOMPAT_INSECURE_REGISTRIES."""
        return normalise_registry(netloc) in self._insecure

    def registry_allowed(self, registry: str) -> bool:
        """By name only: on the allow-list, or an insecure registry."""
        return self.is_insecure(registry) or any(host_matches(p, registry) for p in self._allowed)

    def check_registry(self, registry: str, endpoint: str) -> None:
        """Before the first request for an image: name, then resolved addresses."""
        if not self.registry_allowed(registry):
            raise RegistryNotAllowed(
                f"registry {registry} is not in the allow-list (WINCOMPAT_ALLOWED_REGISTRIES)"
            )
        self._check_address(endpoint, registry)

    def check_url(self, url: str, registry: str) -> None:
        """Every request, realm and redirect hop made on behalf of `registry`."""
        parts = urlsplit(url)
        netloc = parts.netloc.lower().rsplit("@", 1)[-1]
        if not self.registry_allowed(registry) or not self._host_allowed(netloc, registry):
            raise RegistryNotAllowed(
                f"refusing to contact {split_host(netloc)[0] or '?'} for {registry}: "
                "not the registry, a known companion host or on the allow-list"
            )
        if parts.scheme != "https" and not (parts.scheme == "http" and self.is_insecure(netloc)):
            raise RegistryNotAllowed(
                f"refusing {parts.scheme or 'schemeless'} URL to {split_host(netloc)[0]}: "
                "only https, or http for WINCOMPAT_INSECURE_REGISTRIES"
            )
        self._check_address(netloc, registry)

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

    def _named_exactly(self, netloc: str) -> bool:
        host = split_host(netloc)[0]
        names = {normalise_registry(n) for n in (*self._allowed, *self._insecure)}
        return normalise_registry(netloc) in names or host in names

    def _check_address(self, netloc: str, registry: str) -> None:
        if self._named_exactly(netloc):
            return
        host, port = split_host(netloc)
        if self._internal(host, port or 443):
            raise RegistryNotAllowed(
                f"refusing to contact {host} for {registry}: it resolves to an internal address; "
                "name it exactly in WINCOMPAT_ALLOWED_REGISTRIES or "
                "WINCOMPAT_INSECURE_REGISTRIES to allow it"
            )

    def _internal(self, host: str, port: int) -> bool:
        key, now = (host, port), time.monotonic()
        with self._lock:
            cached = self._resolved.get(key)
        if cached and cached[0] > now:
            return cached[1]
        try:
            addresses = list(self._resolver(host, port))
        except (OSError, UnicodeError) as exc:
            raise RegistryUnavailable(f"cannot resolve registry host {host}: {exc}") from None
        internal = not addresses or any(is_internal_address(a) for a in addresses)
        with self._lock:
            if len(self._resolved) > 1024:
                self._resolved.clear()
            self._resolved[key] = (now + _RESOLVE_TTL, internal)
        return internal
