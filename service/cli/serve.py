"""wincompat serve: the HTTP service under gunicorn."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from service.cli.common import EXIT_ERROR, app_or_exit, config_or_exit

NAME = "serve"
HELP = "run the HTTP service under gunicorn"
DEFAULT_BIND = "127.0.0.1:8080"
EPILOG = f"""examples:
  wincompat serve                          # {DEFAULT_BIND}
  wincompat serve --bind 0.0.0.0:8080
  WINCOMPAT_BIND=[::1]:9000 wincompat serve

exit codes:
  2  a bad WINCOMPAT_* (or WEB_CONCURRENCY) value, named on one line; otherwise gunicorn's"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--bind",
        help=f"HOST:PORT to listen on (default: $WINCOMPAT_BIND, else {DEFAULT_BIND})",
    )


def gunicorn_settings_error() -> str | None:
    """Load service/gunicorn_conf.py the way gunicorn will, in a child process (it reads
    the environment at import), and return its error as one line, or None when it loads."""
    with tempfile.TemporaryDirectory(prefix="wincompat-check-") as scratch:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": scratch}
        done = subprocess.run(
            [sys.executable, "-c", "import service.gunicorn_conf"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode == 0:
        return None
    last = (done.stderr.strip().splitlines() or ["gunicorn settings failed to load"])[-1]
    return last.split(": ", 1)[-1]


def run(args: argparse.Namespace) -> int:
    from service.app import start_problem

    config = config_or_exit()
    if config is None:
        return EXIT_ERROR
    problem = start_problem(config)  # e.g. a malformed WINCOMPAT_KNOWN_PROBLEMS, one line
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_ERROR
    if app_or_exit(config) is None:
        return EXIT_ERROR
    failed = gunicorn_settings_error()
    if failed:
        print(f"error: {failed}", file=sys.stderr)
        return EXIT_ERROR
    bind = args.bind or os.environ.get("WINCOMPAT_BIND", "").strip() or DEFAULT_BIND
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf"]
    os.execv(sys.executable, [*argv, "--bind", bind, "service.wsgi:app"])
    return EXIT_ERROR  # not reached: exec replaces this process
