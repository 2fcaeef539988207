"""A paginating front for the real docker-registry of the harness.

docker-registry 2.8 (the Debian package the harness runs) ignores `n=` on tags/list and sends
no `Link`, while distribution v3, ACR, Harbor and GHCR page their tag lists. This front sits on
127.0.0.1 before the real registry: it passes every GET/HEAD through unchanged, and serves
`GET /v2/<name>/tags/list?n=&last=` the way distribution v3 does (lexical order, a page of n
tags after `last`, `Link: </v2/<name>/tags/list?n=N&last=T>; rel="next"` while more remain).
`refuse_tags` makes it answer tags/list 403 DENIED, as some registries do; `fail_tags` 503."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

_HOP = {"connection", "transfer-encoding", "content-length", "keep-alive", "date", "server"}


class PagingFront:
    def __init__(self, backend_url: str) -> None:
        self.backend = backend_url
        self.refuse_tags = False
        self.fail_tags = False  # answer tags/list 503, as a registry having an outage
        self.pages: list[str] = []  # query string of every tags/list request served
        self._session = requests.Session()
        self._session.trust_env = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def page(self, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
        self.pages.append(query)
        if self.fail_tags:
            return 503, {"Content-Type": "application/json"}, b'{"errors": []}'
        if self.refuse_tags:
            body = {"errors": [{"code": "DENIED", "message": "tag listing is disabled"}]}
            return 403, {"Content-Type": "application/json"}, json.dumps(body).encode()
        full = self._session.get(f"{self.backend}{path}", timeout=10)
        if full.status_code != 200:
            return full.status_code, {"Content-Type": "application/json"}, full.content
        doc = full.json()
        tags = sorted(doc.get("tags") or [])
        params = parse_qs(query)
        n = int(params.get("n", [str(len(tags) or 1)])[0])
        last = params.get("last", [""])[0]
        after = [t for t in tags if t > last]
        chunk = after[:n]
        headers = {"Content-Type": "application/json"}
        if len(after) > n and chunk:
            nxt = urlencode({"n": n, "last": chunk[-1]})
            headers["Link"] = f'<{path}?{nxt}>; rel="next"'
        return 200, headers, json.dumps({"name": doc["name"], "tags": chunk}).encode()

    def forward(self, method: str, path: str, headers: dict[str, str]) -> Any:
        wanted = {k: v for k, v in headers.items() if k.lower() in ("accept", "authorization")}
        return self._session.request(
            method, f"{self.backend}{path}", headers=wanted, timeout=10, allow_redirects=False
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                if method == "GET" and parts.path.endswith("/tags/list"):
                    status, headers, body = front.page(parts.path, parts.query)
                else:
                    answer = front.forward(method, self.path, dict(self.headers))
                    status, body = answer.status_code, answer.content
                    headers = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                length = answer.headers.get("Content-Length") if method == "HEAD" else None
                self.send_header("Content-Length", length or str(len(body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
