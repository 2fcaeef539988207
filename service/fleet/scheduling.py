"""What to paste so that the scheduler puts the image exactly on the nodes that run it:
Kubernetes nodeSelector / required node affinity, tolerations, the revision label of the seed
document for builds where the revision decides, a RuntimeClass when only Hyper-V works; Swarm
labels and --constraint-add lines.

The selector is checked here against the pasted nodes (after the label commands it gives):
`selects` names the nodes it picks, and `exact` says whether that is the nodes that run it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service.compat.rules import EXACT_REVISION_BUILDS
from service.fleet import yaml_text
from service.fleet.nodes import Cluster, JudgedNode
from service.pastes.nodes import BUILD_LABEL, KUBERNETES, OS_LABELS, REVISION_LABEL, SWARM

OS_LABEL, ARCH_LABEL = "kubernetes.io/os", "kubernetes.io/arch"
RUNTIME_CLASS = "windows-hyperv"
HYPERV_HANDLER = "runhcs-wcow-hypervisor"  # containerd's Windows runtime with SandboxIsolation=1
# Taints the control plane sets and lifts itself: tolerating them would be wrong advice.
SYSTEM_TAINT_PREFIXES = ("node.kubernetes.io/", "node.cloudprovider.kubernetes.io/")
SWARM_LABEL = "OsVersion"

HYPERV_NOTE = (
    "Only Hyper-V isolation runs this image on these nodes. Kubernetes starts Windows pods "
    "with process isolation unless the pod names a RuntimeClass whose handler containerd runs "
    f"with Hyper-V (a runtime such as `{HYPERV_HANDLER}` with SandboxIsolation = 1 in "
    "containerd's config); and containerd's pull step matches list entries to the host's "
    "build, so it refuses an entry of another build unless that handler is configured to pull "
    "for it (containerd 2.x `runtime_platforms` for the handler, with the kubelet's "
    "RuntimeClassInImageCriApi feature). AKS, EKS and GKE nodes have no such handler by default."
)
REVISION_WHY = (
    "Windows Server 2016 runs a container with process isolation only at the very same "
    "revision, and no standard label carries the revision: label the nodes with it (the seed "
    "document's `{label}`) and select on that."
)
SPLIT_WHY = (
    "Nodes of build {build} differ in whether they run the image (their revisions decide), so "
    "the build label alone would also pick nodes that fail: label the nodes with their "
    "revision and select on that."
)
OLD_KUBELET_WHY = (
    "Some nodes that run it carry no `{label}` label (kubelets before 1.17 don't set it): "
    "label them with their build as the seed document does."
)


@dataclass(frozen=True)
class Target:
    """The nodes a workload should land on, and the isolation it will run with there."""

    nodes: tuple[JudgedNode, ...]
    mode: str | None  # "process", "hyperv", None when nothing runs it
    hyperv_only_elsewhere: tuple[JudgedNode, ...]  # runnable, but only with another mode


def target(cluster: Cluster, platform: str) -> Target:
    runnable = [j for j in cluster.runnable if j.node.platform == platform]
    process = tuple(j for j in runnable if j.outcome.mode == "process")
    if process:
        rest = tuple(j for j in runnable if j.outcome.mode != "process")
        return Target(process, "process", rest)
    return Target(tuple(runnable), "hyperv" if runnable else None, ())


def _windows(cluster: Cluster, platform: str) -> list[JudgedNode]:
    return [j for j in cluster.judged if j.node.platform == platform]


def _revision_builds(goal: Target, nodes: list[JudgedNode], arch: str | None) -> set[int]:
    """Builds where the build label is not enough: WS2016 under process isolation, and any
    build whose nodes split into ones that run the image and ones that don't."""
    wanted = {id(j) for j in goal.nodes}
    builds = {j.host.build for j in goal.nodes}
    needed = {b for b in builds if b in EXACT_REVISION_BUILDS} if goal.mode == "process" else set()
    for j in nodes:
        same_arch = arch is None or (j.node.arch or "amd64") == arch
        if j.host and j.host.build in builds and id(j) not in wanted and same_arch:
            needed.add(j.host.build)
    return needed


