"""Scheduling output, checked the way the scheduler would use it: the YAML is parsed, the
`kubectl label` / `docker node update` commands are applied to the pasted nodes, and the
selector must then pick exactly the nodes that run the image. The evaluator here is written
independently of service.fleet.scheduling so that the two can disagree."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml

from service.compat.hosts import parse_image_version
from service.compat.image import Platform
from service.fleet import scheduling
from service.fleet.judging import Subject
from service.fleet.nodes import judge_cluster, summary
from service.pastes.nodes import read_nodes

NODES = Path(__file__).parent / "data" / "nodes"


def load(name: str) -> list[dict]:
    text = (NODES / name).read_text()
    return read_nodes(yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text))


def cluster(nodes_file: str, image_version: str, isolation: str = "process"):
    version = parse_image_version(image_version).version
    return judge_cluster(Subject.of_version(version), load(nodes_file), isolation)


def labels_after(c, commands: list[str]) -> dict[str, dict[str, str]]:
    """Every judged node's labels after running the kubectl label commands."""
    labels = {j.node.name: dict(j.node.labels) for j in c.judged}
    for command in commands:
        words = shlex.split(command)
        assert words[:3] == ["kubectl", "label", "node"], command
        name, change = words[3], words[4]
        if change.endswith("-"):
            labels[name].pop(change[:-1], None)
        else:
            key, value = change.split("=", 1)
            labels[name][key] = value
    return labels


