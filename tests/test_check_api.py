"""POST /check/dockerfile, /check/compose, /check/kubernetes against the real registry.

The files below follow the real formats: Dockerfile reference (parser directives, ARG before
FROM, multi-stage, --platform), the Compose specification (deploy.placement.constraints, as the
seed document's Swarm recipe uses node.labels.OsVersion) and Kubernetes apps/v1, batch/v1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_harness import config_for

from service.app import create_app

HOST_2019, HOST_2022 = "10.0.17763.7314", "10.0.20348.2762"
DATA = Path(__file__).resolve().parent / "data"  # nodes/: see tests/data/nodes/README.md


@pytest.fixture(scope="module")
def images(registry):
    repo = registry.new_repo("windows/servercore")
    nano = registry.new_repo("windows/nanoserver")
    registry.push_mcr_base(repo, "ltsc2019", HOST_2019)
    registry.push_mcr_base(repo, "ltsc2022", HOST_2022)
    registry.push_mcr_base(nano, "1809", HOST_2019)
    registry.push_mcr_base(nano, "ltsc2022", HOST_2022)
    return {"servercore": f"{registry.host}/{repo}", "nanoserver": f"{registry.host}/{nano}"}


@pytest.fixture()
def client(registry):
    return create_app(config_for(registry)).test_client()


def _post(client, path, text, *hosts, media="text/plain", **params):
    query = [*(("host", h) for h in hosts), *params.items()]
    return client.post(path, data=text, content_type=media, query_string=query)


def dockerfile(images) -> str:
    return f"""# escape=`
# syntax=docker/dockerfile:1
ARG REPO={images["servercore"]}
ARG TAG=ltsc2022
ARG NANO_TAG

