"""A hostile registry of our own on 127.0.0.1, and a canary listener that must hear nothing.

The registry speaks raw HTTP/1.1 from a script: each (method, path) maps to a callable that
writes whatever bytes it likes to the socket (dribbled headers, lying lengths, echoed secrets),
so the faults a real docker-registry never produces can be produced on demand.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

__all__ = [
    "Canary",
    "Hostile",
    "Seen",
    "basic",
    "canary",
    "error_body",
    "hostile",
    "raw",
    "reply",
    "sha",
]


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


Handler = Callable[[Seen, socket.socket], None]


def reply(status: int = 200, body: bytes = b"", **headers: str) -> Handler:
    """A well-formed answer; header names use '_' for '-' (Content_Type=...)."""

    def send(_: Seen, conn: socket.socket) -> None:
        lines = [f"HTTP/1.1 {status} X"]
        named = {k.replace("_", "-"): v for k, v in headers.items()}
        named.setdefault("Content-Length", str(len(body)))
        lines += [f"{k}: {v}" for k, v in named.items()]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    return send


def raw(data: bytes, *, per_byte: float = 0.0, then_hang: bool = False) -> Handler:
    """Exactly these bytes, optionally one at a time with a pause, optionally never ending."""

    def send(_: Seen, conn: socket.socket) -> None:
        if not per_byte:
            conn.sendall(data)
        else:
            for i in range(len(data)):
                conn.sendall(data[i : i + 1])
                time.sleep(per_byte)
        while then_hang:
            conn.sendall(b"x")
            time.sleep(per_byte or 0.1)

    return send


class Canary:
    """Listens and records every connection: a test asserts it stays at zero."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.host = f"{host}:{self.port}"
        self.connections = 0
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._sock.close()


class Hostile:
    """The scripted registry. Unscripted paths answer 404 in distribution's error shape."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Handler]] = {}
        self.seen: list[Seen] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def route(self, method: str, path: str, *handlers: Handler) -> None:
        """Answers in turn; the last one repeats."""
        self.routes[(method, path)] = list(handlers)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1 for s in self.seen if s.method == (method or s.method) and s.path == (path or s.path)
        )

    def serve_index(self, body: bytes, tag: str = "v1") -> str:
        digest = sha(body)
        list_type = "application/vnd.docker.distribution.manifest.list.v2+json"
        self.route("HEAD", f"/v2/app/manifests/{tag}", reply(Docker_Content_Digest=digest))
        self.route("GET", f"/v2/app/manifests/{digest}", reply(200, body, Content_Type=list_type))
        return digest

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(5)
            reader = conn.makefile("rb")
            while not self._stop.is_set():
                seen = _read_request(reader)
                if seen is None:
                    return
                self.seen.append(seen)
                self._handler(seen)(seen, conn)
                if seen.headers.get("connection", "").lower() == "close":
                    return

    def _handler(self, seen: Seen) -> Handler:
        handlers = self.routes.get((seen.method, seen.path.split("?", 1)[0]))
        if not handlers:
            body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}'
            return reply(404, body, Content_Type="application/json")
        return handlers.pop(0) if len(handlers) > 1 else handlers[0]

    def close(self) -> None:
        self._stop.set()
        self._sock.close()


def _read_request(reader) -> Seen | None:
    line = reader.readline(65536)
    if not line.strip():
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (header := reader.readline(65536)) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0") or 0))
    return Seen(method, path, headers, body)


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def error_body(message: str) -> bytes:
    return json.dumps({"errors": [{"code": "DENIED", "message": message}]}).encode()


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    server = Hostile()
    yield server
    server.close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    listener = Canary()
    yield listener
    listener.close()
