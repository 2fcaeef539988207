"""Who may ask: optional bearer-token authentication, and a per-client limit on the questions
that reach a registry (cold resolutions), so one client looping over distinct images cannot
spend the whole company's registry pull quota.

Both are before-request checks on the app; the limit is charged by the resolver (through
service.registry.budget.admit_cold) only when an answer is not in any cache.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from flask import Flask, Response, current_app, g, has_app_context, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse

from service import logs
from service.api.problems import problem
from service.config import Config, ConfigError
from service.registry import budget

log = logs.logger("access")

EXTENSION = "wincompat_access"
_SCOPE = "cold"
_DISABLED = frozenset({"", "0", "off", "none"})


def client_key() -> str:
    """The authenticated token's digest prefix, else the peer address."""
    return getattr(g, "client_key", None) or request.remote_addr or "unknown"


class Access:
    def __init__(self, app: Flask, config: Config) -> None:
        self._hashes = tuple(config.api_token_hashes)
        self._public = frozenset(config.public_paths)
        self._limit = _parse_limit(config.cold_limit)
        self._storage_down = False  # log a storage failure once, not on every question
        self._limiter = Limiter(
            client_key,
            storage_uri=config.redis_url or "memory://",
            storage_options={"socket_timeout": 0.3, "socket_connect_timeout": 0.3}
            if config.redis_url
            else {},
            strategy="moving-window",
            key_prefix="wincompat",
            swallow_errors=True,
        )
        self._limiter.init_app(app)
        _unhook(app, self._limiter)

    def authenticate(self) -> Response | None:
        """401 problem unless the path is public or the request carries an accepted token."""
        if not self._hashes:
            return None
        req = request._get_current_object()
        if req.path in self._public:
            return None
        scheme, _, token = req.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            digest = hashlib.sha256(token.strip().encode()).hexdigest()
            # Compare against every digest, always: no early exit to time.
            matched = [hmac.compare_digest(digest, known) for known in self._hashes]
            if any(matched):
                g.client_key = "token:" + digest[:16]
                return None
        return problem(
            "unauthorized",
            "This service needs a bearer token (Authorization: Bearer <token>).",
            headers={"WWW-Authenticate": 'Bearer realm="wincompat"'},
        )

    def charge_cold(self) -> None:
        """Count one cold resolution for this client; over the limit, ColdLimitExceeded."""
        if self._limit is None:
            return
        key = client_key()
        strategy = self._limiter.limiter
        try:
            allowed = strategy.hit(self._limit, _SCOPE, key)
            reset = 0.0 if allowed else strategy.get_window_stats(self._limit, _SCOPE, key)[0]
        except Exception as exc:  # the limiter's storage is down: protect availability
            if not self._storage_down:
                why = type(exc).__name__
                log.warning("cold-resolution limiter unavailable (%s); not limiting", why)
            self._storage_down = True
            return
        self._storage_down = False
        if allowed:
            return
        retry_after = max(1, math.ceil(reset - time.time()))
        raise budget.ColdLimitExceeded(
            f"too many questions that reach a registry from this client (limit {self._limit}); "
            "answers already cached are still served",
            retry_after,
        )


def _unhook(app: Flask, limiter: Limiter) -> None:
    """Only flask-limiter's storage and strategy are used (cold resolutions are charged by
    hand); its per-request hooks for route limits and headers have nothing to do here and cost
    ~200 us on every request, the cached hot path included."""

    def ours(hook: object) -> bool:
        owner = getattr(hook, "__self__", None)
        args = getattr(hook, "args", ())
        return owner is limiter or (bool(args) and args[0] is limiter)

    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks = registry.get(None, [])
        hooks[:] = [hook for hook in hooks if not ours(hook)]


def _parse_limit(text: str) -> RateLimitItem | None:
    if text.strip().lower() in _DISABLED:
        return None
    try:
        return parse(text)
    except ValueError:
        raise ConfigError(
            f"WINCOMPAT_COLD_LIMIT must look like 60/minute or 1000/hour, not {text!r}"
        ) from None


def _charge_current_app() -> None:
    if has_app_context() and (access := current_app.extensions.get(EXTENSION)) is not None:
        access.charge_cold()


def _too_many(exc: budget.ColdLimitExceeded) -> Response:
    headers = {"Retry-After": str(exc.retry_after)}
    return problem("too-many-requests", exc.detail, headers=headers, retry_after=exc.retry_after)


def init_app(app: Flask, config: Config) -> Access:
    access = Access(app, config)
    app.extensions[EXTENSION] = access
    if config.api_token_hashes:  # nothing to check otherwise: no hook on the hot path
        app.before_request(access.authenticate)
    app.register_error_handler(budget.ColdLimitExceeded, _too_many)
    budget.on_cold_resolution(_charge_current_app)
    return access
