"""POST /compat/matrix and /compat/nodes end to end: the app, the real Resolver and registry
client, and a real docker-registry on 127.0.0.1 holding the images."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import yaml
from registry_harness import PlatformSpec, config_for

from service.api.fleet_schemas import MatrixResponseSchema, NodesResponseSchema
from service.app import build_resolver, create_app
from service.pastes.nodes import MAX_NODES

NODES = Path(__file__).parent / "data" / "nodes"


def node_doc(name: str):
    text = (NODES / name).read_text()
    return yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)


@pytest.fixture(scope="module")
def images(registry):
    """Images as MCR publishes them: one-entry lists, and a three-build list like dotnet's."""
    repo = registry.new_repo("windows/servercore")
    ltsc2022 = registry.push_mcr_base(repo, "ltsc2022", "10.0.20348.2700")
    ltsc2019 = registry.push_mcr_base(repo, "ltsc2019", "10.0.17763.5329")
    multi_repo = registry.new_repo("dotnet/framework/runtime")
    multi = registry.push_image(
        multi_repo,
        "4.8.1",
        [
            PlatformSpec(os_version="10.0.26100.32230"),
            PlatformSpec(os_version="10.0.20348.2700"),
            PlatformSpec(os_version="10.0.17763.5329"),
        ],
    )
    host = registry.host
    return {
        "ltsc2022": (f"{host}/{repo}:ltsc2022", ltsc2022),
        "ltsc2019": (f"{host}/{repo}:ltsc2019", ltsc2019),
        "multi": (f"{host}/{multi_repo}:4.8.1", multi),
        "missing": f"{host}/{repo}:ltsc2030",
        "repo": repo,
        "multi_repo": multi_repo,
    }


@pytest.fixture
def client(registry):
    app = create_app(config_for(registry))
    yield app.test_client()
    app.extensions["wincompat"].resolver.close()


HOSTS = [
    "10.0.17763.6054",
    "10.0.20348.2700",
    {"host": "AKSWindows-23H2-25398.950.240621", "name": "pool-23h2"},
    {"host": "Microsoft Windows [Version 10.0.22631.4751]", "host_type": "client", "name": "dev"},
]


def test_matrix_judges_every_image_on_every_host(client, images, registry):
    ref22, pushed22 = images["ltsc2022"]
    ref19, _ = images["ltsc2019"]
    refm, multi = images["multi"]
    question = {
        "images": [ref22, {"image": ref19}, refm, {"image_version": "10.0.17763.5329"}, ref22],
        "hosts": HOSTS,
        "isolation": "process",
    }
    mark = registry.mark()
    answer = client.post("/compat/matrix", json=question)
    assert answer.status_code == 200, answer.data
    body = answer.json
    assert MatrixResponseSchema().validate(body) == {}
    assert [h["name"] for h in body["hosts"]] == ["10.0.17763.6054", "10.0.20348.2700",
                                                  "pool-23h2", "dev"]  # fmt: skip
    runs = [[c["runs"] for c in row] for row in body["cells"]]
    assert runs == [
        [False, True, True, False],  # ltsc2022: 2022 and 23H2 (stable ABI); Win11 is preview
        [True, False, False, False],  # ltsc2019: only 2019 with process isolation
        [True, True, True, False],  # the list has an entry for each server
        [True, False, False, False],
        [False, True, True, False],  # listed twice, same row
    ]
    # The multi-build list: each host uses its own entry.
    assert [c["os_version"] for c in body["cells"][2][:3]] == [
        "10.0.17763.5329", "10.0.20348.2700", "10.0.20348.2700"]  # fmt: skip
    assert body["cells"][2][1]["digest"] == multi.children[1]
    assert body["cells"][0][1]["rule"] == "same-build"
    assert body["cells"][0][2]["rule"] == "stable-abi"
    assert body["images"][0]["digest"] == pushed22.digest
    assert body["images"][3]["reference"] is None
    assert body["hosts"][3]["type"] == "client"
    assert body["summary"].startswith("0 of 5 images run on all 4 hosts")
    # Each distinct image resolved once: one tag lookup per distinct reference.
    lookups = [r for r in registry.requests(since=mark) if "/manifests/ltsc2022" in r.path]
    assert len(lookups) == 1


def test_matrix_keeps_going_when_one_image_fails(client, images):
    question = {"images": [images["missing"], images["ltsc2022"][0], "example.com/app:1"],
                "hosts": ["10.0.20348.2700"]}  # fmt: skip
    body = client.post("/compat/matrix", json=question).json
    missing, ok, foreign = body["images"]
    assert missing["error"]["type"] == "/problems/image-not-found"
    assert missing["error"]["status"] == 404
    assert foreign["error"]["type"] == "/problems/registry-not-allowed"
    assert ok["error"] is None
    assert body["cells"][0] is None and body["cells"][2] is None
    assert body["cells"][1][0]["runs"] is True
    assert "2 could not be resolved" in body["summary"]


