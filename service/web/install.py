"""Wire the surfaces into the app: /docs assets from the swagger-ui-bundle package (no CDN, so
/docs works in an air-gapped cluster) and CORS for portals when WINCOMPAT_CORS_ORIGINS is set."""

from __future__ import annotations

from flask import Flask, send_from_directory
from flask_cors import CORS
from swagger_ui_bundle import swagger_ui_path

# Relative to /docs, so the page also works behind a path-prefixing proxy.
SWAGGER_UI_URL = "docs/assets/"
# Swagger UI would otherwise send the spec's URL to validator.swagger.io for a badge.
SWAGGER_UI_CONFIG = {"validatorUrl": None}
ASSET_MAX_AGE = 86_400
EXPOSED = ["ETag", "Retry-After", "X-Request-ID"]
ALLOWED_HEADERS = ["Accept", "Content-Type", "If-None-Match", "X-Request-ID"]


def _asset(name: str):
    return send_from_directory(swagger_ui_path, name, max_age=ASSET_MAX_AGE)


def install(app: Flask, cors_origins: tuple[str, ...]) -> None:
    app.add_url_rule("/docs/assets/<path:name>", "docs_asset", _asset, methods=["GET"])
    if cors_origins:
        origins = "*" if "*" in cors_origins else list(cors_origins)
        CORS(
            app,
            origins=origins,
            methods=["GET", "POST", "OPTIONS"],
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED,
            max_age=600,
            vary_header=True,
            send_wildcard=origins == "*",
        )
        if origins != "*":  # the answer differs by Origin: shared caches must key on it
            app.after_request(_vary_on_origin)


def _vary_on_origin(response):
    response.vary.add("Origin")
    return response
