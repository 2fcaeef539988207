"""wincompat openapi: write the OpenAPI document the app serves."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from service.cli.common import EXIT_COMPATIBLE

NAME = "openapi"
HELP = "write the OpenAPI document the app serves"
DEFAULT_SPEC = Path("openapi/openapi.json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_SPEC,
        help=f"where to write it (default {DEFAULT_SPEC}); '-' for stdout",
    )


def spec_text() -> str:
    from service.app import create_app

    app = create_app()
    with app.app_context():
        spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def run(args: argparse.Namespace) -> int:
    text = spec_text()
    if str(args.output) == "-":
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_COMPATIBLE