class Gate:
    """The real resolver behind a barrier: every caller waits until `parties` callers are
    inside at once, so resolving one after another fails the test instead of passing slowly."""

    def __init__(self, resolver, parties: int) -> None:
        self._resolver = resolver
        self._barrier = threading.Barrier(parties, timeout=5)
        self.threads: set[int] = set()

    def resolve(self, ref):
        self.threads.add(threading.get_ident())
        self._barrier.wait()
        return self._resolver.resolve(ref)

    def close(self) -> None:
        self._resolver.close()

    def ready(self) -> bool:
        return True


def test_matrix_resolves_distinct_images_concurrently(registry, images):
    config = config_for(registry)
    gate = Gate(build_resolver(config), parties=3)
    app = create_app(config, resolver=gate)
    refs = [images["ltsc2022"][0], images["ltsc2019"][0], images["multi"][0]]
    body = app.test_client().post("/compat/matrix", json={"images": refs, "hosts": HOSTS}).json
    assert [row["error"] for row in body["images"]] == [None, None, None]
    assert len(gate.threads) == 3
    gate.close()


@pytest.mark.parametrize(
    ("images", "hosts", "field"),
    [
        pytest.param(101, 1, "images", id="images"),
        pytest.param(1, 501, "hosts", id="hosts"),
        pytest.param(100, 101, "cells", id="cells"),
    ],
)
def test_matrix_limits_are_413_naming_the_limit(client, registry, images, hosts, field):
    question = {"images": [f"{registry.host}/x/y:{i}" for i in range(images)],
                "hosts": ["10.0.20348.2700"] * hosts}  # fmt: skip
    mark = registry.mark()
    answer = client.post("/compat/matrix", json=question)
    assert answer.status_code == 413
    assert answer.mimetype == "application/problem+json"
    assert field in answer.json["errors"]
    assert registry.request_count(since=mark) == 0


def test_matrix_bad_entries_are_422_by_index_and_nothing_is_resolved(client, registry, images):
    question = {
        "images": [images["ltsc2022"][0], {"image": "a", "image_version": "10.0.17763.1"}],
        "hosts": ["10.0.20348.2700", "10.0.17763", "windows/amd64", {"name": "x"}, 7],
    }
    mark = registry.mark()
    answer = client.post("/compat/matrix", json=question)
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"images[1]", "hosts[2]", "hosts[3]", "hosts[4]"}
    assert registry.request_count(since=mark) == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"images": "nginx", "hosts": ["10.0.20348"]}, id="images-not-list"),
        pytest.param({"hosts": ["10.0.20348"]}, id="images-missing"),
        pytest.param({"images": [], "hosts": [], "isolation": "vm"}, id="bad-isolation"),
    ],
)
def test_matrix_wrong_types_are_422(client, body):
    answer = client.post("/compat/matrix", json=body)
    assert answer.status_code == 422
    assert answer.json["errors"]


# -- /compat/nodes ----------------------------------------------------------------------------


def ask_nodes(client, image, nodes, **more):
    return client.post("/compat/nodes", json={"image": image, "nodes": nodes, **more})


