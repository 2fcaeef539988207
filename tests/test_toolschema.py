"""The OpenAPI document as a tool schema: ids, one-line summaries, when-to-call descriptions,
examples, servers, every response described."""

from __future__ import annotations

import re

import pytest

from service.api.toolschema import default_operation_id
from service.app import create_app
from service.config import Config

# No registry may be contacted: every image question is refused before any I/O.
OFFLINE = Config(allowed_registries=(), insecure_registries=())


@pytest.fixture(scope="module")
def spec():
    return create_app(OFFLINE).test_client().get("/openapi.json").json


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield f"{method.upper()} {path}", operation


def test_every_operation_is_a_named_described_tool(spec):
    ids = []
    for name, op in _operations(spec):
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", op.get("operationId", "")), name
        ids.append(op["operationId"])
        summary = op.get("summary", "")
        assert summary and "\n" not in summary and len(summary) <= 100, name
        assert len(op.get("description", "")) >= 40, f"{name}: say when to call it"
        assert op["responses"], name
        for status, response in op["responses"].items():
            assert response.get("description"), f"{name} {status}"
    assert len(ids) == len(set(ids)), "operationIds are unique"


def test_every_success_has_an_example(spec):
    for name, op in _operations(spec):
        success = op["responses"]["200"]
        contents = success.get("content", {})
        assert contents, name
        for media, content in contents.items():
            assert "example" in content or "examples" in content, f"{name} {media}"


def test_conditional_get_and_servers_are_documented(spec):
    assert spec["servers"] == [{"url": "/", "description": "This wincompat service"}]
    compat = spec["paths"]["/compat"]["get"]
    assert "304" in compat["responses"]
    assert "ETag" in compat["responses"]["200"]["headers"]
    assert compat["operationId"] == "checkCompat"
    assert "413" in spec["paths"]["/compat"]["post"]["responses"]
    names = {p["name"] for p in compat["parameters"]}
    assert {"image", "image_version", "host", "q"} <= names


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", "/compat", "getCompat"),
        ("post", "/compat/nodes", "postCompatNodes"),
        ("get", "/badge.svg", "getBadgeSvg"),
        ("post", "/check/dockerfile", "postCheckDockerfile"),
        ("get", "/known-problems", "getKnownProblems"),
    ],
    ids=["plain", "nested", "dotted", "check", "dashed"],
)
def test_default_operation_ids(method, path, expected):
    assert default_operation_id(method, path) == expected