# the build stage
FROM --platform=windows/amd64 ${{REPO}}:${{TAG}} AS build
RUN echo building `
    # a comment inside a continued RUN
    && echo done

FROM build AS test
FROM scratch AS empty
FROM {images["nanoserver"]}:${{NANO_TAG:-1809}}
COPY --from=build C:/app C:/app
"""


def test_dockerfile_stages_and_lines(client, images):
    body = _post(client, "/check/dockerfile", dockerfile(images), HOST_2019).get_json()
    lines = [(f["line"], f["status"], f["decides"]) for f in body["findings"]]
    # ltsc2022 build stage fails on a 2019 host, but only the final (nanoserver:1809) decides.
    assert lines == [
        (8, "fails", False),
        (13, "fails", False),
        (14, "skipped", False),
        (15, "runs", True),
    ]
    assert body["status"] == "runs" and body["ok"] is True
    assert body["findings"][1]["image"] == f"{images['servercore']}:ltsc2022"
    assert "FROM build" in body["findings"][1]["detail"]


def test_build_stages_judged_on_the_build_host(client, images):
    text = dockerfile(images)
    body = _post(client, "/check/dockerfile", text, HOST_2019, build_host=HOST_2022).get_json()
    assert [f["status"] for f in body["findings"]] == ["runs", "runs", "skipped", "runs"]
    assert body["findings"][0]["hosts"][0]["name"] == HOST_2022
    hyperv = _post(
        client, "/check/dockerfile", text, HOST_2022, build_host=HOST_2019, build_isolation="hyperv"
    ).get_json()
    assert hyperv["findings"][0]["hosts"][0]["verdict"] == "unsupported"  # newer on older


def test_build_args_replace_arg_defaults(client, images):
    text = dockerfile(images)
    undeclared = text.replace("ARG NANO_TAG\n", "")
    answer = _post(
        client, "/check/dockerfile", undeclared, HOST_2022, build_arg="NANO_TAG=ltsc2022"
    )
    assert answer.get_json()["status"] == "fails"  # as BuildKit: only a declared ARG takes it
    answer = _post(client, "/check/dockerfile", text, HOST_2022, build_arg="NANO_TAG=ltsc2022")
    assert answer.get_json()["status"] == "runs"
    json_answer = client.post(
        "/check/dockerfile",
        json={"dockerfile": text, "hosts": [HOST_2019], "build_args": {"NANO_TAG": "ltsc2022"}},
    ).get_json()
    final = json_answer["findings"][-1]
    assert final["status"] == "fails" and json_answer["status"] == "fails"
    assert final["suggestion"] == f"{images['nanoserver']}:1809"  # family kept
    assert final["hosts"][0]["verdict"] == "unsupported"


def test_dockerfile_with_a_bad_reference_reports_its_line(client):
    text = "FROM mcr.microsoft.com/Windows/ServerCore:ltsc2022\n"
    body = _post(client, "/check/dockerfile", text, HOST_2022).get_json()
    assert body["findings"][0]["line"] == 1 and body["findings"][0]["status"] == "error"
    assert body["status"] == "error"


@pytest.mark.parametrize(
    ("path", "text", "line"),
    [
        ("/check/dockerfile", "# just a comment\nRUN echo\nFROM x\n", 2),
        ("/check/dockerfile", "FROM\n", 1),
        ("/check/compose", "services:\n  web:\n    image: [unclosed\n", 4),
        ("/check/kubernetes", "apiVersion: v1\nkind: Pod\nspec: {containers: [}\n", 3),
    ],
    ids=["instruction-before-from", "from-without-image", "compose-yaml", "k8s-yaml"],
)
def test_unparseable_file_is_422_with_the_line(client, path, text, line):
    answer = _post(client, path, text, HOST_2022)
    assert answer.status_code == 422
    problem = answer.get_json()
    assert problem["line"] == line and f"line {line}" in problem["detail"]


@pytest.mark.parametrize(
    ("path", "field", "text", "message"),
    [
        (
            "/check/kubernetes",
            "manifests",
            "kind: Pod\nspec:\n  containers: 5\n",
            "line 3: containers must be a list",
        ),
        (
            "/check/kubernetes",
            "manifests",
            "kind: Pod\nspec:\n  containers: [5]\n",
            "line 3: containers[0] must be a mapping",
        ),
        (
            "/check/kubernetes",
            "manifests",
            "kind: Pod\nmetadata: 5\nspec: {containers: []}\n",
            "line 2: metadata must be a mapping",
        ),
        (
            "/check/compose",
            "compose",
            "services:\n  a:\n    image: x\n    deploy: 5\n",
            "line 4: deploy must be a mapping",
        ),
        ("/check/compose", "compose", "services: [a]\n", "line 1: a compose file needs"),
    ],
    ids=["containers-not-list", "container-not-mapping", "metadata", "deploy", "services"],
)
def test_wrong_shapes_are_422_naming_field_and_line(client, path, field, text, message):
    answer = client.post(path, json={field: text, "hosts": [HOST_2022]})
    assert answer.status_code == 422
    assert answer.get_json()["detail"].startswith(message)


def test_body_over_1_mib_is_413(client):
    answer = _post(client, "/check/dockerfile", "#" * (1024 * 1024 + 1), HOST_2022)
    assert answer.status_code == 413
    assert answer.mimetype == "application/problem+json"


def test_no_host_is_422(client):
    answer = _post(client, "/check/dockerfile", "FROM scratch\n")
    assert answer.status_code == 422 and "hosts" in answer.get_json()["errors"]


def compose_file(images) -> str:
    return f"""services:
  web:
    image: {images["servercore"]}:ltsc2022
    deploy:
      placement:
        constraints:
          - node.platform.os == windows
          - node.labels.OsVersion == 10.0.20348
  legacy:
    image: {images["servercore"]}:${{LEGACY_TAG:-ltsc2022}}
  app:
    build: ./app
  db:
    image: postgres:16
    deploy:
      placement:
        constraints: [node.platform.os == linux]
"""


def test_compose_constraints_keep_services_on_hosts_that_run_them(client, images):
    body = _post(
        client,
        "/check/compose",
        compose_file(images),
        HOST_2019,
        HOST_2022,
        media="application/yaml",
    ).get_json()
    by_name = {f["name"]: f for f in body["findings"]}
    assert by_name["web"]["status"] == "runs" and by_name["web"]["line"] == 3
    assert [h["name"] for h in by_name["web"]["hosts"]] == [HOST_2022]  # constraint admits one
    assert by_name["legacy"]["status"] == "fails" and by_name["legacy"]["line"] == 10
    assert by_name["app"]["status"] == "skipped" and "build" in by_name["app"]["detail"]
    assert by_name["db"]["status"] == "skipped"
    assert body["status"] == "fails"


def manifests(images) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  template:
    spec:
      nodeSelector:
        kubernetes.io/os: windows
        node.kubernetes.io/windows-build: "10.0.20348"
      initContainers:
        - name: init
          image: {images["nanoserver"]}:ltsc2022
      containers:
        - name: web
          image: {images["servercore"]}:ltsc2022
---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: nightly}}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          nodeSelector: {{kubernetes.io/os: windows}}
          containers:
            - name: job
              image: {images["servercore"]}:ltsc2019
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent}}
spec:
  template:
    spec:
      nodeSelector: {{kubernetes.io/os: linux}}
      containers: [{{name: agent, image: busybox}}]
"""


def test_kubernetes_workloads_against_the_nodes_they_can_land_on(client, images):
    body = _post(
        client,
        "/check/kubernetes",
        manifests(images),
        HOST_2019,
        HOST_2022,
        media="application/yaml",
    ).get_json()
    by_name = {f["name"]: f for f in body["findings"]}
    assert by_name["Deployment web/init"]["line"] == 12
    assert by_name["Deployment web/web"]["status"] == "runs"  # the selector pins it to 2022
    nightly = by_name["CronJob nightly/job"]
    assert nightly["status"] == "fails" and nightly["line"] == 28
    assert [h["name"] for h in nightly["hosts"] if h["verdict"] != "supported"] == [HOST_2022]
    assert by_name["DaemonSet agent/agent"]["status"] == "skipped"
    assert any("ConfigMap settings" in n for n in body["notes"])
    assert body["status"] == "fails"


def test_registry_outside_the_allow_list_is_reported_not_fetched(client):
    text = "FROM evil.example.com/windows/servercore:ltsc2022\n"
    body = _post(client, "/check/dockerfile", text, HOST_2022).get_json()
    assert body["findings"][0]["status"] == "error"
    assert "allow-list" in body["findings"][0]["detail"]


def _nodes(name: str) -> dict:
    return json.loads((DATA / "nodes" / name).read_text())


def test_kubernetes_against_a_kubectl_node_list(client, images):
    text = f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  template:
    spec:
      nodeSelector: {{kubernetes.io/os: windows, agentpool: win22}}
      containers: [{{name: web, image: "{images["servercore"]}:ltsc2022"}}]
---
apiVersion: batch/v1
kind: Job
metadata: {{name: old}}
spec:
  template:
    spec:
      nodeSelector: {{kubernetes.io/os: windows}}
      containers: [{{name: old, image: "{images["servercore"]}:ltsc2019"}}]
"""
    body = client.post(
        "/check/kubernetes", json={"manifests": text, "nodes": _nodes("aks-mixed.json")}
    ).get_json()
    web, old = body["findings"]
    assert web["status"] == "runs"
    assert [h["name"] for h in web["hosts"]] == ["akswin22000000"]  # the cordoned one is out
    assert old["status"] == "fails"
    failing = [h["name"] for h in old["hosts"] if h["verdict"] != "supported"]
    # The 2025 node is a spot node (NoSchedule taint): the Job does not tolerate it.
    assert failing == ["akswin22000000", "akswin23000000"]
    spot = text.replace(
        "nodeSelector: {kubernetes.io/os: windows}\n",
        "nodeSelector: {kubernetes.io/os: windows}\n      tolerations: [{key: "
        "kubernetes.azure.com/scalesetpriority, operator: Equal, value: spot, effect: "
        "NoSchedule}]\n",
    )
    tolerant = client.post(
        "/check/kubernetes", json={"manifests": spot, "nodes": _nodes("aks-mixed.json")}
    ).get_json()["findings"][1]
    assert "akswin25000000" in [h["name"] for h in tolerant["hosts"]]
    assert any("akswin22000001: unschedulable" in n for n in body["notes"])
    assert any("a Linux node" in n for n in body["notes"])


def test_compose_against_swarm_nodes(client, images):
    text = f"""services:
  legacy:
    image: {images["servercore"]}:ltsc2019
    deploy:
      placement:
        constraints: [node.platform.os == windows, node.labels.OsVersion == 10.0.17763]
"""
    body = client.post(
        "/check/compose", json={"compose": text, "nodes": _nodes("swarm-node-inspect.json")}
    ).get_json()
    (legacy,) = body["findings"]
    assert legacy["status"] == "runs" and [h["name"] for h in legacy["hosts"]] == ["WIN-2019-A"]


def test_a_bad_node_list_is_422_naming_the_path(client):
    answer = client.post(
        "/check/dockerfile", json={"dockerfile": "FROM scratch\n", "nodes": {"items": 5}}
    )
    assert answer.status_code == 422 and "nodes.items" in answer.get_json()["errors"]


def test_from_platform_picks_the_architecture_and_skips_linux_stages(client, registry):
    # A list with an amd64 and an arm64 entry: --platform decides which one the stage uses.
    from registry_harness import PlatformSpec

    repo = registry.new_repo("windows/servercore")
    registry.push_image(
        repo,
        "ltsc2022",
        [
            PlatformSpec(os_version=HOST_2022),
            PlatformSpec(architecture="arm64", os_version="10.0.26100.1"),
        ],
    )
    image = f"{registry.host}/{repo}:ltsc2022"
    text = (
        f"FROM --platform=linux/amd64 golang:1.22 AS tools\nFROM --platform=windows/arm64 {image}\n"
    )
    body = _post(client, "/check/dockerfile", text, HOST_2022).get_json()
    tools, final = body["findings"]
    assert tools["status"] == "skipped" and "built for linux" in tools["detail"]
    # The arm64 entry (26100) is newer than the 20348 host: it fails, where amd64 would run.
    assert final["status"] == "fails"
    assert final["hosts"][0]["image_os_version"] == "10.0.26100.1"
    plain = _post(client, "/check/dockerfile", f"FROM {image}\n", HOST_2022).get_json()
    assert plain["status"] == "runs"
