"""The one clock: create_app(config, clock=...) hands it down to the resolver, its caches, the
Redis breaker, single-flight and the answer cache, so tests move time instead of sleeping."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Calling it gives wall time (seconds since the epoch, what cache entries are dated by);
    `monotonic` and `sleep` time bounded waits."""

    def __call__(self) -> float: ...
    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real time of the machine."""

    def __call__(self) -> float:
        return time.time()

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)


SYSTEM = SystemClock()
