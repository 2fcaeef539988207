"""The badge, the page and the MCP tool asking about real images in a real docker-registry on
127.0.0.1: the same resolution, cache and errors as /compat."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import anyio
import pytest
from mcp import Client
from registry_harness import config_for

from service.app import create_app
from service.mcp.backends import InProcess
from service.mcp.server import build_server

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def app(registry):
    made = create_app(config_for(registry))
    yield made
    made.extensions["wincompat"].resolver.close()


@pytest.fixture(scope="module")
def pushed(registry):
    repo = registry.new_repo("windows/servercore")
    registry.push_mcr_base(repo, "ltsc2019", "10.0.17763.5329")
    return f"{registry.host}/{repo}:ltsc2019"


def _title(response) -> str:
    return ET.fromstring(response.data).find(f"{SVG}title").text


def test_badge_for_a_pushed_image_caches_like_the_answer(app, pushed, registry):
    client = app.test_client()
    first = client.get("/badge.svg", query_string={"image": pushed, "host": "10.0.20348.2700"})
    assert _title(first) == "windows compat: hyper-v only"
    assert 0 < int(first.headers["Cache-Control"].removeprefix("max-age=")) <= 300  # tag TTL
    mark = registry.mark()
    same = client.get("/badge.svg", query_string={"image": pushed, "host": "17763"})
    assert _title(same) == "windows compat: process ✓"
    assert registry.request_count(since=mark) == 0  # the resolver's cache answered


def test_badge_for_a_missing_tag_is_grey(app, registry):
    missing = f"{registry.host}/{registry.new_repo()}:nope"
    r = app.test_client().get("/badge.svg", query_string={"image": missing, "host": "ltsc2022"})
    assert r.status_code == 200
    assert r.headers["X-Problem-Type"] == "/problems/image-not-found"
    assert _title(r) == "windows compat: image not found"


def test_page_shows_the_reference_and_its_docker_run_line(app, pushed):
    html = app.test_client().get("/", query_string={"image": pushed, "host": "ltsc2022"}).text
    assert f"Image: <strong>{pushed}</strong>" in html
    assert f"docker run --isolation=hyperv {pushed}" in html


def test_mcp_tool_asks_the_registry_through_the_same_guard(app, pushed):
    async def ask():
        async with Client(build_server(InProcess(app))) as client:
            good = await client.call_tool("check_compat", {"image": pushed, "host": "17763"})
            refused = await client.call_tool(
                "check_compat",
                {"image": "mcr.microsoft.com/windows/servercore:ltsc2022", "host": "1809"},
            )
            return good, refused

    good, refused = anyio.run(ask)
    assert good.structured_content["image"]["reference"] == pushed
    assert good.structured_content["compatible"] is True
    assert refused.is_error and "not in the allow-list" in refused.content[0].text
