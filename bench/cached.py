"""Part 1 orchestration: wincompat and bare Flask side by side, wrk rounds alternating."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from common import Image, Row, compat_path
from throughput import IMBALANCED, Gunicorn, LoadRun, measured_run, run_wrk

THROUGHPUT_TARGET = 0.8  # x bare Flask requests/s
P99_TARGET_MS = 25.0
HELLO_APP = "bench.hello_app:app"
WINCOMPAT_APP = "service.wsgi:app"


@dataclass(frozen=True)
class Comparison:
    label: str  # which settings
    hello: list[LoadRun]
    ours: list[LoadRun]
    registry_requests: int  # sent by wincompat during its measured runs
    path: str


def counted(runs: list[LoadRun]) -> list[LoadRun]:
    """The runs the medians are taken over: the balanced ones, if there are any."""
    return [run for run in runs if not run.imbalanced] or runs


def median_of(runs: list[LoadRun], value: Callable[[LoadRun], float]) -> float:
    return statistics.median(value(run) for run in counted(runs))


def _round(server: Gunicorn, path: str, seconds: int, spare: list[int]) -> list[LoadRun]:
    """One measured run, repeated while lopsided and the shared retry budget lasts."""
    runs = [measured_run(server, path, seconds)]
    while runs[-1].imbalanced and spare[0] > 0:
        spare[0] -= 1
        runs.append(measured_run(server, path, seconds))
    return runs


def _warm(hello: Gunicorn, ours: Gunicorn, path: str, warmup: int) -> None:
    """Both servers up; one question fills wincompat's cache; a discarded wrk run each."""
    hello.wait_ready("/")
    ours.wait_ready("/healthz")
    status, body = ours.get(path)
    if status != 200 or b'"isolation"' not in body:
        raise RuntimeError(f"/compat answered {status}: {body[:300]!r}")
    if warmup > 0:
        run_wrk(hello.base + "/", warmup)
        run_wrk(ours.base + path, warmup)


def compare(
    registry: Any,
    env: dict[str, str],
    image: Image,
    *,
    label: str,
    seconds: int,
    warmup: int,
    rounds: int,
    retries: int = 0,
) -> Comparison:
    """`rounds` measured wrk runs per app, alternating hello / wincompat; up to `retries` more
    runs in all replace lopsided ones (one worker doing nearly all the work)."""
    path = compat_path(image.ref)
    workers = int(env["WEB_CONCURRENCY"])
    with Gunicorn(HELLO_APP, env, workers) as hello, Gunicorn(WINCOMPAT_APP, env, workers) as ours:
        _warm(hello, ours, path, warmup)
        since = registry.mark()
        hello_runs: list[LoadRun] = []
        our_runs: list[LoadRun] = []
        spare = [retries]
        for _ in range(rounds):
            hello_runs += _round(hello, "/", seconds, spare)
            our_runs += _round(ours, path, seconds, spare)
        during = registry.request_count(since=since)
    return Comparison(label, hello_runs, our_runs, during, path)


def rows(found: Comparison, *, targets: bool) -> list[Row]:
    """The medians over the rounds, each against bare Flask's; targets only for steady state."""
    section, base = f"1 cached, {found.label}", "bare Flask hello"
    ours, hello = found.ours, found.hello

    def pair(metric: str, unit: str, value: Callable[[LoadRun], float]) -> Row:
        return Row(section, metric, median_of(ours, value), unit, base, median_of(hello, value))

    rps = pair("requests/s", "req/s", lambda r: r.wrk.rps)
    p99 = pair("p99 latency", "ms", lambda r: r.wrk.p99_ms)
    failed = sum(r.wrk.failed for r in ours)
    restarts = sum(r.restarts for r in ours)
    rows = [
        replace(rps, target="≥ 0.8x hello", met=(rps.ratio or 0) >= THROUGHPUT_TARGET),
        pair("p50 latency", "ms", lambda r: r.wrk.p50_ms),
        replace(p99, target="< 25 ms", met=p99.value < P99_TARGET_MS),
        pair("worker CPU per request", "µs", lambda r: r.cpu_us_per_request),
        Row(
            section,
            "failed requests (non-2xx, socket errors)",
            failed,
            "requests",
            base,
            sum(r.wrk.failed for r in hello),
            "0",
            failed == 0,
        ),
        Row(
            section,
            "worker restarts during the measured runs",
            restarts,
            "",
            base,
            sum(r.restarts for r in hello),
        ),
        Row(
            section,
            "registry requests during the measured runs",
            found.registry_requests,
            "requests",
            target="0",
            met=found.registry_requests == 0,
        ),
    ]
    return rows if targets else [replace(r, target="", met=None) for r in rows]


def recycling_note(found: Comparison) -> str:
    restarts = sum(r.restarts for r in found.ours)
    served = sum(r.wrk.requests for r in found.ours)
    return (
        f"With the shipped recycling, {restarts} wincompat worker(s) were replaced while serving "
        f"{served:,} requests in {found.ours[0].wrk.seconds:.0f} s; each new worker imports the "
        "app again and starts with an empty in-process cache: "
        f"{found.registry_requests} registry request(s) during that run."
    )


def balance_note(found: Comparison) -> str:
    runs = [*found.hello, *found.ours]
    lopsided = sum(1 for run in runs if run.imbalanced)
    return (
        f"{lopsided} of {len(runs)} measured runs were lopsided (one gunicorn worker used more "
        f"than {IMBALANCED:.0%} of the workers' CPU time: gthread lets one worker accept nearly "
        "all of wrk's 16 keep-alive connections); the medians leave them out when balanced runs "
        "exist. Such a run serves at about one worker's throughput, at a higher CPU cost per "
        "request."
    )
