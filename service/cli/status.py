"""A one-line status on a terminal while a question waits for a registry."""

from __future__ import annotations

import threading
from typing import TextIO

STATUS_AFTER = 0.4  # seconds: a cached or fast answer never shows it
CLEAR = "\r\x1b[K"


class Status:
    """`with Status(sys.stderr, "asking mcr.microsoft.com…"):` shows the text on a TTY if the
    block is still running after `after` seconds, and clears it when the block ends. Nothing
    is written to a stream that is not a terminal (CI logs, pipes)."""

    def __init__(self, stream: TextIO, text: str, after: float | None = None) -> None:
        self._stream = stream
        self._text = text
        self._after = STATUS_AFTER if after is None else after
        self._lock = threading.Lock()
        self._done = False
        self.shown = False
        self._timer: threading.Timer | None = None

    def _show(self) -> None:
        with self._lock:
            if self._done:
                return
            self._stream.write("\r" + self._text)
            self._stream.flush()
            self.shown = True

    def __enter__(self) -> Status:
        if not _is_tty(self._stream):
            return self
        if self._after <= 0:
            self._show()
        else:
            self._timer = threading.Timer(self._after, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer:
            self._timer.cancel()
        with self._lock:
            self._done = True
            if self.shown:
                self._stream.write(CLEAR)
                self._stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
