"""Examples for the OpenAPI document: one answer and every problem type."""

from __future__ import annotations

from service.api.problems import TYPES

COMPAT_EXAMPLE = {
    "image": {
        "reference": "mcr.microsoft.com/windows/servercore:ltsc2019",
        "digest": "sha256:4f0b5f1b9bd9d1bd1e8b2cd2e0c8f9a6a7a0a1f6d6f3c4b5a6e7d8c9b0a1f2e3",
        "os_version": "10.0.17763.5329",
        "build": 17763,
        "revision": 5329,
        "release": "Windows Server 2019",
        "platforms": [
            {
                "os": "windows",
                "architecture": "amd64",
                "variant": None,
                "os_version": "10.0.17763.5329",
                "digest": "sha256:0c3f5a3e5d0f4e7b8a9c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708",
                "release": "Windows Server 2019",
                "selected": True,
                "isolation": {
                    "process": {
                        "verdict": "unsupported",
                        "reason": "Process isolation needs the same build: image 17763 "
                        "(Windows Server 2019), host 20348 (Windows Server 2022).",
                        "rule": "different-build",
                    },
                    "hyperv": {
                        "verdict": "supported",
                        "reason": "Hyper-V isolation gives the container its own kernel, so an "
                        "image of the same or an older build runs: image 17763 (Windows Server "
                        "2019) on host 20348 (Windows Server 2022).",
                        "rule": "hyperv-older",
                    },
                },
            }
        ],
    },
    "host": {
        "os_version": "10.0.20348.2700",
        "build": 20348,
        "revision": 2700,
        "release": "Windows Server 2022",
        "type": "server",
    },
    "isolation": {
        "process": {
            "verdict": "unsupported",
            "reason": "Process isolation needs the same build: image 17763 (Windows Server "
            "2019), host 20348 (Windows Server 2022).",
            "rule": "different-build",
        },
        "hyperv": {
            "verdict": "supported",
            "reason": "Hyper-V isolation gives the container its own kernel, so an image of the "
            "same or an older build runs: image 17763 (Windows Server 2019) on host 20348 "
            "(Windows Server 2022).",
            "rule": "hyperv-older",
        },
    },
    "compatible": True,
    "recommended_isolation": "hyperv",
    "warnings": [],
    "remedies": [
        {
            "action": "rebuild",
            "detail": "FROM mcr.microsoft.com/windows/servercore:ltsc2022",
            "fields": {"tag": "ltsc2022", "process": "supported"},
        },
        {
            "action": "hyperv",
            "detail": "docker run --isolation=hyperv …",
            "fields": {"docker_run": "--isolation=hyperv"},
        },
        {
            "action": "schedule",
            "detail": 'Kubernetes nodeSelector node.kubernetes.io/windows-build: "10.0.17763"',
            "fields": {"node_selector": {"node.kubernetes.io/windows-build": "10.0.17763"}},
        },
    ],
    "summary": "Yes, with Hyper-V isolation only: image 10.0.17763.5329 (Windows Server 2019) "
    "runs on host 10.0.20348.2700 (Windows Server 2022) with --isolation=hyperv; process "
    "isolation would fail with HCS error 0xc0370101 (the container's operating system does not "
    "match the host's); rebuild on ltsc2022 for process isolation.",
    "cache": {"status": "hit", "age_seconds": 12},
}

PROBLEM_EXAMPLES = {
    "invalid-request": "'windows/amd64' is not a Windows version. Accepted shapes: ...",
    "image-not-found": "mcr.microsoft.com/windows/servercore:ltsc2030: manifest unknown",
    "registry-not-allowed": "registry example.com is not in WINCOMPAT_ALLOWED_REGISTRIES",
    "registry-auth": "contoso.azurecr.io refused the credentials (401)",
    "registry-rate-limited": "registry-1.docker.io answered 429 Too Many Requests",
    "registry-unavailable": "mcr.microsoft.com answered 503 after 3 attempts",
    "registry-timeout": "mcr.microsoft.com did not answer within 10 s",
    "unauthorized": "This service needs a bearer token (Authorization: Bearer <token>).",
    "too-many-requests": "too many questions that reach a registry from this client",
    "request-timeout": "the request body did not arrive within 5 s",
}


TEXT_EXAMPLE = COMPAT_EXAMPLE["summary"] + "\n"


def problem_docs(*, text: bool = False) -> dict:
    """`responses` for @blp.doc: each problem type of api.md with its status; with `text`,
    the text/plain answer too."""
    responses: dict[str, dict] = {}
    if text:
        plain = {"schema": {"type": "string"}, "example": TEXT_EXAMPLE}
        answer = {"schema": {"$ref": "#/components/schemas/CompatResponse"}}
        answer["example"] = COMPAT_EXAMPLE
        content = {"application/json": answer, "text/plain": plain}
        responses["200"] = {"description": "The answer", "content": content}
    for kind, (status, title) in TYPES.items():
        statuses = (400, 422) if kind == "invalid-request" else (status,)
        for code in statuses:
            example = {
                "type": f"/problems/{kind}",
                "title": title,
                "status": code,
                "detail": PROBLEM_EXAMPLES[kind],
            }
            if kind == "invalid-request":
                example["errors"] = {"host": [PROBLEM_EXAMPLES[kind]]}
            entry = responses.setdefault(
                str(code),
                {
                    "description": "",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"},
                            "examples": {},
                        }
                    },
                },
            )
            entry["description"] = " / ".join(filter(None, [entry["description"], title]))
            entry["content"]["application/problem+json"]["examples"][kind] = {"value": example}
    return {"responses": responses}