def _key(j: JudgedNode, revision_builds: set[int]) -> tuple[str, str | None]:
    """The label and value that select this node."""
    build = j.host.build
    if build in revision_builds:
        rev = j.host.version.revision
        return REVISION_LABEL, (f"{build}.{rev}" if rev is not None else None)
    if j.node.labels.get(BUILD_LABEL) == f"10.0.{build}":
        return BUILD_LABEL, f"10.0.{build}"
    return REVISION_LABEL, str(build)  # an old kubelet: the seed's build-only label


def _single_arch(goal: Target, nodes: list[JudgedNode]) -> str | None:
    """An arch term only when the Windows nodes mix architectures."""
    arches = {j.node.arch or "amd64" for j in nodes if j.host}
    mine = {j.node.arch or "amd64" for j in goal.nodes}
    return next(iter(mine)) if len(arches) > 1 and len(mine) == 1 else None


def _tolerations(goal: Target) -> list[dict]:
    seen: dict[tuple, dict] = {}
    for j in goal.nodes:
        for t in j.node.taints:
            if t.key.startswith(SYSTEM_TAINT_PREFIXES):
                continue
            toleration = {"key": t.key, "operator": "Equal" if t.value else "Exists"}
            if t.value:
                toleration["value"] = t.value
            toleration["effect"] = t.effect
            seen.setdefault((t.key, t.value, t.effect), toleration)
    return list(seen.values())


def matches(labels: Mapping[str, str], selector: dict | None, affinity: dict | None) -> bool:
    """What the scheduler does with a nodeSelector and required node affinity (In only)."""
    if selector and any(labels.get(k) != v for k, v in selector.items()):
        return False
    if not affinity:
        return selector is not None
    terms = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    return any(
        all(labels.get(e["key"]) in e["values"] for e in term["matchExpressions"]) for term in terms
    )


def _os_label(goal: Target) -> str:
    """kubernetes.io/os, or the beta label on kubelets older than 1.14 (the seed's cluster)."""
    for label in OS_LABELS:
        if all(j.node.labels.get(label) == "windows" for j in goal.nodes):
            return label
    return OS_LABEL


def _selector(
    keys: dict[str, list[str]], arch: str | None, os_label: str = OS_LABEL
) -> tuple[dict | None, dict | None]:
    base = {os_label: "windows", **({ARCH_LABEL: arch} if arch else {})}
    if len(keys) == 1 and len(next(iter(keys.values()))) == 1:
        ((label, (value,)),) = keys.items()
        return {**base, label: value}, None
    fixed = [{"key": k, "operator": "In", "values": [v]} for k, v in base.items()]
    terms = [
        {"matchExpressions": [*fixed, {"key": label, "operator": "In", "values": values}]}
        for label, values in keys.items()
    ]
    required = {"nodeSelectorTerms": terms}
    return None, {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}


def _sorted_values(values: Iterable[str]) -> list[str]:
    return sorted(set(values), key=lambda v: [int(p) if p.isdigit() else p for p in v.split(".")])


def _true_value(j: JudgedNode, revision_builds: set[int]) -> str | None:
    """The revision label this node should carry: build.revision where the revision decides
    (None when unknown), else the build, as the seed document labels nodes."""
    build, rev = j.host.build, j.host.version.revision
    if build in revision_builds:
        return f"{build}.{rev}" if rev is not None else None
    return str(build)


def _relabel(nodes: list[JudgedNode], goal: Target, revision_builds: set[int]) -> dict:
    """id(node) -> (labels after the commands, the command or None): targets that select on the
    revision label get it, and a label already there is corrected so it can't mislead."""
    wanted = {id(j) for j in goal.nodes}
    out = {}
    for j in nodes:
        labels, command = dict(j.node.labels), None
        if j.host:
            needed = id(j) in wanted and _key(j, revision_builds)[0] == REVISION_LABEL
            value = _true_value(j, revision_builds)
            if (needed or REVISION_LABEL in labels) and labels.get(REVISION_LABEL) != value:
                if value is None:
                    labels.pop(REVISION_LABEL, None)
                    command = f"kubectl label node {j.node.name} {REVISION_LABEL}-"
                else:
                    labels[REVISION_LABEL] = value
                    command = (
                        f"kubectl label node {j.node.name} {REVISION_LABEL}={value} --overwrite"
                    )
        out[id(j)] = (labels, command)
    return out


