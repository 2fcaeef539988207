"""wincompat benchmark: `.venv/bin/python bench/run.py` (see bench/README.md).

Everything runs on 127.0.0.1: a real docker-registry and redis-server from the test harness,
gunicorn serving wincompat and a bare Flask baseline, wrk, skopeo. Every loop is bounded; every
process started here is stopped before the command returns. Prints every number and writes
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NoReturn

from common import (
    BENCH,
    HOST_VERSION,
    THREADS,
    WORKERS,
    Image,
    Row,
    compat_path,
    fmt,
    push_image,
    service_env,
    setup_paths,
    verdict,
)

setup_paths()

import cached  # noqa: E402
import cold  # noqa: E402
import profiling  # noqa: E402
import registry_requests  # noqa: E402
import report  # noqa: E402
import throughput  # noqa: E402

COMMAND = ".venv/bin/python bench/run.py"
PROMETHEUS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded wrk warm-up")
    parser.add_argument("--workers", type=int, default=WORKERS, help="WEB_CONCURRENCY, both apps")
    parser.add_argument("--threads", type=int, default=THREADS, help="WINCOMPAT_THREADS, both")
    parser.add_argument("--rounds", type=int, default=3, help="measured wrk runs per app")
    parser.add_argument(
        "--retries", type=int, default=2, help="extra runs, in all, to replace lopsided ones"
    )
    parser.add_argument(
        "--no-recycling-run",
        dest="recycling_run",
        action="store_false",
        help="skip the extra run with gunicorn's shipped max_requests recycling",
    )
    parser.add_argument("--repetitions", type=int, default=20, help="cold resolutions per tool")
    parser.add_argument("--profile-requests", type=int, default=2000)
    parser.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="profile a cached request: auto = only when the throughput target is missed",
    )
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args(argv)
    if not (1 <= args.duration <= 60 and 0 <= args.warmup <= 30):
        parser.error("--duration must be 1..60 and --warmup 0..30")
    if not (1 <= args.rounds <= 9 and 1 <= args.workers <= 8 and 1 <= args.threads <= 64):
        parser.error("--rounds must be 1..9, --workers 1..8, --threads 1..64")
    if not 0 <= args.retries <= 6:
        parser.error("--retries must be 0..6")
    if not (1 <= args.repetitions <= 200 and 1 <= args.profile_requests <= 20_000):
        parser.error("--repetitions must be 1..200 and --profile-requests 1..20000")
    return args


def say(row: Row) -> Row:
    """Print one measured number with its baseline, ratio and target."""
    parts = [f"[{row.section}] {row.metric}: {fmt(row.value, row.unit)}"]
    if row.baseline_label:
        ratio = "n/a" if row.ratio is None else f"{row.ratio:.3f}x"
        parts.append(f"vs {row.baseline_label} {fmt(row.baseline, row.unit)} (ratio {ratio})")
    if row.target:
        parts.append(f"target {row.target}: {verdict(row.met)}")
    print(" | ".join(parts), flush=True)
    return row


def _stop_on_sigterm() -> None:
    def stop(signum: int, frame: Any) -> NoReturn:
        raise SystemExit(128 + signum)  # unwinds through every `finally`: servers stop

    signal.signal(signal.SIGTERM, stop)


def cached_throughput(
    registry: Any, env: dict[str, str], image: Image, args: argparse.Namespace
) -> list[cached.Comparison]:
    """Steady state (no worker recycling), then, unless skipped, the shipped recycling."""
    steady = cached.compare(
        registry,
        {**env, "WINCOMPAT_MAX_REQUESTS": "0"},
        image,
        label="steady state",
        seconds=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        retries=args.retries,
    )
    found = [steady]
    if args.recycling_run:
        found.append(
            cached.compare(
                registry,
                env,
                image,
                label="default recycling",
                seconds=args.duration,
                warmup=args.warmup,
                rounds=1,
            )
        )
    return found


# -- the whole run -----------------------------------------------------------------------------


def _start_servers(stack: ExitStack) -> tuple[Any, Any]:
    from redis_harness import RedisServer
    from registry_harness import RegistryServer

    registry = RegistryServer()
    stack.callback(registry.close)
    registry.start()
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wincompat-bench-")))
    redis = RedisServer(workdir)
    stack.callback(redis.stop)
    redis.start()
    return registry, redis


def settings(args: argparse.Namespace) -> list[str]:
    wrk = " ".join(throughput.wrk_command("URL", args.duration)[:-3])  # without -s LUA URL
    recycling = (
        "; then 1 more round each with the shipped recycling (WINCOMPAT_MAX_REQUESTS unset: "
        "10000 ± 10%), informational"
        if args.recycling_run
        else ""
    )
    return [
        "gunicorn: `python -m gunicorn -c python:service.gunicorn_conf APP`, APP = "
        f"`service.wsgi:app` or `bench.hello_app:app`; WEB_CONCURRENCY={args.workers}, "
        f"WINCOMPAT_THREADS={args.threads} for both; bound to 127.0.0.1 on a free port",
        f"wrk: `{wrk} -s bench/report.lua URL`, after a discarded {args.warmup} s run per app",
        f"steady state (the targets): WINCOMPAT_MAX_REQUESTS=0 for both apps, {args.rounds} "
        "measured rounds alternating hello / wincompat, medians over the balanced runs (up to "
        f"{args.retries} extra runs replace lopsided ones){recycling}",
        f"question: `/compat?image=127.0.0.1:PORT/bench/servercore-…:ltsc2022&host={HOST_VERSION}`"
        " (an MCR-shaped one-entry Docker manifest list pushed to the local docker-registry)",
        f"cold resolution: {args.repetitions} interleaved repetitions per variant",
    ]


def _multiprocess_metrics(stack: ExitStack) -> None:
    """In-process apps keep metrics like gunicorn's workers do: in mmap'ed files."""
    path = stack.enter_context(tempfile.TemporaryDirectory(prefix="wincompat-bench-prom-"))
    previous = os.environ.get(PROMETHEUS_ENV)
    os.environ[PROMETHEUS_ENV] = path
    if previous is None:
        stack.callback(os.environ.pop, PROMETHEUS_ENV, None)
    else:
        stack.callback(os.environ.__setitem__, PROMETHEUS_ENV, previous)


def run(args: argparse.Namespace, results: report.Results) -> None:
    with ExitStack() as stack:
        _multiprocess_metrics(stack)
        registry, redis = _start_servers(stack)
        image = push_image(registry, "servercore")
        env = service_env(registry.host, args.workers, args.threads)
        print(f"registry {registry.url}, redis {redis.url}, image {image.ref}", flush=True)
        results.load = cached_throughput(registry, env, image, args)
        for number, found in enumerate(results.load):
            results.rows += [say(r) for r in cached.rows(found, targets=number == 0)]
        results.notes += [cached.balance_note(results.load[0])]
        results.notes += [cached.recycling_note(found) for found in results.load[1:]]
        cold_rows, results.cold = cold.cold_resolution(registry, env, image.ref, args.repetitions)
        results.rows += [say(r) for r in cold_rows]
        count_rows, note = registry_requests.request_counts(registry, env, redis.url)
        results.rows += [say(r) for r in count_rows]
        results.notes.append(note)
        print(note, flush=True)
        if args.profile == "always" or (args.profile == "auto" and not results.rows[0].met):
            results.profile = profile_cached(env, image, args.profile_requests)


def profile_cached(env: dict[str, str], image: Image, count: int) -> profiling.Profile:
    with registry_requests.app_for(env) as app:
        found = profiling.profile_cached(app, compat_path(image.ref), count)
    print(
        f"[profile] cached /compat in-process: {found.per_request_us:.0f} us/request, "
        f"bare Flask {found.hello_per_request_us:.0f} us/request",
        flush=True,
    )
    for kind, shares in (
        ("own", found.groups),
        ("cumulative", found.service),
        ("cumulative", found.libraries),
    ):
        for what, share in shares:
            print(f"[profile] {kind} {share:5.1f}%  {what}", flush=True)
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _stop_on_sigterm()
    started = time.monotonic()
    results = report.Results()
    run(args, results)
    command = " ".join([COMMAND, *(argv if argv is not None else sys.argv[1:])])
    text = report.render(results, command, settings(args), args.profile_requests)
    args.output.write_text(text)
    missed = sum(1 for r in results.rows if r.met is False)
    print(
        f"wrote {args.output} in {time.monotonic() - started:.0f} s; {missed} target(s) not met",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
