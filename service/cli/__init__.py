"""wincompat's command line: one module per command, registered in COMMANDS.

Each command module has `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`."""

from __future__ import annotations

import argparse
from types import ModuleType

from service.cli import check, explain, matrix, nodes, openapi, serve
from service.cli.common import EXIT_ERROR

# One line per command; a new command adds its module here.
COMMANDS: tuple[ModuleType, ...] = (serve, check, openapi, nodes, matrix, explain)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="wincompat", description="Will this Windows container image run on this host?"
    )
    sub = top.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_arguments(sub.add_parser(command.NAME, help=command.HELP))
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    for command in COMMANDS:
        if args.command == command.NAME:
            return command.run(args)
    return EXIT_ERROR


# Kept for callers of the old single-module CLI.
from service.cli.openapi import spec_text  # noqa: E402

__all__ = ["COMMANDS", "main", "parser", "spec_text"]
