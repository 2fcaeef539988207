"""Settings from WINCOMPAT_* environment variables, read once into one frozen object."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_ALLOWED = (
    "mcr.microsoft.com",
    "docker.io",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "*.azurecr.io",
    "*.pkg.dev",
    "public.ecr.aws",
)


DEFAULT_PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics")


class ConfigError(ValueError):
    """A WINCOMPAT_* variable holds a value the service cannot use."""


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in value.split(",") if part.strip())


def env_number(
    env: Mapping[str, str], name: str, default: float, *, minimum: float = 0, kind: type = float
) -> float:
    """A number from the environment, or the default when unset; ConfigError names the
    variable when the value is not a `kind` of at least `minimum`."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise ConfigError(f"{name} must be {noun}, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {raw!r}")
    return value


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0) -> float:
    return env_number(env, name, default, minimum=minimum)


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _redis_url(env: Mapping[str, str]) -> str | None:
    url = env.get("WINCOMPAT_REDIS_URL", "").strip() or None
    if url and not url.startswith(REDIS_SCHEMES):
        # Checked here so a typo is one line at start, not a traceback in every worker.
        raise ConfigError(f"WINCOMPAT_REDIS_URL must start with {', '.join(REDIS_SCHEMES)}")
    return url


@dataclass(frozen=True)
class Config:
    allowed_registries: tuple[str, ...] = DEFAULT_ALLOWED
    insecure_registries: tuple[str, ...] = ()
    redis_url: str | None = None
    registry_timeout: float = 10.0
    tag_ttl: int = 300
    negative_ttl: int = 60
    stale_ttl: int = 86_400
    cache_size: int = 10_000
    docker_config: str | None = None
    max_manifest_bytes: int = 4 * 1024 * 1024
    registry_retries: int = 2
    retry_after_max: float = 5.0
    known_problems_file: str | None = None  # adds to / overrides the shipped known problems
    # Service authentication (off when empty): sha256 hex digests of the accepted bearer tokens.
    api_token_hashes: tuple[str, ...] = ()
    public_paths: tuple[str, ...] = DEFAULT_PUBLIC_PATHS
    cold_limit: str = "60/minute"  # per client, questions that reach a registry; "" = off
    cache_bytes: int = 64 * 1024 * 1024  # per process, in-memory cache
    body_timeout: float = 5.0  # seconds a client may take to send its request body

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        allowed = env.get("WINCOMPAT_ALLOWED_REGISTRIES")
        return cls(
            allowed_registries=DEFAULT_ALLOWED if allowed is None else _split(allowed),
            insecure_registries=_split(env.get("WINCOMPAT_INSECURE_REGISTRIES", "")),
            redis_url=_redis_url(env),
            registry_timeout=_number(env, "WINCOMPAT_REGISTRY_TIMEOUT", 10.0, minimum=0.1),
            tag_ttl=int(_number(env, "WINCOMPAT_TAG_TTL", 300)),
            negative_ttl=int(_number(env, "WINCOMPAT_NEGATIVE_TTL", 60)),
            stale_ttl=int(_number(env, "WINCOMPAT_STALE_TTL", 86_400)),
            cache_size=int(_number(env, "WINCOMPAT_CACHE_SIZE", 10_000, minimum=1)),
            docker_config=env.get("WINCOMPAT_DOCKER_CONFIG", "").strip() or None,
            max_manifest_bytes=int(
                _number(env, "WINCOMPAT_MAX_MANIFEST_BYTES", 4 * 1024 * 1024, minimum=1024)
            ),
            registry_retries=int(_number(env, "WINCOMPAT_REGISTRY_RETRIES", 2)),
            retry_after_max=_number(env, "WINCOMPAT_RETRY_AFTER_MAX", 5.0),
            known_problems_file=env.get("WINCOMPAT_KNOWN_PROBLEMS", "").strip() or None,
            api_token_hashes=token_hashes(env.get("WINCOMPAT_API_TOKENS", "")),
            public_paths=_paths(env.get("WINCOMPAT_PUBLIC_PATHS")),
            cold_limit=env.get("WINCOMPAT_COLD_LIMIT", "60/minute").strip(),
            cache_bytes=int(
                _number(env, "WINCOMPAT_CACHE_BYTES", 64 * 1024 * 1024, minimum=1024 * 1024)
            ),
            body_timeout=_number(env, "WINCOMPAT_BODY_TIMEOUT", 5.0, minimum=0.1),
        )


def _paths(value: str | None) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_PUBLIC_PATHS
    return tuple(p.strip() for p in value.split(",") if p.strip())


_HEX_DIGEST = re.compile(r"(?:sha256:)?([0-9a-f]{64})")


def token_hashes(value: str) -> tuple[str, ...]:
    """WINCOMPAT_API_TOKENS: comma-separated tokens, or @FILE of sha256 hex digests, one a line
    (`#` comments). Only digests are kept: the tokens themselves are never held."""
    value = value.strip()
    if not value:
        return ()
    if value.startswith("@"):
        path = value[1:]
        try:
            with open(path, encoding="utf-8") as handle:
                lines = [line.split("#", 1)[0].strip().lower() for line in handle]
        except OSError as exc:
            raise ConfigError(
                f"WINCOMPAT_API_TOKENS={value}: cannot read it ({type(exc).__name__})"
            ) from None
        digests = []
        for number, line in enumerate(lines, 1):
            if line and not (match := _HEX_DIGEST.fullmatch(line)):
                raise ConfigError(f"{path}:{number}: expected a sha256 hex digest")
            if line:
                digests.append(match.group(1))
        if not digests:
            raise ConfigError(f"WINCOMPAT_API_TOKENS={value}: the file holds no digests")
        return tuple(digests)
    tokens = [t.strip() for t in value.split(",") if t.strip()]
    if any(len(t) < 16 for t in tokens):
        raise ConfigError("WINCOMPAT_API_TOKENS: every token must be at least 16 characters")
    return tuple(hashlib.sha256(t.encode()).hexdigest() for t in tokens)
