"""The container runtimes wincompat answers for (runtimes.md), by id.

Only the ids live here, so the known-problems table can name runtimes without importing the
runtime matchers (which judge through the rules, which read the known problems)."""

from __future__ import annotations

CONTAINERD_22 = "containerd-2.2"  # containerd >= 2.2, hcsshim >= 0.13
CONTAINERD_17 = "containerd-1.7"  # containerd 1.7.6 - 2.1, hcsshim 0.10 - 0.12
CONTAINERD_16 = "containerd-1.6"  # containerd <= 1.7.5
DOCKER = "docker"  # Moby / Docker Engine on Windows

RUNTIME_IDS: tuple[str, ...] = (CONTAINERD_22, CONTAINERD_17, CONTAINERD_16, DOCKER)
