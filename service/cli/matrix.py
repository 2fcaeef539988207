"""wincompat matrix --image A --image B --host H …: every image against every host."""

from __future__ import annotations

import argparse
import sys

from service.cli.common import (
    EXIT_COMPATIBLE,
    EXIT_ERROR,
    EXIT_INCOMPATIBLE,
    add_arch,
    add_isolation,
    ask,
    client_or_exit,
)
from service.compat.runtime_ids import RUNTIME_IDS

NAME = "matrix"
HELP = "judge several images against several hosts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", action="append", default=[], help="an image reference")
    parser.add_argument(
        "--image-version", action="append", default=[], help="an image's OS version"
    )
    parser.add_argument("--host", action="append", required=True, help="a host, in any shape")
    add_arch(parser)
    add_isolation(parser)
    parser.add_argument(
        "--runtime",
        choices=RUNTIME_IDS,
        help="judge what this runtime pulls and starts on every host",
    )
    parser.add_argument("--json", action="store_true", help="print the whole JSON answer")


def _mark(cell: dict | None) -> str:
    if cell is None:
        return "error"
    return cell["recommended_isolation"] if cell["runs"] else "no"


def human(answer: dict) -> str:
    names = [h["name"] for h in answer["hosts"]]
    width = max(8, *(len(n) for n in names))
    images = [i["reference"] or f"image {i['os_versions'][0]}" for i in answer["images"]]
    left = max(5, *(len(i) for i in images))
    lines = [answer["summary"], f"{'':{left}}  " + "  ".join(f"{n:{width}}" for n in names)]
    for image, row, info in zip(images, answer["cells"], answer["images"], strict=True):
        marks = [_mark(c) for c in row] if row is not None else ["error"] * len(names)
        lines.append(f"{image:{left}}  " + "  ".join(f"{m:{width}}" for m in marks))
        if info["error"]:
            lines.append(f"{'':{left}}  error: {info['error'].get('detail', '')}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    images = [*args.image, *({"image_version": v} for v in args.image_version)]
    if not images:
        print("error: give at least one --image or --image-version", file=sys.stderr)
        return EXIT_ERROR
    client = client_or_exit()
    if client is None:
        return EXIT_ERROR
    question = {"images": images, "hosts": args.host, "arch": args.arch}
    question["isolation"] = args.isolation
    if args.runtime:
        question["runtime"] = args.runtime
    body = ask(client, "/compat/matrix", question, args.json, human)
    if body is None:
        return EXIT_ERROR
    rows = body["cells"]
    every = all(row is not None and all(c["runs"] for c in row) for row in rows)
    return EXIT_COMPATIBLE if every else EXIT_INCOMPATIBLE
