"""wincompat's command line: one module per command, registered in COMMANDS.

Each command module has `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`."""

from __future__ import annotations

import argparse
from importlib import metadata
from types import ModuleType

from service.cli import advise, check, check_files, explain, matrix, mcp, nodes, openapi, serve
from service.cli.common import EXIT_ERROR

# One line per command; a new command adds its module here.
COMMANDS: tuple[ModuleType, ...] = (
    serve,
    check,
    openapi,
    nodes,
    matrix,
    advise,
    check_files,
    explain,
    mcp,
)


EPILOG = """examples:
  wincompat check mcr.microsoft.com/windows/servercore:ltsc2019 --host 10.0.20348.2700
  wincompat check --image-version ltsc2022 --host "$(ver)" --isolation process
  wincompat serve --bind 0.0.0.0:8080
  wincompat openapi --output -

exit codes (check):
  0  compatible   1  not compatible   2  error (bad input, configuration or registry)

`wincompat COMMAND --help` tells more about each command."""


def _version() -> str:
    try:
        return metadata.version("wincompat")
    except metadata.PackageNotFoundError:
        return "unknown"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="wincompat",
        description="Will this Windows container image run on this host?",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"wincompat {_version()}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
