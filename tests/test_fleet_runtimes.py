"""Nodes judged by their own runtime (runtimes.md): the entry each node pulls and whether it
starts, from `status.nodeInfo.containerRuntimeVersion`; `runtime=` for hosts that name none."""

from __future__ import annotations

import pytest

from service.compat.image import Platform
from service.fleet.judging import Subject
from service.fleet.nodes import judge_cluster
from service.pastes.nodes import read_nodes

LIST = Subject(
    "example.test/app:1",
    "sha256:" + "f" * 64,
    (
        Platform("windows", "amd64", "10.0.26100.3194", "sha256:" + "1" * 64),
        Platform("windows", "amd64", "10.0.20348.3207", "sha256:" + "2" * 64),
        Platform("windows", "amd64", "10.0.17763.5329", "sha256:" + "3" * 64),
    ),
)


def node(name: str, kernel: str, runtime: str | None) -> dict:
    info = {"kernelVersion": kernel, "operatingSystem": "windows", "architecture": "amd64"}
    if runtime:
        info["containerRuntimeVersion"] = runtime
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/os": "windows"}},
        "status": {"nodeInfo": info},
    }


@pytest.mark.parametrize(
    ("kernel", "runtime", "used", "judged_by"),
    [
        # containerd 2.0 sorts by revision alone: 20348.3207 beats 26100.3194 (containerd#11366).
        ("10.0.26100.3194", "containerd://2.0.4+azure", "10.0.20348.3207", "containerd-1.7"),
        ("10.0.26100.3194", "containerd://2.2.0", "10.0.26100.3194", "containerd-2.2"),
        ("10.0.20348.3207", "containerd://1.6.35+azure", "10.0.20348.3207", "containerd-1.6"),
        ("10.0.17763.5329", "docker://20.10.9", "10.0.17763.5329", "docker"),
        ("10.0.26100.3194", None, "10.0.26100.3194", None),  # Microsoft's table decides
    ],
)
def test_a_node_pulls_what_its_runtime_picks(kernel, runtime, used, judged_by):
    c = judge_cluster(LIST, read_nodes([node("n1", kernel, runtime)]), "process")
    (judged,) = c.judged
    assert (judged.outcome.os_version, judged.outcome.runtime) == (used, judged_by)
    assert judged.runs


def test_runtime_parameter_judges_nodes_that_name_none():
    nodes = read_nodes([node("n1", "10.0.26100.3194", None), node("n2", "10.0.26100.1", None)])
    c = judge_cluster(LIST, nodes, "process", runtime="containerd-1.7")
    assert {j.outcome.os_version for j in c.judged} == {"10.0.20348.3207"}
    assert {j.outcome.runtime for j in c.judged} == {"containerd-1.7"}


def test_a_node_whose_runtime_pulls_nothing_does_not_run():
    only_2019 = Subject(LIST.reference, LIST.digest, LIST.platforms[2:])
    c = judge_cluster(
        only_2019, read_nodes([node("n1", "10.0.20348.3207", "containerd://1.7.20")]), "any"
    )
    (judged,) = c.judged
    assert judged.outcome.assessment.hyperv.verdict.value == "supported"  # the table says yes
    assert not judged.runs  # containerd on this node pulls no 17763 entry


@pytest.fixture
def client():
    from service.app import create_app

    return create_app().test_client()


def test_matrix_runtime_parameter_decides_runs(client):
    # containerd 2.2 refuses WS2022 images on Windows 11 25H2 (runtimes.md); the table allows
    # Hyper-V isolation there.
    question = {
        "images": [{"image_version": "10.0.20348.3207"}],
        "hosts": [{"host": "10.0.26200.7171", "host_type": "client"}],
    }
    plain = client.post("/compat/matrix", json=question)
    assert plain.status_code == 200, plain.json
    assert plain.json["cells"][0][0]["runs"] is True and plain.json["runtime"] is None
    judged = client.post("/compat/matrix", json={**question, "runtime": "containerd-2.2"})
    assert judged.json["cells"][0][0]["runs"] is False
    assert judged.json["runtime"] == "containerd-2.2"


def test_nodes_answer_names_the_runtime_each_node_was_judged_by(client):
    nodes = [
        node("a", "10.0.26100.3194", "containerd://2.0.4"),
        node("b", "10.0.26100.3194", None),
    ]
    question = {"image_version": "10.0.26100.3194", "nodes": nodes, "runtime": "docker"}
    r = client.post("/compat/nodes", json=question)
    assert r.status_code == 200, r.json
    assert [n["judged_by_runtime"] for n in r.json["nodes"]] == ["containerd-1.7", "docker"]


@pytest.mark.parametrize("path", ["/compat/matrix", "/compat/nodes"])
def test_an_unknown_runtime_is_a_422_naming_the_field(client, path):
    body = {"images": ["x"], "hosts": ["10.0.20348.1"]} if "matrix" in path else {}
    if "nodes" in path:
        body = {"image_version": "ltsc2022", "nodes": [node("a", "10.0.20348.1", None)]}
    r = client.post(path, json={**body, "runtime": "containerd-9"})
    assert r.status_code == 422 and "runtime" in r.json["errors"]
