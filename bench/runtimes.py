"""What the runtime rows and known problems cost per question, in-process (no server, no
registry): the judgement of a 26100+20348+17763+linux list with and without the four runtime
rows, measured in the same run, interleaved, medians of several rounds.

    .venv/bin/python bench/runtimes.py [--rounds 7] [--count 2000] [--output FILE]
"""

from __future__ import annotations

import argparse
import platform as host_platform
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime

from common import BENCH, ROOT, setup_paths

setup_paths()

from service.compat import runtimes  # noqa: E402
from service.compat.assessment import assess  # noqa: E402
from service.compat.hosts import make_host  # noqa: E402
from service.compat.image import Platform  # noqa: E402
from service.compat.rules import Verdict  # noqa: E402
from service.compat.selection import judge_entry, select_platform  # noqa: E402
from service.compat.versions import parse_version  # noqa: E402

PLATFORMS = (
    Platform("windows", "amd64", "10.0.26100.3194", "sha256:" + "a" * 64, None, "index"),
    Platform("windows", "amd64", "10.0.20348.3207", "sha256:" + "b" * 64, None, "index"),
    Platform("windows", "amd64", "10.0.17763.5329", "sha256:" + "c" * 64, None, "index"),
    Platform("linux", "amd64", None, "sha256:" + "d" * 64, None, "none"),
)
HOSTS = ("10.0.26100.4000", "10.0.20348.2700", "10.0.17763.6000", "10.0.25398.950")


def doc_only(host) -> object:
    """The judgement before runtime rows: every entry judged, the best one assessed."""
    entries = [judge_entry(host, p, "amd64") for p in PLATFORMS]
    judged = [e for e in entries if e.version is not None]
    best = max(judged, key=lambda e: (e.process.verdict is Verdict.SUPPORTED, e.version.key))
    return assess(host, best.version)


def with_runtimes(host) -> object:
    return select_platform(host, PLATFORMS)


def rows_only(host) -> object:
    return runtimes.outcomes_for_platforms(host, PLATFORMS)


def _per_call_us(fn: Callable, hosts: list, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        fn(hosts[i % len(hosts)])
    return (time.perf_counter() - started) / count * 1e6


def measure(rounds: int, count: int) -> dict[str, list[float]]:
    hosts = [make_host(parse_version(h)) for h in HOSTS]
    variants = {"doc only": doc_only, "with runtime rows": with_runtimes, "rows only": rows_only}
    for fn in variants.values():
        _per_call_us(fn, hosts, 200)  # warm up
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():  # interleaved: drift hits every variant alike
            results[name].append(_per_call_us(fn, hosts, count))
    return results


def _revision() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def report(results: dict[str, list[float]], rounds: int, count: int) -> str:
    med = {name: statistics.median(values) for name, values in results.items()}
    base = med["doc only"]
    lines = [
        "# Runtime rows: cost per question",
        "",
        f"Written by `.venv/bin/python bench/runtimes.py` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC at {_revision()}; Python "
        f"{host_platform.python_version()}, {rounds} interleaved rounds of {count} calls each, "
        "medians. In-process, no server and no registry: the pure judgement of one image "
        "question about a 26100+20348+17763+linux list, on four hosts in turn.",
        "",
        "| variant | µs per question | ratio to doc only |",
        "|---|---|---|",
    ]
    for name, value in med.items():
        lines.append(f"| {name} | {value:.1f} | {value / base:.2f}x |")
    lines += [
        "",
        "- *doc only*: every entry judged and the best one assessed, as before the runtime rows "
        "(the baseline, measured in the same run).",
        "- *with runtime rows*: `select_platform` as `/compat` runs it now: the four runtime "
        "rows, their disagreement warnings and sentence clause, known problems per runtime.",
        "- *rows only*: `runtimes.outcomes_for_platforms` alone.",
        "",
        "A repeated GET is replayed from the per-process answer cache and never reaches this "
        "code; this is the cost on a cache miss of the answer, next to a registry round trip "
        "(milliseconds) or a cached resolution. On the shared 2-core machine the absolute "
        "numbers moved about 3x between runs (other work on it); the ratio stayed 2.1-3.7x.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--output", default=str(BENCH / "RESULTS-runtimes.md"))
    args = parser.parse_args()
    results = measure(args.rounds, args.count)
    text = report(results, args.rounds, args.count)
    print(text)
    with open(args.output, "w") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
