"""GET /problems/<type>: the page a problem's `type` URI resolves to (RFC 9457 §3.1.1)."""

from __future__ import annotations

import html

from flask import Response, request
from flask_smorest import Blueprint

from service.api.problems import TYPES, problem
from service.api.schemas import ProblemSchema

blp = Blueprint("problems", __name__, description="What each problem type means")

# What happened and what to do, per type of api.md.
EXPLAINED: dict[str, tuple[str, str]] = {
    "invalid-request": (
        "A parameter or field is missing, repeated, unknown or malformed: a version or "
        "reference that is none of the accepted shapes, or a host text that holds several hosts.",
        "Read `errors`: it names each bad field and what was expected. Several hosts go to "
        "POST /compat/nodes; long host texts by POST with a JSON body.",
    ),
    "image-not-found": (
        "The registry has no such repository, tag or digest.",
        "Check the spelling of the reference and that the tag exists (`docker manifest "
        "inspect`); Windows base images have no `latest` tag.",
    ),
    "registry-not-allowed": (
        "The reference names a registry outside the allow-list; no request was sent to it.",
        "Ask with an allowed registry, or have the operator add it to "
        "WINCOMPAT_ALLOWED_REGISTRIES.",
    ),
    "registry-auth": (
        "The registry refused the service's credentials (401/403 after the token exchange).",
        "The operator mounts a Docker config.json with credentials for that registry.",
    ),
    "registry-rate-limited": (
        "The registry answered 429 Too Many Requests.",
        "Wait for `Retry-After` seconds and ask again.",
    ),
    "registry-unavailable": (
        "The registry could not be reached, failed with a 5xx, or sent something that is not "
        "a valid manifest.",
        "Ask again later; if it persists, check the registry's status.",
    ),
    "registry-timeout": (
        "The registry did not answer in time, or the question spent its whole registry budget "
        "(twice WINCOMPAT_REGISTRY_TIMEOUT).",
        "Ask again: what was read is remembered; the operator may raise "
        "WINCOMPAT_REGISTRY_TIMEOUT.",
    ),
    "unauthorized": (
        "This service requires a bearer token (WINCOMPAT_API_TOKENS) and the request carried "
        "none that it accepts.",
        "Send `Authorization: Bearer <token>`; ask the operator for a token.",
    ),
    "too-many-requests": (
        "This client asked more questions that reach a registry than WINCOMPAT_COLD_LIMIT "
        "allows; cached answers are still served.",
        "Wait for `Retry-After` seconds, or ask about images already in the cache.",
    ),
    "request-timeout": (
        "The request body did not arrive within WINCOMPAT_BODY_TIMEOUT.",
        "Send the whole body at once; check the network between the client and the service.",
    ),
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>HTTP status {status}. Type <code>/problems/{kind}</code>.</p>
<p>{what}</p><p>{todo}</p></body></html>
"""


@blp.route("/problems/<kind>")
@blp.response(200, content_type="text/html", description="A short page about the problem")
@blp.alt_response(
    404, schema=ProblemSchema, content_type="application/problem+json", description="No such type"
)
def page(kind: str):
    """What a problem type means and what to do about it"""
    if kind not in EXPLAINED:
        return problem(None, f"No problem type {kind!r}.", status=404, title="Not Found")
    status, title = TYPES[kind]
    what, todo = EXPLAINED[kind]
    if request.accept_mimetypes.best_match(("text/html", "text/plain")) == "text/plain":
        return Response(f"{title} ({status}): {what} {todo}\n", mimetype="text/plain")
    fields = {"title": title, "status": status, "kind": kind, "what": what, "todo": todo}
    body = _PAGE.format(**{k: html.escape(str(v)) for k, v in fields.items()})
    return Response(body, mimetype="text/html", headers={"Cache-Control": "max-age=86400"})
