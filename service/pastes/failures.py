"""One paste, every shape in it: run each reader, merge their facts by trust.

A describe or a service table names the pod/service, node and image with its digest; the
error lines inside them name the code and the isolation. Several shapes often come together
(a describe pod with its events), so every reader runs and the first to state a fact wins."""

from __future__ import annotations

from dataclasses import dataclass

from service.pastes.describe import read_describe_node, read_describe_pod
from service.pastes.errors import hcs_codes, read_errors
from service.pastes.events import read_events
from service.pastes.reading import Reading
from service.pastes.swarm import read_service_ls, read_service_ps
from service.pastes.text import clean

# What /explain accepts, for answers to text that carries none of it.
ACCEPTED = (
    "a `docker run` error with an HCS code, e.g. `… failure in a Windows system call: … "
    "(0xc0370101)`",
    "`docker service ps --no-trunc SERVICE` (or `docker service ls`) output",
    "`kubectl describe pod POD` output, with its events (or `kubectl get events`)",
    'a kubelet/containerd pull error: `failed to pull and unpack image "…": no match for '
    "platform in manifest`",
    "Docker's pull refusal: `a Windows version 10.0.20348-based image is incompatible with a "
    "10.0.17763 host`",
    "`no matching manifest for windows/amd64 10.0.19045 in the manifest list entries`",
    "any HCS error code (0xc0370101, 0xc0370106, 0xc0370112, …)",
)


# Facts that are no failure by themselves.
HOST_ONLY = frozenset({"host-version", "kubectl-describe-node", "kubelet-image-event"})


@dataclass(frozen=True)
class Paste:
    readings: tuple[Reading, ...]
    facts: dict[str, object]

    @property
    def recognised(self) -> bool:
        return any(r.shape not in HOST_ONLY for r in self.readings)

    @property
    def shapes(self) -> list[str]:
        return [r.shape for r in self.readings]


def _merge(readings: list[Reading]) -> dict[str, object]:
    facts: dict[str, object] = {}
    for reading in readings:
        for key, value in reading.facts.items():
            if key == "failures":
                facts[key] = max(int(value), int(facts.get(key, 0)))
            elif value not in (None, "", []) and key not in facts:
                facts[key] = value
    return facts


def read_failure(text: str) -> Paste:
    """All shapes in the paste, in order of trust: describe, service tables, then errors."""
    text = clean(text)
    found = [read_describe_pod(text), read_service_ps(text), read_service_ls(text)]
    found += [read_events(text), read_describe_node(text)]
    readings = [r for r in found if r is not None] + read_errors(text)
    facts = _merge(readings)
    codes = hcs_codes(text)
    if codes:
        facts["codes"] = codes
    return Paste(tuple(readings), facts)
