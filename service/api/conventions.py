"""HTTP conventions a client relies on, kept out of the views: one value per parameter, JSON
bodies as JSON, and a connection closed after a body too large to read."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Request, Response
from werkzeug.datastructures import MultiDict

from service.api.problems import problem

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def repeated(args: MultiDict) -> Response | None:
    """`host=a&host=b` is two questions in one: a 422 naming the parameter, never a guess."""
    twice = sorted(key for key, values in args.lists() if len(values) > 1)
    if not twice:
        return None
    message = "Give this parameter once."
    return problem(
        "invalid-request",
        f"Repeated parameter: {', '.join(twice)}.",
        errors={key: [message] for key in twice},
    )


def require_json(req: Request) -> Response | None:
    """A body sent as a form or text is not read as empty: 415, saying what to send."""
    if req.method != "POST" or req.is_json:
        return None
    sent = req.mimetype or "no Content-Type"
    return problem(
        None,
        f"The body must be JSON (Content-Type: application/json), not {sent}.",
        status=415,
        title="Unsupported Media Type",
    )


def close_after_413(wsgi_app: WSGIApp) -> WSGIApp:
    """After a 413 the unread body is still on the wire: close the connection, so a keep-alive
    client opens a fresh one for its next request. gunicorn drops a `Connection` header set by
    the app, so its response object is told directly (force_close) when it is the server."""

    def app(environ: dict, start_response: Callable):
        def start(status: str, headers: list, exc_info=None):
            if status.startswith("413"):
                headers = [*headers, ("Connection", "close")]
                force_close = getattr(
                    getattr(start_response, "__self__", None), "force_close", None
                )
                if callable(force_close):
                    force_close()
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return app
