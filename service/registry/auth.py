"""Registry authentication: WWW-Authenticate challenges, Bearer tokens, Basic, credentials.

Credentials come from a Docker `config.json` (WINCOMPAT_DOCKER_CONFIG). Neither they nor tokens
ever reach a log line, an exception message or a repr.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from service import logs
from service.config import ConfigError
from service.registry.errors import RegistryAuthError, RegistryUnavailable
from service.registry.reference import normalise_registry
from service.registry.transport import Reply, Transport, safe_text

log = logs.logger("registry")

DEFAULT_TOKEN_LIFETIME = 60  # seconds, when the token service does not say (distribution spec)
MAX_TOKEN_LIFETIME = 86_400  # a longer (or infinite) expires_in is taken as a day
MAX_SKEW = 10.0  # stop using a token this long before it expires
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_SCHEME_RE = re.compile(rf"[\s,]*({_TOKEN})")
_PARAM_RE = re.compile(rf"\s*({_TOKEN})\s*=\s*({_QUOTED}|{_TOKEN})\s*(?:,|$)")
_TOKEN68_RE = re.compile(r"\s+[A-Za-z0-9._~+/-]+=*\s*(?:,|$)")
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
# Anything shaped like a credential in registry text: an auth scheme and its value, or a JWT.
_CREDENTIAL_SHAPES = re.compile(
    r"(?i)\b(bearer|basic)(\s+|%20|\+)[A-Za-z0-9._~+/=%-]+|\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9._-]+"
)
REDACTED = "[redacted]"
TOKEN_CLIENT_ID = "wincompat"  # client_id of the OAuth2 refresh-token grant


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lowercase: "bearer", "basic"
    params: Mapping[str, str]  # names lowercase, values unquoted


def parse_www_authenticate(value: str) -> list[Challenge]:
    """RFC 9110 challenges; quoted values may hold commas and escaped quotes."""
    challenges: list[Challenge] = []
    pos = 0
    while match := _SCHEME_RE.match(value, pos):
        pos = match.end()
        params: dict[str, str] = {}
        if (token68 := _TOKEN68_RE.match(value, pos)) and not _PARAM_RE.match(value, pos):
            pos = token68.end()  # e.g. "Negotiate abc=": nothing we use
        while param := _PARAM_RE.match(value, pos):
            raw = param.group(2)
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            params[param.group(1).lower()] = raw
            pos = param.end()
        challenges.append(Challenge(match.group(1).lower(), params))
    return challenges


@dataclass(frozen=True)
class Credential:
    username: str
    password: str = field(repr=False)
    # ACR and others: an OAuth2 refresh token (`identitytoken` in config.json), exchanged at
    # the realm by the refresh-token grant of the distribution token spec.
    identity_token: str | None = field(default=None, repr=False)

    def basic_header(self) -> str:
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def secrets(self) -> tuple[str, ...]:
        """Every string that would give this credential away, for redaction."""
        found = [self.basic_header().split(" ", 1)[1], self.password, self.identity_token]
        return tuple(s for s in found if s and len(s) >= 4)


def normalise_config_key(key: str) -> str:
    """`https://index.docker.io/v1/`, `docker.io`, `HOST:PORT/path` → the registry name."""
    key = _URL_SCHEME.sub("", key.strip().lower())
    return normalise_registry(key.split("/", 1)[0])


def parse_docker_config(text: str | bytes) -> dict[str, Credential]:
    """Registry name → credential from a config.json (`auth` or `username`/`password`)."""
    doc = json.loads(text)
    if isinstance(doc, dict):
        _warn_about_helpers(doc)
    auths = doc.get("auths") if isinstance(doc, dict) else None
    if not isinstance(auths, dict):
        return {}
    found: dict[str, Credential] = {}
    for key, entry in auths.items():
        credential = _credential(entry) if isinstance(entry, dict) else None
        if credential is None:
            log.warning("docker config: no usable credentials for %s", safe_text(str(key), 100))
            continue
        found[normalise_config_key(str(key))] = credential
    return found


def _warn_about_helpers(doc: Mapping[str, object]) -> None:
    """Credential helpers run programs: the service never does. Say so, naming the registry."""
    helpers = doc.get("credHelpers")
    if isinstance(helpers, dict):
        for key in list(helpers)[:50]:
            log.warning(
                "docker config: credHelpers entry for %s is ignored (the service runs no "
                "credential helpers); put its credentials under auths",
                safe_text(str(key), 100),
            )
    store = doc.get("credsStore")
    if isinstance(store, str) and store:
        log.warning(
            "docker config: credsStore %s is ignored (the service runs no credential helpers); "
            "registries without an auths entry are asked anonymously",
            safe_text(store, 40),
        )


def _credential(entry: Mapping[str, object]) -> Credential | None:
    identity = entry.get("identitytoken")
    if isinstance(identity, str) and identity:
        username = entry.get("username")
        user = username if isinstance(username, str) and username else _auth_user(entry)
        return Credential(user or "00000000-0000-0000-0000-000000000000", "", identity)
    username, password = entry.get("username"), entry.get("password")
    if isinstance(username, str) and isinstance(password, str) and username:
        return Credential(username, password)
    encoded = entry.get("auth")
    if not isinstance(encoded, str) or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return Credential(username, password) if colon and username else None


def _auth_user(entry: Mapping[str, object]) -> str | None:
    """The user name inside `auth` (ACR writes 00000000-... next to an identitytoken)."""
    encoded = entry.get("auth")
    try:
        decoded = base64.b64decode(str(encoded or ""), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


class CredentialStore:
    """Credentials from a Docker config.json, reread when the file changes (secret rotation)."""

    def __init__(self, path: str | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._credentials: dict[str, Credential] = {}
        if path:
            try:
                self._reload()
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"WINCOMPAT_DOCKER_CONFIG={path}: cannot read it ({type(exc).__name__})"
                ) from None

    def secrets(self) -> list[str]:
        """Every secret held, longest first (so no shorter one splits a longer one)."""
        found = {s for credential in self._credentials.values() for s in credential.secrets()}
        return sorted(found, key=len, reverse=True)

    def get(self, registry: str) -> Credential | None:
        if self._path:
            with self._lock:
                try:
                    self._reload()
                except (OSError, ValueError) as exc:
                    why = type(exc).__name__
                    log.warning("docker config %s unreadable (%s); kept the last", self._path, why)
        return self._credentials.get(normalise_registry(registry))

    def _reload(self) -> None:
        assert self._path is not None
        info = os.stat(self._path)
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp != self._stamp:
            with open(self._path, "rb") as handle:
                self._credentials = parse_docker_config(handle.read())
            self._stamp = stamp


TokenKey = tuple[str, str, str, str]  # realm, service, scope, username


class TokenCache:
    """Bearer tokens per realm/service/scope/identity until shortly before they expire."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_entries: int = 4096):
        self._clock = clock
        self._max = max_entries
        self._tokens: dict[TokenKey, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: TokenKey) -> str | None:
        with self._lock:
            entry = self._tokens.get(key)
            if entry and entry[0] > self._clock():
                return entry[1]
            self._tokens.pop(key, None)
            return None

    def put(self, key: TokenKey, token: str, expires_in: float) -> None:
        skew = min(MAX_SKEW, expires_in / 10)
        with self._lock:
            if len(self._tokens) >= self._max:
                now = self._clock()
                self._tokens = {k: v for k, v in self._tokens.items() if v[0] > now}
                if len(self._tokens) >= self._max:
                    self._tokens.pop(next(iter(self._tokens)))
            self._tokens[key] = (self._clock() + expires_in - skew, token)

    def drop(self, key: TokenKey) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def tokens(self) -> list[str]:
        with self._lock:
            return [token for _, token in self._tokens.values()]


