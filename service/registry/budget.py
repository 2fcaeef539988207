"""The time a question may spend on registries, shared by every request made for it.

A context variable, so the resolver sets it once around a registry round and the transport
(in the same thread, or in a worker given a copy of the context) reads what is left.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    deadline: float
    clock: Callable[[], float]

    def remaining(self) -> float:
        return self.deadline - self.clock()


_CURRENT: ContextVar[Budget | None] = ContextVar("wincompat_question_budget", default=None)


@contextmanager
def question_budget(
    seconds: float, clock: Callable[[], float] = time.monotonic
) -> Iterator[Budget]:
    """Opens a budget; a nested call keeps the outer one (a question has one budget)."""
    outer = _CURRENT.get()
    if outer is not None:
        yield outer
        return
    budget = Budget(clock() + seconds, clock)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def remaining() -> float:
    """Seconds left for the current question; infinite outside one."""
    budget = _CURRENT.get()
    return math.inf if budget is None else budget.remaining()


class ColdLimitExceeded(Exception):
    """This client asked for too many answers that would reach a registry; nothing was sent."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


_cold_hook: Callable[[], None] | None = None


def on_cold_resolution(hook: Callable[[], None] | None) -> None:
    """Install the check run before every registry round (the per-client limiter)."""
    global _cold_hook
    _cold_hook = hook


def admit_cold() -> None:
    """Called by the resolver just before it asks a registry; may raise ColdLimitExceeded."""
    if _cold_hook is not None:
        _cold_hook()
