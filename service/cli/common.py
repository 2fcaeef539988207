"""What the commands share: exit codes, configuration errors, and how a problem is printed."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from service.config import Config, ConfigError

if TYPE_CHECKING:
    from flask import Flask

EXIT_COMPATIBLE, EXIT_INCOMPATIBLE, EXIT_ERROR = 0, 1, 2


def problem_lines(problem: dict) -> str:
    """A problem+json body as the lines a person reads on stderr."""
    lines = [f"error: {problem.get('title', 'failed')}: {problem.get('detail', '')}"]
    for field, messages in (problem.get("errors") or {}).items():
        lines += [f"  {field}: {m}" for m in messages]
    return "\n".join(lines)


def config_or_exit() -> Config | None:
    """The configuration, or None after one line on stderr naming the bad variable."""
    try:
        return Config.from_env()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def app_or_exit(config: Config) -> Flask | None:
    """The app as a worker builds it (credentials read, Redis client made), or None after
    one line on stderr: what would fail in every worker fails once, here."""
    from service.app import create_app
    from service.compat.known_problems import KnownProblemsError

    try:
        return create_app(config)
    except (ConfigError, KnownProblemsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def client_or_exit():
    """A test client of the app the server runs, or None after one line naming a bad setting."""
    config = config_or_exit()
    app = app_or_exit(config) if config else None
    return app.test_client() if app else None


def ask(client, path: str, question: dict, as_json: bool, human) -> dict | None:
    """POST the question in-process; print the answer (JSON, or `human(answer)`) and return it,
    or print the problem on stderr and return None (the caller's exit 2)."""
    response = client.post(path, json=question)
    body = response.get_json(silent=True) or {}
    if response.status_code != 200:
        print(json.dumps(body, indent=2) if as_json else problem_lines(body), file=sys.stderr)
        return None
    print(json.dumps(body, indent=2) if as_json else human(body))
    return body


ISOLATIONS = ("any", "process", "hyperv")
ARCHES = ("amd64", "arm64")


def add_isolation(parser: argparse.ArgumentParser, default: str = "any", help: str = "") -> None:
    """--isolation: the modes the caller can use (api.md `isolation`)."""
    parser.add_argument(
        "--isolation",
        choices=ISOLATIONS,
        default=default,
        help=help
        or f"the isolation modes you can use (default {default}); Kubernetes on AKS/EKS/GKE: "
        "process",
    )


def add_arch(parser: argparse.ArgumentParser, whose: str = "hosts'") -> None:
    parser.add_argument("--arch", choices=ARCHES, default="amd64", help=f"the {whose} architecture")