def _selector_keys(goal: Target, revision_builds: set[int]) -> dict[str, list[str]]:
    """label -> the values that select the target nodes, sorted as versions."""
    keys: dict[str, list[str]] = {}
    for j in goal.nodes:
        label, value = _key(j, revision_builds)
        if value is not None:
            keys.setdefault(label, []).append(value)
    return {label: _sorted_values(values) for label, values in sorted(keys.items())}


def kubernetes(cluster: Cluster) -> dict | None:
    nodes = _windows(cluster, KUBERNETES)
    if not nodes:
        return None
    goal = target(cluster, KUBERNETES)
    if not goal.nodes:
        return _empty_plan("No Windows node runs this image: there is nothing to select.")
    arch = _single_arch(goal, nodes)
    revision_builds = _revision_builds(goal, nodes, arch)
    keys = _selector_keys(goal, revision_builds)
    if not keys:
        return _empty_plan("The nodes that run it need their revision read before selecting.")
    selector, affinity = _selector(keys, arch, _os_label(goal))
    # The check: which pasted nodes the selector picks once the label commands have run.
    relabelled = _relabel(nodes, goal, revision_builds)
    commands = [command for _, command in relabelled.values() if command]
    need_revision = [
        j.node.name for j in goal.nodes if _key(j, revision_builds) == (REVISION_LABEL, None)
    ]
    selects = [j.node.name for j in nodes if matches(relabelled[id(j)][0], selector, affinity)]
    exact = sorted(selects) == sorted(j.node.name for j in goal.nodes)
    notes = _notes(goal, revision_builds, commands, need_revision, keys)
    if not exact:
        notes.append("The selector can't pick exactly the nodes that run it; see `selects`.")
    tolerations = _tolerations(goal)
    hyperv = goal.mode == "hyperv"
    return {
        "nodeSelector": selector,
        "affinity": affinity,
        "tolerations": tolerations,
        "runtimeClassName": RUNTIME_CLASS if hyperv else None,
        "runtime_class": _runtime_class() if hyperv else None,
        "revision_label": _revision_label(revision_builds, commands, need_revision, keys),
        "selects": selects,
        "exact": exact,
        "isolation": goal.mode,
        "notes": notes,
        "yaml": yaml_text.dump(_pod_spec(selector, affinity, tolerations, goal.mode)),
    }


def _empty_plan(note: str) -> dict:
    return {
        "nodeSelector": None,
        "affinity": None,
        "tolerations": [],
        "runtimeClassName": None,
        "runtime_class": None,
        "revision_label": None,
        "selects": [],
        "exact": True,
        "isolation": None,
        "notes": [note],
        "yaml": "",
    }


def _pod_spec(selector, affinity, tolerations, mode) -> dict:
    pod: dict = {"nodeSelector": selector} if selector else {"affinity": affinity}
    if tolerations:
        pod["tolerations"] = tolerations
    if mode == "hyperv":
        pod["runtimeClassName"] = RUNTIME_CLASS
    return pod


def _runtime_class() -> dict:
    manifest = {
        "apiVersion": "node.k8s.io/v1",
        "kind": "RuntimeClass",
        "metadata": {"name": RUNTIME_CLASS},
        "handler": HYPERV_HANDLER,
        "scheduling": {"nodeSelector": {OS_LABEL: "windows"}},
    }
    return {"manifest": manifest, "yaml": yaml_text.dump(manifest), "note": HYPERV_NOTE}


def _revision_label(revision_builds, commands, need_revision, keys) -> dict | None:
    if REVISION_LABEL not in keys and not need_revision:
        return None
    return {
        "label": REVISION_LABEL,
        "builds": sorted(revision_builds),
        "commands": commands,
        "needs_revision": need_revision,
    }


