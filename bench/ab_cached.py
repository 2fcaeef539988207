"""Cached /compat in-process, one source tree against another: µs per replayed request through
the WSGI app, and its ratio to the bare Flask hello app measured in the same process.

    .venv/bin/python bench/ab_cached.py OLD_TREE NEW_TREE [--pairs 8]

A tree is a checkout (e.g. `git archive REV | tar -x -C /tmp/old`). Each measurement runs in a
fresh interpreter with that tree first on sys.path; the pairs alternate which tree goes first.
No network: the resolver is a stub answering one image, so only the replay path is timed. CPU
time (process_time), best of 5 batches of 3000 requests. Medians are printed at the end."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import io, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]
import hello_app
from service.app import create_app
from service.cache.resolver import Resolution
from service.compat.image import Platform, ResolvedImage
from service.config import Config

IMAGE = ResolvedImage(
    "mcr.microsoft.com/windows/servercore:ltsc2022", "sha256:" + "a" * 64,
    "application/vnd.docker.distribution.manifest.list.v2+json",
    (Platform("windows", "amd64", "10.0.20348.2113", "sha256:" + "b" * 64),),
)


class Stub:
    def resolve(self, ref):
        return Resolution(IMAGE, "miss", 0, 300, ())

    def ready(self):
        return True


def environ(path, query):
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }


def call(app, path, query):
    status = []
    body = app(environ(path, query), lambda s, h, e=None: status.append(s))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    assert status[0].startswith("200"), status


def per_request(app, path, query, n=3000):
    call(app, path, query)
    batches = []
    for _ in range(5):
        began = time.process_time()
        for _ in range(n):
            call(app, path, query)
        batches.append((time.process_time() - began) / n * 1e6)
    return min(batches)


query = "image=mcr.microsoft.com/windows/servercore:ltsc2022&host=10.0.20348.2700"
wincompat = per_request(create_app(Config(), resolver=Stub()), "/compat", query)
hello = per_request(hello_app.app, "/", "")
print(wincompat, hello)
"""


def measure(tree: Path) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tree)], cwd=tree, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr.strip()}")
    wincompat, hello = (float(x) for x in done.stdout.split())
    return wincompat, hello


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--pairs", type=int, default=8)
    args = parser.parse_args()
    found: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    for pair in range(args.pairs):
        order = ("old", "new") if pair % 2 == 0 else ("new", "old")
        for name in order:
            wincompat, hello = measure(getattr(args, name))
            found[name].append((wincompat, hello))
            print(
                f"pair {pair + 1} {name}: {wincompat:.1f} µs vs hello {hello:.1f} µs "
                f"({wincompat / hello:.3f}x)",
                flush=True,
            )
    for name, rows in found.items():
        ratio = statistics.median(w / h for w, h in rows)
        us = statistics.median(w for w, _ in rows)
        print(f"{name}: median {us:.1f} µs a cached request, {ratio:.3f}x the hello app")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
