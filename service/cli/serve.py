"""wincompat serve: the HTTP service under gunicorn."""

from __future__ import annotations

import argparse
import os
import sys

from service.cli.common import EXIT_ERROR

NAME = "serve"
HELP = "run the HTTP service under gunicorn"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bind", default="127.0.0.1:8080", help="HOST:PORT to listen on")


def run(args: argparse.Namespace) -> int:
    from service.app import start_problem

    problem = start_problem()
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_ERROR
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf"]
    os.execv(sys.executable, [*argv, "--bind", args.bind, "service.wsgi:app"])
    return EXIT_ERROR  # not reached: exec replaces this process
