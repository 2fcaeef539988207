"""POST /explain end to end: the seed document's pastes and pastes written from the real
formats, their images pushed to the real docker-registry harness on 127.0.0.1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from registry_harness import PlatformSpec, config_for

from service.api.explain_schemas import ExplainResponseSchema
from service.app import create_app
from service.cli import main

PASTES = Path(__file__).resolve().parent / "data" / "pastes"
SEED_IIS = "windows/servercore/iis"
SEED_IIS_DIGEST = "sha256:868bca7e89e1743792e15f78edb5a73070ef44eae6807dc3f05f9b94c23943d5"
SEED_FABRIKAM = "patricklang/fabrikamfiber.web"
SEED_FABRIKAM_DIGEST = "sha256:562741016ce7d9a232a389449a4fd0a0a55aab178cf324144404812887250ead"


def read(name: str) -> str:
    return (PASTES / name).read_text()


@pytest.fixture
def client(registry):
    app = create_app(config_for(registry))
    yield app.test_client()
    app.extensions["wincompat"].resolver.close()


def explain(client, text, **fields):
    answer = client.post("/explain", json={"text": text, **fields})
    assert answer.status_code == 200, answer.data
    body = answer.json
    assert ExplainResponseSchema().validate(body) == {}
    return body


def seed_pod(registry, os_version="10.0.14393.1715"):
    """The seed's describe pod, its image pushed to the harness under the seed's digest's place."""
    repo = registry.new_repo("seed/fabrikam")
    pushed = registry.push_image(repo, "latest", [PlatformSpec(os_version=os_version)])
    image = f"{registry.host}/{repo}"
    text = read("seed-kubectl-describe-pod.txt")
    text = text.replace(f"{SEED_FABRIKAM}@{SEED_FABRIKAM_DIGEST}", f"{image}@{pushed.digest}")
    return text.replace(SEED_FABRIKAM, image), f"{image}@{pushed.digest}"


def seed_swarm(registry, os_version="10.0.14393.1715"):
    repo = registry.new_repo("seed/iis")
    pushed = registry.push_image(repo, "latest", [PlatformSpec(os_version=os_version)])
    image = f"{registry.host}/{repo}"
    text = read("seed-docker-service-ps.txt")
    text = text.replace(f"{SEED_IIS}@{SEED_IIS_DIGEST}", f"{image}@{pushed.digest}")
    return text.replace(SEED_IIS, image), f"{image}@{pushed.digest}"


def written(registry, name, specs, tag="1.0"):
    repo = registry.new_repo("team/app")
    registry.push_image(repo, tag, specs)
    image = f"{registry.host}/{repo}:{tag}"
    return read(name).replace("{IMAGE}", image), image


def test_seed_kubernetes_pod_on_a_1709_node(registry, client):
    text, image = seed_pod(registry)
    body = explain(client, text, host="10.0.16299.19")
    found = body["found"]
    assert body["recognised"] and body["needs"] == []
    assert (found["error"], found["meaning"]) == ("0xc0370101", "image-os-mismatch")
    assert found["pod"] == "fabrikamfiber.web-789699744-rqv6p" and found["node"] == "38519acs9011"
    assert (found["orchestrator"], found["isolation"], found["failures"]) == (
        "kubernetes",
        "process",
        11,
    )
    assert found["image"] == image
    compat = body["compat"]
    assert compat["image"]["os_version"] == "10.0.14393.1715"
    assert compat["isolation"]["process"]["verdict"] == "unsupported"
    fixes = {f["action"]: f for f in body["fixes"]}
    assert fixes["rebuild"]["base_image"] == "mcr.microsoft.com/windows/servercore:1709"
    assert "FROM mcr.microsoft.com/windows/servercore:1709" in fixes["rebuild"]["detail"]
    assert fixes["hyperv"]["pod_spec"] == {"runtimeClassName": "windows-hyperv"}
    assert "kind: RuntimeClass" in fixes["hyperv"]["runtime_class"]
    # WS2016 needs the revision too: the seed document's own osbuild label and selector
    assert fixes["schedule"]["nodeSelector"] == {
        "kubernetes.io/os": "windows",
        "beta.kubernetes.io/osbuild": "14393.1715",
    }
    assert fixes["schedule"]["commands"] == [
        "kubectl label node NODE beta.kubernetes.io/osbuild=14393.1715"
    ]
    summary = body["summary"]
    for part in ("fabrikamfiber.web-789699744-rqv6p", "0xc0370101", "14393.1715", "38519acs9011",
                 "16299", "Windows Server 1709"):  # fmt: skip
        assert part in summary, part


