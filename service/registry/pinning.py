"""urllib3 connections that connect to the address the guard checked and obey a deadline.

The guard resolves a host once and checks every address; a second lookup by the HTTP client
could answer differently (DNS rebinding). The transport puts the checked address in a context
variable for the one request it sends; the connection made for that request uses it. A watch
shuts the socket down at the request's deadline, so a registry that dribbles its headers or
body one byte at a time cannot hold a thread past it (socket timeouts bound each read only).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

Pin = tuple[str, int, str]  # host, port, checked address

_PIN: ContextVar[Pin | None] = ContextVar("wincompat_pin", default=None)
_WATCH: ContextVar[Watch | None] = ContextVar("wincompat_watch", default=None)


class Watch:
    """Shuts down every socket armed on it once `seconds` have passed, unless cancelled."""

    def __init__(self, seconds: float) -> None:
        self._seconds = max(0.0, seconds)
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()
        self.fired = False

    def arm(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        timer = threading.Timer(self._seconds, self._fire, (sock,))
        timer.daemon = True
        with self._lock:
            self._timers.append(timer)
        timer.start()

    def _fire(self, sock: socket.socket) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        with self._lock:
            for timer in self._timers:
                timer.cancel()


@contextlib.contextmanager
def exchange(pin: Pin | None, watch: Watch) -> Iterator[None]:
    """For the request sent inside: connect to `pin`'s address, shut down at the watch."""
    pin_token, watch_token = _PIN.set(pin), _WATCH.set(watch)
    try:
        yield
    finally:
        _PIN.reset(pin_token)
        _WATCH.reset(watch_token)


class _Pinned:
    """Mixin for urllib3 connections: the pinned address, and the watch on every socket."""

    _dns_host: str
    port: int
    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        pin = _PIN.get()
        saved = self._dns_host
        if pin is not None and (pin[0], pin[1]) == (saved.strip("[]").lower(), self.port):
            self._dns_host = pin[2]
        try:
            sock = super()._new_conn()  # type: ignore[misc]
        finally:
            self._dns_host = saved
        if (watch := _WATCH.get()) is not None:
            watch.arm(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if (watch := _WATCH.get()) is not None and self.sock is not None:
            watch.arm(self.sock)  # a pooled connection: its socket exists already
        super().request(*args, **kwargs)  # type: ignore[misc]


class PinnedHTTPConnection(_Pinned, HTTPConnection):
    pass


class PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = PinnedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """requests adapter whose pools make pinned, watched connections."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
