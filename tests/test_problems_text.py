"""Errors honour Accept: text/plain with one line; JSON clients keep problem+json."""

from __future__ import annotations

import pytest

from service.app import create_app
from service.config import Config

# No registry may be contacted: every image question is refused before any I/O.
OFFLINE = Config(allowed_registries=(), insecure_registries=())


@pytest.fixture(scope="module")
def client():
    return create_app(OFFLINE).test_client()


CASES = [
    ("/compat?host=banana&image_version=10.0.17763.1", 422, "'banana' is not a Windows version"),
    ("/compat?image_version=10.0.17763.1", 422, "Invalid parameters. host: Missing data"),
    ("/compat?host=1&image=UPPER%20case", 422, ""),
    ("/nowhere", 404, "The requested URL was not found"),
    ("/compat?host=ltsc2022&image=example.com/x:y", 403, "registry example.com is not"),
]


@pytest.mark.parametrize(("path", "status", "start"), CASES, ids=[c[0][:30] for c in CASES])
def test_text_plain_errors_are_one_line(client, path, status, start):
    r = client.get(path, headers={"Accept": "text/plain"})
    assert r.status_code == status
    assert r.content_type.startswith("text/plain")
    assert r.text.startswith(start) and r.text.endswith("\n") and r.text.count("\n") == 1
    assert "{" not in r.text


@pytest.mark.parametrize(
    "accept",
    [
        "",
        "*/*",
        "application/json",
        "text/html,application/xhtml+xml,*/*;q=0.8",
        "text/plain;q=0.1, */*",
    ],
)
def test_other_clients_keep_problem_json(client, accept):
    r = client.get("/compat?host=banana&image_version=1", headers={"Accept": accept})
    assert r.content_type == "application/problem+json"
    assert r.json["type"] == "/problems/invalid-request"