def test_seed_kubernetes_pod_without_a_host_says_what_to_run(registry, client):
    text, _ = seed_pod(registry)
    body = explain(client, text)
    assert body["needs"] == ["host"] and body["compat"] is None and body["fixes"] == []
    assert body["found"]["image_os_versions"] == ["10.0.14393.1715"]
    assert "kubectl get node 38519acs9011 -o json" in body["summary"]
    assert "10.0.14393.1715" in body["summary"]


def test_seed_swarm_service(registry, client):
    text, image = seed_swarm(registry)
    body = explain(client, text, host="Microsoft Windows [Version 10.0.16299.125]")
    found = body["found"]
    assert (found["service"], found["node"], found["image"]) == (
        "angry_liskov",
        "WIN-BSTMQDRQC2E",
        image,
    )
    assert found["failures"] == 4 and found["replicas"] == "0/1"
    fixes = {f["action"]: f for f in body["fixes"]}
    assert fixes["hyperv"]["daemon_json"] == {"exec-opts": ["isolation=hyperv"]}
    assert "WIN-BSTMQDRQC2E" in fixes["hyperv"]["detail"]
    assert fixes["schedule"]["commands"] == [
        "docker node update --label-add OsVersion=10.0.14393.1715 NODE",
        'docker service update --constraint-add "node.labels.OsVersion==10.0.14393.1715" '
        "angry_liskov",
    ]
    assert body["summary"].startswith("The service angry_liskov fails with HCS error 0xc0370101")


def test_seed_swarm_without_a_host(registry, client):
    text, _ = seed_swarm(registry)
    body = explain(client, text)
    assert body["needs"] == ["host"]
    assert "`ver` on node WIN-BSTMQDRQC2E" in body["summary"]


def test_seed_docker_run_with_image_and_host_fields(registry, client):
    repo = registry.new_repo("windows/servercore")
    registry.push_mcr_base(repo, "ltsc2019", "10.0.17763.5329")
    image = f"{registry.host}/{repo}:ltsc2019"
    body = explain(client, read("seed-docker-run.txt"), image=image, host="10.0.20348.2700")
    fixes = {f["action"]: f for f in body["fixes"]}
    assert fixes["hyperv"]["command"] == f"docker run --isolation=hyperv {image}"
    assert fixes["rebuild"]["tag"] == "ltsc2022"
    assert fixes["schedule"]["detail"].startswith("Run it on hosts of Windows Server 2019")
    assert body["compat"]["recommended_isolation"] == "hyperv"


def test_seed_docker_run_alone_needs_host_and_image(client):
    body = explain(client, read("seed-docker-run.txt"))
    assert body["needs"] == ["host", "image"]
    assert body["compat"] is None and body["fixes"] == []
    assert "`ver` on the host" in body["summary"]


def test_kubelet_pull_refusal_on_a_2025_node(registry, client):
    text, image = written(
        registry, "kubelet-pull-no-match.txt", [PlatformSpec(os_version="10.0.17763.5329")]
    )
    body = explain(client, text, host="AKSWindows-2025-26100.33296.260812")
    found = body["found"]
    assert (found["refusal"], found["meaning"], found["image"]) == (
        "no-platform-match",
        "no-platform-match",
        image,
    )
    assert found["node"] == "akswin25000001" and found["failures"] == 6
    assert body["compat"]["isolation"]["process"]["verdict"] == "unsupported"
    fixes = {f["action"]: f for f in body["fixes"]}
    assert fixes["rebuild"]["tag"] == "ltsc2025"
    assert fixes["schedule"]["nodeSelector"] == {
        "kubernetes.io/os": "windows",
        "node.kubernetes.io/windows-build": "10.0.17763",
    }
    assert "refused at pull time" in body["summary"]


