"""/advice speed, measured against baselines from the same run; writes bench/RESULTS-advice.md.

    .venv/bin/python bench/advice.py [--repetitions 15] [--output bench/RESULTS-advice.md]

On 127.0.0.1 only: the test harness's real docker-registry behind its paging front
(tests/paging_front.py), loaded with the MCR-shaped servercore tag set (tests/mcr_tags.py).
1. Choosing over 10,000 tags in-process (classify + advise for one host) against
   json.loads of the same tags/list body: what the pure logic costs beyond reading the list.
2. A cold /advice (fresh app: tags/list pages, the floating tag and KB tags resolved) against
   a cold /compat of the floating tag on the same registry, with registry requests counted.
3. A warm /advice (tag list and images cached) against a warm /compat.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]
from common import setup_paths  # noqa: E402

setup_paths()

from mcr_tags import load_servercore  # noqa: E402
from paging_front import PagingFront  # noqa: E402
from registry_harness import RegistryServer, config_for  # noqa: E402

from service.advice.choose import advise, pick_family  # noqa: E402
from service.advice.shapes import classify  # noqa: E402
from service.app import create_app  # noqa: E402
from service.cache.resolver import Resolver  # noqa: E402
from service.compat.hosts import host_from_text  # noqa: E402
from service.registry.client import RegistryClient  # noqa: E402
from service.registry.tags import TagBounds  # noqa: E402

HOST = "10.0.20348.2700"


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def synthetic_tags(n: int = 10_000) -> list[str]:
    tags, revision = [], 1
    while len(tags) < n:
        for build in (14393, 17763, 20348, 26100):
            tags += [f"10.0.{build}.{revision}", f"10.0.{build}.{revision}-amd64"]
        tags.append(f"ltsc2022-KB{5000000 + revision}")
        revision += 1
    return [*tags[: n - 4], "ltsc2022", "ltsc2019", "1809", "latest"]


def pure(repetitions: int) -> tuple[float, float]:
    tags = synthetic_tags()
    body = json.dumps({"name": "windows/servercore", "tags": tags})
    host = host_from_text(HOST)[0]

    def choose() -> None:
        shapes = [classify(t) for t in json.loads(body)["tags"]]
        advise("r", shapes, [host], {}, family=pick_family(shapes))

    logic = _median_ms([_timed(choose) for _ in range(repetitions)])
    baseline = _median_ms([_timed(lambda: json.loads(body)) for _ in range(repetitions)])
    return logic, baseline


def over_http(repetitions: int) -> dict[str, float]:
    registry = RegistryServer()
    registry.start()
    front = PagingFront(registry.url)
    try:
        loaded = load_servercore(registry, front.host)
        config = config_for(front)
        bounds = TagBounds(page_size=100)

        def fresh_app():
            client = RegistryClient(config, tag_bounds=bounds)
            return create_app(config, resolver=Resolver(client, config))

        advice = {"repository": loaded.reference, "host": HOST}
        compat = {"image": loaded.reference + ":ltsc2022", "host": HOST}
        cold_advice, cold_compat, requests = [], [], []
        for _ in range(repetitions):
            client = fresh_app().test_client()
            mark, pages = registry.mark(), len(front.pages)
            cold_advice.append(_timed(lambda c=client: c.get("/advice", query_string=advice)))
            requests.append(registry.request_count(since=mark) + len(front.pages) - pages)
            other = fresh_app().test_client()
            cold_compat.append(_timed(lambda c=other: c.get("/compat", query_string=compat)))
        client = fresh_app().test_client()
        client.get("/advice", query_string=advice)
        client.get("/compat", query_string=compat)
        # /compat replays its rendered answer; vary the host so both do their work.
        warm_advice = [
            _timed(
                lambda i=i: client.get(
                    "/advice", query_string={**advice, "host": f"{HOST[:-4]}{2700 + i}"}
                )
            )
            for i in range(repetitions)
        ]
        warm_compat = [
            _timed(
                lambda i=i: client.get(
                    "/compat", query_string={**compat, "host": f"{HOST[:-4]}{2700 + i}"}
                )
            )
            for i in range(repetitions)
        ]
        return {
            "tags": len(loaded.tags),
            "cold_advice": _median_ms(cold_advice),
            "cold_compat": _median_ms(cold_compat),
            "requests": statistics.median(requests),
            "warm_advice": _median_ms(warm_advice),
            "warm_compat": _median_ms(warm_compat),
        }
    finally:
        front.close()
        registry.close()


def report(logic: float, baseline: float, http: dict[str, float], repetitions: int) -> str:
    rows = [
        (
            "choose over 10,000 tags (classify + advise)",
            logic,
            "json.loads of the tag list",
            baseline,
        ),
        (
            f"cold /advice ({http['tags']} tags, pages of 100)",
            http["cold_advice"],
            "cold /compat of ltsc2022",
            http["cold_compat"],
        ),
        (
            "warm /advice (tag list and images cached)",
            http["warm_advice"],
            "warm /compat (not replayed)",
            http["warm_compat"],
        ),
    ]
    lines = [
        "# /advice benchmark",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, Python "
        f"{platform.python_version()}, medians of {repetitions} runs; `bench/advice.py` says how.",
        "",
        "| what | ms | baseline in the same run | ms | ratio |",
        "|---|---|---|---|---|",
    ]
    for what, value, base, base_value in rows:
        lines.append(
            f"| {what} | {value:.2f} | {base} | {base_value:.2f} | {value / base_value:.1f}x |"
        )
    lines += [
        "",
        f"Registry requests per cold /advice: {http['requests']:.0f} (tags/list pages, then a "
        "HEAD and a GET of the floating tag's list and of each KB tag's).",
        "",
        "Notes: choosing over 10,000 tags is dominated by one judgement per tag row (`runs_on`;",
        "other builds are judged once per build) and by classifying with three regular",
        "expressions; on the shared 2-core machine of the last run it varied by 2-4x between",
        "runs. A cold /advice costs about one cold /compat plus the tags/list pages and the KB",
        "tags' manifests.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repetitions", type=int, default=15)
    parser.add_argument(
        "--output", type=Path, default=Path(__file__).with_name("RESULTS-advice.md")
    )
    args = parser.parse_args()
    logic, baseline = pure(args.repetitions)
    http = over_http(args.repetitions)
    text = report(logic, baseline, http, args.repetitions)
    args.output.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
