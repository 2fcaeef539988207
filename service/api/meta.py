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
@blp.alt_response(503, schema=StatusSchema, description="The cache backend does not answer")
def readyz():
    """Readiness: configuration loaded and the cache backend (Redis, if configured) answers"""
    services = current_app.extensions["wincompat"]
    redis_ok = services.resolver.ready()
    checks = {"config": "ok", "cache": "ok" if redis_ok else "redis unreachable"}
    body = {"status": "ok" if redis_ok else "unavailable", "checks": checks}
    return body, 200 if redis_ok else 503


@blp.route("/metrics")
@blp.response(200, content_type="text/plain", description="Prometheus text format")
def metrics_view():
    """Prometheus metrics, aggregated across gunicorn workers"""
    body, content_type = metrics.render()
    return Response(body, content_type=content_type)
