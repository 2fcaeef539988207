"""Shared pieces of the benchmark: paths, the loopback registry image, settings, result rows."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
HOST_VERSION = "10.0.20348.2700"  # the host every question asks about
IMAGE_VERSION = "10.0.20348.2113"  # the os.version of every pushed image
WORKERS = 2  # WEB_CONCURRENCY for both gunicorn apps
THREADS = 8  # WINCOMPAT_THREADS for both gunicorn apps
_DROPPED = ("WINCOMPAT_", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "REGISTRY_")
_PROXIES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def setup_paths() -> None:
    """Make `service` and the test harness modules importable."""
    for path in (ROOT, ROOT / "tests"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


setup_paths()
# One free-port helper and loopback address, shared with the tests.
from helpers import LOOPBACK, free_port  # noqa: E402, F401


def clean_env() -> dict[str, str]:
    """This process's environment without any wincompat setting or proxy."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(_DROPPED) and k.lower() not in _PROXIES
    }


def service_env(
    registry_host: str, workers: int = WORKERS, threads: int = THREADS
) -> dict[str, str]:
    """The settings every wincompat instance (and the bare Flask baseline) runs with."""
    env = clean_env()
    env.update(
        WINCOMPAT_ALLOWED_REGISTRIES="",
        WINCOMPAT_INSECURE_REGISTRIES=registry_host,
        WEB_CONCURRENCY=str(workers),
        WINCOMPAT_THREADS=str(threads),
        WINCOMPAT_GRACEFUL_TIMEOUT="5",
    )
    return env


def compat_path(image_ref: str) -> str:
    return f"/compat?image={image_ref}&host={HOST_VERSION}"


@dataclass(frozen=True)
class Image:
    """A Windows-shaped image pushed to the loopback registry."""

    registry_host: str
    repo: str
    tag: str

    @property
    def ref(self) -> str:
        return f"{self.registry_host}/{self.repo}:{self.tag}"


def push_image(registry: Any, prefix: str) -> Image:
    """A fresh repository holding an MCR-shaped one-entry list (never asked about before)."""
    repo = registry.new_repo(f"bench/{prefix}")
    registry.push_mcr_base(repo, "ltsc2022", IMAGE_VERSION)
    return Image(registry.host, repo, "ltsc2022")


def timed(call: Callable[[], object]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


@dataclass(frozen=True)
class Row:
    """One measured number, its baseline from the same run, and its target."""

    section: str
    metric: str
    value: float
    unit: str
    baseline_label: str = ""
    baseline: float | None = None
    target: str = ""
    met: bool | None = None  # None: informational, no target

    @property
    def name(self) -> str:
        versus = f" vs {self.baseline_label}" if self.baseline_label else ""
        return f"{self.section}: {self.metric}{versus}"

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if unit in ("", "requests", "resolutions", "questions"):
        text = f"{value:g}" if value == int(value) else f"{value:.2f}"
    elif unit == "req/s":
        text = f"{value:,.0f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def verdict(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "NOT met")
