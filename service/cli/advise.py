"""wincompat advise: which base tag to build on for these hosts (GET /advice in-process)."""

from __future__ import annotations

import argparse

from service.cli.common import (
    EXIT_COMPATIBLE,
    EXIT_ERROR,
    EXIT_INCOMPATIBLE,
    add_arch,
    add_isolation,
    ask,
    client_or_exit,
)

NAME = "advise"
HELP = "which tag of a repository to build on for these hosts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repository", help="e.g. mcr.microsoft.com/windows/servercore")
    parser.add_argument("--host", action="append", default=[], help="a host version; repeat")
    parser.add_argument("--kb", help="a KB number to map to its revision")
    add_isolation(
        parser, "process", "the isolation the tag must run with on the hosts (default process)"
    )
    add_arch(parser)
    parser.add_argument("--json", action="store_true", help="print the whole JSON answer")


def _human(answer: dict) -> str:
    lines = []
    for key in ("floating", "pinned"):
        pick = answer.get(key)
        if pick:
            lines.append(f"{key + ':':10}{pick['tag']} ({pick.get('os_version') or '?'})")
    if answer.get("dockerfile"):
        lines.append(answer["dockerfile"])
    for split in answer.get("splits") or []:
        lines.append(f"build {split['build']}: {split['dockerfile'] or 'no tag'}")
    lookup = answer.get("kb_lookup")
    if lookup:
        lines.append(f"{lookup['kb']}: {lookup.get('os_version') or 'not in the tag list'}")
    lines += [f"  warning: {w}" for w in answer["warnings"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    client = client_or_exit()
    if client is None:
        return EXIT_ERROR
    body = {"repository": args.repository, "hosts": args.host, "isolation": args.isolation}
    body["arch"] = args.arch
    if args.kb:
        body["kb"] = args.kb
    answer = ask(client, "/advice", body, args.json, _human)
    if answer is None:
        return EXIT_ERROR
    found = answer.get("dockerfile") or (answer.get("kb_lookup") or {}).get("os_version")
    return EXIT_COMPATIBLE if found else EXIT_INCOMPATIBLE