def test_nodes_on_an_aks_cluster(client, images):
    ref, pushed = images["ltsc2022"]
    answer = ask_nodes(client, ref, node_doc("aks-mixed.json"), isolation="process")
    assert answer.status_code == 200, answer.data
    body = answer.json
    assert NodesResponseSchema().validate(body) == {}
    by_name = {n["name"]: n for n in body["nodes"]}
    assert body["runs_on"] == ["akswin22000000", "akswin22000001", "akswin23000000",
                               "akswin25000000"]  # fmt: skip
    assert body["fails_on"] == ["akswin19000000"]
    assert body["skipped"] == [{"name": "aks-nodepool1-24156327-vmss000000",
                                "reason": "linux node"}]  # fmt: skip
    node = by_name["akswin22000000"]
    assert node["version_from"] == "status.nodeInfo.kernelVersion"
    assert node["os_version"] == "10.0.20348.5499"
    assert node["runtime"] == "containerd://1.6.35+azure"
    assert node["os_version_used"] == "10.0.20348.2700"
    assert node["digest"] == pushed.children[0]
    assert by_name["akswin22000001"]["flags"] == ["unschedulable", "tainted"]
    assert by_name["akswin25000000"]["flags"] == ["tainted"]
    assert by_name["akswin23000000"]["release"] == "Windows Server 23H2"
    assert by_name["akswin19000000"]["process"] == "unsupported"
    k8s = body["kubernetes"]
    assert k8s["nodeSelector"] is None
    values = k8s["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ][0]["matchExpressions"][1]["values"]
    assert values == ["10.0.20348", "10.0.25398", "10.0.26100"]
    assert yaml.safe_load(k8s["yaml"])["affinity"] == k8s["affinity"]
    assert body["swarm"] is None
    assert body["summary"].startswith("Runs on 4 of 5 Windows nodes")


def test_nodes_yaml_string_and_single_node(client, images):
    ref, _ = images["ltsc2022"]
    text = (NODES / "openshift-windows.yaml").read_text()
    body = ask_nodes(client, ref, text).json
    assert body["runs_on"] == ["winworker-6k2mq"]
    assert body["kubernetes"]["tolerations"][0]["key"] == "os"
    single = ask_nodes(client, ref, node_doc("aks-single-node-2022.json")).json
    assert single["shape"] == "Node" and single["runs_on"] == ["akswin22000000"]


def test_nodes_nothing_runs_gives_remedies_for_the_common_build(client, images):
    ref, _ = images["ltsc2022"]
    body = ask_nodes(client, ref, node_doc("seed-acs-2017.json"), isolation="process").json
    assert body["runs_on"] == []
    assert body["remedies_for"] in ("Windows Server 2016", "Windows Server 1709")
    assert any(r["action"] == "rebuild" for r in body["remedies"])
    assert body["kubernetes"]["yaml"] == ""


def test_nodes_swarm(client, images):
    ref, _ = images["ltsc2019"]
    body = ask_nodes(client, ref, node_doc("swarm-node-inspect.json"), isolation="process").json
    assert body["shape"] == "swarm"
    assert body["runs_on"] == ["WIN-2019-A"]
    assert body["unknown_on"] == ["WIN-2022-B"]
    unknown = next(n for n in body["nodes"] if n["name"] == "WIN-2022-B")
    assert unknown["process"] == "unknown" and unknown["missing"]
    assert "Spec.Labels.OsVersion" in unknown["reason"]
    assert body["swarm"]["constraints"][1] == "node.labels.OsVersion == 10.0.17763"
    assert body["kubernetes"] is None


def test_nodes_image_version(client):
    answer = client.post("/compat/nodes", json={"image_version": "ltsc2019",
                                                "nodes": node_doc("aks-mixed.json")})  # fmt: skip
    assert answer.status_code == 200
    assert answer.json["runs_on"][0] == "akswin19000000"
    bad = client.post("/compat/nodes", json={"image_version": "windows/amd64", "nodes": []})
    assert bad.status_code == 422 and "image_version" in bad.json["errors"]


@pytest.mark.parametrize(
    ("nodes", "path"),
    [
        pytest.param({"items": [{"kind": "Node"}, "x"]}, "nodes.items[1]", id="item-not-object"),
        pytest.param([{"metadata": {"labels": 3}}], "nodes[0].metadata.labels", id="wrong-type"),
        pytest.param({"apiVersion": "v1"}, "nodes", id="neither-shape"),
        pytest.param('{"items": [', "nodes", id="malformed-json-string"),
        pytest.param(42, "nodes", id="number"),
    ],
)
def test_nodes_bad_documents_are_422_naming_the_path(client, nodes, path):
    answer = client.post("/compat/nodes", json={"image_version": "ltsc2022", "nodes": nodes})
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert path in answer.json["errors"]


def test_nodes_limits(client):
    tiny = {"kind": "Node", "metadata": {"name": "n"}}
    nodes = {"items": [tiny] * (MAX_NODES + 1)}
    over = client.post("/compat/nodes", json={"image_version": "ltsc2022", "nodes": nodes})
    assert over.status_code == 413
    assert "nodes.items" in over.json["errors"]
    huge = json.dumps({"image_version": "ltsc2022", "nodes": "x" * (4 * 1024 * 1024)})
    too_big = client.post("/compat/nodes", data=huge, content_type="application/json")
    assert too_big.status_code == 413
    assert "4 MiB" in too_big.json["detail"]
    # Bigger than /compat's 64 KiB, within 4 MiB: answered.
    node = node_doc("aks-single-node-2022.json")
    many = {
        "items": [dict(node, metadata=dict(node["metadata"], name=f"n{i}")) for i in range(400)]
    }
    body = json.dumps({"image_version": "ltsc2022", "nodes": many})
    assert 64 * 1024 < len(body) < 4 * 1024 * 1024
    answer = client.post("/compat/nodes", data=body, content_type="application/json")
    assert answer.status_code == 200
    assert len(answer.json["runs_on"]) == 400


def test_compat_keeps_its_own_body_limit(client):
    from service.app import MAX_BODY

    too_big = "x" * (MAX_BODY + 1)
    answer = client.post("/compat", data=too_big, content_type="application/json")
    assert answer.status_code == 413
