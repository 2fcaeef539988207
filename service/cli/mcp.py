"""wincompat mcp: the MCP server, over stdio (desktop assistants) or streamable HTTP."""

from __future__ import annotations

import argparse
import sys

from service.cli.common import EXIT_COMPATIBLE, EXIT_ERROR

NAME = "mcp"
HELP = "serve the MCP tools (needs the extra: pip install 'wincompat[mcp]')"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--http", metavar="HOST:PORT", help="serve streamable HTTP at http://HOST:PORT/mcp"
    )
    parser.add_argument(
        "--url", help="ask a running wincompat at URL instead of answering in-process"
    )


def _bind(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--http needs HOST:PORT, not {text!r}")
    return host.strip("[]"), int(port)


def run(args: argparse.Namespace) -> int:
    try:
        from service.mcp.server import build_server
    except ImportError as exc:
        print(f"error: {exc}; install the extra: pip install 'wincompat[mcp]'", file=sys.stderr)
        return EXIT_ERROR
    from service.mcp.backends import InProcess, Remote

    try:
        bind = _bind(args.http) if args.http else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    server = build_server(Remote(args.url) if args.url else InProcess())
    if bind is None:
        server.run("stdio")
    else:
        server.run("streamable-http", host=bind[0], port=bind[1])
    return EXIT_COMPATIBLE
