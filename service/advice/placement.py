"""Where a workload may land: the hosts a nodeSelector, required node affinity or Swarm
placement constraints admit. Pure. A key a target does not describe is reported, and the
target counted as possible (it may carry the label)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from service.compat.hosts import make_host
from service.compat.rules import Host
from service.compat.versions import ParsedVersion
from service.pastes.compose import Constraint
from service.pastes.kubernetes import Expression, Toleration
from service.pastes.nodes import SWARM, NodeFacts, Taint

OS_LABEL = "kubernetes.io/os"
ARCH_LABEL = "kubernetes.io/arch"
BUILD_LABEL = "node.kubernetes.io/windows-build"
SWARM_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Target:
    """A host something may be scheduled on, with what schedulers see of it."""

    name: str
    host: Host
    arch: str = "amd64"
    labels: Mapping[str, str] = field(default_factory=dict)  # Kubernetes node labels
    swarm: Mapping[str, str] = field(default_factory=dict)  # node.platform.os, node.labels.X
    taints: tuple[Taint, ...] = ()  # from a node paste; hosts given as versions have none

    @classmethod
    def from_host(cls, name: str, host: Host, arch: str = "amd64") -> Target:
        """A host given as a version: the labels kubelet and the seed's Swarm recipe set."""
        build = f"10.0.{host.build}"
        labels = {OS_LABEL: "windows", ARCH_LABEL: arch, BUILD_LABEL: build}
        swarm = {
            "node.platform.os": "windows",
            "node.platform.arch": SWARM_ARCH.get(arch, arch),
            "node.labels.OsVersion": build,  # (Get-ComputerInfo).OsVersion: no revision
            "node.labels.OS": "windows",
        }
        return cls(name, host, arch, labels, swarm)


def from_nodes(nodes: Sequence[NodeFacts]) -> tuple[list[Target], list[str]]:
    """Targets for the Windows nodes of a `nodes` paste (fleet.md), with notes on those left
    out: Linux nodes, cordoned or drained ones, and those whose version cannot be read."""
    targets, left_out = [], []
    for node in nodes:
        if node.is_linux:
            left_out.append(f"{node.name}: a Linux node")
        elif node.unschedulable:
            left_out.append(f"{node.name}: unschedulable (cordoned or drained)")
        elif node.version is None:
            looked = ", ".join(node.missing) or "its fields"
            left_out.append(f"{node.name}: no Windows version in {looked}")
        else:
            targets.append(_node_target(node))
    return targets, left_out


def _node_target(node: NodeFacts) -> Target:
    host = make_host(ParsedVersion(node.version, "node", node.kind_hint))
    arch = node.arch or "amd64"
    labels = dict(node.labels)
    swarm: dict[str, str] = {}
    if node.platform == SWARM:
        swarm = {f"node.labels.{k}": v for k, v in node.labels.items()}
        swarm.update(
            {
                "node.platform.os": node.os or "windows",
                "node.platform.arch": SWARM_ARCH.get(arch, arch),
                "node.hostname": node.name,
            }
        )
    return Target(node.name, host, arch, labels, swarm, node.taints)


@dataclass(frozen=True)
class Admitted:
    targets: tuple[Target, ...]
    unknown_keys: tuple[str, ...]  # keys no target describes: counted as matching
    linux: bool  # the workload asks for Linux nodes


def _expression(labels: Mapping[str, str], e: Expression, unknown: set[str]) -> bool:
    if e.key not in labels:
        if e.operator in ("Exists", "DoesNotExist"):
            return e.operator == "DoesNotExist"
        unknown.add(e.key)
        return True
    value = labels[e.key]
    checks = {
        "In": lambda: value in e.values,
        "NotIn": lambda: value not in e.values,
        "Exists": lambda: True,
        "DoesNotExist": lambda: False,
        "Gt": lambda: _number(value) > _number(e.values[0] if e.values else ""),
        "Lt": lambda: _number(value) < _number(e.values[0] if e.values else ""),
    }
    check = checks.get(e.operator)
    return bool(check and check())


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


KEEPS_OFF = frozenset({"NoSchedule", "NoExecute"})  # PreferNoSchedule only discourages


def tolerated(taint: Taint, tolerations: Sequence[Toleration]) -> bool:
    """Kubernetes' rule: a toleration matches the taint's effect (or all) and its key (or,
    with Exists and no key, every key), and with Equal its value."""
    for t in tolerations:
        if t.effect not in (None, taint.effect):
            continue
        if t.operator == "Exists" and (t.key is None or t.key == taint.key):
            return True
        if t.operator == "Equal" and t.key == taint.key and (t.value or "") == (taint.value or ""):
            return True
    return False


def kubernetes(
    targets: Sequence[Target],
    selector: Mapping[str, str],
    terms: Sequence[Sequence[Expression]],
    tolerations: Sequence[Toleration] = (),
) -> Admitted:
    unknown: set[str] = set()
    admitted = []
    for target in targets:
        labels = target.labels
        ok = all(tolerated(t, tolerations) for t in target.taints if t.effect in KEEPS_OFF)
        for key, want in selector.items():
            if key not in labels:
                unknown.add(key)
            elif labels[key] != want:
                ok = False
        if ok and terms:
            ok = any(all(_expression(labels, e, unknown) for e in term) for term in terms)
        if ok:
            admitted.append(target)
    linux = selector.get(OS_LABEL) == "linux" or _asks_linux(terms)
    return Admitted(tuple(admitted), tuple(sorted(unknown)), linux)


def _asks_linux(terms: Iterable[Sequence[Expression]]) -> bool:
    terms = list(terms)
    return bool(terms) and all(
        any(e.key == OS_LABEL and e.operator == "In" and e.values == ("linux",) for e in term)
        for term in terms
    )


def swarm(targets: Sequence[Target], constraints: Sequence[Constraint]) -> Admitted:
    unknown: set[str] = set()
    admitted = []
    for target in targets:
        ok = True
        for c in constraints:
            if c.key is None:
                continue
            if c.key not in target.swarm:
                unknown.add(c.key)
                continue
            same = target.swarm[c.key].lower() == (c.value or "").lower()
            ok = ok and (same if c.op == "==" else not same)
        if ok:
            admitted.append(target)
    linux = any(
        c.key == "node.platform.os" and c.op == "==" and (c.value or "").lower() == "linux"
        for c in constraints
    )
    return Admitted(tuple(admitted), tuple(sorted(unknown)), linux)
