"""The pure readers of Dockerfiles, compose files and Kubernetes manifests, and placement:
plain tables. Inputs follow the Dockerfile reference, the Compose specification and the
Kubernetes API (apps/v1, batch/v1, v1)."""

from __future__ import annotations

import pytest

from service.advice import placement
from service.compat.hosts import host_from_text
from service.pastes import compose, dockerfile, kubernetes
from service.pastes.kubernetes import Expression, Toleration
from service.pastes.nodes import Taint
from service.pastes.yamltext import YamlError


@pytest.mark.parametrize(
    ("text", "values", "expected", "missing"),
    [
        ("${A}", {"A": "x"}, "x", ()),
        ("$A:tag", {"A": "x"}, "x:tag", ()),
        ("${A:-d}", {}, "d", ()),
        ("${A:-d}", {"A": ""}, "d", ()),
        ("${A-d}", {"A": ""}, "", ()),
        ("${A:+alt}", {"A": "x"}, "alt", ()),
        ("${A:+alt}", {}, "", ()),
        ("r/${A}", {}, "r/", ("A",)),
    ],
    ids=[
        "braced",
        "bare",
        "default",
        "default-empty",
        "default-unset-only",
        "alt",
        "alt-unset",
        "missing",
    ],
)
def test_substitute(text, values, expected, missing):
    assert dockerfile.substitute(text, values) == (expected, missing)


@pytest.mark.parametrize(
    ("text", "build_args", "images", "lines"),
    [
        ("FROM a\nFROM b AS x\n", {}, ["a", "b"], [1, 2]),
        ("ARG T=1\nFROM r:$T\n", {"T": "2"}, ["r:2"], [2]),
        ("ARG T=1\nFROM r:$T\n", {"U": "2"}, ["r:1"], [2]),
        ("FROM a AS build\nARG T=9\nFROM build\n", {}, ["a", "build"], [1, 3]),
        ("# escape=`\nFROM `\n  a\n", {}, ["a"], [2]),
        ("FROM \\\n# comment\n  a\n", {}, ["a"], [1]),
        ("\n\n# c\nFROM --platform=$BUILDPLATFORM scratch\n", {}, ["scratch"], [4]),
        ("from a as B\nFROM b\n", {}, ["a", "b"], [1, 2]),
    ],
    ids=[
        "two-stages",
        "build-arg",
        "undeclared-arg",
        "stage-arg-not-in-from",
        "escape",
        "comment-in-continuation",
        "platform-scratch",
        "lower-case",
    ],
)
def test_dockerfile_stages(text, build_args, images, lines):
    found = dockerfile.stages(text, build_args)
    assert [s.image for s in found] == images and [s.line for s in found] == lines


def test_from_stage_name_points_at_its_stage():
    found = dockerfile.stages("FROM a AS Build\nFROM build AS t\nFROM t\n")
    assert [s.parent for s in found] == [None, 0, 1]


@pytest.mark.parametrize(
    ("text", "line"),
    [("", 1), ("RUN x\n", 1), ("FROM a AS\n", 1), ("FROM ${A\n", 1), ("FROM a\nFROM\n", 2)],
    ids=["empty", "run-first", "as-without-name", "bad-substitution", "from-without-image"],
)
def test_dockerfile_errors_name_the_line(text, line):
    with pytest.raises(dockerfile.DockerfileError) as caught:
        dockerfile.stages(text)
    assert caught.value.line == line


def test_compose_services_constraints_and_lines():
    text = (
        "services:\n"
        "  web:\n"
        "    image: ${REPO:-mcr.microsoft.com/windows/servercore}:ltsc2022\n"
        "    deploy:\n"
        "      placement:\n"
        "        constraints:\n"
        "          - node.labels.OsVersion == 10.0.20348\n"
        "          - node.role!=manager\n"
        "          - something odd\n"
        "  app:\n"
        "    build: .\n"
    )
    web, app = compose.services(text)
    assert web.image == "mcr.microsoft.com/windows/servercore:ltsc2022" and web.image_line == 3
    assert [(c.line, c.key, c.op, c.value) for c in web.constraints] == [
        (7, "node.labels.OsVersion", "==", "10.0.20348"),
        (8, "node.role", "!=", "manager"),
        (9, None, None, None),
    ]
    assert app.build and app.image is None and app.line == 10


