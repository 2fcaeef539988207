"""helm/wincompat: render the chart with Helm (its Go SDK, through .ci/helm.py in the venv that
.ci/lint-deploy makes) and check the objects it produces. Without that venv the tests fail: run
`.ci/lint-deploy` first."""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "wincompat"
ALL_FEATURES = CHART / "ci" / "all-features-values.yaml"
HELM_TOOL = ROOT / ".ci" / "helm.py"


def helm_venv() -> Path:
    explicit = os.environ.get("WINCOMPAT_HELM_VENV")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "wincompat" / "helm-venv"


def helm_python() -> Path:
    python = helm_venv() / "bin" / "python"
    if not python.exists():
        pytest.fail(
            f"Helm is not installed: {python} is missing. Run .ci/lint-deploy first; it makes "
            "that venv (helm-python-sdk) before the tests need it."
        )
    return python


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(helm_python()), str(HELM_TOOL), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@functools.cache
def _render(args: tuple[str, ...]) -> tuple[dict, ...]:
    result = run_helm("template", "demo", str(CHART), "--namespace", "apps", "--json", *args)
    assert result.returncode == 0, f"helm template {' '.join(args)} failed:\n{result.stderr}"
    return tuple(json.loads(result.stdout))


def render(*args: str) -> list[dict]:
    return json.loads(json.dumps(_render(args)))  # a fresh copy per caller


def render_all_features(*args: str) -> list[dict]:
    return render("-f", str(ALL_FEATURES), *args)


def only(objects: list[dict], kind: str) -> dict:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {[o['metadata']['name'] for o in found]}"
    return found[0]


def kinds(objects: list[dict]) -> set[str]:
    return {o["kind"] for o in objects}


def container(objects: list[dict]) -> dict:
    containers = only(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def config_data(objects: list[dict]) -> dict[str, str]:
    return only(objects, "ConfigMap")["data"]


# --- lint ------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[], ["-f", str(ALL_FEATURES)]], ids=["default", "all"])
def test_lint_strict_passes(values):
    result = run_helm("lint", "--strict", str(CHART), *values)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) passed" in result.stdout


def test_schema_rejects_bad_values():
    for bad in (
        "gunicorn.workers=0",
        "service.port=70000",
        "unknownKey=1",
        "image.pullPolicy=Often",
    ):
        result = run_helm("template", "demo", str(CHART), "--set", bad)
        assert result.returncode != 0, f"--set {bad} was accepted"


def test_contradictory_settings_fail():
    result = run_helm(
        "template",
        "demo",
        str(CHART),
        "--set",
        "redis.url=redis://r:6379/0",
        "--set",
        "redis.existingSecret=redis",
    )
    assert result.returncode != 0
    assert "only one of redis.url and redis.existingSecret" in result.stderr
    result = run_helm("template", "demo", str(CHART), "--set", "registryCredentials.create=true")
    assert result.returncode != 0
    assert "registryCredentials.auths" in result.stderr


# --- what renders ----------------------------------------------------------------------------


def test_default_objects():
    objects = render()
    assert kinds(objects) == {
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
    }
    assert {o["metadata"]["namespace"] for o in objects} == {"apps"}
    assert {o["metadata"]["name"] for o in objects} == {"demo-wincompat"}


def test_all_features_objects():
    objects = render_all_features()
    assert kinds(objects) == {
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "ServiceAccount",
        "ServiceMonitor",
    }


@pytest.mark.parametrize("objects_of", [render, render_all_features], ids=["default", "all"])
def test_security_context(objects_of):
    objects = objects_of()
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    sc = container(objects)["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert sc["runAsUser"] == 10001
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert "add" not in sc["capabilities"]
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}


def test_image_user_and_paths_match_the_dockerfile():
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert user and user[-1] == "10001"
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus" in dockerfile
    assert "EXPOSE 8080" in dockerfile
    objects = render()
    assert config_data(objects)["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus"
    assert container(objects)["ports"] == [
        {"name": "http", "containerPort": 8080, "protocol": "TCP"}
    ]


@pytest.mark.parametrize("objects_of", [render, render_all_features], ids=["default", "all"])
def test_writable_volumes(objects_of):
    objects = objects_of()
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(objects)["volumeMounts"]}
    multiproc = config_data(objects)["PROMETHEUS_MULTIPROC_DIR"]
    for path in ("/tmp", multiproc):
        assert path in mounts, f"nothing mounted at {path}"
        assert "emptyDir" in volumes[mounts[path]], f"{path} is not an emptyDir"
    assert mounts["/tmp"] != mounts[multiproc]