def selected(spec: dict, labels: dict[str, str]) -> bool:
    """Kubernetes: nodeSelector is an AND of equalities; required node affinity is an OR of
    terms, each an AND of expressions (only `In` is used here)."""
    if any(labels.get(k) != str(v) for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    affinity = spec.get("affinity")
    if not affinity:
        return True
    terms = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    for term in terms["nodeSelectorTerms"]:
        if all(
            e["operator"] == "In" and labels.get(e["key"]) in [str(v) for v in e["values"]]
            for e in term["matchExpressions"]
        ):
            return True
    return False


def picked(c, plan: dict) -> set[str]:
    spec = yaml.safe_load(plan["yaml"])
    commands = plan["revision_label"]["commands"] if plan["revision_label"] else []
    after = labels_after(c, commands)
    return {name for name, labels in after.items() if selected(spec, labels)}


def runs_on(c) -> set[str]:
    return {j.node.name for j in c.runnable}


CASES = [
    # (nodes file, image version, isolation, expected runs_on, the selector's label, builds)
    pytest.param(
        "aks-mixed.json",
        "10.0.20348.2700",
        "process",
        {"akswin22000000", "akswin22000001", "akswin23000000", "akswin25000000"},
        "node.kubernetes.io/windows-build",
        ["10.0.20348", "10.0.25398", "10.0.26100"],
        id="ws2022-image-three-builds-affinity",
    ),
    pytest.param(
        "aks-mixed.json",
        "10.0.17763.5329",
        "process",
        {"akswin19000000"},
        "node.kubernetes.io/windows-build",
        ["10.0.17763"],
        id="ws2019-image-one-build-nodeselector",
    ),
    pytest.param(
        "aks-mixed.json",
        "10.0.26100.32230",
        "process",
        {"akswin25000000"},
        "node.kubernetes.io/windows-build",
        ["10.0.26100"],
        id="ws2025-image-spot-node",
    ),
    pytest.param(
        "seed-acs-2017-labelled.json",
        "10.0.14393.1715",
        "process",
        {"38519acs9010"},
        "beta.kubernetes.io/osbuild",
        ["14393.1715"],
        id="ws2016-revision-label-of-the-seed",
    ),
    pytest.param(
        "seed-acs-2017.json",
        "10.0.16299.125",
        "process",
        {"38519acs9011"},
        "beta.kubernetes.io/osbuild",
        ["16299"],
        id="old-kubelet-without-windows-build-label",
    ),
    pytest.param(
        "openshift-windows.yaml",
        "10.0.20348.2700",
        "process",
        {"winworker-6k2mq"},
        "node.kubernetes.io/windows-build",
        ["10.0.20348"],
        id="openshift-tainted-node",
    ),
]


@pytest.mark.parametrize(("nodes", "image", "isolation", "expected", "label", "values"), CASES)
def test_selector_picks_exactly_the_nodes_that_run_it(
    nodes, image, isolation, expected, label, values
):
    c = cluster(nodes, image, isolation)
    assert runs_on(c) == expected
    plan = scheduling.kubernetes(c)
    assert plan["exact"] is True, plan["notes"]
    assert picked(c, plan) == expected
    assert set(plan["selects"]) == expected
    spec = yaml.safe_load(plan["yaml"])
    if len(values) == 1:
        assert plan["affinity"] is None
        os_label = "beta.kubernetes.io/os" if nodes.startswith("seed") else "kubernetes.io/os"
        assert spec["nodeSelector"] == {os_label: "windows", label: values[0]}
    else:
        assert plan["nodeSelector"] is None
        (term,) = spec["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]["nodeSelectorTerms"]
        exprs = {e["key"]: e["values"] for e in term["matchExpressions"]}
        assert exprs == {"kubernetes.io/os": ["windows"], label: values}


def test_yaml_keeps_versions_as_strings():
    """`14393.1715` unquoted is a float to a YAML reader; the pod spec must keep a string."""
    plan = scheduling.kubernetes(cluster("seed-acs-2017-labelled.json", "10.0.14393.1715"))
    spec = yaml.safe_load(plan["yaml"])
    assert spec["nodeSelector"]["beta.kubernetes.io/osbuild"] == "14393.1715"
    assert '"14393.1715"' in plan["yaml"]


def test_ws2016_answer_says_why_and_gives_label_commands():
    c = cluster("seed-acs-2017.json", "10.0.14393.1715", "any")
    # Revision unknown on the node: process can't be judged, Hyper-V runs it.
    (node,) = [j for j in c.judged if j.node.name == "38519acs9010"]
    assert node.outcome.assessment.process.verdict.value == "unknown"
    c = cluster("seed-acs-2017-labelled.json", "10.0.14393.1715")
    plan = scheduling.kubernetes(c)
    assert plan["revision_label"]["label"] == "beta.kubernetes.io/osbuild"
    assert plan["revision_label"]["builds"] == [14393]
    assert any("no standard label carries the revision" in n for n in plan["notes"])


def test_old_kubelet_gets_the_seeds_label_commands():
    c = cluster("seed-acs-2017.json", "10.0.16299.125")
    plan = scheduling.kubernetes(c)
    assert plan["revision_label"]["commands"] == [
        "kubectl label node 38519acs9011 beta.kubernetes.io/osbuild=16299 --overwrite"
    ]


def test_tolerations_for_tainted_runnable_nodes_only():
    plan = scheduling.kubernetes(cluster("aks-mixed.json", "10.0.20348.2700"))
    # The spot node's taint is tolerated; the cordon taint is the control plane's, never.
    assert plan["tolerations"] == [
        {
            "key": "kubernetes.azure.com/scalesetpriority",
            "operator": "Equal",
            "value": "spot",
            "effect": "NoSchedule",
        }
    ]
    assert yaml.safe_load(plan["yaml"])["tolerations"] == plan["tolerations"]
    openshift = scheduling.kubernetes(cluster("openshift-windows.yaml", "10.0.20348.2700"))
    assert openshift["tolerations"] == [
        {"key": "os", "operator": "Equal", "value": "Windows", "effect": "NoSchedule"}
    ]
    none = scheduling.kubernetes(cluster("aks-mixed.json", "10.0.17763.5329"))
    assert none["tolerations"] == []
    assert "tolerations" not in yaml.safe_load(none["yaml"])


def _node(name: str, kernel: str) -> dict:
    build = ".".join(kernel.split(".")[:3])
    return {
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": build},
        },
        "status": {"nodeInfo": {"kernelVersion": kernel, "operatingSystem": "windows"}},
    }


def test_split_build_selects_on_revisions():
    """17763 nodes on both sides of the February 2020 baseline: the build label would also
    pick the old ones, which fail; the revision label picks exactly the new ones."""
    doc = [_node("old-a", "10.0.17763.1000"), _node("new-a", "10.0.17763.6054"),
           _node("new-b", "10.0.17763.8389"), _node("ws22", "10.0.20348.2700")]  # fmt: skip
    version = parse_image_version("10.0.17763.5329").version
    c = judge_cluster(Subject.of_version(version), read_nodes(doc), "process")
    assert runs_on(c) == {"new-a", "new-b"}
    plan = scheduling.kubernetes(c)
    assert plan["exact"] is True
    assert picked(c, plan) == {"new-a", "new-b"}
    assert plan["revision_label"]["builds"] == [17763]
    assert (
        "kubectl label node old-a beta.kubernetes.io/osbuild=17763.1000 --overwrite"
        not in (plan["revision_label"]["commands"])
    )


def test_hyperv_only_gives_a_runtime_class():
    c = cluster("aks-mixed.json", "10.0.17763.5329", "hyperv")
    plan = scheduling.kubernetes(c)
    assert plan["isolation"] == "hyperv"
    spec = yaml.safe_load(plan["yaml"])
    assert spec["runtimeClassName"] == "windows-hyperv"
    manifest = yaml.safe_load(plan["runtime_class"]["yaml"])
    assert manifest["kind"] == "RuntimeClass"
    assert manifest["apiVersion"] == "node.k8s.io/v1"
    assert manifest["handler"] == "runhcs-wcow-hypervisor"
    assert "refuses an entry of another build" in plan["runtime_class"]["note"]
    # 23H2 runs only WS2022 images, even with Hyper-V: it must not be selected.
    assert "akswin23000000" not in picked(c, plan)
    assert picked(c, plan) == runs_on(c)


def test_nothing_runs_nothing_selected():
    plan = scheduling.kubernetes(cluster("aks-mixed.json", "10.0.14393.1715"))
    assert plan["nodeSelector"] is None and plan["affinity"] is None and plan["yaml"] == ""


# -- Swarm ----------------------------------------------------------------------------------


def swarm_picked(c, plan: dict) -> set[str]:
    labels = {j.node.name: dict(j.node.labels) for j in c.judged}
    for command in plan["commands"][:-1]:
        words = shlex.split(command)
        assert words[:4] == ["docker", "node", "update", "--label-add"], command
        key, value = words[4].split("=", 1)
        labels[words[5]][key] = value
    service = shlex.split(plan["commands"][-1])
    assert service[:3] == ["docker", "service", "update"]
    constraints = [service[i + 1] for i, w in enumerate(service) if w == "--constraint-add"]
    assert constraints == plan["constraints"]
    chosen = set()
    for name, node_labels in labels.items():
        ok = True
        for constraint in constraints:
            left, op, right = constraint.split(" ")
            if left == "node.platform.os":
                continue  # every judged node is Windows
            value = node_labels.get(left.removeprefix("node.labels."))
            ok &= (value == right) if op == "==" else (value != right)
        if ok:
            chosen.add(name)
    return chosen


@pytest.mark.parametrize(
    ("image", "expected", "constraint"),
    [
        pytest.param("10.0.17763.5329", {"WIN-2019-A"}, "node.labels.OsVersion == 10.0.17763",
                     id="ws2019"),
        pytest.param("10.0.20348.2700", {"WIN-2022-A"}, "node.labels.OsVersion == 10.0.20348",
                     id="ws2022"),
    ],
)  # fmt: skip
def test_swarm_constraints_and_label_commands(image, expected, constraint):
    c = cluster("swarm-node-inspect.json", image)
    assert runs_on(c) == expected
    plan = scheduling.swarm(c)
    assert plan["constraints"] == ["node.platform.os == windows", constraint]
    assert swarm_picked(c, plan) == expected
    assert scheduling.kubernetes(c) is None


def test_swarm_hyperv_adds_isolation():
    c = cluster("swarm-node-inspect.json", "10.0.17763.5329", "hyperv")
    plan = scheduling.swarm(c)
    assert plan["commands"][-1].endswith("--isolation hyperv SERVICE")


def test_mixed_architectures_add_an_arch_term():
    """An amd64-only image on a cluster with arm64 Windows nodes of the same build."""
    arm = _node("arm-a", "10.0.26100.33296")
    arm["metadata"]["labels"]["kubernetes.io/arch"] = "arm64"
    amd = _node("amd-a", "10.0.26100.33296")
    amd["metadata"]["labels"]["kubernetes.io/arch"] = "amd64"
    platform = Platform("windows", "amd64", "10.0.26100.32230", "sha256:" + "a" * 64)
    subject = Subject("example.test/app:1", "sha256:" + "b" * 64, (platform,))
    c = judge_cluster(subject, read_nodes([arm, amd]), "process")
    assert runs_on(c) == {"amd-a"}
    plan = scheduling.kubernetes(c)
    assert plan["nodeSelector"]["kubernetes.io/arch"] == "amd64"
    assert picked(c, plan) == {"amd-a"} and plan["exact"] is True


def test_each_node_is_judged_by_its_own_runtime():
    # AKS nodes run containerd, which pulls no 17763 entry on a 20348/25398/26100 node: their
    # `runs` is what the node will do, not what Hyper-V isolation could do elsewhere.
    c = cluster("aks-mixed.json", "10.0.17763.5329", "any")
    assert summary(c).startswith(
        "Runs on 1 of 5 Windows nodes (Windows Server 2019); fails on 4 (2 Windows Server "
        "2022, 1 Windows Server 23H2, 1 Windows Server 2025)"
    )
    assert {j.outcome.runtime for j in c.judged} <= {"containerd-1.6", "containerd-1.7"}
    assert all(j.outcome.runtime for j in c.judged)


def test_summary_counts_nodes_that_need_hyperv():
    # The same nodes without a runtime we know: Microsoft's table decides, Hyper-V included.
    nodes = json.loads((NODES / "aks-mixed.json").read_text())
    for item in nodes["items"]:
        item["status"]["nodeInfo"].pop("containerRuntimeVersion", None)
    version = parse_image_version("10.0.17763.5329").version
    c = judge_cluster(Subject.of_version(version), read_nodes(nodes), "any")
    assert summary(c).startswith(
        "Runs on 4 of 5 Windows nodes (2 Windows Server 2022, 1 Windows Server 2019, 1 Windows "
        "Server 2025, 3 of them only with Hyper-V isolation); fails on 1 (Windows Server 23H2)"
    )
    plan = scheduling.kubernetes(c)
    assert plan["selects"] == ["akswin19000000"]  # the pod runs process-isolated by default
    assert any("only with Hyper-V isolation" in n for n in plan["notes"])
