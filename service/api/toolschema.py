"""The OpenAPI document as a tool schema for assistants: every operation gets an operationId
(named here when a view gives none, so tool names never depend on a bot's guess) and the
document names its server."""

from __future__ import annotations

import re

from apispec import BasePlugin

# Relative: the document is served by the service it describes, wherever it is mounted.
SERVERS = [{"url": "/", "description": "This wincompat service"}]


def default_operation_id(method: str, path: str) -> str:
    """getCompat, postCompatNodes, getBadgeSvg: the method and the path's words, camelCase."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", path) if w]
    return method.lower() + "".join(w[:1].upper() + w[1:] for w in words)


class OperationIds(BasePlugin):
    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            if isinstance(operation, dict):
                operation.setdefault("operationId", default_operation_id(method, path or ""))
