"""Which nodes of a cluster run an image (fleet.md, POST /compat/nodes), as plain data."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from service.compat import catalog
from service.compat.hosts import make_host
from service.compat.rules import Host
from service.compat.versions import ParsedVersion
from service.fleet.judging import Judge, Outcome, Subject
from service.pastes.nodes import NodeFacts, NodeList


@dataclass(frozen=True)
class JudgedNode:
    node: NodeFacts
    host: Host | None  # None when the node's version could not be read
    outcome: Outcome | None

    @property
    def runs(self) -> bool:
        return self.outcome is not None and self.outcome.runs

    @property
    def release(self) -> str:
        return catalog.describe(self.host.build, self.host.kind) if self.host else "unknown"


@dataclass(frozen=True)
class Cluster:
    subject: Subject
    isolation: str
    judged: tuple[JudgedNode, ...]  # every node that is not Linux, in paste order
    skipped: tuple[NodeFacts, ...]  # Linux nodes

    @property
    def runnable(self) -> tuple[JudgedNode, ...]:
        return tuple(j for j in self.judged if j.runs)

    @property
    def failing(self) -> tuple[JudgedNode, ...]:
        return tuple(j for j in self.judged if j.host is not None and not j.runs)

    @property
    def unreadable(self) -> tuple[JudgedNode, ...]:
        return tuple(j for j in self.judged if j.host is None)


def judge_cluster(
    subject: Subject, nodes: NodeList, isolation: str = "any", runtime: str | None = None
) -> Cluster:
    """Each node judged by its own containerRuntimeVersion, else by `runtime`."""
    judge = Judge(subject, isolation, runtime)
    judged, skipped = [], []
    for node in nodes.nodes:
        if node.is_linux:
            skipped.append(node)
            continue
        if node.version is None:
            judged.append(JudgedNode(node, None, None))
            continue
        host = make_host(ParsedVersion(node.version, "node", node.kind_hint))
        outcome = judge.outcome(host, node.arch or "amd64", node.notes, node.runtime)
        judged.append(JudgedNode(node, host, outcome))
    return Cluster(subject, isolation, tuple(judged), tuple(skipped))


def most_common_failing(cluster: Cluster) -> JudgedNode | None:
    """The node whose build most failing nodes share: its remedies speak for the cluster."""
    failing = cluster.failing
    if not failing:
        return None
    counts = Counter(j.host.build for j in failing)
    build = max(counts, key=lambda b: (counts[b], b))
    return next(j for j in failing if j.host.build == build)


def _releases(nodes: tuple[JudgedNode, ...]) -> str:
    counts = Counter(j.release for j in nodes)
    if len(counts) == 1:
        (name,) = counts
        return f"all {name}" if len(nodes) > 1 else name
    return ", ".join(f"{n} {name}" for name, n in counts.most_common())


def summary(cluster: Cluster) -> str:
    windows = len(cluster.judged)
    skipped = f"; {len(cluster.skipped)} Linux node(s) skipped" if cluster.skipped else ""
    if not windows:
        return f"No Windows nodes in the list{skipped}."
    runs, fails, unknown = cluster.runnable, cluster.failing, cluster.unreadable
    parts = []
    if runs:
        hyperv = sum(1 for j in runs if j.outcome.mode == "hyperv")
        only = f", {hyperv} of them only with Hyper-V isolation" if hyperv else ""
        parts.append(f"Runs on {len(runs)} of {windows} Windows nodes ({_releases(runs)}{only})")
    else:
        parts.append(f"Runs on none of the {windows} Windows nodes")
    if fails:
        parts.append(f"fails on {len(fails)} ({_releases(fails)})")
    if unknown:
        parts.append(f"{len(unknown)} can't be judged: no version could be read")
    return "; ".join(parts) + skipped + "."
