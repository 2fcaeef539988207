"""Where the MCP tools send their questions: the app in-process, or a running service."""

from __future__ import annotations

import json
from typing import Protocol

import requests

TIMEOUT = 30.0  # seconds; a cold image question may wait on a registry
MAX_BODY = 4 * 1024 * 1024  # answers are kilobytes; refuse to buffer more than this


class Backend(Protocol):
    def call(self, method: str, path: str, body: dict) -> tuple[int, dict]: ...


class InProcess:
    """The same app `wincompat serve` runs, asked through its test client: same answers,
    same errors, same registry guard."""

    def __init__(self, app=None) -> None:
        if app is None:
            from service.app import create_app

            app = create_app()
        self._client = app.test_client()

    def call(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        response = self._client.open(path, method=method, json=body)
        return response.status_code, response.get_json(silent=True) or {}


class Remote:
    """A running wincompat at `url` (the operator's own service, given on the command line)."""

    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        self._url = url.rstrip("/")
        self._session = session or requests.Session()

    def call(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        with self._session.request(
            method,
            self._url + path,
            json=body,
            timeout=TIMEOUT,
            stream=True,
            headers={"Accept": "application/json"},
        ) as response:
            raw = response.raw.read(MAX_BODY + 1, decode_content=True)
        if len(raw) > MAX_BODY:
            return 502, {"detail": f"The service's answer is larger than {MAX_BODY} bytes."}
        try:
            return response.status_code, json.loads(raw or b"{}")
        except ValueError:
            return 502, {"detail": f"The service at {self._url} did not answer JSON."}
