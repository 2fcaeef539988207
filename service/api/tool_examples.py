"""Examples for the OpenAPI document of /advice, /check/* and /explain (a tool schema shows a
caller what comes back). Written from real answers of this service."""

from __future__ import annotations

DIGEST = "sha256:4f0b5f1b9bd9d1bd1e8b2cd2e0c8f9a6a7a0a1f6d6f3c4b5a6e7d8c9b0a1f2e3"

ADVICE_EXAMPLE = {
    "repository": "mcr.microsoft.com/windows/servercore",
    "hosts": [{"os_version": "10.0.20348.2700", "build": 20348, "release": "Windows Server 2022"}],
    "family": None,
    "floating": {"tag": "ltsc2022", "os_version": "10.0.20348.2700", "digest": DIGEST},
    "pinned": {"tag": "10.0.20348.2700", "os_version": "10.0.20348.2700", "digest": DIGEST},
    "dockerfile": "FROM mcr.microsoft.com/windows/servercore:10.0.20348.2700",
    "tags": [
        {
            "tag": "ltsc2022",
            "kind": "floating",
            "build": 20348,
            "revision": 2700,
            "kb": None,
            "family": "",
            "arch": "amd64",
            "runs_on": ["10.0.20348.2700"],
        }
    ],
    "kb": [],
    "kb_lookup": None,
    "splits": [],
    "tag_count": 2,
    "truncated": False,
    "warnings": [],
    "cache": {"status": "miss", "age_seconds": 0},
    "asked": None,
}

CHECK_EXAMPLE = {
    "kind": "dockerfile",
    "status": "error",
    "ok": False,
    "findings": [
        {
            "line": 1,
            "kind": "from",
            "name": "stage 0",
            "image": "mcr.microsoft.com/windows/servercore:ltsc2019",
            "status": "error",
            "decides": True,
            "detail": "final stage: process isolation needs the same build: image 17763, "
            "host 20348",
            "hosts": [],
            "suggestion": "FROM mcr.microsoft.com/windows/servercore:ltsc2022",
        }
    ],
    "notes": [],
}

EXPLAIN_SUMMARY = (
    "The container fails with HCS error 0xc0370101 (HCS_E_IMAGE_MISMATCH: the container "
    "operating system does not match the host operating system). To judge it against the "
    "host, run `ver` on the host (or `docker info` there) and give the result as `host`."
)
EXPLAIN_EXAMPLE = {
    "recognised": True,
    "found": {
        "error": "0xc0370101",
        "meaning": "image-os-mismatch",
        "errors": [
            {
                "code": "0xc0370101",
                "name": "HCS_E_IMAGE_MISMATCH",
                "meaning": "image-os-mismatch",
                "description": "The container operating system does not match the host "
                "operating system.",
                "version_problem": "mismatch",
                "known_problems": [],
            }
        ],
        "orchestrator": "docker",
        "operation": "hcs::CreateComputeSystem",
    },
    "shapes": ["docker-run-error", "hcs-error"],
    "needs": ["host", "image"],
    "compat": None,
    "image_error": None,
    "fixes": [],
    "accepts": [],
    "warnings": [],
    "summary": EXPLAIN_SUMMARY,
}
