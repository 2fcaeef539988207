"""The paste readers and the fleet logic are pure: importing them pulls in no Flask, requests
or Redis (architecture.md), so their tables test in milliseconds and any door can use them."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE = ["service.pastes.nodes", "service.fleet.judging", "service.fleet.nodes",
        "service.fleet.matrix", "service.fleet.scheduling", "service.fleet.yaml_text",
        "service.fleet.questions"]  # fmt: skip
FORBIDDEN = ("flask", "requests", "redis", "werkzeug")


@pytest.mark.parametrize("module", PURE)
def test_imports_no_web_or_network_library(module):
    probe = (
        f"import sys, {module}; "
        f"print(','.join(sorted(m for m in {FORBIDDEN!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "", f"{module} imports {done.stdout.strip()}"
