"""create_app(config): wire configuration, resolver, blueprints, problems and metrics."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request
from flask_smorest import Api

from service import logs, metrics
from service.api import (
    access,
    advice,
    bounds,
    check,
    compat,
    explain,
    fleet,
    meta,
    problem_pages,
    problems,
    toolschema,
    web,
)
from service.api import known_problems as known_problems_api
from service.api.answers import AnswerCache
from service.api.conventions import close_after_413
from service.api.schemas import ProblemSchema
from service.clock import SYSTEM, Clock
from service.compat import known_problems
from service.config import Config, ConfigError
from service.registry.guard import Guard
from service.web import install as web_install

VERSION = "0.1.0"
# One line per question's blueprint; a new endpoint module adds its own here.
BLUEPRINTS = (
    compat.blp,
    meta.blp,
    problem_pages.blp,
    known_problems_api.blp,
    fleet.blp,
    advice.blp,
    check.blp,
    explain.blp,
    web.blp,
)
# A 64 KiB host paste, JSON-escaped (newlines and tabs double), with room for the rest.
MAX_BODY = 160 * 1024
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

DESCRIPTION = """Will this Windows container image run on this host?

Give an image (a reference, or its OS version) and a host version in any shape people paste;
get a verdict per isolation mode (process, Hyper-V), the reason in plain words, the remedy,
and one summary sentence. Errors are `application/problem+json` (RFC 9457)."""


@dataclass
class Services:
    config: Config
    resolver: Any
    guard: Guard
    answers: AnswerCache
    clock: Clock


class WincompatApi(Api):
    """flask-smorest with problem+json errors instead of its own JSON error shape."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        problems.register(self._app)


def start_problem(config: Config | None = None) -> str | None:
    """What stops the service from starting, as one line for a person, or None. Called
    before gunicorn forks, so a bad setting is one clear line instead of failing workers."""
    try:
        config = config or Config.from_env()
        known_problems.load(config.known_problems_file)
    except (ConfigError, known_problems.KnownProblemsError) as exc:
        return f"wincompat cannot start: {exc}"
    return None


def build_resolver(config: Config, guard: Guard | None = None, clock: Clock = SYSTEM):
    from service.cache.resolver import Resolver
    from service.registry.client import RegistryClient

    return Resolver(RegistryClient(config, guard=guard), config, clock=clock)


def create_app(
    config: Config | None = None, *, resolver: Any = None, clock: Clock = SYSTEM
) -> Flask:
    """The app; `clock` times every cache (tests pass a fake one and move it)."""
    config = config or Config.from_env()
    # Validated before anything else: a bad file stops the start (KnownProblemsError).
    known_problems.install(known_problems.load(config.known_problems_file))
    app = Flask("wincompat")
    app.json.sort_keys = False  # fields go out in the order the response schema declares them
    app.config.update(
        API_TITLE="wincompat",
        API_VERSION=VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=web_install.SWAGGER_UI_URL,
        OPENAPI_SWAGGER_UI_CONFIG=web_install.SWAGGER_UI_CONFIG,
        API_SPEC_OPTIONS={"info": {"description": DESCRIPTION}, "servers": toolschema.SERVERS},
        MAX_CONTENT_LENGTH=MAX_BODY,
    )
    guard = Guard(config)  # the one guard: the by-name check here, every URL in the client
    resolver = resolver or build_resolver(config, guard, clock)
    answers = AnswerCache(config.cache_size, clock=clock)
    services = Services(config, resolver, guard, answers, clock)
    app.extensions["wincompat"] = services
    api = WincompatApi(app, spec_kwargs={"extra_plugins": [toolschema.OperationIds()]})
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    web_install.install(app, config.cors_origins)
    app.before_request(_start)
    access.init_app(app, config)  # bearer tokens (optional) and the per-client cold limit
    limits = dict.fromkeys(fleet.LARGE_BODY_PATHS, fleet.MAX_BODY)  # node lists, matrices
    limits[explain.PATH] = explain.BODY_LIMIT  # pastes, escaped in JSON, and a nodes list
    bounds.init_app(app, limit=MAX_BODY, timeout=config.body_timeout, limits=limits)
    app.wsgi_app = close_after_413(app.wsgi_app)  # outermost: every 413 closes the connection
    app.after_request(_finish)
    logs.configure()
    return app


def _start() -> None:
    # The request proxies are looked up once each: this runs on every request.
    given = request.environ.get("HTTP_X_REQUEST_ID", "")
    context = g._get_current_object()
    context.started = time.perf_counter()
    context.request_id = given if _REQUEST_ID.fullmatch(given) else os.urandom(16).hex()


def _finish(response):
    req, context = request._get_current_object(), g._get_current_object()
    endpoint = req.url_rule.rule if req.url_rule else "unmatched"
    method = req.method if req.method in _METHODS else "OTHER"  # bounded labels
    metrics.http_requests(endpoint, method, response.status_code).inc()
    started = getattr(context, "started", None)
    if started is not None:
        metrics.http_latency(endpoint).observe(time.perf_counter() - started)
    response.headers["X-Request-ID"] = getattr(context, "request_id", "")
    return response
