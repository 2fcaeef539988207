"""Image questions end to end: the app, the resolver, the registry client and a real
docker-registry on 127.0.0.1 (plus a real redis-server for the shared cache)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from helpers import FakeClock, wait_until
from registry_harness import OCI_INDEX, PlatformSpec, config_for

from service.api.schemas import CompatResponseSchema
from service.app import create_app

HOST_2022 = "10.0.20348.2700"


def ask(client, image, host=HOST_2022, **more):
    return client.get("/compat", query_string={"image": image, "host": host, **more})


@pytest.fixture
def app_for(registry):
    made = []

    def make(clock=None, **overrides):
        more = {"clock": clock} if clock else {}
        app = create_app(config_for(registry, **overrides), **more)
        made.append(app)
        return app.test_client()

    yield make
    for app in made:
        app.extensions["wincompat"].resolver.close()


def test_mcr_base_image_resolves_and_repeats_cost_nothing(registry, app_for):
    repo = registry.new_repo("windows/servercore")
    pushed = registry.push_mcr_base(repo, "ltsc2022", "10.0.20348.2113")
    client = app_for()
    first = ask(client, f"{registry.host}/{repo}:ltsc2022")
    assert first.status_code == 200, first.data
    body = first.json
    assert CompatResponseSchema().validate(body) == {}
    assert body["image"]["digest"] == pushed.digest
    assert body["image"]["os_version"] == "10.0.20348.2113"
    assert body["image"]["platforms"][0]["digest"] == pushed.children[0]
    assert body["isolation"]["process"]["verdict"] == "supported"
    assert body["cache"]["status"] == "miss"
    mark = registry.mark()
    for _ in range(5):
        again = ask(client, f"{registry.host}/{repo}:ltsc2022")
        assert again.json["cache"]["status"] == "hit"
    assert registry.request_count(since=mark) == 0
    assert int(again.headers["Cache-Control"].split("=")[1]) <= 300


def test_multi_build_list_picks_the_entry_for_the_host(registry, app_for):
    repo = registry.new_repo("dotnet/runtime")
    specs = [
        PlatformSpec(os_version="10.0.26100.9999"),
        PlatformSpec(os_version="10.0.26100.32230"),
        PlatformSpec(os_version="10.0.20348.2113"),
        PlatformSpec(os_version="10.0.17763.5329"),
        PlatformSpec(os="linux", os_version=None, foreign_base=False),
    ]
    pushed = registry.push_image(repo, "4.8", specs)
    client = app_for()
    image = f"{registry.host}/{repo}:4.8"
    cases = {
        "10.0.26100.40000": "10.0.26100.32230",  # integers: 32230 > 9999
        "10.0.20348.2700": "10.0.20348.2113",
        "10.0.17763.6000": "10.0.17763.5329",
        "10.0.25398.950": "10.0.20348.2113",  # 23H2 runs WS2022 images
    }
    for host, chosen in cases.items():
        body = ask(client, image, host).json
        assert body["image"]["os_version"] == chosen, host
        assert body["recommended_isolation"] == "process"
        selected = [p for p in body["image"]["platforms"] if p["selected"]]
        assert [p["os_version"] for p in selected] == [chosen]
    body = ask(client, image, "10.0.26100.40000").json
    assert any("comparing version strings" in w for w in body["warnings"])
    assert {p["digest"] for p in body["image"]["platforms"]} == set(pushed.children)
    linux = next(p for p in body["image"]["platforms"] if p["os"] == "linux")
    assert linux["isolation"]["process"]["verdict"] == "unsupported"
    old = ask(client, image, "10.0.14393.1000").json
    assert old["compatible"] is False and old["summary"].startswith("No:")


def test_oci_index_with_attestations_and_versions_only_in_configs(registry, app_for):
    repo = registry.new_repo("buildx/app")
    spec = PlatformSpec(os_version="10.0.20348.4405", version_in_list=False)
    registry.push_image(repo, "1", [spec], kind=OCI_INDEX, attestations=True)
    body = ask(app_for(), f"{registry.host}/{repo}:1").json
    windows = [p for p in body["image"]["platforms"] if p["os"] == "windows"]
    assert [p["os_version"] for p in windows] == ["10.0.20348.4405"]
    assert all(p["os"] != "unknown" for p in body["image"]["platforms"])
    assert body["isolation"]["process"]["verdict"] == "supported"


def test_no_os_version_anywhere_is_unknown(registry, app_for):
    repo = registry.new_repo("odd/image")
    spec = PlatformSpec(os_version=None, version_in_list=False, version_in_config=False)
    registry.push_image(repo, "x", [spec])
    body = ask(app_for(), f"{registry.host}/{repo}:x").json
    assert body["isolation"]["process"]["verdict"] == "unknown"
    assert body["isolation"]["hyperv"]["verdict"] == "unknown"
    assert body["summary"].startswith("Can't tell")


def test_linux_image_and_wrong_architecture(registry, app_for):
    client = app_for()
    linux = registry.new_repo("library/nginx")
    registry.push_image(linux, "latest", [PlatformSpec(os="linux", os_version=None)])
    body = ask(client, f"{registry.host}/{linux}").json  # default tag: latest
    assert body["isolation"]["process"]["rule"] == "linux-image"
    assert body["compatible"] is False and "Linux image" in body["summary"]
    win = registry.new_repo("windows/nanoserver")
    registry.push_mcr_base(win, "ltsc2022", "10.0.20348.2113")
    arm = ask(client, f"{registry.host}/{win}:ltsc2022", arch="arm64").json
    assert arm["isolation"]["process"]["rule"] == "other-architecture"


def test_digest_references(registry, app_for):
    repo = registry.new_repo("windows/servercore")
    pushed = registry.push_mcr_base(repo, "ltsc2019", "10.0.17763.5329")
    client = app_for()
    for ref in (f"{repo}@{pushed.digest}", f"{repo}:wrong-tag@{pushed.digest}"):
        body = ask(client, f"{registry.host}/{ref}", "10.0.17763.6000").json
        assert body["image"]["digest"] == pushed.digest
        assert body["isolation"]["process"]["verdict"] == "supported"
        assert int(ask(client, f"{registry.host}/{ref}").headers["Cache-Control"][8:]) > 300


def test_registry_problems(registry, app_for):
    client = app_for()
    missing = ask(client, f"{registry.host}/{registry.new_repo()}:nope")
    assert missing.status_code == 404 and missing.json["type"] == "/problems/image-not-found"
    mark = registry.mark()
    other_name = registry.host.replace("127.0.0.1", "localhost")  # loopback, not listed
    refused = ask(client, f"{other_name}/windows/servercore:ltsc2022")
    assert refused.status_code == 403
    assert refused.json["type"] == "/problems/registry-not-allowed"
    assert ask(client, "mcr.microsoft.com/windows/servercore:ltsc2022").status_code == 403
    assert registry.request_count(since=mark) == 0


def test_dead_registry_is_502_and_stale_answers_survive_it(registry, app_for):
    repo = registry.new_repo("windows/servercore")
    registry.push_mcr_base(repo, "ltsc2022", "10.0.20348.2113")
    clock = FakeClock()
    client = app_for(clock, tag_ttl=1)
    image = f"{registry.host}/{repo}:ltsc2022"
    assert ask(client, image).json["cache"]["status"] == "miss"
    registry.stop()
    try:
        clock.advance(2)  # past the tag's TTL
        stale = ask(client, image)
        assert stale.status_code == 200
        assert stale.json["cache"]["status"] == "stale"
        assert any("stale" in w.lower() or "old" in w for w in stale.json["warnings"])
        assert stale.headers["Cache-Control"] == "max-age=0"
        fresh = ask(client, f"{registry.host}/{repo}:never-seen")
        assert fresh.status_code == 502
        assert fresh.json["type"] == "/problems/registry-unavailable"
    finally:
        registry.start()


def test_two_instances_share_redis(registry, redis_db, app_for):
    repo = registry.new_repo("windows/servercore")
    registry.push_mcr_base(repo, "ltsc2022", "10.0.20348.2113")
    first, second = app_for(redis_url=redis_db.url), app_for(redis_url=redis_db.url)
    image = f"{registry.host}/{repo}:ltsc2022"
    assert ask(first, image).json["cache"]["status"] == "miss"
    mark = registry.mark()
    shared = ask(second, image)
    assert shared.json["cache"]["status"] == "hit"
    assert registry.request_count(since=mark) == 0
    assert second.get("/readyz").status_code == 200
    redis_db.stop()
    try:
        assert ask(second, image).status_code == 200  # memory layer keeps answering
        # Redis loss is not an outage: still ready, the body and a gauge say degraded.
        ready = second.get("/readyz")
        assert (ready.status_code, ready.json["status"]) == (200, "degraded")
        assert ready.json["checks"]["cache"] == "redis unreachable"
        assert b"wincompat_redis_up 0.0" in second.get("/metrics").data
    finally:
        redis_db.start()
    assert wait_until(lambda: second.get("/readyz").json["status"] == "ok", timeout=10)
    assert b"wincompat_redis_up 1.0" in second.get("/metrics").data


def test_allow_list_holds_even_for_answers_in_a_shared_cache(registry, redis_db, app_for):
    repo = registry.new_repo("windows/servercore")
    registry.push_mcr_base(repo, "ltsc2022", "10.0.20348.2113")
    image = f"{registry.host}/{repo}:ltsc2022"
    assert ask(app_for(redis_url=redis_db.url), image).status_code == 200
    narrow = app_for(redis_url=redis_db.url, insecure_registries=())
    refused = ask(narrow, image)
    assert refused.status_code == 403, refused.json
    assert refused.json["type"] == "/problems/registry-not-allowed"


def test_cli_check_an_image(registry, tmp_path):
    repo = registry.new_repo("windows/servercore")
    registry.push_mcr_base(repo, "ltsc2019", "10.0.17763.5329")
    env = {"WINCOMPAT_INSECURE_REGISTRIES": registry.host, "WINCOMPAT_ALLOWED_REGISTRIES": ""}
    run = [sys.executable, "-m", "service.cli", "check", f"{registry.host}/{repo}:ltsc2019"]
    env = {**dataclasses.asdict(_Env()), **env}
    ok = subprocess.run([*run, "--host", "10.0.17763.6000"], env=env, capture_output=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.decode().startswith("Yes: image 10.0.17763.5329")
    newer = subprocess.run(
        [*run, "--host", "10.0.14393.100", "--json"], env=env, capture_output=True
    )
    assert newer.returncode == 1 and b'"compatible": false' in newer.stdout
    bad = subprocess.run([*run, "--host", "hyperv"], env=env, capture_output=True)
    assert bad.returncode == 2 and b"host" in bad.stderr


@dataclasses.dataclass
class _Env:
    PATH: str = "/usr/bin:/bin"
    PYTHONPATH: str = str(__import__("pathlib").Path(__file__).resolve().parents[1])
