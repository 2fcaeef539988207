"""What each runtime pulls from real multi-entry indexes on a real docker-registry (127.0.0.1):
26100+20348+17763 lists on every kind of host, five-digit revisions, indexes without
os.version, and `runtime=` deciding the answer."""

from __future__ import annotations

import pytest
from registry_harness import OCI_INDEX, PlatformSpec, config_for

from service.api.schemas import CompatResponseSchema
from service.app import create_app

THREE = ("10.0.26100.3194", "10.0.20348.3207", "10.0.17763.5329")


@pytest.fixture
def client(registry):
    app = create_app(config_for(registry))
    yield app.test_client()
    app.extensions["wincompat"].resolver.close()


@pytest.fixture
def three_builds(registry):
    repo = registry.new_repo("dotnet/framework")
    specs = [PlatformSpec(os_version=v) for v in THREE]
    specs.append(PlatformSpec(os="linux", os_version=None, foreign_base=False))
    registry.push_image(repo, "4.8", specs)
    return f"{registry.host}/{repo}:4.8"


def ask(client, image, host, **more):
    r = client.get("/compat", query_string={"image": image, "host": host, **more})
    assert r.status_code == 200, r.data
    assert CompatResponseSchema().validate(r.json) == {}
    return r.json


NONE = (None, False)
# host -> runtime -> (os.version it pulls or None, starts)
PULLS = {
    ("10.0.26100.4000", "server"): {
        "containerd-2.2": (THREE[0], True),
        "containerd-1.7": (THREE[1], True),  # containerd#11366: revision 3207 > 3194
        "containerd-1.6": (THREE[0], True),
        "docker": (THREE[0], True),
    },
    ("10.0.25398.950", "server"): {
        "containerd-2.2": (THREE[1], True),
        "containerd-1.7": (THREE[1], True),
        "containerd-1.6": NONE,
        "docker": (THREE[1], True),  # no 25398 entry: list order, first not newer
    },
    ("10.0.26200.7171", "client"): {
        "containerd-2.2": (THREE[0], False),  # known problem win11-25h2-ltsc2025
        "containerd-1.7": (THREE[1], True),  # WS2022 on Windows 11: a preview, but it starts
        "containerd-1.6": NONE,
        "docker": (THREE[0], False),  # Hyper-V by default; the known problem fails it too
    },
    ("10.0.20348.2700", "server"): {
        "containerd-2.2": (THREE[1], True),
        "containerd-1.7": (THREE[1], True),
        "containerd-1.6": (THREE[1], True),
        "docker": (THREE[1], True),
    },
    ("10.0.17763.6000", "server"): {
        "containerd-2.2": (THREE[2], True),
        "containerd-1.7": (THREE[2], True),
        "containerd-1.6": (THREE[2], True),
        "docker": (THREE[2], True),
    },
}


@pytest.mark.parametrize(("host", "kind"), list(PULLS), ids=[h for h, _ in PULLS])
def test_three_build_list_per_runtime(client, three_builds, host, kind):
    body = ask(client, three_builds, host, host_type=kind)
    digests = {p["os_version"]: p["digest"] for p in body["image"]["platforms"]}
    for runtime, (pulled, starts) in PULLS[(host, kind)].items():
        row = body["runtimes"][runtime]
        assert (row["os_version"] if row["matches"] else None, row["starts"]) == (
            pulled,
            starts,
        ), (runtime, row)
        assert row["pulls"] == (digests[pulled] if pulled else None)
        if not row["matches"]:
            assert "no match for platform in manifest" in row["detail"]
    assert {p["os_version_source"] for p in body["image"]["platforms"]} <= {"index", "none"}


def test_a_runtime_that_disagrees_is_warned_about(client, three_builds):
    body = ask(client, three_builds, "10.0.26100.4000")
    assert body["image"]["os_version"] == THREE[0]
    assert any(
        w.startswith(f"containerd 1.7 on this host will pull the {THREE[1]} entry")
        for w in body["warnings"]
    ), body["warnings"]
    assert f"but containerd 1.7 pulls the {THREE[1]} entry instead" in body["summary"]
    assert body["summary"].count(". ") == 0 and body["summary"].endswith(".")


@pytest.mark.parametrize(
    ("runtime", "os_version", "compatible", "start"),
    [
        ("containerd-1.7", THREE[1], True, "With containerd 1.7, yes: "),
        ("containerd-2.2", THREE[0], False, "With containerd 2.2, no: "),
        ("containerd-1.6", None, False, "No: containerd 1.6 pulls nothing"),
    ],
)
def test_runtime_decides_the_answer(client, three_builds, runtime, os_version, compatible, start):
    host = "10.0.26200.7171" if runtime != "containerd-1.7" else "10.0.26100.4000"
    body = ask(client, three_builds, host, runtime=runtime)
    assert body["compatible"] is compatible
    assert body["summary"].startswith(start), body["summary"]
    if os_version:
        assert body["image"]["os_version"] == os_version


