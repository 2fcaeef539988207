"""The explain question and the paste readers are pure: they import no Flask, requests or Redis
(the door supplies the registry lookup)."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = (
    "service.pastes.failures",
    "service.pastes.errors",
    "service.pastes.swarm",
    "service.pastes.describe",
    "service.pastes.events",
    "service.explain.question",
    "service.explain.hcs_codes",
    "service.explain.cluster",
    "service.explain.nodes_host",
)


@pytest.mark.parametrize("module", MODULES)
def test_imports_no_io_library(module):
    probe = (
        f"import sys, {module}; "
        "print(','.join(m for m in ('flask', 'requests', 'redis', 'werkzeug') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
