"""Examples for the OpenAPI document of the fleet endpoints."""

from __future__ import annotations

DIGEST = "sha256:4f0b5f1b9bd9d1bd1e8b2cd2e0c8f9a6a7a0a1f6d6f3c4b5a6e7d8c9b0a1f2e3"
ENTRY = "sha256:0c3f5a3e5d0f4e7b8a9c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708"

MATRIX_EXAMPLE = {
    "images": [
        {
            "reference": "mcr.microsoft.com/windows/servercore:ltsc2022",
            "digest": DIGEST,
            "os_versions": ["10.0.20348.2700"],
            "error": None,
            "cache": {"status": "miss", "age_seconds": 0},
            "warnings": [],
        },
        {"reference": None, "digest": None, "os_versions": ["10.0.17763.5329"], "error": None},
    ],
    "hosts": [
        {
            "name": "pool-2025",
            "os_version": "10.0.26100.33296",
            "build": 26100,
            "revision": 33296,
            "release": "Windows Server 2025",
            "type": "server",
            "warnings": [],
        }
    ],
    "cells": [
        [
            {
                "process": "supported",
                "hyperv": "supported",
                "runs": True,
                "recommended_isolation": "process",
                "os_version": "10.0.20348.2700",
                "digest": ENTRY,
                "rule": "stable-abi",
            }
        ],
        [
            {
                "process": "unsupported",
                "hyperv": "supported",
                "runs": True,
                "recommended_isolation": "hyperv",
                "os_version": "10.0.17763.5329",
                "digest": None,
                "rule": "hyperv-older",
            }
        ],
    ],
    "isolation": "any",
    "summary": "2 of 2 images run on all 1 hosts.",
}

NODES_EXAMPLE = {
    "image": {
        "reference": "mcr.microsoft.com/windows/servercore:ltsc2022",
        "digest": DIGEST,
        "platforms": [
            {
                "os": "windows",
                "architecture": "amd64",
                "os_version": "10.0.20348.2700",
                "digest": ENTRY,
            }
        ],
        "cache": {"status": "hit", "age_seconds": 12},
        "warnings": [],
    },
    "isolation": "process",
    "shape": "List",
    "nodes": [
        {
            "name": "akswin22000000",
            "platform": "kubernetes",
            "os_version": "10.0.20348.5499",
            "build": 20348,
            "revision": 5499,
            "release": "Windows Server 2022",
            "type": "server",
            "version_from": "status.nodeInfo.kernelVersion",
            "version_text": "10.0.20348.5499",
            "missing": [],
            "arch": "amd64",
            "runtime": "containerd://1.6.35+azure",
            "unschedulable": False,
            "taints": [],
            "flags": [],
            "process": "supported",
            "hyperv": "supported",
            "runs": True,
            "isolation": "process",
            "os_version_used": "10.0.20348.2700",
            "digest": ENTRY,
            "rule": "same-build",
            "reason": "Process isolation shares the host's kernel and the builds match: image "
            "20348 (Windows Server 2022), host 20348 (Windows Server 2022).",
            "warnings": [],
        }
    ],
    "skipped": [{"name": "aks-nodepool1-0", "reason": "linux node"}],
    "runs_on": ["akswin22000000"],
    "fails_on": ["akswin19000000"],
    "unknown_on": [],
    "kubernetes": {
        "nodeSelector": {
            "kubernetes.io/os": "windows",
            "node.kubernetes.io/windows-build": "10.0.20348",
        },
        "affinity": None,
        "tolerations": [],
        "runtimeClassName": None,
        "runtime_class": None,
        "revision_label": None,
        "selects": ["akswin22000000"],
        "exact": True,
        "isolation": "process",
        "notes": [],
        "yaml": "nodeSelector:\n  kubernetes.io/os: windows\n"
        '  node.kubernetes.io/windows-build: "10.0.20348"\n',
    },
    "swarm": None,
    "remedies": [],
    "remedies_for": None,
    "summary": "Runs on 1 of 2 Windows nodes (Windows Server 2022); fails on 1 (Windows Server "
    "2019); 1 Linux node(s) skipped.",
}