@pytest.mark.parametrize(
    ("kind", "spec"),
    [
        ("Pod", "spec:\n  {pod}"),
        ("Deployment", "spec:\n  template:\n    spec:\n      {pod}"),
        ("StatefulSet", "spec:\n  template:\n    spec:\n      {pod}"),
        ("DaemonSet", "spec:\n  template:\n    spec:\n      {pod}"),
        ("Job", "spec:\n  template:\n    spec:\n      {pod}"),
        (
            "CronJob",
            "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          {pod}",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and "\n" not in v else "",
)
def test_kubernetes_kinds(kind, spec):
    pod = "{containers: [{name: c, image: i}], initContainers: [{name: s, image: j}]}"
    text = f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: w}}\n" + spec.format(pod=pod) + "\n"
    (found,), notes = kubernetes.workloads(text)
    assert found.kind == kind and notes == []
    assert [(c.name, c.image, c.init) for c in found.containers] == [
        ("s", "j", True),
        ("c", "i", False),
    ]


def test_kubernetes_list_selector_affinity_and_runtime_class():
    text = """apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      runtimeClassName: runhcs-wcow-hypervisor
      nodeSelector: {kubernetes.io/os: windows}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: node.kubernetes.io/windows-build, operator: In, values: ["10.0.20348"]}
      containers:
        - name: c
          image: mcr.microsoft.com/windows/servercore:ltsc2022
"""
    (pod,), _ = kubernetes.workloads(text)
    assert pod.runtime_class == "runhcs-wcow-hypervisor" and pod.selector_line == 9
    assert pod.affinity_terms == (
        (Expression("node.kubernetes.io/windows-build", "In", ("10.0.20348",)),),
    )
    assert pod.containers[0].line == 18


def test_yaml_that_is_not_a_manifest_names_its_line():
    with pytest.raises(YamlError) as caught:
        kubernetes.workloads("apiVersion: v1\nkind: ConfigMap\n---\n- just\n- a list\n")
    assert caught.value.line == 4


def _targets(*versions):
    return [placement.Target.from_host(v, host_from_text(v)[0]) for v in versions]


@pytest.mark.parametrize(
    ("selector", "terms", "admitted", "unknown"),
    [
        ({}, (), ["10.0.17763.1", "10.0.20348.1"], ()),
        ({"node.kubernetes.io/windows-build": "10.0.20348"}, (), ["10.0.20348.1"], ()),
        ({"agentpool": "win22"}, (), ["10.0.17763.1", "10.0.20348.1"], ("agentpool",)),
        (
            {},
            ((Expression("node.kubernetes.io/windows-build", "NotIn", ("10.0.17763",)),),),
            ["10.0.20348.1"],
            (),
        ),
        ({}, ((Expression("kubernetes.io/os", "DoesNotExist", ()),),), [], ()),
    ],
    ids=["none", "build-label", "unknown-label", "not-in", "does-not-exist"],
)
def test_kubernetes_placement(selector, terms, admitted, unknown):
    found = placement.kubernetes(_targets("10.0.17763.1", "10.0.20348.1"), selector, terms)
    assert [t.name for t in found.targets] == admitted and found.unknown_keys == unknown


@pytest.mark.parametrize(
    ("constraints", "admitted", "linux"),
    [
        (["node.labels.OsVersion == 10.0.17763"], ["10.0.17763.1"], False),
        (["node.labels.OsVersion != 10.0.17763"], ["10.0.20348.1"], False),
        (["node.platform.os == windows"], ["10.0.17763.1", "10.0.20348.1"], False),
        (["node.platform.os == linux"], [], True),
    ],
    ids=["os-version", "not-os-version", "windows", "linux"],
)
def test_swarm_placement(constraints, admitted, linux):
    parsed = [compose._constraint(1, c) for c in constraints]
    found = placement.swarm(_targets("10.0.17763.1", "10.0.20348.1"), parsed)
    assert [t.name for t in found.targets] == admitted and found.linux is linux


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        (Toleration("k", "Equal", "v", "NoSchedule"), Taint("k", "v", "NoSchedule"), True),
        (Toleration("k", "Equal", "w", "NoSchedule"), Taint("k", "v", "NoSchedule"), False),
        (Toleration("k", "Exists", None, None), Taint("k", "v", "NoExecute"), True),
        (Toleration(None, "Exists", None, None), Taint("x", None, "NoSchedule"), True),
        (Toleration("k", "Equal", "v", "NoExecute"), Taint("k", "v", "NoSchedule"), False),
    ],
    ids=["equal", "other-value", "exists-key", "exists-all", "other-effect"],
)
def test_tolerations(toleration, taint, expected):
    assert placement.tolerated(taint, [toleration]) is expected
