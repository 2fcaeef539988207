"""The machine description and bench/RESULTS.md."""

from __future__ import annotations

import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cached import Comparison, counted
from cold import ColdResult
from common import ROOT, Row, fmt, verdict
from profiling import Profile

FAIRNESS = """\
- Part 1: gunicorn and wrk share the same 2 cores, for both apps alike; the access log (one
  JSON line a request) is written to /dev/null by both. Both servers run side by side and the
  measured rounds alternate, so a disturbance hits both; "other CPU" in the rounds table is the
  machine's busy time outside the workers and wrk (gunicorn masters, other processes, kernel):
  a large value means the round was disturbed. Worker CPU per request is the steadiest number
  on a shared machine. Before the rounds a discarded wrk run warms every worker, thread and
  connection; for wincompat one request first fills the cache (of one worker: the other fills
  its own during the warm-up), and the registry's access log must stay silent during the rounds.
- Part 2: wincompat is timed in-process (a new `RegistryClient` and a new connection pool per
  resolution, so a TCP connect each time); skopeo is a new process each time, so its median
  includes process start-up, shown on its own as `skopeo --version`. Runs are interleaved.
  With `--tls-verify=false` skopeo first tries HTTPS on the plain-HTTP port, then falls back.
- Part 3: requests are counted in docker-registry's own access log, never estimated."""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    load: list[Comparison] = field(default_factory=list)
    cold: list[ColdResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: Profile | None = None


def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "?"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "?"


def _cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def _memory() -> str:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "?"


def _revision() -> str:
    head = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    changed = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "service"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()
    return f"{head} (service/ has uncommitted changes)" if changed else head


def machine() -> list[tuple[str, str]]:
    return [
        ("nproc", _first_line(["nproc"])),
        ("CPU", _cpu_model()),
        ("memory", _memory()),
        ("Python", platform.python_version()),
        ("kernel", platform.release()),
        ("wrk", _first_line(["/usr/bin/wrk", "--version"]).split(" Copyright")[0]),
        ("skopeo", _first_line(["skopeo", "--version"])),
        ("docker-registry", _first_line(["/usr/bin/docker-registry", "--version"])),
        ("redis-server", _first_line(["redis-server", "--version"])),
        ("gunicorn", _first_line([sys.executable, "-m", "gunicorn", "--version"])),
        ("git revision", _revision()),
    ]


def _row(row: Row) -> str:
    ratio = "n/a" if row.ratio is None else f"{row.ratio:.3f}x"
    baseline = f"{fmt(row.baseline, row.unit)} ({row.baseline_label})" if row.baseline_label else ""
    cells = [row.section, row.metric, fmt(row.value, row.unit), baseline, ratio]
    return "| " + " | ".join([*cells, row.target or "—", verdict(row.met)]) + " |"


def results_table(rows: list[Row]) -> list[str]:
    head = "| part | metric | measured | baseline (same run) | ratio | target | target met? |"
    return [head, "|---|---|---|---|---|---|---|", *(_row(r) for r in rows)]


def summary(rows: list[Row]) -> list[str]:
    met = [r.name for r in rows if r.met]
    missed = [r.name for r in rows if r.met is False]
    lines = [f"**Targets met ({len(met)}):** " + ("; ".join(met) or "none") + "."]
    lines.append("")
    lines.append(f"**Targets NOT met ({len(missed)}):** " + ("; ".join(missed) or "none") + ".")
    return lines


def rounds_table(found: Comparison) -> list[str]:
    lines = [
        f"{found.label} (`{found.path}`):",
        "",
        "| app | run | req/s | p50 | p99 | max | worker CPU/request | busiest worker "
        "| wrk CPU | other CPU | worker restarts | failed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for app, runs in (("bare Flask hello", found.hello), ("wincompat", found.ours)):
        kept = counted(runs)
        for number, run in enumerate(runs, 1):
            w = run.wrk
            label = f"{number}" if run in kept else f"{number} (left out)"
            lines.append(
                f"| {app} | {label} | {w.rps:,.0f} | {w.p50_ms:.2f} ms | {w.p99_ms:.2f} ms "
                f"| {w.max_ms:.1f} ms | {run.cpu_us_per_request:.0f} µs | {run.busiest:.0%} "
                f"| {run.wrk_cpu:.1f} s | {run.other_cpu:.1f} s | {run.restarts} | {w.failed} |"
            )
    return lines


def wrk_outputs(found: Comparison) -> list[str]:
    lines: list[str] = []
    for app, runs in (("bare Flask hello", found.hello), ("wincompat", found.ours)):
        for number, run in enumerate(runs, 1):
            title = f"{found.label}, {app}, round {number}"
            lines += [f"<details><summary>{title}</summary>", "", "```", run.text.strip()]
            lines += ["```", "</details>", ""]
    return lines


def cold_table(cold: list[ColdResult]) -> list[str]:
    lines = [
        "| what | median | min | max | registry requests per resolution |",
        "|---|---|---|---|---|",
    ]
    for c in cold:
        lines.append(
            f"| {c.label} | {c.median_ms:.2f} ms | {c.min_ms:.2f} ms | {c.max_ms:.2f} ms "
            f"| {c.registry_requests} |"
        )
    return [*lines, "", *_without_start(cold)]


def _without_start(cold: list[ColdResult]) -> list[str]:
    """What skopeo's registry work alone takes: its medians minus its process start-up."""
    if len(cold) < 4:
        return []
    ours, *skopeo, start = cold
    work = [(c.label, c.median_ms - start.median_ms) for c in skopeo]
    spans = ", ".join(f"`{label}` ≈ {ms:.1f} ms" for label, ms in work)
    raw = max(work[0][1], 0.001)
    verdict = (
        "so wincompat stays within 0.5x even then"
        if ours.median_ms <= 0.5 * raw
        else f"so against `{work[0][0]}`'s registry work alone the ratio would be "
        f"{ours.median_ms / raw:.2f}x: most of the margin is skopeo's process start-up"
    )
    return [
        f"Without process start-up (median minus `skopeo --version`'s {start.median_ms:.1f} ms): "
        f"{spans}, against wincompat's {ours.median_ms:.1f} ms in-process; {verdict}."
    ]


def _shares(title: str, shares: list[tuple[str, float]], per_request_us: float) -> list[str]:
    lines = [f"| {title} | share of the request | ≈ µs a request |", "|---|---|---|"]
    for what, share in shares:
        lines.append(f"| {what} | {share:.1f}% | {share * per_request_us / 100:.0f} |")
    return [*lines, ""]


def profile_section(profile: Profile, count: int) -> list[str]:
    us = profile.per_request_us
    gap = us / profile.hello_per_request_us
    lines = [
        f"{count} cached `GET /compat` requests straight through the WSGI app in-process (no "
        f"HTTP server, no test client): **{us:.0f} µs** a request without the profiler, "
        f"against **{profile.hello_per_request_us:.0f} µs** for the bare Flask hello app "
        f"({gap:.1f}x). Then the same requests under cProfile; shares are of the profiled "
        f"request time, and µs apply each share to the unprofiled {us:.0f} µs (approximate: the "
        "profiler slows small functions more).",
        "",
        "Own time (not counting callees) by who owns the code, adding up to 100%:",
        "",
        *_shares("package or wincompat module", profile.groups, us),
        "wincompat's functions, cumulative (a line includes what it calls):",
        "",
        *_shares("function", profile.service, us),
        "Library parts, cumulative:",
        "",
        *_shares("part", profile.libraries, us),
    ]
    lines += ["<details><summary>cProfile, top functions by own time</summary>", ""]
    lines += ["```", profile.top_tottime, "```", "</details>", ""]
    lines += ["<details><summary>cProfile, top functions by cumulative time</summary>", ""]
    lines += ["```", profile.top_cumulative, "```", "</details>"]
    return lines


def render(results: Results, command: str, settings: list[str], profile_count: int) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# wincompat benchmark results", ""]
    lines += [f"Written by `{command}` on {now}; re-run the command to refresh it.", ""]
    lines += ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in machine()]
    lines += ["", "## Settings", "", *(f"- {s}" for s in settings), ""]
    lines += ["## Results", "", *results_table(results.rows), "", *summary(results.rows), ""]
    lines += [f"- {note}" for note in results.notes]
    lines += ["", "## Cached load, every round", ""]
    for found in results.load:
        lines += [*rounds_table(found), ""]
    lines += ["", "## Cold resolution, every variant", "", *cold_table(results.cold), ""]
    if results.profile is not None:
        lines += ["## Where a cached /compat request spends its time", ""]
        lines += [*profile_section(results.profile, profile_count), ""]
    lines += ["## How fair the comparisons are", "", FAIRNESS, ""]
    lines += ["## wrk output", ""]
    for found in results.load:
        lines += wrk_outputs(found)
    return "\n".join(lines).rstrip() + "\n"
