"""The seed document's three fixes made concrete for this image, this orchestrator and these
nodes: rebuild on the right tag, Hyper-V isolation (docker run, Swarm's daemon.json, a
Kubernetes RuntimeClass), and scheduling (nodeSelector/affinity, Swarm labels and
constraints). Only the ones that apply: a fix is listed when the rules say it works."""

from __future__ import annotations

from dataclasses import dataclass

from service.compat import catalog
from service.compat.assessment import Assessment
from service.compat.remedies import BUILD_LABEL, DEFAULT_BASE, HYPERV_DAEMON_JSON, Remedy
from service.compat.rules import EXACT_REVISION_BUILDS, Isolation, Verdict, judge
from service.compat.versions import WindowsVersion

OS_LABEL = "kubernetes.io/os"
REVISION_LABEL = "beta.kubernetes.io/osbuild"  # the seed document's label for WS2016 revisions
HYPERV_HANDLER = "runhcs-wcow-hypervisor"  # containerd's conventional Hyper-V runtime handler
DAEMON_JSON = r"C:\ProgramData\docker\config\daemon.json"

RUNTIME_CLASS = f"""apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: windows-hyperv
handler: {HYPERV_HANDLER}
scheduling:
  nodeSelector:
    {OS_LABEL}: windows
"""


@dataclass(frozen=True)
class Target:
    """Where the failure happened, as the paste tells it."""

    orchestrator: str | None  # "docker", "swarm", "kubernetes", "containerd" or None
    image: str | None  # the reference to name in commands
    node: str | None
    service: str | None
    pod: str | None
    isolation: str | None  # the isolation the failed run used, when the paste says
    repository: str = DEFAULT_BASE  # the base repository a rebuild names


def _rebuild(remedy: Remedy) -> dict:
    return {"action": "rebuild", "detail": remedy.detail, **dict(remedy.fields)}


def _hyperv(target: Target) -> dict:
    image = target.image or "IMAGE"
    if target.orchestrator == "swarm":
        node = target.node or "each Windows node"
        detail = (
            f"On {node}, add {HYPERV_DAEMON_JSON} to {DAEMON_JSON} and restart Docker "
            "(Restart-Service docker); Swarm then starts its tasks with Hyper-V isolation."
        )
        return {
            "action": "hyperv",
            "detail": detail,
            "daemon_json": {"exec-opts": ["isolation=hyperv"]},
        }
    if target.orchestrator == "kubernetes":
        detail = (
            f"Give the pod a Hyper-V RuntimeClass (runtimeClassName: windows-hyperv; containerd "
            f"needs a '{HYPERV_HANDLER}' runtime handler with SandboxIsolation = 1). Managed "
            "clusters (AKS, EKS, GKE) offer no Hyper-V isolation by default, and the pull step "
            "refuses a non-host build unless the runtime is configured for it."
        )
        return {
            "action": "hyperv",
            "detail": detail,
            "runtime_class": RUNTIME_CLASS,
            "pod_spec": {"runtimeClassName": "windows-hyperv"},
        }
    command = f"docker run --isolation=hyperv {image}"
    return {
        "action": "hyperv",
        "detail": command,
        "command": command,
        "daemon_json": {"exec-opts": ["isolation=hyperv"]},
    }


def _selector_yaml(builds: list[int], revision: str | None) -> tuple[dict, dict | None, str]:
    if revision:
        selector = {OS_LABEL: "windows", REVISION_LABEL: revision}
        return (
            selector,
            None,
            f'nodeSelector:\n  {OS_LABEL}: windows\n  {REVISION_LABEL}: "{revision}"\n',
        )
    values = [f"10.0.{b}" for b in builds]
    if len(values) == 1:
        selector = {OS_LABEL: "windows", BUILD_LABEL: values[0]}
        return (
            selector,
            None,
            f'nodeSelector:\n  {OS_LABEL}: windows\n  {BUILD_LABEL}: "{values[0]}"\n',
        )
    term = {
        "matchExpressions": [
            {"key": OS_LABEL, "operator": "In", "values": ["windows"]},
            {"key": BUILD_LABEL, "operator": "In", "values": values},
        ]
    }
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}
        }
    }
    listed = ", ".join(f'"{v}"' for v in values)
    yaml = (
        "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
        "      nodeSelectorTerms:\n        - matchExpressions:\n"
        f"            - {{key: {OS_LABEL}, operator: In, values: [windows]}}\n"
        f"            - {{key: {BUILD_LABEL}, operator: In, values: [{listed}]}}\n"
    )
    return {}, affinity, yaml


