"""Part 3: registry requests per question, counted in the docker-registry's access log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from common import Image, Row, compat_path, push_image

REPEATS = 100
BURST = 32


@dataclass(frozen=True)
class Counted:
    first: int  # registry requests of the first (cold) question
    later: int  # registry requests of what followed
    detail: str = ""


@contextmanager
def app_for(env: dict[str, str]) -> Iterator[Any]:
    """One create_app() instance with the benchmark's settings; its resolver closed after."""
    from service.app import create_app
    from service.config import Config

    app = create_app(Config.from_env(env))
    logging.getLogger("service").setLevel(logging.WARNING)  # no line per registry request
    try:
        yield app
    finally:
        app.extensions["wincompat"].resolver.close()


def ask(app: Any, image: Image) -> None:
    answer = app.test_client().get(compat_path(image.ref))
    if answer.status_code != 200:
        raise RuntimeError(f"/compat answered {answer.status_code}: {answer.get_data(True)}")


def repeated(registry: Any, env: dict[str, str], image: Image) -> Counted:
    """(a) One question, then the same question REPEATS more times through the same app."""
    with app_for(env) as app:
        start = registry.mark()
        ask(app, image)
        middle = registry.mark()
        for _ in range(REPEATS):
            ask(app, image)
        later = registry.request_count(since=middle)
    return Counted(registry.request_count(since=start) - later, later)


def _burst(app: Any, image: Image) -> list[BaseException]:
    barrier = threading.Barrier(BURST, timeout=30)
    failures: list[BaseException] = []

    def one() -> None:
        try:
            barrier.wait()
            ask(app, image)
        except BaseException as exc:  # reported by the caller
            failures.append(exc)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures


def burst(registry: Any, env: dict[str, str], image: Image) -> Counted:
    """(b) BURST identical cold questions at once; a resolution is one HEAD of the tag."""
    with app_for(env) as app:
        start = registry.mark()
        failures = _burst(app, image)
        if failures:
            raise RuntimeError(f"{len(failures)} burst questions failed: {failures[0]!r}")
        manifests = [a for a in registry.requests(since=start) if "/manifests/" in a.path]
    heads = sum(1 for a in manifests if a.method == "HEAD")
    gets = sum(1 for a in manifests if a.method == "GET")
    return Counted(BURST, heads, f"{heads} manifest HEAD, {gets} manifest GET")


def shared_redis(registry: Any, env: dict[str, str], image: Image) -> Counted:
    """(c) Two app instances on one Redis: the first asks, then the second asks the same."""
    with app_for(env) as first, app_for(env) as second:
        start = registry.mark()
        ask(first, image)
        middle = registry.mark()
        ask(second, image)
        later = registry.request_count(since=middle)
    return Counted(registry.request_count(since=start) - later, later)


def request_counts(registry: Any, env: dict[str, str], redis_url: str) -> tuple[list[Row], str]:
    section = "3 registry"
    a = repeated(registry, env, push_image(registry, "repeated"))
    b = burst(registry, env, push_image(registry, "burst"))
    shared = {**env, "WINCOMPAT_REDIS_URL": redis_url}
    c = shared_redis(registry, shared, push_image(registry, "redis"))
    rows = [
        Row(
            section,
            f"(a) requests for {REPEATS} repeats after the first",
            a.later,
            "requests",
            "the first question's",
            a.first,
            "0",
            a.later == 0,
        ),
        Row(
            section,
            f"(b) resolutions for {BURST} identical cold questions at once (1 process)",
            b.later,
            "resolutions",
            "questions",
            b.first,
            "≤ 1",
            b.later <= 1,
        ),
        Row(
            section,
            "(c) requests from a 2nd instance sharing Redis",
            c.later,
            "requests",
            "the 1st instance's",
            c.first,
            "0",
            c.later == 0,
        ),
    ]
    return rows, f"Burst (b): {b.detail} in the registry's access log."
