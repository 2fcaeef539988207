"""service.pastes.nodes: every shape of node list people paste, read into NodeFacts; bad
documents named by path. Plain tables over tests/data/nodes (see its README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from service.pastes.nodes import (
    MAX_NODES,
    NodePasteError,
    TooManyNodes,
    load_text,
    read_nodes,
    slim,
)

NODES = Path(__file__).parent / "data" / "nodes"


def read(name: str):
    return read_nodes(load_text((NODES / name).read_text()))


def facts(name: str) -> dict:
    return {n.name: n for n in read(name).nodes}


@pytest.mark.parametrize(
    ("file", "shape", "count"),
    [
        pytest.param("aks-mixed.json", "List", 6, id="kubectl-list"),
        pytest.param("aks-single-node-2022.json", "Node", 1, id="single-node"),
        pytest.param("aks-array-2019-2022.json", "array", 2, id="array-of-nodes"),
        pytest.param("openshift-windows.yaml", "List", 2, id="yaml-list"),
        pytest.param("seed-acs-2017.json", "List", 4, id="old-kubelets"),
        pytest.param("swarm-node-inspect.json", "swarm", 4, id="docker-node-inspect"),
    ],
)
def test_shapes(file, shape, count):
    found = read(file)
    assert found.shape == shape
    assert len(found.nodes) == count


# (file, node, os, version, version_from, arch, runtime, unschedulable, taint keys)
NODE_TABLE = [
    ("aks-mixed.json", "akswin19000000", "windows", "10.0.17763.8389",
     "status.nodeInfo.kernelVersion", "amd64", "containerd://1.6.35+azure", False, []),
    ("aks-mixed.json", "akswin22000001", "windows", "10.0.20348.5499",
     "status.nodeInfo.kernelVersion", "amd64", "containerd://1.6.35+azure", True,
     ["node.kubernetes.io/unschedulable"]),
    # 23H2 nodes call themselves 2022 in osImage; the kernel's number wins.
    ("aks-mixed.json", "akswin23000000", "windows", "10.0.25398.950",
     "status.nodeInfo.kernelVersion", "amd64", "containerd://1.7.17+azure", False, []),
    ("aks-mixed.json", "akswin25000000", "windows", "10.0.26100.33296",
     "status.nodeInfo.kernelVersion", "amd64", "containerd://2.0.4+azure", False,
     ["kubernetes.azure.com/scalesetpriority"]),
    ("aks-mixed.json", "aks-nodepool1-24156327-vmss000000", "linux", None, None, "amd64",
     "containerd://1.7.20-1", False, ["CriticalAddonsOnly"]),
    # Old kubelets: build only; the number after it is the build lab's (rules.md §1).
    ("seed-acs-2017.json", "38519acs9010", "windows", "10.0.14393",
     "status.nodeInfo.kernelVersion", "amd64", None, True, []),
    ("seed-acs-2017.json", "38519acs9011", "windows", "10.0.16299",
     "status.nodeInfo.kernelVersion", "amd64", None, False, []),
    # The seed's osbuild label supplies the revision the kernel string lacks.
    ("seed-acs-2017-labelled.json", "38519acs9010", "windows", "10.0.14393.1715",
     "status.nodeInfo.kernelVersion", "amd64", None, True, []),
    ("openshift-windows.yaml", "winworker-6k2mq", "windows", "10.0.20348.2700",
     "status.nodeInfo.kernelVersion", "amd64", "containerd://1.7.20", False, ["os"]),
    ("openshift-windows.yaml", "ci-ln-worker-a-7xqzp", "linux", None, None, "amd64",
     "cri-o://1.29.8-5.rhaos4.16.git7d0a2b1.el9", False, []),
    ("swarm-node-inspect.json", "WIN-2019-A", "windows", "10.0.17763", "Spec.Labels.OsVersion",
     "amd64", "docker://24.0.7", False, []),
    ("swarm-node-inspect.json", "WIN-2022-B", "windows", None, None, "amd64",
     "docker://27.3.1", True, []),
    ("swarm-node-inspect.json", "swarm-manager", "linux", None, None, "amd64",
     "docker://24.0.7", False, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("file", "name", "os", "version", "source", "arch", "runtime", "unschedulable", "taints"),
    NODE_TABLE,
    ids=[f"{row[0].split('.')[0]}:{row[1]}" for row in NODE_TABLE],
)
def test_node_facts(file, name, os, version, source, arch, runtime, unschedulable, taints):
    node = facts(file)[name]
    assert node.os == os
    assert (str(node.version) if node.version else None) == version
    assert node.version_from == source
    assert node.arch == arch
    assert node.runtime == runtime
    assert node.unschedulable is unschedulable
    assert [t.key for t in node.taints] == taints


def test_old_kubelet_revision_is_unknown_with_a_warning():
    node = facts("seed-acs-2017.json")["38519acs9010"]
    assert node.version.revision is None
    assert any("build lab" in n for n in node.notes)


def test_windows_node_without_version_names_the_fields_it_looked_at():
    node = facts("swarm-node-inspect.json")["WIN-2022-B"]
    assert node.missing == ("Spec.Labels.OsVersion", "Description.Engine.Labels.OsVersion")
    bare = {"kind": "Node", "metadata": {"name": "w", "labels": {"kubernetes.io/os": "windows"}}}
    (node,) = read_nodes(bare).nodes
    assert "status.nodeInfo.kernelVersion" in node.missing
    assert "metadata.labels[node.kubernetes.io/windows-build]" in node.missing


def _k8s(**info) -> dict:
    return {"kind": "Node", "metadata": {"name": "n", "labels": info.pop("labels", {})},
            "status": {"nodeInfo": info}}  # fmt: skip


@pytest.mark.parametrize(
    ("node", "version", "source"),
    [
        pytest.param(_k8s(labels={"node.kubernetes.io/windows-build": "10.0.17763"}),
                     "10.0.17763", "metadata.labels[node.kubernetes.io/windows-build]",
                     id="build-label-only"),
        pytest.param(_k8s(labels={"node.kubernetes.io/windows-build": "10.0.20348",
                                  "kubernetes.azure.com/node-image-version":
                                  "AKSWindows-2022-containerd-20348.2655.240814"}),
                     "10.0.20348.2655", "metadata.labels[node.kubernetes.io/windows-build]",
                     id="aks-image-fills-the-revision"),
        pytest.param(_k8s(osImage="Windows Server 2022 Datacenter"), "10.0.20348",
                     "status.nodeInfo.osImage", id="product-name-last"),
        pytest.param(_k8s(osImage="Windows Server 2022 Datacenter",
                          labels={"kubernetes.azure.com/node-image-version":
                                  "AKSWindows-23H2-25398.950.240621"}),
                     "10.0.25398.950", "metadata.labels[kubernetes.azure.com/node-image-version]",
                     id="number-over-name"),
    ],
)  # fmt: skip
def test_order_of_trust(node, version, source):
    (found,) = read_nodes(node).nodes
    assert str(found.version) == version
    assert found.version_from == source


def test_yaml_text_and_json_text_read_the_same():
    doc = json.loads((NODES / "aks-mixed.json").read_text())
    from_yaml = read_nodes(yaml.safe_dump(doc))
    from_json = read_nodes(json.dumps(doc))
    assert [n.version for n in from_yaml.nodes] == [n.version for n in from_json.nodes]


def test_slim_keeps_what_is_read_and_drops_image_lists():
    doc = json.loads((NODES / "aks-mixed.json").read_text())
    slimmed = slim(doc)
    assert "images" not in slimmed["items"][1]["status"]
    assert "systemUUID" not in slimmed["items"][1]["status"]["nodeInfo"]
    assert len(json.dumps(slimmed)) < len(json.dumps(doc)) * 0.7
    assert read_nodes(slimmed) == read_nodes(doc)
    swarm = json.loads((NODES / "swarm-node-inspect.json").read_text())
    assert read_nodes(slim(swarm)) == read_nodes(swarm)


# -- bad documents: 4xx naming the path ------------------------------------------------------

BAD = [
    pytest.param('{"items": [', "", "not valid JSON", id="malformed-json"),
    pytest.param("items: [a, b", "", "neither valid JSON nor YAML", id="malformed-yaml"),
    pytest.param('"just a string"', "", "must be a node list", id="scalar"),
    pytest.param('{"apiVersion": "v1"}', "", "neither `kubectl get nodes", id="neither-shape"),
    pytest.param('{"items": {"a": 1}}', "items", "must be an array", id="items-not-array"),
    pytest.param('{"items": [{"kind": "Node"}, 7]}', "items[1]", "must be an object",
                 id="node-not-object"),
    pytest.param('{"items": [{"kind": "Pod", "metadata": {}}]}', "items[0]", "not a Node",
                 id="not-a-node"),
    pytest.param('[{"metadata": {"labels": ["a"]}}]', "[0].metadata.labels", "an object",
                 id="labels-wrong-type"),
    pytest.param('[{"metadata": {}, "status": {"nodeInfo": {"kernelVersion": []}}}]',
                 "[0].status.nodeInfo.kernelVersion", "a string", id="kernel-wrong-type"),
    pytest.param('[{"metadata": {}, "spec": {"taints": [{"key": "os"}]}}]',
                 "[0].spec.taints[0]", "needs `key` and `effect`", id="taint-missing-effect"),
    pytest.param('[{"metadata": {}, "spec": {"unschedulable": "yes"}}]',
                 "[0].spec.unschedulable", "a boolean", id="unschedulable-wrong-type"),
    pytest.param('[{"ID": "x", "Spec": {"Labels": {"OsVersion": {}}}}]',
                 "[0].Spec.Labels[OsVersion]", "label value", id="swarm-label-wrong-type"),
    pytest.param("", "", "empty", id="empty"),
    pytest.param("items:\n- &n {kind: Node, metadata: {name: a}}\n- *n\n", "", "aliases",
                 id="yaml-alias"),
    pytest.param('[{"metadata": {}, "spec": {"taints": [{"key": "os", "effect": "Never"}]}}]',
                 "[0].spec.taints[0].effect", "must be one of", id="taint-bad-effect"),
    pytest.param('[{"metadata": {"name": "%s"}}]' % ("n" * 5000), "[0].metadata.name",
                 "longer than", id="field-too-long"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "path", "message"), BAD)
def test_bad_documents_name_the_path(text, path, message):
    with pytest.raises(NodePasteError) as caught:
        read_nodes(text)
    assert caught.value.path == path
    assert message in caught.value.message


def test_node_count_is_bounded():
    doc = {"items": [{"kind": "Node", "metadata": {"name": f"n{i}"}} for i in range(MAX_NODES)]}
    assert len(read_nodes(doc).nodes) == MAX_NODES
    doc["items"].append({"kind": "Node"})
    with pytest.raises(TooManyNodes):
        read_nodes(doc)


def test_nodelist_from_the_api_server_reads_like_kubectls_list():
    """The API server itself answers `kind: NodeList`; kubectl prints `kind: List`."""
    doc = json.loads((NODES / "aks-mixed.json").read_text())
    as_api = {**doc, "kind": "NodeList"}
    assert read_nodes(as_api).nodes == read_nodes(doc).nodes