def test_probes_and_service():
    objects = render()
    c = container(objects)
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    service = only(objects, "Service")
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}
    ]
    deployment = only(objects, "Deployment")
    selector = deployment["spec"]["selector"]["matchLabels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert service["spec"]["selector"] == selector
    assert c["resources"]["requests"]["cpu"] and c["resources"]["limits"]["memory"]


def test_configmap_carries_the_settings():
    objects = render(
        "--set",
        "gunicorn.workers=5",
        "--set",
        "gunicorn.threads=12",
        "--set",
        "config.allowedRegistries={mcr.microsoft.com,*.azurecr.io}",
        "--set",
        "config.registryTimeout=4.5",
        "--set",
        "config.cacheSize=42",
        "--set",
        "redis.url=redis://cache:6379/0",
    )
    data = config_data(objects)
    assert data["WEB_CONCURRENCY"] == "5"
    assert data["WINCOMPAT_THREADS"] == "12"
    assert data["WINCOMPAT_BIND"] == "0.0.0.0:8080"
    assert data["WINCOMPAT_ALLOWED_REGISTRIES"] == "mcr.microsoft.com,*.azurecr.io"
    assert data["WINCOMPAT_REGISTRY_TIMEOUT"] == "4.5"
    assert data["WINCOMPAT_CACHE_SIZE"] == "42"
    assert data["WINCOMPAT_REDIS_URL"] == "redis://cache:6379/0"
    assert all(isinstance(v, str) for v in data.values())
    c = container(objects)
    assert c["envFrom"] == [
        {"configMapRef": {"name": only(objects, "ConfigMap")["metadata"]["name"]}}
    ]
    assert "env" not in c


def test_default_configmap_leaves_service_defaults_alone():
    data = config_data(render())
    # An empty WINCOMPAT_ALLOWED_REGISTRIES would allow nothing; unset keeps the default list.
    for absent in (
        "WINCOMPAT_ALLOWED_REGISTRIES",
        "WINCOMPAT_INSECURE_REGISTRIES",
        "WINCOMPAT_REDIS_URL",
        "WINCOMPAT_DOCKER_CONFIG",
    ):
        assert absent not in data
    assert data["WEB_CONCURRENCY"] == "2"
    assert data["WINCOMPAT_TAG_TTL"] == "300"


def test_config_checksum_rolls_pods():
    def checksum(*args: str) -> str:
        deployment = only(render(*args), "Deployment")
        return deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    assert re.fullmatch(r"[0-9a-f]{64}", checksum())
    assert checksum() == checksum()
    assert checksum() != checksum("--set", "config.tagTTL=301")


def test_redis_url_from_existing_secret():
    objects = render_all_features()
    assert "WINCOMPAT_REDIS_URL" not in config_data(objects)
    assert container(objects)["env"] == [
        {
            "name": "WINCOMPAT_REDIS_URL",
            "valueFrom": {"secretKeyRef": {"name": "wincompat-redis", "key": "url"}},
        }
    ]


def _credentials_volume(objects: list[dict]) -> tuple[dict, dict]:
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if "secret" in v)
    mount = next(m for m in container(objects)["volumeMounts"] if m["name"] == volume["name"])
    return volume, mount


