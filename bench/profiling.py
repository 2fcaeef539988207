"""Where a cached /compat request spends its time: the WSGI app called directly in-process (no
HTTP server, no test client), timed plainly, then again under cProfile."""

from __future__ import annotations

import cProfile
import importlib.util
import io
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common import BENCH, LOOPBACK

# Library parts worth naming (cumulative time; listed when the request reaches them).
LIBRARY_PARTS: tuple[tuple[str, str, str], ...] = (
    ("webargs: parse + validate the query (@blp.arguments)", "webargs/core.py", "parse"),
    ("marshmallow: Schema.__init__ (a schema object per request)", "marshmallow/schema.py",
     "__init__"),
    ("flask-smorest: @blp.response wrapper", "flask_smorest/response.py", "wrapper"),
    ("werkzeug: Response() construction", "werkzeug/wrappers/response.py", "__init__"),
    ("json.dumps, every caller", "json/__init__.py", "dumps"),
    ("prometheus_client: .labels() lookups", "prometheus_client/metrics.py", "labels"),
    ("prometheus_client: value updates", "prometheus_client/values.py", "inc"),
    ("Flask: request context push", "flask/ctx.py", "push"),
    ("Flask: request context pop", "flask/ctx.py", "pop"),
)  # fmt: skip
SERVICE_ROWS = 12
GROUP_ROWS = 12

Shares = list[tuple[str, float]]  # (what, % of the app's time)


@dataclass(frozen=True)
class Profile:
    per_request_us: float  # wincompat, without the profiler
    hello_per_request_us: float  # the bare Flask app, called the same way
    groups: Shares  # own time by package / wincompat module (adds up to 100%)
    service: Shares  # wincompat's functions, cumulative
    libraries: Shares  # LIBRARY_PARTS, cumulative
    top_tottime: str
    top_cumulative: str


def wsgi_call(app: Any, path: str) -> Callable[[], bytes]:
    """One GET of `path` straight through the WSGI interface; raises unless it answers 200."""
    from werkzeug.test import EnvironBuilder

    base = EnvironBuilder(path=path, base_url=f"http://{LOOPBACK}").get_environ()

    def call() -> bytes:
        status: list[str] = []
        environ = {**base, "wsgi.input": io.BytesIO()}
        result = app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        if not status or not status[0].startswith("200"):
            raise RuntimeError(f"{path} answered {status}: {body[:200]!r}")
        return body

    return call


def per_request_us(request: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        request()
    return (time.perf_counter() - started) / count * 1e6


def _group(filename: str) -> str:
    """Who owns a function: a wincompat module, a third-party package, the stdlib, C code."""
    if filename == "~":
        return "C built-ins (isinstance, dict methods, ...)"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/service/" in filename:
        return "wincompat service/" + filename.split("/service/", 1)[1]
    if filename.startswith(sys.base_prefix):
        return "stdlib " + filename.rsplit("/lib/", 1)[-1].split("/", 1)[-1]
    return "other (bench harness)"


def _table(stats: pstats.Stats) -> dict[Any, Any]:
    return stats.stats  # type: ignore[attr-defined]


def own_time_groups(stats: pstats.Stats, total: float) -> Shares:
    grouped: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in _table(stats).items():
        grouped[_group(filename)] += row[2]
    ranked = sorted(grouped.items(), key=lambda item: -item[1])
    return [(name, 100 * seconds / total) for name, seconds in ranked[:GROUP_ROWS]]


def service_functions(stats: pstats.Stats, total: float) -> Shares:
    rows = [
        (f"{filename.split('/service/', 1)[1]}:{name}", row[3])
        for (filename, _line, name), row in _table(stats).items()
        if "/service/" in filename and "site-packages" not in filename
    ]
    rows.sort(key=lambda item: -item[1])
    return [(name, 100 * seconds / total) for name, seconds in rows[:SERVICE_ROWS]]


def library_parts(stats: pstats.Stats, total: float) -> Shares:
    found = []
    for label, suffix, name in LIBRARY_PARTS:
        seconds = sum(
            row[3]
            for (filename, _line, function), row in _table(stats).items()
            if function == name and filename.endswith(suffix)
        )
        if seconds:
            found.append((label, 100 * seconds / total))
    return sorted(found, key=lambda item: -item[1])


def _listing(stats: pstats.Stats, order: str, limit: int) -> str:
    stream = io.StringIO()
    stats.stream = stream  # type: ignore[attr-defined]
    stats.sort_stats(order).print_stats(limit)
    text = stream.getvalue()
    return text[text.find("   ncalls") :].rstrip()


def _hello_app() -> Any:
    spec = importlib.util.spec_from_file_location("bench_hello_app", BENCH / "hello_app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def _timed(request: Callable[[], object], count: int) -> float:
    request()  # for wincompat: fills the cache
    per_request_us(request, min(200, count))  # warms everything else
    return per_request_us(request, count)


def profile_cached(app: Any, path: str, count: int) -> Profile:
    """`count` cached requests timed plainly, the same again under cProfile."""
    request = wsgi_call(app, path)
    plain = _timed(request, count)
    hello = _timed(wsgi_call(_hello_app(), "/"), count)
    profiler = cProfile.Profile()
    profiler.runcall(per_request_us, request, count)
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in _table(stats).values()) or 1.0
    return Profile(
        plain,
        hello,
        own_time_groups(stats, total),
        service_functions(stats, total),
        library_parts(stats, total),
        _listing(stats, "tottime", 25),
        _listing(stats, "cumulative", 40),
    )
