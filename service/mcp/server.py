"""MCP tools over the API's questions: inputs are the API's fields, outputs its JSON answers.
Tools exist for the endpoints this build has; errors come back as the problem's one line."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from service.api.problems import one_line
from service.api.schemas import MAX_HOST, MAX_IMAGE, MAX_QUESTION, MAX_VERSION
from service.mcp.backends import Backend

INSTRUCTIONS = (
    "wincompat answers whether a Windows container image runs on a Windows host, per isolation "
    "mode (process, Hyper-V), with the reason and what to do. Call check_compat with an image "
    "reference (or the image's OS version) and the host's version in whatever shape the person "
    "pasted; say the answer's `summary` sentence as is."
)

CHECK_COMPAT = (
    "Will this Windows container image run on this host? Call it when someone asks whether an "
    "image (e.g. mcr.microsoft.com/windows/servercore:ltsc2019, or its OS version "
    "10.0.17763.5329) runs on a host (10.0.20348.2700, `ver` output, `docker info`, "
    "'Windows Server 2022'), or pastes a container that fails to start with 0xc0370101. "
    "Returns the verdict per isolation mode, the reason, warnings, remedies and a `summary` "
    "sentence. Give `image` or `image_version`, and `host`; or the whole question as `q`."
)

CHECK_NODES = (
    "Which nodes of a Kubernetes or Swarm cluster run this Windows image, and what to paste so "
    "it lands only there? Call it when someone pastes `kubectl get nodes -o json` (or -o yaml) "
    "or `docker node inspect` output and asks where an image can run. Returns each Windows "
    "node's verdicts, runs_on / fails_on, the nodeSelector or affinity YAML, Swarm "
    "constraints and a `summary` sentence. Give `image` or `image_version`, and `nodes`."
)
ADVISE_BASE_TAG = (
    "Which base image tag should a Dockerfile build FROM for these hosts? Call it when someone "
    "asks which tag of a repository (mcr.microsoft.com/windows/servercore, a .NET image, ...) "
    "runs on their hosts, floating (ltsc2022) and pinned to a revision. Returns `floating`, "
    "`pinned`, a `dockerfile` FROM line, the tags per host build and warnings."
)
EXPLAIN_FAILURE = (
    "Why did this Windows container fail? Call it when someone pastes an error: `docker run` "
    "output (HCS 0xc0370101 and friends), `docker service ps`, `kubectl describe pod`, kubelet "
    "or containerd logs. Returns what the error means, what is missing to judge it, concrete "
    "fixes and a `summary` to say as is. Add `host` and `image` when known."
)
MAX_NODES_TEXT = 4 * 1024 * 1024  # /compat/nodes reads at most 4 MiB
MAX_PASTE = 256 * 1024  # /explain reads at most 256 KiB

Image = Annotated[str | None, Field(max_length=MAX_IMAGE, description="An image reference")]
ImageVersion = Annotated[
    str | None, Field(max_length=MAX_VERSION, description="Instead of image: its OS version")
]
Host = Annotated[
    str | None, Field(max_length=MAX_HOST, description="The host's version, in any shape")
]
Runtime = Annotated[
    str | None, Field(max_length=64, description="A runtime id, e.g. containerd-1.7")
]
Question = Annotated[
    str | None, Field(max_length=MAX_QUESTION, description="The whole question in words")
]


def _ask(backend: Backend, method: str, path: str, fields: dict[str, Any]) -> dict[str, Any]:
    status, body = backend.call(method, path, {k: v for k, v in fields.items() if v is not None})
    if status != 200:
        raise ToolError(one_line(body) if body else f"The service answered {status}.")
    return body


def build_server(backend: Backend) -> MCPServer:
    server = MCPServer(name="wincompat", instructions=INSTRUCTIONS)

    @server.tool(name="check_compat", description=CHECK_COMPAT)
    def check_compat(
        host: Host = None,
        image: Image = None,
        image_version: ImageVersion = None,
        host_type: Literal["server", "client"] | None = None,
        arch: Literal["amd64", "arm64"] = "amd64",
        isolation: Literal["any", "process", "hyperv"] = "any",
        runtime: Runtime = None,
        q: Question = None,
    ) -> dict[str, Any]:
        fields = {"host": host, "image": image, "image_version": image_version}
        fields |= {"host_type": host_type, "arch": arch, "isolation": isolation}
        fields |= {"runtime": runtime, "q": q}
        return _ask(backend, "POST", "/compat", fields)

    @server.tool(name="check_nodes", description=CHECK_NODES)
    def check_nodes(
        nodes: Annotated[
            str | dict[str, Any] | list[Any],
            Field(description="The node list as pasted (JSON or YAML text), or as JSON"),
        ],
        image: Image = None,
        image_version: ImageVersion = None,
        isolation: Literal["any", "process", "hyperv"] = "any",
    ) -> dict[str, Any]:
        if isinstance(nodes, str) and len(nodes.encode()) > MAX_NODES_TEXT:
            raise ToolError(f"The node list is larger than {MAX_NODES_TEXT} bytes.")
        fields = {"nodes": nodes, "image": image, "image_version": image_version}
        return _ask(backend, "POST", "/compat/nodes", fields | {"isolation": isolation})

    @server.tool(name="advise_base_tag", description=ADVISE_BASE_TAG)
    def advise_base_tag(
        repository: Annotated[str, Field(max_length=MAX_IMAGE, description="A repository")],
        hosts: Annotated[
            list[Annotated[str, Field(max_length=MAX_HOST)]],
            Field(min_length=1, max_length=100, description="Host versions, in any shape"),
        ],
        isolation: Literal["any", "process", "hyperv"] = "any",
        arch: Literal["amd64", "arm64"] = "amd64",
    ) -> dict[str, Any]:
        fields = {"repository": repository, "hosts": hosts, "isolation": isolation, "arch": arch}
        return _ask(backend, "POST", "/advice", fields)

    @server.tool(name="explain_failure", description=EXPLAIN_FAILURE)
    def explain_failure(
        text: Annotated[str, Field(max_length=MAX_PASTE, description="The error as pasted")],
        host: Host = None,
        host_type: Literal["server", "client"] | None = None,
        image: Image = None,
    ) -> dict[str, Any]:
        fields = {"text": text, "host": host, "host_type": host_type, "image": image}
        return _ask(backend, "POST", "/explain", fields)

    return server
