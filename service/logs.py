"""Structured logs: one JSON object per line, with the request id when there is one.

Every logger of the service is `wincompat.<part>` (made by `logger`), and this is the one JSON
formatter: gunicorn's config uses it for its own log and the root logger, so under gunicorn
every line is JSON; `configure` gives a bare root logger the same handler."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

NAMESPACE = "wincompat"


def logger(part: str) -> logging.Logger:
    """The logger of one part of the service: `wincompat.cache`, `wincompat.registry`, ..."""
    return logging.getLogger(f"{NAMESPACE}.{part}")


def _request_id() -> str | None:
    # Looked up, not imported: gunicorn's master loads this module before any app exists.
    flask = sys.modules.get("flask")
    if flask is None or not flask.has_request_context():
        return None
    return flask.g.get("request_id")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        request_id = _request_id()
        if request_id:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def configure(level: str = "INFO") -> None:
    """The service's loggers at `level`, propagating to the root logger; a root logger with no
    handler yet (not under gunicorn, which configures it) gets JSON lines on stderr."""
    logging.getLogger(NAMESPACE).setLevel(level)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)


@contextmanager
def to_stream(stream: TextIO) -> Iterator[None]:
    """The service's lines as JSON on `stream` only, for as long as the block runs (the CLI's
    -v), whatever handlers the root logger has."""
    service, handler = logging.getLogger(NAMESPACE), logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    propagate, service.propagate = service.propagate, False
    service.addHandler(handler)
    try:
        yield
    finally:
        service.removeHandler(handler)
        service.propagate = propagate