def test_created_dockerconfigjson_secret_mount_and_env_agree():
    objects = render_all_features()
    secret = only(objects, "Secret")
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
    entry = config["auths"]["registry.example.com"]
    assert base64.b64decode(entry["auth"]).decode() == "robot:not-a-real-password"
    assert entry["username"] == "robot"

    volume, mount = _credentials_volume(objects)
    assert volume["secret"]["secretName"] == secret["metadata"]["name"]
    assert volume["secret"]["items"] == [{"key": ".dockerconfigjson", "path": "config.json"}]
    assert mount["readOnly"] is True
    env_path = config_data(objects)["WINCOMPAT_DOCKER_CONFIG"]
    assert env_path == mount["mountPath"].rstrip("/") + "/config.json"

    annotations = only(objects, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/registry-credentials"])


def test_existing_dockerconfigjson_secret():
    objects = render(
        "--set",
        "registryCredentials.existingSecret=regcred",
        "--set",
        "registryCredentials.mountPath=/var/run/creds/",
    )
    assert "Secret" not in kinds(objects)
    volume, mount = _credentials_volume(objects)
    assert volume["secret"]["secretName"] == "regcred"
    assert volume["secret"]["items"] == [{"key": ".dockerconfigjson", "path": "config.json"}]
    assert mount["readOnly"] is True
    assert config_data(objects)["WINCOMPAT_DOCKER_CONFIG"] == "/var/run/creds/config.json"


def test_verbatim_dockerconfigjson(tmp_path):
    raw = '{"auths": {"ghcr.io": {"auth": "dTpw"}}, "credHelpers": {}}'
    values = tmp_path / "values.yaml"
    values.write_text(
        "registryCredentials:\n  create: true\n  dockerConfigJson: " + json.dumps(raw) + "\n"
    )
    secret = only(render("-f", str(values)), "Secret")
    assert json.loads(base64.b64decode(secret["data"][".dockerconfigjson"])) == json.loads(raw)


def test_hpa():
    objects = render()
    hpa = only(objects, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    deployment = only(objects, "Deployment")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    assert hpa["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 70},
            },
        }
    ]
    assert "replicas" not in deployment["spec"]  # the HPA owns it
    assert {
        m["resource"]["name"]
        for m in only(render_all_features(), "HorizontalPodAutoscaler")["spec"]["metrics"]
    } == {"cpu", "memory"}


def test_autoscaling_off():
    objects = render("--set", "autoscaling.enabled=false", "--set", "replicaCount=3")
    assert "HorizontalPodAutoscaler" not in kinds(objects)
    assert only(objects, "Deployment")["spec"]["replicas"] == 3


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), True),  # autoscaling on, minReplicas 2
        (("--set", "autoscaling.minReplicas=1"), False),
        (("--set", "autoscaling.enabled=false", "--set", "replicaCount=1"), False),
        (("--set", "autoscaling.enabled=false", "--set", "replicaCount=2"), True),
        (
            (
                "--set",
                "autoscaling.enabled=false",
                "--set",
                "autoscaling.minReplicas=5",
                "--set",
                "replicaCount=1",
            ),
            False,
        ),
        (("--set", "podDisruptionBudget.enabled=false"), False),
    ],
)
def test_pdb_only_when_more_than_one_pod(args, expected):
    objects = render(*args)
    assert ("PodDisruptionBudget" in kinds(objects)) is expected
    if expected:
        pdb = only(objects, "PodDisruptionBudget")
        assert pdb["apiVersion"] == "policy/v1"
        assert pdb["spec"]["minAvailable"] == 1
        deployment = only(objects, "Deployment")
        assert pdb["spec"]["selector"] == deployment["spec"]["selector"]


def test_pdb_max_unavailable_wins():
    pdb = only(render_all_features(), "PodDisruptionBudget")
    assert pdb["spec"] == {
        "maxUnavailable": 1,
        "selector": pdb["spec"]["selector"],
    }


def test_service_monitor():
    objects = render_all_features()
    monitor = only(objects, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["endpoints"] == [
        {"port": "http", "path": "/metrics", "interval": "15s", "scrapeTimeout": "5s"}
    ]
    service = only(objects, "Service")
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert "ServiceMonitor" not in kinds(render())


def test_service_account():
    objects = render()
    account = only(objects, "ServiceAccount")
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    objects = render("--set", "serviceAccount.create=false", "--set", "serviceAccount.name=ops")
    assert "ServiceAccount" not in kinds(objects)
    assert only(objects, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "ops"


def test_image_reference():
    assert container(render())["image"] == "wincompat:0.1.0"
    digest = "sha256:" + "ab" * 32
    assert container(render("--set", f"image.digest={digest}"))["image"] == f"wincompat@{digest}"
    all_features = container(render_all_features())
    assert all_features["image"] == "registry.example.com/platform/wincompat:0.1.0"
    pod = only(render_all_features(), "Deployment")["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "platform-pull"}]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
