"""The catalog and the operational endpoints: /versions, /healthz, /readyz, /metrics."""

from __future__ import annotations

import hashlib
import json

from flask import Response, current_app, request
from flask_smorest import Blueprint

from service import metrics
from service.api.schemas import StatusSchema, VersionsSchema
from service.compat import catalog

blp = Blueprint("meta", __name__, description="Release catalog and operations")

# The catalog is data: serialised once, by the same schema that documents it, with its ETag.
CATALOG_BODY = json.dumps(VersionsSchema().dump({"releases": catalog.RELEASES})).encode()
CATALOG_ETAG = hashlib.sha256(CATALOG_BODY).hexdigest()[:32]


@blp.route("/versions")
@blp.response(200, VersionsSchema)
@blp.alt_response(304, description="Not modified: the catalog still has this ETag")
def versions():
    """The release catalog: builds, names, kinds, channels, image tags, support dates"""
    headers = {"Cache-Control": "max-age=86400", "ETag": f'"{CATALOG_ETAG}"'}
    if request.if_none_match.contains_weak(CATALOG_ETAG):
        return Response(status=304, headers=headers)
    return Response(CATALOG_BODY, mimetype="application/json", headers=headers)


@blp.route("/healthz")
@blp.response(200, StatusSchema)
def healthz():
    """Liveness: answers while the process serves; never calls a registry"""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, StatusSchema)
def readyz():
    """Readiness: configuration loaded. A shared Redis that does not answer does not make it
    fail (the service answers from its in-process cache): the body says `degraded`"""
    services = current_app.extensions["wincompat"]
    redis_ok = _redis_up(services)
    checks = {"config": "ok", "cache": "ok" if redis_ok else "redis unreachable"}
    return {"status": "ok" if redis_ok else "degraded", "checks": checks}


def _redis_up(services) -> bool:
    """Pings a configured Redis and records the answer in wincompat_redis_up."""
    redis_ok = services.resolver.ready()
    if services.config.redis_url:
        metrics.REDIS_UP.set(1 if redis_ok else 0)
    return redis_ok


@blp.route("/metrics")
@blp.response(200, content_type="text/plain", description="Prometheus text format")
def metrics_view():
    """Prometheus metrics, aggregated across gunicorn workers"""
    _redis_up(current_app.extensions["wincompat"])  # wincompat_redis_up as of this scrape
    body, content_type = metrics.render()
    return Response(body, content_type=content_type)
