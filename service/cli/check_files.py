"""wincompat check-files: check the images that Dockerfiles, compose files and Kubernetes
manifests pin, for CI. Exit 0 when everything runs, 1 when something does not, 2 on error."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from service.cli.common import (
    EXIT_COMPATIBLE,
    EXIT_ERROR,
    EXIT_INCOMPATIBLE,
    add_arch,
    add_isolation,
    client_or_exit,
    problem_lines,
)
from service.pastes.yamltext import YamlError, load_all

NAME = "check-files"
HELP = "check the images Dockerfiles, compose files and Kubernetes manifests pin (for CI)"
MAX_BYTES = 1024 * 1024
MAX_NODES_BYTES = 256 * 1024 * 1024  # real node lists carry image lists; slimmed before asking
_DOCKERFILE = re.compile(r"(^|\.)(docker|container)file($|\.)", re.I)
FIELDS = {"dockerfile": "dockerfile", "compose": "compose", "kubernetes": "manifests"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, help="Dockerfiles, compose, k8s YAML")
    parser.add_argument(
        "--host", action="append", default=[], help="a host version; repeat for a fleet"
    )
    parser.add_argument(
        "--nodes",
        type=Path,
        help="`kubectl get nodes -o json` or `docker node inspect` output to check against",
    )
    add_isolation(
        parser, "process", "the isolation the images must run with on the hosts (default process)"
    )
    parser.add_argument(
        "--build-host", action="append", default=[], help="where earlier Dockerfile stages run"
    )
    parser.add_argument(
        "--build-isolation",
        choices=("process", "hyperv", "any"),
        help="the isolation earlier Dockerfile stages run with on the build hosts",
    )
    add_arch(parser)
    parser.add_argument(
        "--build-arg", action="append", default=[], help="KEY=VALUE for Dockerfiles"
    )
    parser.add_argument("--json", action="store_true", help="print every report as JSON")


def kind_of(path: Path, text: str) -> str:
    """dockerfile by name; YAML with a top-level `services:` is compose, else Kubernetes."""
    if _DOCKERFILE.search(path.name):
        return "dockerfile"
    try:
        documents = load_all(text)
    except YamlError:
        return "kubernetes"  # the service reports the parse error with its line
    first = documents[0].value if documents else None
    return "compose" if isinstance(first, dict) and "services" in first else "kubernetes"


def _read(path: Path, limit: int = MAX_BYTES) -> str:
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data.decode("utf-8", "replace")


def _lines(path: Path, report: dict) -> list[str]:
    out = []
    for f in report["findings"]:
        name = f" ({f['name']})" if f.get("name") else ""
        line = f"{path}:{f['line']}: {f['status']:8} {f.get('image') or '-'}{name}: {f['detail']}"
        if f.get("suggestion") and f["status"] != "runs":
            line += f"; try {f['suggestion']}"
        out.append(line)
    out += [f"{path}: note: {n}" for n in report["notes"]]
    return out


def run(args: argparse.Namespace) -> int:
    if not args.host and not args.nodes:
        print("error: give --host (repeatable) or --nodes nodes.json", file=sys.stderr)
        return EXIT_ERROR
    nodes = None
    if args.nodes:
        from service.pastes.nodes import NodePasteError, load_text, slim

        try:
            nodes = slim(load_text(_read(args.nodes, MAX_NODES_BYTES)))
        except (OSError, ValueError, NodePasteError) as exc:
            print(f"{args.nodes}: error: {exc}", file=sys.stderr)
            return EXIT_ERROR
    client = client_or_exit()
    if client is None:
        return EXIT_ERROR
    build_args = dict(a.partition("=")[::2] for a in args.build_arg if "=" in a)
    worst, reports = EXIT_COMPATIBLE, []
    for path in args.files:
        try:
            text = _read(path)
        except (OSError, ValueError) as exc:
            print(f"{path}: error: {exc}", file=sys.stderr)
            worst = EXIT_ERROR
            continue
        kind = kind_of(path, text)
        body = {FIELDS[kind]: text, "hosts": args.host, "isolation": args.isolation}
        if nodes is not None:
            body["nodes"] = nodes
        body["arch"] = args.arch
        if kind == "dockerfile":
            body["build_args"] = build_args
            body["build_hosts"] = args.build_host
            if args.build_isolation:
                body["build_isolation"] = args.build_isolation
        response = client.post(f"/check/{kind}", json=body)
        report = response.get_json(silent=True) or {}
        if response.status_code != 200:
            print(f"{path}: {problem_lines(report)}", file=sys.stderr)
            worst = EXIT_ERROR
            continue
        reports.append({"file": str(path), **report})
        if not args.json:
            print("\n".join(_lines(path, report)))
        worst = max(worst, _exit(report["status"]))
    if args.json:
        print(json.dumps(reports, indent=2))
    return worst


def _exit(status: str) -> int:
    return {"runs": EXIT_COMPATIBLE, "error": EXIT_ERROR}.get(status, EXIT_INCOMPATIBLE)