def test_several_builds_that_run_it_get_an_affinity(registry, client):
    text, _ = written(
        registry, "kubelet-pull-no-match.txt", [PlatformSpec(os_version="10.0.20348.2700")]
    )
    body = explain(client, text, host="10.0.17763.5329")
    schedule = next(f for f in body["fixes"] if f["action"] == "schedule")
    terms = schedule["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    values = terms["nodeSelectorTerms"][0]["matchExpressions"][1]["values"]
    assert values == ["10.0.20348", "10.0.25398", "10.0.26100"]
    assert schedule["nodeSelector"] is None and "nodeAffinity" in schedule["yaml"]


def test_docker_pull_refusal_takes_the_host_from_the_paste(registry, client):
    text, _ = written(
        registry, "docker-pull-refusal.txt", [PlatformSpec(os_version="10.0.20348.2700")]
    )
    body = explain(client, text)
    assert body["needs"] == []
    assert body["found"]["host"]["os_version"] == "10.0.17763"
    assert body["found"]["host"]["from"] == "Docker's pull refusal"
    assert body["compat"]["image"]["os_version"] == "10.0.20348.2700"
    assert body["compat"]["compatible"] is False
    assert {f["action"] for f in body["fixes"]} == {
        "rebuild",
        "schedule",
    }  # no Hyper-V: newer image


def test_docker_pull_refusal_without_the_command_judges_the_builds(client):
    text = "a Windows version 10.0.20348-based image is incompatible with a 10.0.17763 host"
    body = explain(client, text)
    assert body["compat"]["image"]["os_version"] == "10.0.20348"
    assert body["compat"]["host"]["build"] == 17763 and body["needs"] == []


def test_no_matching_manifest_on_windows_10(registry, client):
    specs = [PlatformSpec(os_version="10.0.20348.2700"), PlatformSpec(os_version="10.0.26100.3194")]
    text, image = written(registry, "docker-run-no-matching-manifest.txt", specs)
    body = explain(client, text)
    assert body["found"]["host"]["os_version"] == "10.0.19045"
    assert body["found"]["host"]["type"] == "client"
    assert body["compat"]["compatible"] is False and body["found"]["image"] == image
    (rebuild,) = body["fixes"]  # no tag runs with process isolation on Windows 10 22H2
    # the tag as the catalog spells it (main's catalog has the published case, 20H2)
    assert (rebuild["tag"].upper(), rebuild["isolation"]) == ("20H2", "hyperv")


def test_unexpected_exit_names_its_known_problems(registry, client):
    text, _ = written(
        registry, "docker-run-unexpected-exit.txt", [PlatformSpec(os_version="10.0.26100.4000")]
    )
    body = explain(client, text, host="10.0.26100.3194")
    error = body["found"]["errors"][0]
    assert (error["code"], error["version_problem"]) == ("0xc0370106", "known-problem")
    assert body["compat"]["isolation"]["process"]["verdict"] == "supported"
    assert "known problem image-revision-newer-2025" in body["summary"]
    assert "revision (4000) is newer than the host's (3194)" in body["summary"]
    update = next(f for f in body["fixes"] if f["action"] == "update-host")
    assert update["host_version"] == "10.0.26100.4000"


def test_unexpected_exit_on_a_pair_that_should_run(registry, client):
    text, _ = written(
        registry, "docker-run-unexpected-exit.txt", [PlatformSpec(os_version="10.0.26100.3000")]
    )
    body = explain(client, text, host="10.0.26100.3194")
    assert body["fixes"] == [] and "do not explain it" in body["summary"]
    assert "field symptom of known problems: image-revision-newer-2025" in body["summary"]


def test_invalid_layer_message_without_its_code(registry, client):
    text, _ = written(
        registry, "kubelet-invalid-layer.txt", [PlatformSpec(os_version="10.0.26100.3194")]
    )
    body = explain(client, text)
    assert body["found"]["error"] == "0xc0370112"
    assert body["found"]["errors"][0]["known_problems"] == ["win11-25h2-ltsc2025"]


def test_a_code_that_is_no_version_problem(client):
    text = ("docker: Error response from daemon: container 0f0f encountered an error during "
            "CreateContainer: failure in a Windows system call: The virtual machine could not be "
            "started because a required feature is not installed. (0xc0370102)")  # fmt: skip
    body = explain(client, text)
    assert body["found"]["meaning"] == "hyperv-not-installed"
    assert body["needs"] == [] and "not a version problem" in body["summary"]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello world", '{"kind": "Pod"}', "Microsoft Windows [Version 10.0.20348.2700]"],
    ids=["empty-json-text", "blank", "prose", "json", "version-alone"],
)
def test_text_with_no_error_is_not_recognised(registry, client, text):
    mark = registry.mark()
    answer = client.post("/explain", json={"text": text, "host": "10.0.20348.2700"})
    if not text:
        assert answer.status_code == 422 and "text" in answer.json["errors"]
        return
    body = answer.json
    assert body["recognised"] is False and body["compat"] is None and body["fixes"] == []
    assert len(body["accepts"]) >= 6 and body["found"] == {}
    assert registry.request_count(since=mark) == 0


