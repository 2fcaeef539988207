"""Shared test fixtures. Real servers live in their own harness modules, imported here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from redis_harness import *  # noqa: F403  (fixtures: real redis-server on 127.0.0.1)
from registry_harness import *  # noqa: F403  (fixtures: real docker-registry on 127.0.0.1)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED


@pytest.fixture(scope="session")
def public_vectors() -> list[dict]:
    return json.loads((SHARED / "vectors" / "public.json").read_text())