def _schedule(remedy: Remedy, a: Assessment, target: Target) -> dict:
    builds = [int(b) for b in remedy.fields.get("host_builds", [])]
    image_build = builds[0]
    where = ", ".join(catalog.describe(b) + f" ({b})" for b in builds)
    runs = f"hosts of {where}"
    exact = image_build in EXACT_REVISION_BUILDS and a.image and a.image.revision is not None
    revision = f"14393.{a.image.revision}" if exact else None
    if target.orchestrator == "kubernetes":
        selector, affinity, yaml = _selector_yaml(builds, revision)
        detail = f"Schedule the pod onto {runs}: add to the pod spec\n{yaml}"
        fix = {
            "action": "schedule",
            "detail": detail,
            "yaml": yaml,
            "nodeSelector": selector or None,
            "affinity": affinity,
        }
        if revision:
            fix["commands"] = [f"kubectl label node NODE {REVISION_LABEL}={revision}"]
            fix["note"] = (
                "No standard label carries the revision that WS2016 needs; label the nodes."
            )
        return fix
    if target.orchestrator == "swarm":
        value = f"10.0.{revision}" if revision else f"10.0.{image_build}"  # WS2016: revision too
        service = target.service or "SERVICE"
        commands = [
            f"docker node update --label-add OsVersion={value} NODE",
            f'docker service update --constraint-add "node.labels.OsVersion=={value}" {service}',
        ]
        detail = (
            f"Label the {catalog.describe(image_build)} nodes and constrain the service to them: "
            + "; ".join(commands)
        )
        return {
            "action": "schedule",
            "detail": detail,
            "commands": commands,
            "constraint": f"node.labels.OsVersion=={value}",
        }
    return {"action": "schedule", "detail": f"Run it on {runs}.", "host_builds": builds}


def _hyperv_rebuild(a: Assessment, target: Target) -> dict | None:
    """When no base tag runs on the host with process isolation (Windows 10, 23H2), the newest
    one that runs with Hyper-V, judged by the rules; Docker uses Hyper-V there by default."""
    host = a.host
    releases = [r for r in catalog.RELEASES if r.kind == catalog.SERVER and r.has_images and r.tag]
    for release in sorted(releases, key=lambda r: r.build, reverse=True):
        candidate = WindowsVersion(host.version.major, host.version.minor, release.build)
        if judge(host, candidate, Isolation.HYPERV).verdict is Verdict.SUPPORTED:
            image = f"{target.repository}:{release.tag}"
            detail = (
                f"FROM {image}, run with --isolation=hyperv (Docker's default on Windows 10/11)"
            )
            return {"action": "rebuild", "detail": detail, "tag": release.tag,
                    "base_image": image, "isolation": "hyperv"}  # fmt: skip
    return None


def concrete_fixes(a: Assessment, target: Target) -> list[dict]:
    """Fixes in the order to try them; none when process isolation is supported."""
    if a.process.verdict is Verdict.SUPPORTED:
        return []
    fixes: list[dict] = []
    for remedy in a.remedies:
        if remedy.action == "rebuild":
            fixes.append(_rebuild(remedy))
        elif remedy.action == "hyperv":
            if target.isolation != "hyperv":  # it already failed with Hyper-V
                fixes.append(_hyperv(target))
        elif remedy.action == "schedule":
            fixes.append(_schedule(remedy, a, target))
        else:
            fixes.append({"action": remedy.action, "detail": remedy.detail, **dict(remedy.fields)})
    stuck = a.hyperv.verdict is not Verdict.SUPPORTED and not any(
        f["action"] == "rebuild" for f in fixes
    )
    if stuck and (rebuild := _hyperv_rebuild(a, target)):
        fixes.insert(0, rebuild)
    return fixes