def test_five_digit_revisions_per_runtime(registry, client):
    repo = registry.new_repo("windows/servercore")
    versions = ("10.0.26100.32230", "10.0.26100.7462")
    registry.push_image(repo, "ltsc2025", [PlatformSpec(os_version=v) for v in versions])
    body = ask(client, f"{registry.host}/{repo}:ltsc2025", "10.0.26100.40000")
    assert body["image"]["os_version"] == "10.0.26100.32230"  # integers
    pulled = {rid: row["os_version"] for rid, row in body["runtimes"].items()}
    assert pulled == {
        "containerd-2.2": "10.0.26100.7462",  # string order: "7462" > "32230"
        "containerd-1.7": "10.0.26100.32230",
        "containerd-1.6": "10.0.26100.32230",
        "docker": "10.0.26100.32230",  # list order among host-build entries
    }
    assert any(
        w.startswith("containerd 2.2 on this host will pull the 10.0.26100.7462 entry")
        for w in body["warnings"]
    )


@pytest.mark.parametrize("kind", [None, OCI_INDEX], ids=["docker-list", "oci-index"])
def test_an_index_without_os_version_is_pulled_first_come(registry, client, kind):
    repo = registry.new_repo("contoso/app")
    specs = [
        PlatformSpec(os_version="10.0.17763.5329", version_in_list=False),
        PlatformSpec(os_version="10.0.20348.2113", version_in_list=False),
    ]
    registry.push_image(repo, "1", specs, **({"kind": kind} if kind else {}))
    image = f"{registry.host}/{repo}:1"
    body = ask(client, image, "10.0.20348.2700")
    windows = [p for p in body["image"]["platforms"] if p["os"] == "windows"]
    assert [p["os_version_source"] for p in windows] == ["config", "config"]
    assert body["image"]["os_version"] == "10.0.20348.2113"  # what wincompat would pick
    for row in body["runtimes"].values():
        assert (row["os_version"], row["starts"]) == ("10.0.17763.5329", False)
        assert row["pulls"] == windows[0]["digest"]
    note = next(w for w in body["warnings"] if w.startswith("The index gives no os.version"))
    assert windows[0]["digest"] in note and "10.0.17763.5329" in note and "fails" in note
    pinned = ask(client, image, "10.0.20348.2700", runtime="containerd-2.2")
    assert pinned["image"]["os_version"] == "10.0.17763.5329"
    assert pinned["isolation"]["process"]["verdict"] == "unsupported"


def test_version_questions_have_runtime_rows(client):
    r = client.get(
        "/compat", query_string={"image_version": "10.0.20348.2700", "host": "10.0.26100.5"}
    )
    rows = r.json["runtimes"]
    assert set(rows) == {"containerd-2.2", "containerd-1.7", "containerd-1.6", "docker"}
    assert all(row["pulls"] is None for row in rows.values())
    assert rows["containerd-1.6"]["matches"] is False
    assert any(
        w.startswith("containerd 1.6 on this host pulls nothing") for w in r.json["warnings"]
    )


@pytest.mark.parametrize(
    ("runtime", "code", "start"),
    [
        (None, 0, "Yes: "),
        ("containerd-1.7", 0, "With containerd 1.7, yes: "),
        ("containerd-1.6", 1, "No: containerd 1.6 pulls nothing"),
    ],
)
def test_cli_runtime_decides_the_exit_code(capsys, runtime, code, start):
    from service.cli import main

    argv = ["check", "--image-version", "10.0.20348.2700", "--host", "10.0.26100.5"]
    assert main([*argv, *(["--runtime", runtime] if runtime else [])]) == code
    out = capsys.readouterr().out
    assert out.startswith(start)
    assert "containerd-1.6: pulls nothing" in out


def test_the_documented_example_fits_the_schema():
    from service.api.examples import COMPAT_EXAMPLE

    assert CompatResponseSchema().validate(COMPAT_EXAMPLE) == {}
    assert set(COMPAT_EXAMPLE["runtimes"]) == {
        "containerd-2.2",
        "containerd-1.7",
        "containerd-1.6",
        "docker",
    }


def test_an_unknown_runtime_is_a_422_naming_the_field(client):
    query = {"image_version": "10.0.20348.1", "host": "10.0.20348.2700", "runtime": "cri-o"}
    r = client.get("/compat", query_string=query)
    assert r.status_code == 422
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert "runtime" in r.json["errors"]
