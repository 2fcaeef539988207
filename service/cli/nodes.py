"""wincompat nodes IMAGE -: which nodes of a cluster run the image, and what to paste."""

from __future__ import annotations

import argparse
import sys

from service.cli.common import (
    EXIT_COMPATIBLE,
    EXIT_ERROR,
    EXIT_INCOMPATIBLE,
    add_isolation,
    ask,
    client_or_exit,
)
from service.compat.runtime_ids import RUNTIME_IDS

NAME = "nodes"
HELP = "judge every node of `kubectl get nodes -o json` or `docker node inspect` output"
MAX_INPUT = 256 * 1024 * 1024  # real node lists carry image lists; slimmed before asking


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", nargs="?", help="an image reference")
    parser.add_argument("file", nargs="?", default="-", help="the node list; - for stdin")
    parser.add_argument("--image-version", help="instead of IMAGE: the image's OS version")
    add_isolation(parser)
    parser.add_argument(
        "--runtime",
        choices=RUNTIME_IDS,
        help="for nodes that name no known containerRuntimeVersion: judge what this runtime pulls",
    )
    parser.add_argument("--json", action="store_true", help="print the whole JSON answer")


def _read(path: str) -> str:
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    with stream:
        text = stream.read(MAX_INPUT + 1)
    if len(text) > MAX_INPUT:
        raise ValueError(f"the node list is larger than {MAX_INPUT // 2**20} MiB")
    return text


def _line(node: dict) -> str:
    build = node["os_version"] or "?"
    verdict = "runs" if node["runs"] else ("unknown" if node["build"] is None else "fails")
    how = f" ({node['isolation']})" if node["isolation"] else ""
    flags = f" [{', '.join(node['flags'])}]" if node["flags"] else ""
    return f"  {node['name']:32} {build:18} {verdict}{how}{flags}"


def human(answer: dict) -> str:
    lines = [answer["summary"]]
    lines += [_line(n) for n in answer["nodes"]]
    lines += [f"  {s['name']:32} {'-':18} skipped ({s['reason']})" for s in answer["skipped"]]
    k8s, swarm = answer.get("kubernetes"), answer.get("swarm")
    if k8s and k8s["yaml"]:
        lines += ["", "# pod spec:", k8s["yaml"].rstrip()]
        if k8s["revision_label"]:
            lines += ["", "# label the nodes first:", *k8s["revision_label"]["commands"]]
        if k8s["runtime_class"]:
            lines += ["", "# RuntimeClass:", k8s["runtime_class"]["yaml"].rstrip()]
    if swarm and swarm["constraints"]:
        lines += ["", "# Swarm:", *swarm["commands"]]
    for note in (k8s or {}).get("notes", []) + (swarm or {}).get("notes", []):
        lines.append(f"# note: {note}")
    lines += [f"remedy ({r['action']}): {r['detail']}" for r in answer.get("remedies", [])]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.image_version and args.image and args.file == "-":
        args.image, args.file = None, args.image  # `nodes --image-version V FILE`
    if bool(args.image) == bool(args.image_version):
        print("error: give exactly one of IMAGE and --image-version", file=sys.stderr)
        return EXIT_ERROR
    from service.pastes.nodes import NodePasteError, load_text, slim

    try:
        doc = slim(load_text(_read(args.file)))
    except (OSError, ValueError, NodePasteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    question = {"nodes": doc, "isolation": args.isolation}
    if args.runtime:
        question["runtime"] = args.runtime
    question.update({"image": args.image} if args.image else {"image_version": args.image_version})
    client = client_or_exit()
    body = ask(client, "/compat/nodes", question, args.json, human) if client else None
    if body is None:
        return EXIT_ERROR
    windows = len(body["nodes"])
    return EXIT_COMPATIBLE if windows and len(body["runs_on"]) == windows else EXIT_INCOMPATIBLE