def test_text_plain_in_and_out(registry, client):
    text, _ = seed_pod(registry)
    answer = client.post(
        "/explain?host=10.0.16299.19",
        data=text.encode(),
        headers={"Content-Type": "text/plain", "Accept": "text/plain"},
    )
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    lines = answer.get_data(as_text=True).splitlines()
    assert lines[0].startswith("The pod fabrikamfiber.web-789699744-rqv6p fails")
    assert any(line.startswith("- rebuild: ") and "FROM mcr." in line for line in lines)
    as_json = client.post("/explain", data=text.encode(), headers={"Content-Type": "text/plain"})
    assert as_json.json["needs"] == ["host"]


def test_limits_and_bad_fields(client):
    big = "x" * (256 * 1024 + 1)
    assert (
        client.post("/explain", data=big, headers={"Content-Type": "text/plain"}).status_code == 413
    )
    too_long = client.post("/explain", json={"text": "é" * (128 * 1024 + 1)})
    assert too_long.status_code == 413 and too_long.json["errors"]["text"]
    huge = client.post(
        "/explain", data=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "text/plain"}
    )
    assert huge.status_code == 413
    seed = read("seed-docker-run.txt")
    bad_host = client.post("/explain", json={"text": seed, "host": "hyperv"})
    assert bad_host.status_code == 422 and "host" in bad_host.json["errors"]
    bad_image = client.post("/explain", json={"text": seed, "image": "UPPER/Case::"})
    assert bad_image.status_code == 422 and "image" in bad_image.json["errors"]
    not_object = client.post("/explain", data="[1]", headers={"Content-Type": "application/json"})
    assert not_object.status_code == 400
    assert not_object.headers["Content-Type"] == "application/problem+json"


def test_a_registry_outside_the_allow_list_is_never_asked(registry, client):
    mark = registry.mark()
    body = explain(client, read("seed-docker-service-ps.txt"), host="10.0.16299.125")
    assert body["image_error"]["type"] == "/problems/registry-not-allowed"
    assert body["compat"] is None and "could not be looked up" in body["summary"]
    assert registry.request_count(since=mark) == 0


