"""create_app(config): wire configuration, resolver, blueprints, problems and metrics."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request
from flask_smorest import Api

from service import logs, metrics, problems
from service.api import compat, meta
from service.api.answers import AnswerCache
from service.api.schemas import ProblemSchema
from service.config import Config
from service.guard import Guard

VERSION = "0.1.0"
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


class WincompatApi(Api):
    """flask-smorest with problem+json errors instead of its own JSON error shape."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        problems.register(self._app)


def build_resolver(config: Config):
    from service.registry import RegistryClient
    from service.resolver import Resolver

    return Resolver(RegistryClient(config), config)


def create_app(config: Config | None = None, *, resolver: Any = None) -> Flask:
    config = config or Config.from_env()
    app = Flask("wincompat")
    app.config.update(
        API_TITLE="wincompat",
        API_VERSION=VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
        API_SPEC_OPTIONS={"info": {"description": DESCRIPTION}},
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    resolver = resolver or build_resolver(config)
    services = Services(config, resolver, Guard(config), AnswerCache(config.cache_size))
    app.extensions["wincompat"] = services
    api = WincompatApi(app)
    api.register_blueprint(compat.blp)
    api.register_blueprint(meta.blp)
    app.before_request(_start)
    app.after_request(_finish)
    logs.configure()
    return app


def _start() -> None:
    g.started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _finish(response):
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    metrics.HTTP_REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if "started" in g:
        metrics.HTTP_LATENCY.labels(endpoint).observe(time.perf_counter() - g.started)
    response.headers["X-Request-ID"] = g.get("request_id", "")
    return response