def _notes(goal: Target, revision_builds, commands, need_revision, keys) -> list[str]:
    notes = []
    for build in sorted(revision_builds):
        if build in EXACT_REVISION_BUILDS and goal.mode == "process":
            notes.append(REVISION_WHY.format(label=f"{REVISION_LABEL}={build}.REVISION"))
        else:
            notes.append(SPLIT_WHY.format(build=build))
    plain = [v for v in keys.get(REVISION_LABEL, []) if "." not in v]
    if plain:
        notes.append(OLD_KUBELET_WHY.format(label=BUILD_LABEL))
    if commands:
        notes.append("Run the `kubectl label` commands of `revision_label` first.")
    if need_revision:
        names = ", ".join(need_revision)
        notes.append(
            f"Read the revision of {names} with `ver` on the node (the kernel version string "
            "carries the build lab's number, not the update) and label it the same way."
        )
    if goal.mode == "hyperv":
        notes.append(HYPERV_NOTE)
    if goal.hyperv_only_elsewhere:
        names = ", ".join(j.node.name for j in goal.hyperv_only_elsewhere)
        notes.append(
            f"{names} run it only with Hyper-V isolation; this selector leaves them out (a "
            f"separate workload with runtimeClassName {RUNTIME_CLASS} could use them)."
        )
    return notes


# -- Swarm ------------------------------------------------------------------------------------


def _swarm_value(j: JudgedNode, revision_builds: set[int]) -> str:
    v = j.host.version
    if j.host.build in revision_builds and v.revision is not None:
        return f"{v.major}.{v.minor}.{v.build}.{v.revision}"
    return f"{v.major}.{v.minor}.{v.build}"


def swarm_matches(labels: Mapping[str, str], constraints: list[str]) -> bool:
    """Swarm's placement: every constraint holds; a missing label is `!=` anything."""
    for constraint in constraints:
        if constraint.startswith("node.platform.os"):
            continue  # checked by the caller: only Windows nodes are judged
        name, op, value = constraint.replace("node.labels.", "", 1).split(" ", 2)
        if (labels.get(name) == value) != (op == "=="):
            return False
    return True


def _swarm_constraints(goal: Target, values: dict[int, str]) -> list[str]:
    """Swarm has no `In`: one build is `==`; several are `!=` every other build present."""
    wanted = {values[id(j)] for j in goal.nodes}
    others = set(values.values()) - wanted
    constraints = ["node.platform.os == windows"]
    if len(wanted) == 1:
        return [*constraints, f"node.labels.{SWARM_LABEL} == {next(iter(wanted))}"]
    return constraints + [f"node.labels.{SWARM_LABEL} != {v}" for v in _sorted_values(others)]


def _swarm_label(values: dict[int, str], j: JudgedNode) -> dict[str, str]:
    """The OsVersion label a node carries once the label commands have run."""
    return {SWARM_LABEL: values[id(j)]} if id(j) in values else {}


def swarm(cluster: Cluster) -> dict | None:
    nodes = _windows(cluster, SWARM)
    if not nodes:
        return None
    goal = target(cluster, SWARM)
    if not goal.nodes:
        return {
            "constraints": [],
            "commands": [],
            "selects": [],
            "exact": True,
            "notes": ["No Windows node runs this image: there is nothing to select."],
        }
    revision_builds = _revision_builds(goal, nodes, None)
    values = {id(j): _swarm_value(j, revision_builds) for j in nodes if j.host}
    constraints = _swarm_constraints(goal, values)
    commands = [
        f"docker node update --label-add {SWARM_LABEL}={values[id(j)]} {j.node.name}"
        for j in nodes
        if j.host and j.node.labels.get(SWARM_LABEL) != values[id(j)]
    ]
    selects = [
        j.node.name
        for j in nodes
        if swarm_matches({**j.node.labels, **_swarm_label(values, j)}, constraints)
    ]
    exact = sorted(selects) == sorted(j.node.name for j in goal.nodes)
    update = " ".join(f'--constraint-add "{c}"' for c in constraints)
    isolation = " --isolation hyperv" if goal.mode == "hyperv" else ""
    commands.append(f"docker service update {update}{isolation} SERVICE")
    notes = []
    if not exact:
        unlabelled = ", ".join(j.node.name for j in nodes if not j.host)
        notes.append(
            f"Nodes whose version is unknown ({unlabelled}) carry no {SWARM_LABEL} label, so "
            "`!=` constraints would admit them: label them or drain them first."
        )
    return {
        "constraints": constraints,
        "commands": commands,
        "selects": selects,
        "exact": exact,
        "isolation": goal.mode,
        "notes": notes,
    }
