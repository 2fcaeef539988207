"""wincompat explain: explain a failure from a paste on stdin (or a file)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service.cli.common import (
    EXIT_COMPATIBLE,
    EXIT_ERROR,
    EXIT_INCOMPATIBLE,
    ask,
    client_or_exit,
)

NAME = "explain"
HELP = "explain a docker/kubectl/Swarm failure from a paste on stdin"
LIMIT = 256 * 1024  # the /explain limit; one byte more says the paste is too long
NODES_LIMIT = 4 * 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", help="the paste; stdin when omitted")
    parser.add_argument("--host", help="the host's version, when the paste does not say it")
    parser.add_argument(
        "--host-type", choices=("server", "client"), help="server (default) or client Windows"
    )
    parser.add_argument("--image", help="the image reference, when the paste does not name it")
    parser.add_argument(
        "--nodes", help="kubectl get nodes -o json / docker node inspect output, as a file"
    )
    parser.add_argument("--json", action="store_true", help="print the whole JSON answer")


def _read(args: argparse.Namespace) -> bytes:
    if args.file:
        with Path(args.file).open("rb") as handle:
            return handle.read(LIMIT + 1)
    return sys.stdin.buffer.read(LIMIT + 1)


def _question(args: argparse.Namespace, text: str) -> dict:
    question: dict = {"text": text}
    for field in ("host", "host_type", "image"):
        if getattr(args, field):
            question[field] = getattr(args, field)
    if args.nodes:  # JSON or YAML text, as /explain takes it; bounded like a paste
        with Path(args.nodes).open("rb") as handle:
            question["nodes"] = handle.read(NODES_LIMIT).decode("utf-8", errors="replace")
    return question


def _human(answer: dict) -> str:
    lines = [answer["summary"]]
    lines += [f"  fix ({f['action']}): {f['detail']}" for f in answer["fixes"]]
    lines += [f"  warning: {w}" for w in answer["warnings"]]
    lines += [f"  accepts: {a}" for a in answer["accepts"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """The same app the server runs, asked in-process: identical answers and errors."""
    try:
        raw = _read(args)
        question = _question(args, raw.decode("utf-8", errors="replace"))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    client = client_or_exit()
    body = ask(client, "/explain", question, args.json, _human) if client else None
    if body is None:
        return EXIT_ERROR
    return EXIT_COMPATIBLE if body["recognised"] else EXIT_INCOMPATIBLE
