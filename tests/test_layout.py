"""The layout holds: the pure packages import nothing from Flask, requests or Redis, so their
tables test in milliseconds and the question functions run behind any door."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every package but the doors (api, cli, web, mcp) and the I/O (registry, cache).
PURE = (
    "service.compat",
    "service.pastes",
    "service.questions",
    "service.fleet",
    "service.advice",
    "service.explain",
)
IO = ("flask", "requests", "redis", "werkzeug", "urllib3", "marshmallow")


def _modules(package: str) -> list[str]:
    folder = ROOT / Path(*package.split("."))
    return [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(folder)])]


@pytest.mark.parametrize("package", [p for p in PURE if (ROOT / p.replace(".", "/")).is_dir()])
def test_pure_packages_import_no_io_library(package):
    modules = _modules(package)
    probe = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {IO!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert len(modules) > 1
    assert json.loads(done.stdout) == []