class Authenticator:
    """Answers 401 challenges and remembers, per registry, how to authorise the next request."""

    def __init__(
        self, credentials: CredentialStore, transport: Transport, cache: TokenCache | None = None
    ) -> None:
        self._credentials = credentials
        self._transport = transport
        self._cache = cache or TokenCache()
        self._known: dict[str, Challenge] = {}  # registry → its last challenge
        self._lock = threading.Lock()

    def redact(self, text: str) -> str:
        """Registry text without any credential or token we hold, nor anything shaped like one."""
        for secret in (*self._credentials.secrets(), *self._cache.tokens()):
            if len(secret) >= 4:
                text = text.replace(secret, REDACTED)
        return _CREDENTIAL_SHAPES.sub(REDACTED, text)

    def cached_header(self, registry: str, repository: str) -> str | None:
        """An Authorization value to send up front, so a known registry costs no 401."""
        with self._lock:
            challenge = self._known.get(registry)
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            credential = self._credentials.get(registry)
            return credential.basic_header() if credential else None
        token = self._cache.get(self._key(challenge, registry, repository))
        return f"Bearer {token}" if token else None

    def respond(
        self, registry: str, repository: str, header: str | None, rejected: str | None
    ) -> str | None:
        """The Authorization value to retry with after a 401, or None if there is none."""
        challenges = {c.scheme: c for c in parse_www_authenticate(header or "")}
        challenge = challenges.get("bearer") or challenges.get("basic")
        if challenge is None or (
            challenge.scheme == "bearer" and not challenge.params.get("realm")
        ):
            return None
        with self._lock:
            self._known[registry] = challenge
        if challenge.scheme == "basic":
            credential = self._credentials.get(registry)
            answer = credential.basic_header() if credential else None
            return None if answer == rejected else answer
        key = self._key(challenge, registry, repository)
        token = self._cache.get(key)
        if token is None or f"Bearer {token}" == rejected:
            self._cache.drop(key)
            token = self._fetch_token(registry, key)
        return f"Bearer {token}"

    def _key(self, challenge: Challenge, registry: str, repository: str) -> TokenKey:
        credential = self._credentials.get(registry)
        return (
            challenge.params.get("realm", ""),
            challenge.params.get("service", ""),
            f"repository:{repository}:pull",
            credential.username if credential else "",
        )

    def _fetch_token(self, registry: str, key: TokenKey) -> str:
        realm, service, scope, _ = key
        query = ([("service", service)] if service else []) + [("scope", scope)]
        credential = self._credentials.get(registry)
        if credential is not None and credential.identity_token:
            reply = self._refresh_grant(registry, realm, service, scope, credential)
        else:
            headers = {"Authorization": credential.basic_header()} if credential else {}
            reply = self._transport.request(
                "GET", _with_query(realm, query), registry=registry, headers=headers
            )
        who = "the configured credentials" if credential else "anonymous access"
        if reply.status in (401, 403):
            raise RegistryAuthError(f"{registry}: the token service refused {who} ({reply.status})")
        if reply.status != 200:
            raise RegistryUnavailable(f"{registry}: the token service answered {reply.status}")
        token, lifetime = _token_from(reply, registry)
        self._cache.put(key, token, lifetime)
        return token

    def _refresh_grant(
        self, registry: str, realm: str, service: str, scope: str, credential: Credential
    ) -> Reply:
        """POST the OAuth2 refresh-token grant (distribution token spec, as ACR wants it)."""
        form = {
            "grant_type": "refresh_token",
            "service": service,
            "scope": scope,
            "client_id": TOKEN_CLIENT_ID,
            "refresh_token": credential.identity_token or "",
        }
        return self._transport.request("POST", realm, registry=registry, data=form)


def _with_query(url: str, extra: list[tuple[str, str]]) -> str:
    try:
        parts = urlsplit(url[:8192])
    except ValueError:
        raise RegistryUnavailable("the registry named a token realm that does not parse") from None
    query = urlencode(parse_qsl(parts.query) + extra, safe=":/")
    return urlunsplit(parts._replace(query=query))


def _token_from(reply: Reply, registry: str) -> tuple[str, float]:
    """`token` or `access_token`, and its lifetime (`expires_in`, default 60 s)."""
    try:
        doc = json.loads(reply.body)
        token = doc.get("token") or doc.get("access_token")
        lifetime = doc.get("expires_in") or DEFAULT_TOKEN_LIFETIME
    except (ValueError, AttributeError, RecursionError):
        token, lifetime = None, 0
    if not isinstance(token, str) or not _HEADER_SAFE.fullmatch(token):
        raise RegistryUnavailable(f"{registry}: the token service did not answer with a token")
    if not isinstance(lifetime, int | float) or not lifetime > 0:  # NaN is not > 0 either
        lifetime = DEFAULT_TOKEN_LIFETIME
    return token, float(min(lifetime, MAX_TOKEN_LIFETIME))
