"""Part 2: cold resolution, in-process RegistryClient (fresh client and connections each time)
against skopeo reading the same reference, interleaved, same number of repetitions."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from common import Row, clean_env, median_ms, timed

SKOPEO = "skopeo"
COLD_TARGET = 0.5  # x skopeo


@dataclass(frozen=True)
class ColdResult:
    label: str
    median_ms: float
    min_ms: float
    max_ms: float
    registry_requests: int  # per resolution, counted on one extra run


def skopeo_commands(ref: str) -> dict[str, list[str]]:
    target = f"docker://{ref}"
    return {
        "skopeo inspect --raw": [SKOPEO, "inspect", "--raw", "--tls-verify=false", target],
        "skopeo --override-os windows inspect": [
            SKOPEO,
            "--override-os",
            "windows",
            "inspect",
            "--tls-verify=false",
            target,
        ],
        "skopeo --version (process start only)": [SKOPEO, "--version"],
    }


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=30, env=clean_env())


def wincompat_call(config: Any, ref_text: str) -> Callable[[], object]:
    """A fresh RegistryClient with its own new connection pool: nothing reused between calls."""
    from service.registry.client import RegistryClient
    from service.registry.reference import parse_reference
    from service.registry.transport import new_session

    ref = parse_reference(ref_text)

    def call() -> object:
        with new_session() as session:
            return RegistryClient(config, session=session).resolve(ref)

    return call


def _requests_per_call(registry: Any, call: Callable[[], object]) -> int:
    since = registry.mark()
    call()
    return registry.request_count(since=since)


def measure(registry: Any, config: Any, ref: str, repetitions: int) -> list[ColdResult]:
    """wincompat first, then each skopeo command, in that order, `repetitions` rounds."""
    calls: dict[str, Callable[[], object]] = {
        "wincompat RegistryClient.resolve": wincompat_call(config, ref)
    }
    for label, command in skopeo_commands(ref).items():
        calls[label] = lambda command=command: _run(command)
    counts = {label: _requests_per_call(registry, call) for label, call in calls.items()}
    samples: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(repetitions):
        for label, call in calls.items():
            samples[label].append(timed(call))
    return [
        ColdResult(
            label,
            median_ms(samples[label]),
            min(samples[label]) * 1000,
            max(samples[label]) * 1000,
            counts[label],
        )
        for label in calls
    ]


def cold_resolution(
    registry: Any, env: dict[str, str], ref: str, repetitions: int
) -> tuple[list[Row], list[ColdResult]]:
    from service.config import Config

    results = measure(registry, Config.from_env(env), ref, repetitions)
    ours, raw, full, start = results
    metric = f"cold resolution, median of {repetitions}"
    rows = [
        Row("2 cold", metric, ours.median_ms, "ms", raw.label, raw.median_ms, "≤ 0.5x"),
        Row("2 cold", metric, ours.median_ms, "ms", full.label, full.median_ms, "≤ 0.5x"),
    ]
    rows = [replace(r, met=(r.ratio or 1) <= COLD_TARGET) for r in rows]
    rows.append(Row("2 cold", metric, ours.median_ms, "ms", start.label, start.median_ms))
    return rows, results
