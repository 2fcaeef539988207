"""Prometheus metrics, one place for every name. In gunicorn, PROMETHEUS_MULTIPROC_DIR is set
before this module is imported so every worker writes to shared files that /metrics aggregates."""

from __future__ import annotations

import functools
import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

HTTP_REQUESTS = Counter(
    "wincompat_http_requests_total", "HTTP requests served", ["endpoint", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "wincompat_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)
CACHE_EVENTS = Counter(
    "wincompat_cache_events_total",
    "Cache lookups by layer (memory, redis) and result (hit, miss, stale)",
    ["layer", "kind", "result"],
)
REGISTRY_REQUESTS = Counter(
    "wincompat_registry_requests_total",
    "HTTP requests sent to registries, by registry host and status (or error kind)",
    ["registry", "status"],
)
REGISTRY_LATENCY = Histogram(
    "wincompat_registry_request_duration_seconds",
    "Time for one registry request",
    ["registry"],
    buckets=LATENCY_BUCKETS,
)
SINGLEFLIGHT_WAITS = Counter(
    "wincompat_singleflight_waits_total",
    "Questions that waited for another's resolution instead of asking the registry",
    ["scope"],
)
REDIS_UP = Gauge(
    "wincompat_redis_up",
    "1 while the configured shared Redis answers, 0 while it does not (the service keeps "
    "answering from its in-process cache); absent when no Redis is configured",
    multiprocess_mode="livemin",
)
REDIS_ERRORS = Counter(
    "wincompat_redis_errors_total", "Redis operations that failed", ["operation"]
)


@functools.cache
def http_requests(endpoint: str, method: str, status: int):
    """The labelled child, looked up once: .labels() costs a lock and a tuple per call."""
    return HTTP_REQUESTS.labels(endpoint, method, str(status))


@functools.cache
def http_latency(endpoint: str):
    return HTTP_LATENCY.labels(endpoint)


def render() -> tuple[bytes, str]:
    """The exposition text: aggregated over all workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