def test_cli_explain_reads_stdin(registry, monkeypatch, capsys):
    text, _ = seed_pod(registry)
    monkeypatch.setenv("WINCOMPAT_INSECURE_REGISTRIES", registry.host)
    monkeypatch.setenv("WINCOMPAT_ALLOWED_REGISTRIES", "")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["explain", "--host", "10.0.16299.19"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("The pod fabrikamfiber.web-789699744-rqv6p") and "fix (rebuild)" in out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"nothing here")))
    assert main(["explain", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["recognised"] is False
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["explain", "--host", "hyperv"]) == 2
    assert "host" in capsys.readouterr().err


def test_a_big_noisy_paste_up_to_the_limit_is_read(registry, client):
    text, image = seed_pod(registry)
    noisy = "\x1b[32m" + text.replace("\n", "\r\n") + "\x1b[0m"
    padding = "log line that is no error at all\n" * ((200 * 1024 - len(noisy)) // 33)
    body = explain(client, padding + noisy, host="10.0.16299.19")
    assert len((padding + noisy).encode()) > 64 * 1024  # more than /compat's body limit
    assert body["found"]["pod"] == "fabrikamfiber.web-789699744-rqv6p"
    assert body["found"]["image"] == image and body["compat"] is not None


def test_host_from_a_pasted_ver_line(registry, client):
    repo = registry.new_repo("team/app")
    registry.push_image(repo, "1.0", [PlatformSpec(os_version="10.0.17763.5329")])
    image = f"{registry.host}/{repo}:1.0"
    text = (
        "C:\\> ver\n\nMicrosoft Windows [Version 10.0.20348.2700]\n\n"
        f"C:\\> docker run --rm {image}\n" + read("seed-docker-run.txt")
    )
    body = explain(client, text)
    assert body["found"]["host"]["os_version"] == "10.0.20348.2700"
    assert body["found"]["host"]["from"] == "the pasted version line"
    assert body["needs"] == [] and body["compat"]["recommended_isolation"] == "hyperv"


def test_hyperv_is_not_offered_when_the_run_already_used_it(registry, client):
    repo = registry.new_repo("team/app")
    registry.push_image(repo, "1.0", [PlatformSpec(os_version="10.0.17763.5329")])
    text = read("seed-docker-run.txt").replace('"HvPartition":false', '"HvPartition":true')
    body = explain(client, text, image=f"{registry.host}/{repo}:1.0", host="10.0.20348.2700")
    assert body["found"]["isolation"] == "hyperv"
    assert "hyperv" not in {f["action"] for f in body["fixes"]}
    assert {"rebuild", "schedule"} <= {f["action"] for f in body["fixes"]}


def test_the_image_field_wins_over_the_paste_and_failures_are_problems(registry, client):
    text, _ = seed_pod(registry)
    missing = f"{registry.host}/{registry.new_repo('team/none')}:1.0"
    body = explain(client, text, image=missing, host="10.0.16299.19")
    assert body["found"]["image"] == missing
    assert body["image_error"]["type"] == "/problems/image-not-found"
    assert body["compat"] is None and body["fixes"] == []


def test_several_codes_in_one_paste_lead_with_the_version_one(client):
    text = (
        "first try: hcsshim::System::Start failed (0xc0370102)\n"
        + read("seed-docker-run.txt")
        + "\nlater: 0xC037010E\n"
    )
    body = explain(client, text)
    assert [e["code"] for e in body["found"]["errors"]] == [
        "0xc0370102",
        "0xc0370101",
        "0xc037010e",
    ]
    assert body["found"]["error"] == "0xc0370101" and body["needs"] == ["host", "image"]


def _node(name, kernel, build_label=None):
    labels = {"kubernetes.io/os": "windows"}
    if build_label:
        labels["node.kubernetes.io/windows-build"] = build_label
    info = {"kernelVersion": kernel, "operatingSystem": "windows", "architecture": "amd64"}
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "status": {"nodeInfo": info},
    }


# `kubectl get nodes -o json` for the seed's two Windows nodes (their Kernel Version strings)
SEED_NODES = {
    "kind": "List",
    "apiVersion": "v1",
    "items": [
        _node("38519acs9010", "10.0 14393 (14393.1715.amd64fre.rs1_release_inmarket.170906-1810)"),
        _node("38519acs9011", "10.0 16299 (16299.0.amd64fre.rs3_release.170922-1354)"),
    ],
}


def test_nodes_matched_by_the_pods_node_name(registry, client):
    text, _ = seed_pod(registry)
    body = explain(client, text, nodes=SEED_NODES)
    host = body["found"]["host"]
    assert body["needs"] == [] and host["build"] == 16299
    assert host["from"] == "nodes: status.nodeInfo.kernelVersion of 38519acs9011"
    assert body["compat"]["isolation"]["process"]["verdict"] == "unsupported"


def test_nodes_as_yaml_text_and_a_node_that_is_not_listed(registry, client):
    text, _ = seed_pod(registry)
    other = {"kind": "List", "items": [_node("akswin000001", "10.0.20348.2655")]}
    body = explain(client, text, nodes=json.dumps(other))
    assert body["needs"] == ["host"]
    assert any("38519acs9011 is not in `nodes`" in w for w in body["warnings"])


def test_nodes_that_do_not_parse_are_a_422(client):
    answer = client.post("/explain", json={"text": read("seed-docker-run.txt"), "nodes": 42})
    assert answer.status_code == 422 and "nodes" in answer.json["errors"]


def test_bad_host_type_is_a_422(client):
    answer = client.post("/explain", json={"text": "0xc0370101", "host_type": "desktop"})
    assert answer.status_code == 422 and "host_type" in answer.json["errors"]


def test_a_healthy_pod_gets_no_diagnosis(registry, client):
    healthy = (
        "Name:           fabrikamfiber.web-1780117715-5c8vw\nNamespace:      plang\n"
        "Node:           38519acs9010/10.240.0.4\nStatus:         Running\nContainers:\n"
        "  fabrikamfiberweb:\n    Image:          patricklang/fabrikamfiber.web:latest\n"
        "    State:          Running\n      Started:      Tue, 10 Oct 2017 01:43:42 +0000\n"
        "    Ready:          True\n    Restart Count:  0\n"
        "Node-Selectors: beta.kubernetes.io/os=windows\n"
        "                beta.kubernetes.io/osbuild=14393.1715\n"
    )  # the seed's describe after the fix (its lines 467-503), abridged
    mark = registry.mark()
    body = explain(client, healthy)
    assert registry.request_count(since=mark) == 0
    assert body["recognised"] and body["needs"] == [] and body["fixes"] == []
    assert body["summary"] == "The pod fabrikamfiber.web-1780117715-5c8vw shows no error."
    assert body["image_error"] is None and body["compat"] is None  # nothing was looked up
    assert body["found"]["node_selectors"]["beta.kubernetes.io/osbuild"] == "14393.1715"


def test_a_crash_that_is_no_version_problem(client):
    crash = (
        "Name:         app-1\nNamespace:    default\nNode:         akswin000001/10.0.0.5\n"
        "Containers:\n  app:\n    Image:          contoso.azurecr.io/app:1\n"
        "    State:          Waiting\n      Reason:       CrashLoopBackOff\n"
        "    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    1\n"
        "    Restart Count:  7\n"
    )
    body = explain(client, crash)
    assert body["needs"] == [] and body["compat"] is None
    assert body["summary"] == (
        "The pod app-1 is in CrashLoopBackOff (last state Terminated: Error, exit code 1), 7 "
        "times so far. Nothing in the paste points at a version problem."
    )


def test_a_stuck_swarm_service_from_service_ls(client):
    text = "\n".join(read("seed-docker-service-ps.txt").splitlines()[:2])
    body = explain(client, text)
    assert body["shapes"] == ["docker-service-ls"]
    assert body["summary"].startswith("The service angry_liskov runs 0/1 replicas")


def test_pod_and_node_described_in_one_paste_need_no_host(registry, client):
    text, _ = seed_pod(registry)
    body = explain(client, text + "\n" + read("seed-kubectl-describe-node.txt"))
    assert body["needs"] == [] and "kubectl-describe-node" in body["shapes"]
    host = body["found"]["host"]
    assert (host["build"], host["from"]) == (16299, "kubectl describe node 38519acs9011")
    assert body["compat"]["isolation"]["process"]["verdict"] == "unsupported"
    assert any("build lab" in w for w in body["warnings"])  # the kernel string has no revision


def test_nodes_described_alone_are_no_failure(client):
    body = explain(client, read("seed-kubectl-describe-node.txt"))
    assert body["recognised"] is False


def test_a_code_outside_the_table_gets_no_verdict_on_versions(client):
    body = explain(client, "docker: Error response from daemon: hcs failed (0xc03701ff)")
    error = body["found"]["errors"][0]
    assert (error["code"], error["version_problem"], error["name"]) == (
        "0xc03701ff",
        "unknown",
        None,
    )
    assert "cannot say whether the versions are the cause" in body["summary"]
    assert "not a version problem" not in body["summary"] and body["needs"] == []


def test_nodes_make_the_schedule_fix_for_exactly_those_nodes(registry, client):
    text, _ = written(
        registry, "kubelet-pull-no-match.txt", [PlatformSpec(os_version="10.0.17763.5329")]
    )
    nodes = {
        "kind": "List",
        "items": [
            _node("akswin25000001", "10.0.26100.3194"),
            _node("akswin19000001", "10.0.17763.5329", build_label="10.0.17763"),
        ],
    }
    body = explain(client, text, nodes=nodes)
    assert body["found"]["host"]["from"] == "nodes: status.nodeInfo.kernelVersion of akswin25000001"
    schedule = next(f for f in body["fixes"] if f["action"] == "schedule")
    assert (schedule["runs_on"], schedule["fails_on"]) == (["akswin19000001"], ["akswin25000001"])
    assert schedule["nodeSelector"]["node.kubernetes.io/windows-build"] == "10.0.17763"
    assert "akswin19000001" in schedule["detail"]


def test_swarm_nodes_get_label_commands_by_name(registry, client):
    text, _ = seed_swarm(registry, os_version="10.0.17763.5329")
    nodes = [
        {"ID": "a1", "Description": {"Hostname": "WIN-BSTMQDRQC2E",
         "Platform": {"OS": "windows", "Architecture": "x86_64"}},
         "Spec": {"Labels": {"OsVersion": "10.0.20348.2700"}}},
        {"ID": "b2", "Description": {"Hostname": "WIN-OLD2019",
         "Platform": {"OS": "windows", "Architecture": "x86_64"}},
         "Spec": {"Labels": {"OsVersion": "10.0.17763.5329"}}},
    ]  # fmt: skip
    body = explain(client, text, nodes=nodes)
    assert body["found"]["host"]["build"] == 20348
    schedule = next(f for f in body["fixes"] if f["action"] == "schedule")
    assert schedule["runs_on"] == ["WIN-OLD2019"]
    assert schedule["commands"][-1].endswith(" angry_liskov")
    assert "--constraint-add" in schedule["commands"][-1]


def test_invalid_layer_on_windows_11_25h2_is_its_known_problem(registry, client):
    text, _ = written(
        registry, "kubelet-invalid-layer.txt", [PlatformSpec(os_version="10.0.26100.3194")]
    )
    body = explain(client, text, host="10.0.26200.7171", host_type="client")
    assert body["compat"]["isolation"]["process"]["verdict"] == "unsupported"
    assert "known-problem:win11-25h2-ltsc2025" in body["compat"]["isolation"]["process"]["rule"]
    assert "That is known problem win11-25h2-ltsc2025" in body["summary"]


def test_cli_explain_with_a_nodes_file(registry, monkeypatch, capsys, tmp_path):
    text, _ = seed_pod(registry)
    nodes = tmp_path / "nodes.json"
    nodes.write_text(json.dumps(SEED_NODES))
    monkeypatch.setenv("WINCOMPAT_INSECURE_REGISTRIES", registry.host)
    monkeypatch.setenv("WINCOMPAT_ALLOWED_REGISTRIES", "")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["explain", "--nodes", str(nodes), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["found"]["host"]["build"] == 16299 and body["needs"] == []


def test_q_a_question_in_words_names_the_image_and_the_host(registry, client):
    repo = registry.new_repo("windows/servercore")
    registry.push_mcr_base(repo, "ltsc2019", "10.0.17763.5329")
    image = f"{registry.host}/{repo}:ltsc2019"
    q = (
        f"docker run {image} fails with 'hcsshim::CreateComputeSystem: The container operating "
        "system does not match the host operating system.' (0xc0370101) on Windows Server 2022"
    )
    got = client.get("/explain", query_string={"q": q})
    assert got.status_code == 200, got.json
    assert got.json["recognised"] and got.json["found"]["error"] == "0xc0370101"
    assert got.json["compat"]["host"]["build"] == 20348  # the host read from the words
    assert got.json["compat"]["image"]["reference"] == image
    posted = client.post("/explain", json={"q": q}).json  # the same, but from the cache
    assert (posted["summary"], posted["fixes"]) == (got.json["summary"], got.json["fixes"])
    text = client.get("/explain", query_string={"q": q}, headers={"Accept": "text/plain"})
    assert text.mimetype == "text/plain" and text.data.decode().startswith(got.json["summary"])


@pytest.mark.parametrize(
    ("q", "needle"),
    [
        ("why does my container not start?", "Name an image"),
        ("will mcr.microsoft.com/windows/servercore:ltsc2019 run?", "Add the host"),
    ],
)
def test_q_without_an_error_or_what_it_needs_is_one_sentence(client, q, needle):
    answer = client.get("/explain", query_string={"q": q})
    assert answer.status_code == 422
    (message,) = answer.json["errors"]["q"]
    assert message.startswith(needle) and message.count(". ") == 0


def test_q_and_text_are_one_or_the_other(client):
    both = client.post("/explain", json={"text": "0xc0370101", "q": "0xc0370101"})
    neither = client.post("/explain", json={"host": "10.0.20348.1"})
    assert both.status_code == neither.status_code == 422
    assert client.get("/explain").status_code == 422


def test_fixes_carry_only_their_own_fields(registry, client):
    # A fix without an `update` key once came out as "<built-in method update of dict …>".
    repo = registry.new_repo("windows/servercore")
    registry.push_mcr_base(repo, "ltsc2019", "10.0.17763.5329")
    image = f"{registry.host}/{repo}:ltsc2019"
    body = explain(client, read("seed-docker-run.txt"), image=image, host="10.0.20348.2700")
    for fix in body["fixes"]:
        assert not any("built-in method" in str(v) for v in fix.values()), fix
    assert all("update" not in f for f in body["fixes"] if f["action"] != "update-host")
