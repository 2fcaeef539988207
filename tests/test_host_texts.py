"""Host texts as people paste them: one host per text, its kind from the fields that name the
product, the shapes still refused before, and what is never silently cut."""

from __future__ import annotations

import pytest

from service.compat.hosts import host_from_text
from service.compat.versions import (
    MAX_INPUT,
    InvalidVersion,
    SeveralHosts,
    WindowsVersion,
    parse_version,
)

V = WindowsVersion

PASTES = [
    # file under tests/data, host version, kind
    ("pastes/docker-info_win10-22h2.txt", V(10, 0, 19045, 5011), "client"),
    ("pastes/docker-info_win11-24h2.txt", V(10, 0, 26100, 2605), "client"),
    ("pastes/docker-info_ws2025.txt", V(10, 0, 26100, 4061), "server"),
    ("pastes/systeminfo_ws2022.txt", V(10, 0, 20348), "server"),
    ("pastes/systeminfo_win10-22h2.txt", V(10, 0, 19045), "client"),
    ("pastes/get-computerinfo_ws2019.txt", V(10, 0, 17763), "server"),
    ("pastes/get-computerinfo_win11-23h2.txt", V(10, 0, 22631), "client"),
    ("pastes/kubectl-describe-node_ws2019.txt", V(10, 0, 17763, 8389), "server"),
    ("pastes/kubectl-describe-node_ws2025.txt", V(10, 0, 26100, 33296), "server"),
    ("pastes/kubectl-get-nodes_one-ws2022.json", V(10, 0, 20348, 5499), "server"),
    (
        "public/agentbaker/release-notes/2019-containerd_17763.8389.260210.txt",
        V(10, 0, 17763, 8389),
        "server",
    ),
    (
        "public/agentbaker/release-notes/23H2_25398.950.240621.txt",
        V(10, 0, 25398, 950),
        "server",
    ),
]


@pytest.mark.parametrize(("path", "version", "kind"), PASTES, ids=[p[0] for p in PASTES])
def test_whole_pastes_give_one_host_of_the_right_kind(data_dir, path, version, kind):
    host, _ = host_from_text((data_dir / path).read_text(encoding="utf-8"))
    assert (host.version, host.kind) == (version, kind)


def test_docker_info_says_the_build_three_ways_and_is_one_host(data_dir):
    sample = (data_dir / "public" / "docker-info_docker-cli-docs_windows-samples.txt").read_text()
    parsed = parse_version(sample.split("=====")[1])
    assert parsed.version == V(10, 0, 20348, 707)  # OS Build beats the kernel string's .1
    assert parsed.kind_hint == "server"
    assert parsed.warnings == ()


def test_a_docker_info_server_header_does_not_make_a_client_a_server(data_dir):
    text = (data_dir / "pastes" / "docker-info_win11-24h2.txt").read_text()
    assert "\nServer:\n" in text
    assert parse_version(text).kind_hint == "client"


SEVERAL = [
    pytest.param(
        "pastes/kubectl-get-nodes_two-builds.json", ["10.0.17763", "10.0.20348"], id="k8s"
    ),
]


@pytest.mark.parametrize(("path", "versions"), SEVERAL)
def test_a_paste_of_several_hosts_is_refused_naming_them(data_dir, path, versions):
    with pytest.raises(SeveralHosts) as info:
        parse_version((data_dir / path).read_text())
    assert info.value.versions == versions
    assert "/compat/nodes" in str(info.value)


@pytest.mark.parametrize(
    ("text", "versions"),
    [
        pytest.param(
            "Microsoft Windows [Version 10.0.17763.5329]\nMicrosoft Windows [Version "
            "10.0.20348.2700]",
            ["10.0.17763", "10.0.20348"],
            id="two-ver-banners",
        ),
        pytest.param(
            "Kernel Version: 10.0.20348.2655\nKernel Version: 10.0.20348.2700",
            ["10.0.20348.2655", "10.0.20348.2700"],
            id="same-build-two-revisions",
        ),
    ],
)
def test_two_hosts_in_one_text(text, versions):
    with pytest.raises(SeveralHosts) as info:
        parse_version(text)
    assert info.value.versions == versions


SHAPES = [
    ("Windows Server 2025 (26100.4061)", V(10, 0, 26100, 4061), "server"),
    ("Windows Server 2022 Datacenter 25398.950", V(10, 0, 25398, 950), "server"),
    (
        "OS Name : Windows Server 2019 Datacenter\nOS Version : 17763.8389",
        V(10, 0, 17763, 8389),
        "server",
    ),
    ("OS Name: Microsoft Windows 10 Pro\nOS Version: 19045.5011", V(10, 0, 19045, 5011), "client"),
    ("2009", V(10, 0, 19042), "server"),
    ("ltsc2019-amd64", V(10, 0, 17763), "server"),
    ("1809-KB4493509", V(10, 0, 17763, 437), "server"),
    ("1809-KB5000000", V(10, 0, 17763), "server"),
    ("10.0.17763.437-amd64", V(10, 0, 17763, 437), None),
    ("20H2", V(10, 0, 19042), "server"),
]


@pytest.mark.parametrize(("text", "version", "hint"), SHAPES, ids=[s[0] for s in SHAPES])
def test_shapes_people_paste(text, version, hint):
    parsed = parse_version(text)
    assert (parsed.version, parsed.kind_hint) == (version, hint)


def test_an_unknown_kb_says_the_revision_is_unknown():
    assert "KB5000000" in parse_version("1809-KB5000000").warnings[0]


def test_a_paste_up_to_64_kib_is_read(data_dir):
    text = (data_dir / "pastes" / "kubectl-describe-node_ws2019.txt").read_text()
    padded = text + "\n" + ("# " + "x" * 98 + "\n") * ((MAX_INPUT - len(text) - 200) // 101)
    assert 60_000 < len(padded.encode()) <= MAX_INPUT
    assert parse_version(padded).version == V(10, 0, 17763, 8389)
    with pytest.raises(InvalidVersion, match="bytes"):
        parse_version(padded + "y" * 1024)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("10.0.17763\x00.5329", id="nul"),
        pytest.param("10.0.17763.5329\x00", id="trailing-nul"),
        pytest.param("10.0.\x1b[31m17763", id="escape"),
        pytest.param("10.0.17763.53\x0729", id="bell"),
    ],
)
def test_control_characters_are_refused_not_cut(text):
    with pytest.raises(InvalidVersion, match="control character"):
        parse_version(text)


def test_a_ws2016_docker_info_is_a_server_with_its_revision_unknown(data_dir):
    sample = (data_dir / "public" / "docker-info_docker-cli-docs_windows-samples.txt").read_text()
    host, notes = host_from_text(sample.split("=====")[2])
    assert (host.version, host.kind) == (V(10, 0, 14393), "server")
    assert any("revision is unknown" in n and "`ver`" in n for n in notes)
