"""wincompat check: answer one question without a server."""

from __future__ import annotations

import argparse
import json
import sys

from service.cli.common import EXIT_COMPATIBLE, EXIT_ERROR, EXIT_INCOMPATIBLE, problem_lines
from service.compat.runtime_ids import RUNTIME_IDS

NAME = "check"
HELP = "answer one question without a server"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", nargs="?", help="an image reference, e.g. nginx or mcr...:tag")
    parser.add_argument("--image-version", help="instead of IMAGE: the image's OS version")
    parser.add_argument("--host", required=True, help="the host's version, in any shape")
    parser.add_argument("--host-type", choices=("server", "client"))
    parser.add_argument("--arch", choices=("amd64", "arm64"), default="amd64")
    parser.add_argument(
        "--runtime",
        choices=RUNTIME_IDS,
        help="judge what this runtime pulls and starts; its outcome decides the exit code",
    )
    parser.add_argument("--json", action="store_true", help="print the whole JSON answer")


def _question(args: argparse.Namespace) -> dict:
    question = {"host": args.host, "arch": args.arch}
    if args.host_type:
        question["host_type"] = args.host_type
    if args.image:
        question["image"] = args.image
    if args.image_version:
        question["image_version"] = args.image_version
    if getattr(args, "runtime", None):
        question["runtime"] = args.runtime
    return question


def _human(answer: dict) -> str:
    lines = [answer["summary"]]
    for mode, judged in answer["isolation"].items():
        lines.append(f"  {mode + ':':9}{judged['verdict']:12}{judged['reason']}")
    lines += [f"  warning: {w}" for w in answer["warnings"]]
    lines += [f"  remedy ({r['action']}): {r['detail']}" for r in answer["remedies"]]
    lines += [_runtime_line(rid, row) for rid, row in answer.get("runtimes", {}).items()]
    return "\n".join(lines)


def _runtime_line(rid: str, row: dict) -> str:
    if not row["matches"]:
        return f"  {rid + ':':16}pulls nothing ({row['detail']})"
    what = {True: f"starts ({row['isolation']})", False: "fails", None: "unknown"}[row["starts"]]
    return f"  {rid + ':':16}{row['os_version'] or '?'} {what}"


def run(args: argparse.Namespace) -> int:
    """The same app the server runs, asked in-process: identical answers and errors."""
    if bool(args.image) == bool(args.image_version):
        print("error: give exactly one of IMAGE and --image-version", file=sys.stderr)
        return EXIT_ERROR
    from service.app import create_app

    client = create_app().test_client()
    response = client.post("/compat", json=_question(args))
    body = response.get_json(silent=True) or {}
    if response.status_code != 200:
        print(json.dumps(body, indent=2) if args.json else problem_lines(body), file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(body, indent=2) if args.json else _human(body))
    return EXIT_COMPATIBLE if body["compatible"] else EXIT_INCOMPATIBLE
