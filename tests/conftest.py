"""Shared test fixtures. Real servers live in their own harness modules, imported here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_harness import *  # noqa: F403  (fixtures: scripted hostile registry, canary)
from redis_harness import *  # noqa: F403  (fixtures: real redis-server on 127.0.0.1)
from registry_harness import *  # noqa: F403  (fixtures: real docker-registry on 127.0.0.1)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"  # copied from ../shared; see tests/data/README.md


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def public_vectors() -> list[dict]:
    return json.loads((DATA / "vectors" / "public.json").read_text())
