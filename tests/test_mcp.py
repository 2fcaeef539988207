"""The MCP server, asked by the SDK's own client: over stdio (in-process answers), over
streamable HTTP (against a running wincompat with --url), and in memory for the errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from serve_harness import free_port, running

from service.api.schemas import MAX_HOST
from service.app import create_app
from service.cli import main
from service.cli.mcp import _bind
from service.config import Config
from service.mcp.backends import InProcess
from service.mcp.server import build_server

# No registry may be contacted: every image question is refused before any I/O.
OFFLINE = Config(allowed_registries=(), insecure_registries=())

ROOT = Path(__file__).resolve().parents[1]
QUESTION = {"image_version": "10.0.17763.5329", "host": "10.0.20348.2700"}
TOOLS = {"check_compat", "check_nodes", "advise_base_tag", "explain_failure"}


async def _session(server, calls):
    async with Client(server, read_timeout_seconds=30) as client:
        listed = await client.list_tools()
        results = [await client.call_tool(name, args) for name, args in calls]
    return listed, results


def _ask(server, *calls):
    return anyio.run(_session, server, list(calls))


def _check_answer(result):
    assert not result.is_error, result.content
    answer = result.structured_content
    assert answer["recommended_isolation"] == "hyperv"
    assert answer["isolation"]["process"]["verdict"] == "unsupported"
    assert answer["summary"].startswith("Yes, with Hyper-V isolation only")


def test_stdio_lists_the_tools_and_checks():
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "service.cli", "mcp"],
        env={"PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    listed, (result,) = _ask(params, ("check_compat", QUESTION))
    assert {t.name for t in listed.tools} == TOOLS
    _check_answer(result)


def test_http_with_url_against_a_running_service(wincompat_url):
    port = free_port()
    args = ["mcp", "--http", f"127.0.0.1:{port}", "--url", wincompat_url]
    with running(args, f"http://127.0.0.1:{port}/mcp"):
        listed, (result, bad) = _ask(
            f"http://127.0.0.1:{port}/mcp",
            ("check_compat", QUESTION),
            ("check_compat", {"image_version": "ltsc2019", "host": "banana"}),
        )
    assert {t.name for t in listed.tools} == TOOLS
    _check_answer(result)
    assert bad.is_error and "'banana' is not a Windows version" in bad.content[0].text


@pytest.fixture(scope="module")
def in_memory():
    return build_server(InProcess(create_app(OFFLINE)))


def test_tool_schema_has_the_api_fields(in_memory):
    listed, _ = _ask(in_memory)
    tool = next(t for t in listed.tools if t.name == "check_compat")
    properties = tool.input_schema["properties"]
    assert {"image", "image_version", "host", "host_type", "arch", "isolation", "q"} <= set(
        properties
    )
    assert properties["host"]["anyOf"][0]["maxLength"] == MAX_HOST
    assert "0xc0370101" in tool.description


def test_questions_in_words_and_errors_as_one_line(in_memory):
    _, (by_words, missing, refused) = _ask(
        in_memory,
        ("check_compat", {"q": "will a 10.0.17763.5329 image run on 10.0.20348.2700?"}),
        ("check_compat", {"q": "will mcr.microsoft.com/windows/servercore:ltsc2022 run?"}),
        ("check_compat", {"image": "example.com/app:1", "host": "ltsc2022"}),
    )
    _check_answer(by_words)
    assert missing.is_error and "Add the host" in missing.content[0].text
    assert refused.is_error and "not in the allow-list" in refused.content[0].text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:8090", ("127.0.0.1", 8090)), ("[::1]:8090", ("::1", 8090))],
    ids=["v4", "v6"],
)
def test_bind(text, expected):
    assert _bind(text) == expected


@pytest.mark.parametrize("text", ["8090", "host:", "host:99999", ":80"], ids=str)
def test_bad_bind_exits_2(text, capsys):
    assert main(["mcp", "--http", text]) == 2
    assert "--http needs HOST:PORT" in capsys.readouterr().err


def test_without_the_extra_it_says_how_to_install():
    # `mcp` made unimportable, as on an install without wincompat[mcp].
    code = (
        "import sys; sys.modules['mcp'] = None; "
        "from service.cli import main; sys.exit(main(['mcp']))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert "pip install 'wincompat[mcp]'" in done.stderr


def test_check_nodes_reads_a_pasted_cluster(in_memory):
    pasted = (ROOT / "tests" / "data" / "nodes" / "aks-mixed.json").read_text()
    _, (as_text, bad) = _ask(
        in_memory,
        ("check_nodes", {"image_version": "10.0.17763.5329", "nodes": pasted}),
        ("check_nodes", {"image_version": "10.0.17763.5329", "nodes": "{not a node list"}),
    )
    assert not as_text.is_error, as_text.content
    answer = as_text.structured_content
    assert answer["runs_on"] == ["akswin19000000"]
    assert 'node.kubernetes.io/windows-build: "10.0.17763"' in answer["kubernetes"]["yaml"]
    assert answer["summary"].startswith("Runs on 1 of 5 Windows nodes")
    assert bad.is_error and bad.content[0].text


HCS_PASTE = (
    "docker: Error response from daemon: hcs::CreateComputeSystem 0123: The container operating "
    "system does not match the host operating system. (0xc0370101)"
)


def test_explain_failure_and_advise_base_tag(in_memory):
    _, (explained, judged, advice) = _ask(
        in_memory,
        ("explain_failure", {"text": HCS_PASTE}),
        ("explain_failure", {"text": HCS_PASTE, "host": "10.0.20348.2700", "image": "x/y:1"}),
        ("advise_base_tag", {"repository": "example.com/windows/servercore", "hosts": ["1809"]}),
    )
    assert not explained.is_error, explained.content
    found = explained.structured_content
    assert found["found"]["error"] == "0xc0370101" and set(found["needs"]) == {"host", "image"}
    assert "0xc0370101" in found["summary"]
    assert not judged.is_error and "host" not in judged.structured_content["needs"]
    assert advice.is_error and "allow-list" in advice.content[0].text
