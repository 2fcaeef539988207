"""Request bodies read whole, within a deadline and a size, before the app sees them.

A gthread worker thread blocks while a client sends its body; 45 clients each sending one byte
of a 100-byte body would hold every thread (and /healthz with them). Here the body is read
under a total deadline (the socket's timeout is set to what is left before every read), so a
slow client costs a thread for at most WINCOMPAT_BODY_TIMEOUT and then gets a 408. A malformed
chunked body is a 400 problem, an oversized one a 413, never a 500.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

READ_CHUNK = 8192

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class BodyTooSlow(Exception):
    pass


class BodyTooLarge(Exception):
    pass


class BodyMalformed(Exception):
    pass


Answer = tuple[str, list[tuple[str, str]], bytes]


def _problem(status: str, kind: str, detail: str, field: str | None = None) -> Answer:
    code = int(status.split()[0])
    doc: dict[str, Any] = {
        "type": f"/problems/{kind}",
        "title": status[4:],
        "status": code,
        "detail": detail,
    }
    if field:
        doc["errors"] = {field: [detail]}
    body = json.dumps(doc).encode()
    headers = [
        ("Content-Type", "application/problem+json"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
    ]
    return status, headers, body


def _size(limit: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if limit >= scale and limit % scale == 0:
            return f"{limit // scale} {unit}"
    return f"{limit} bytes"


def _too_large(limit: int) -> Answer:
    detail = f"The body is too large here: at most {_size(limit)} are read."
    return _problem("413 Content Too Large", "invalid-request", detail, field="body")


def read_body(
    environ: Environ, limit: int, timeout: float, clock: Callable[[], float] = time.monotonic
) -> bytes:
    """The whole body, or BodyTooSlow / BodyTooLarge / BodyMalformed."""
    stream = environ["wsgi.input"]
    sock = environ.get("gunicorn.socket")
    deadline = clock() + timeout
    chunks, size = [], 0
    try:
        while True:
            left = deadline - clock()
            if left <= 0:
                raise BodyTooSlow()
            if sock is not None:
                sock.settimeout(left)
            chunk = stream.read(min(READ_CHUNK, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge()
    except TimeoutError:
        raise BodyTooSlow() from None
    except (BodyTooSlow, BodyTooLarge):
        raise
    except Exception as exc:  # gunicorn's InvalidChunkSize, NoMoreData, ...: the client's fault
        raise BodyMalformed(type(exc).__name__) from None
    finally:
        if sock is not None:
            sock.settimeout(None)  # gunicorn's own blocking mode, for keep-alive


class BoundedBody:
    """WSGI middleware: bodies are read here, under `timeout` and `limit`, then replayed.
    `limits` gives paths that take larger bodies (a cluster's node list) their own limit."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        limit: int,
        timeout: float,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.default_limit = limit
        self.timeout = timeout
        self.limits = dict(limits or {})

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        limit = self.limits.get(environ.get("PATH_INFO", ""), self.default_limit)
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and length in ("", "0"):
            return self.app(environ, start_response)
        answer: Answer | None
        if length and (not length.isascii() or not length.isdigit() or len(length) > 12):
            answer = _problem("400 Bad Request", "invalid-request", "invalid Content-Length")
        elif length and int(length) > limit:
            answer = _too_large(limit)
        else:
            try:
                body = read_body(environ, limit, self.timeout)
            except BodyTooSlow:
                detail = f"the request body did not arrive within {self.timeout:g} s"
                answer = _problem("408 Request Timeout", "request-timeout", detail)
            except BodyTooLarge:
                answer = _too_large(limit)
            except BodyMalformed as exc:
                detail = f"malformed request body ({exc})"
                answer = _problem("400 Bad Request", "invalid-request", detail)
            else:
                answer = _json_problem(environ, body)
            if answer is None:
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
                environ.pop("HTTP_TRANSFER_ENCODING", None)
                environ["wsgi.input_terminated"] = False
                return self.app(environ, start_response)
        status, headers, payload = answer
        start_response(status, headers)
        return [payload]


def check_json(body: bytes) -> str | None:
    """Why a JSON body cannot be parsed safely (too deep, a huge integer...), or None."""
    try:
        json.loads(body)
    except RecursionError:
        return "the JSON body is nested too deeply"
    except ValueError as exc:  # JSONDecodeError, and int() refusing 5,000 digits
        return f"invalid JSON body ({str(exc)[:120]})"
    return None


def _json_problem(environ: Environ, body: bytes) -> Answer | None:
    """A JSON body json.loads would choke on (too deep, a 5,000-digit integer) is a 400 here,
    before webargs parses it (RecursionError and int()'s ValueError would be 500s there)."""
    media_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if not (media_type == "application/json" or media_type.endswith("+json")):
        return None
    reason = check_json(body)
    if reason is None:
        return None
    return _problem("400 Bad Request", "invalid-request", reason, field="json")


def init_app(
    app: Any, *, limit: int, timeout: float, limits: Mapping[str, int] | None = None
) -> None:
    app.wsgi_app = BoundedBody(app.wsgi_app, limit=limit, timeout=timeout, limits=limits)
