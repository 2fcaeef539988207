"""service/compat is pure judgement: importing every module of it loads no Flask, requests or
Redis (architecture.md), so its tables test in milliseconds and any door can call it."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import service.compat

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("flask", "werkzeug", "requests", "urllib3", "redis", "marshmallow")


def test_compat_imports_no_io_or_web_library():
    modules = [f"service.compat.{m.name}" for m in pkgutil.iter_modules(service.compat.__path__)]
    assert {"service.compat.hosts", "service.compat.sentences"} <= set(modules)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
