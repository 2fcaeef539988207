"""wincompat serve | check | openapi."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_COMPATIBLE, EXIT_INCOMPATIBLE, EXIT_ERROR = 0, 1, 2
DEFAULT_SPEC = Path("openapi/openapi.json")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wincompat", description="Will this Windows container image run on this host?"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service under gunicorn")
    serve.add_argument("--bind", default="127.0.0.1:8080", help="HOST:PORT to listen on")
    check = sub.add_parser("check", help="answer one question without a server")
    check.add_argument("image", nargs="?", help="an image reference, e.g. nginx or mcr...:tag")
    check.add_argument("--image-version", help="instead of IMAGE: the image's OS version")
    check.add_argument("--host", required=True, help="the host's version, in any shape")
    check.add_argument("--host-type", choices=("server", "client"))
    check.add_argument("--arch", choices=("amd64", "arm64"), default="amd64")
    check.add_argument("--json", action="store_true", help="print the whole JSON answer")
    spec = sub.add_parser("openapi", help="write the OpenAPI document the app serves")
    spec.add_argument("--output", type=Path, default=DEFAULT_SPEC, help="'-' for stdout")
    return parser


def serve(bind: str) -> int:
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf"]
    os.execv(sys.executable, [*argv, "--bind", bind, "service.wsgi:app"])
    return EXIT_ERROR  # not reached: exec replaces this process


def _question(args: argparse.Namespace) -> dict:
    question = {"host": args.host, "arch": args.arch}
    if args.host_type:
        question["host_type"] = args.host_type
    if args.image:
        question["image"] = args.image
    if args.image_version:
        question["image_version"] = args.image_version
    return question


def _human(answer: dict) -> str:
    lines = [answer["summary"]]
    for mode, judged in answer["isolation"].items():
        lines.append(f"  {mode + ':':9}{judged['verdict']:12}{judged['reason']}")
    lines += [f"  warning: {w}" for w in answer["warnings"]]
    lines += [f"  remedy ({r['action']}): {r['detail']}" for r in answer["remedies"]]
    return "\n".join(lines)


def check(args: argparse.Namespace) -> int:
    """The same app the server runs, asked in-process: identical answers and errors."""
    from service.app import create_app

    client = create_app().test_client()
    response = client.post("/compat", json=_question(args))
    body = response.get_json(silent=True) or {}
    if response.status_code != 200:
        print(json.dumps(body, indent=2) if args.json else _error(body), file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(body, indent=2) if args.json else _human(body))
    return EXIT_COMPATIBLE if body["compatible"] else EXIT_INCOMPATIBLE


def _error(problem: dict) -> str:
    lines = [f"error: {problem.get('title', 'failed')}: {problem.get('detail', '')}"]
    for field, messages in (problem.get("errors") or {}).items():
        lines += [f"  {field}: {m}" for m in messages]
    return "\n".join(lines)


def spec_text() -> str:
    from service.app import create_app

    app = create_app()
    with app.app_context():
        spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def write_openapi(output: Path) -> int:
    text = spec_text()
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"wrote {output}", file=sys.stderr)
    return EXIT_COMPATIBLE


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args.bind)
    if args.command == "check":
        if bool(args.image) == bool(args.image_version):
            print("error: give exactly one of IMAGE and --image-version", file=sys.stderr)
            return EXIT_ERROR
        return check(args)
    return write_openapi(args.output)


if __name__ == "__main__":
    sys.exit(main())
