"""wincompat check: answer one question without a server."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from service import logs
from service.cli import status
from service.cli.common import (
    EXIT_COMPATIBLE,
    EXIT_ERROR,
    EXIT_INCOMPATIBLE,
    add_arch,
    add_isolation,
    app_or_exit,
    config_or_exit,
    problem_lines,
)
from service.compat.runtime_ids import RUNTIME_IDS

NAME = "check"
HELP = "answer one question without a server"
EPILOG = """examples:
  wincompat check mcr.microsoft.com/windows/servercore:ltsc2019 --host 10.0.20348.2700
  wincompat check --image-version 10.0.17763.5329 --host "$(ver)" --isolation process
  wincompat check contoso.azurecr.io/app:1.2 --host "$(docker info)" --json

exit codes:
  0  compatible: a mode allowed by --isolation is supported
  1  not compatible
  2  error: bad input, a bad WINCOMPAT_* variable, or the registry failed"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "image", nargs="?", help="an image reference, e.g. nginx or mcr.microsoft.com/...:tag"
    )
    parser.add_argument(
        "--image-version", help="instead of IMAGE: the image's OS version; no registry is asked"
    )
    parser.add_argument(
        "--host",
        required=True,
        help="the host's version in any shape: 10.0.20348.2700, `ver` output, a whole "
        "`docker info` or `systeminfo` of one host",
    )
    parser.add_argument(
        "--host-type",
        choices=("server", "client"),
        help="server (the default) or client (Windows 10/11) for builds that are both",
    )
    add_arch(parser, "host's")
    add_isolation(
        parser,
        help="the isolation modes you can use (default any); it decides the exit code. "
        "Kubernetes on AKS/EKS/GKE: process",
    )
    parser.add_argument(
        "--runtime",
        choices=RUNTIME_IDS,
        help="judge what this runtime pulls and starts; its outcome decides the exit code",
    )
    parser.add_argument("--json", action="store_true", help="print the whole JSON answer")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print the service's log lines on stderr"
    )


def _question(args: argparse.Namespace) -> dict:
    question = {"host": args.host, "arch": args.arch, "isolation": args.isolation}
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


def _registry(image: str | None) -> str | None:
    from service.registry.reference import InvalidReference, parse_reference

    try:
        return parse_reference(image).registry if image else None
    except InvalidReference:
        return None  # the answer says why


def run(args: argparse.Namespace) -> int:
    """The same app the server runs, asked in-process: identical answers and errors."""
    if bool(args.image) == bool(args.image_version):
        print("error: give exactly one of IMAGE and --image-version", file=sys.stderr)
        return EXIT_ERROR
    config = config_or_exit()
    app = app_or_exit(config) if config else None
    if app is None:
        return EXIT_ERROR
    client = app.test_client()
    previous = logging.root.manager.disable
    if not args.verbose:
        logging.disable(logging.CRITICAL)  # a command's output is its answer, not log lines
    registry = _registry(args.image)
    shown = logs.to_stream(sys.stderr) if args.verbose else _nothing()
    try:
        with shown, status.Status(sys.stderr, f"asking {registry}…") if registry else _nothing():
            response = client.post("/compat", json=_question(args))
    finally:
        logging.disable(previous)
    body = response.get_json(silent=True) or {}
    if response.status_code != 200:
        print(json.dumps(body, indent=2) if args.json else problem_lines(body), file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(body, indent=2) if args.json else _human(body))
    return EXIT_COMPATIBLE if body["compatible"] else EXIT_INCOMPATIBLE


def _nothing():
    import contextlib

    return contextlib.nullcontext()
