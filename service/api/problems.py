"""problem+json (RFC 9457) for every error: the types of api.md, one table from exception to
HTTP, and handlers so that no input reaches a 500 or a traceback."""

from __future__ import annotations

import json

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from service import logs
from service.compat.versions import InvalidVersion
from service.questions.compat import InvalidQuestion
from service.registry import errors
from service.registry.reference import InvalidReference

CONTENT_TYPE = "application/problem+json"
log = logs.logger("api")

TYPES: dict[str, tuple[int, str]] = {
    "invalid-request": (422, "Invalid request"),
    "image-not-found": (404, "Image not found"),
    "registry-not-allowed": (403, "Registry not allowed"),
    "registry-auth": (502, "Registry refused us"),
    "registry-rate-limited": (503, "Registry rate limit"),
    "registry-unavailable": (502, "Registry unavailable"),
    "registry-timeout": (504, "Registry timeout"),
    "unauthorized": (401, "Authentication required"),
    "too-many-requests": (429, "Too many questions that reach a registry"),
    "request-timeout": (408, "Request body too slow"),
}

# Most specific first: UnsupportedManifest is a RegistryUnavailable.
REGISTRY_TYPES: tuple[tuple[type[errors.RegistryError], str], ...] = (
    (errors.ImageNotFound, "image-not-found"),
    (errors.RegistryNotAllowed, "registry-not-allowed"),
    (errors.RegistryAuthError, "registry-auth"),
    (errors.RegistryRateLimited, "registry-rate-limited"),
    (errors.RegistryTimeout, "registry-timeout"),
    (errors.RegistryUnavailable, "registry-unavailable"),
)


def problem(
    kind: str | None,
    detail: str,
    *,
    status: int | None = None,
    title: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> Response:
    default_status, default_title = TYPES.get(kind or "", (500, "Error"))
    body = {
        "type": f"/problems/{kind}" if kind else "about:blank",
        "title": title or default_title,
        "status": status or default_status,
        "detail": detail,
        **({"errors": errors} if errors else {}),
        **extra,
    }
    return Response(
        json.dumps(body), status=body["status"], headers=headers or {}, mimetype=CONTENT_TYPE
    )


def invalid(field: str, message: str, status: int = 422) -> Response:
    return problem("invalid-request", message, status=status, errors={field: [message]})


def from_registry_error(exc: errors.RegistryError) -> Response:
    kind = next(k for cls, k in REGISTRY_TYPES if isinstance(exc, cls))
    if isinstance(exc, errors.RegistryRateLimited) and exc.retry_after is not None:
        headers = {"Retry-After": str(exc.retry_after)}
        return problem(kind, exc.detail, headers=headers, retry_after=exc.retry_after)
    return problem(kind, exc.detail)


def _flatten(messages: object) -> dict[str, list[str]]:
    """webargs nests messages by location: {"query": {"host": [...]}} -> {"host": [...]}."""
    if not isinstance(messages, dict):
        return {"request": [str(messages)]}
    if set(messages) <= {"query", "json", "form", "headers", "files", "view_args"}:
        merged: dict[str, list[str]] = {}
        for location, inner in messages.items():
            found = _flatten(inner) if isinstance(inner, dict) else {location: _strings(inner)}
            merged.update(found)
        return merged
    return {str(k): _strings(v) for k, v in messages.items()}


def _strings(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):  # nested field errors: keep them readable
        return [f"{k}: {'; '.join(_strings(v))}" for k, v in value.items()]
    return [str(value)]


def from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status >= 500:
        return problem(None, "The server failed to answer.", status=status, title=exc.name)
    data = getattr(exc, "data", None) or {}
    if status in (400, 413, 422):
        fields = _flatten(data["messages"]) if "messages" in data else None
        detail = "Invalid parameters." if fields else (exc.description or exc.name)
        if status == 413:
            detail = "The request body is too large."
        return problem("invalid-request", detail, status=status, errors=fields)
    headers = dict(exc.get_response().headers) if status == 405 else {}
    allow = {"Allow": headers["Allow"]} if "Allow" in headers else None
    return problem(None, exc.description or exc.name, status=status, title=exc.name, headers=allow)


def register(app: Flask) -> None:
    app.register_error_handler(InvalidQuestion, lambda e: invalid(e.field, e.message))
    app.register_error_handler(InvalidVersion, lambda e: invalid("host", str(e)))
    app.register_error_handler(InvalidReference, lambda e: invalid("image", str(e)))
    app.register_error_handler(errors.RegistryError, from_registry_error)
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(Exception, _unexpected)


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return problem(
        None,
        "The server failed to answer; the error was logged.",
        status=500,
        title="Internal Server Error",
    )


def registry_problem(exc: errors.RegistryError) -> dict:
    """The problem object from_registry_error sends, as data: fleet answers embed it per image."""
    return json.loads(from_registry_error(exc).get_data())
