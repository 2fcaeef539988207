"""Every host shape of rules.md §1, as a table; malformed input as a table of errors."""

from __future__ import annotations

import pytest

from service.compat import catalog
from service.compat.versions import InvalidVersion, WindowsVersion, parse_version

V = WindowsVersion

SHAPES = [
    # text, version, shape, kind hint
    ("10.0.20348.2113", V(10, 0, 20348, 2113), "full", None),
    ("10.0.26100.32230", V(10, 0, 26100, 32230), "full", None),
    ("10.0.17763", V(10, 0, 17763), "no-revision", None),
    ("20348", V(10, 0, 20348), "build", None),
    ("20348.2113", V(10, 0, 20348, 2113), "build", None),
    ("  10.0.17763.437\n", V(10, 0, 17763, 437), "full", None),
    ("Microsoft Windows [Version 10.0.16299.125]", V(10, 0, 16299, 125), "ver", None),
    (
        "Microsoft Windows [Version 10.0.16299.125]\n(c) 2017 Microsoft Corporation.",
        V(10, 0, 16299, 125),
        "ver",
        None,
    ),
    (
        "Microsoft Windows Server Version 21H2 (OS Build 20348.169)",
        V(10, 0, 20348, 169),
        "os-build",
        "server",
    ),
    (
        "Operating System: Windows 10 Pro Version 2004 (OS Build 19041.1415)",
        V(10, 0, 19041, 1415),
        "os-build",
        "client",
    ),
    (
        "14393.321.amd64fre.rs1_release_inmarket.161004-2338",
        V(10, 0, 14393),
        "buildlabex",
        None,
    ),
    (
        "10.0 17763 (17763.1.amd64fre.rs5_release.180914-1434)",
        V(10, 0, 17763),
        "kernel-version",
        None,
    ),
    (
        "Kernel Version: 10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)",
        V(10, 0, 20348),
        "kernel-version",
        None,
    ),
    ("Microsoft Windows NT 10.0.20348", V(10, 0, 20348), "windows-nt", None),
    ("Microsoft Windows NT 10.0.17763.0", V(10, 0, 17763), "windows-nt", None),
    ("Microsoft Windows NT 10.0.17763.1040", V(10, 0, 17763, 1040), "windows-nt", None),
    (
        "AKSWindows-2022-containerd-20348.2655.240814",
        V(10, 0, 20348, 2655),
        "aks-node-image",
        "server",
    ),
    (
        "AKSWindows-23H2-gen2-25398.950.240621",
        V(10, 0, 25398, 950),
        "aks-node-image",
        "server",
    ),
    ("OS Version     : 25398.950", V(10, 0, 25398, 950), "build", None),
    ('"OsVersion": "10.0.17763.1040"', V(10, 0, 17763, 1040), "full", None),
    (
        "Windows Server 2022 Datacenter 10.0.25398.950",  # numbers win over names
        V(10, 0, 25398, 950),
        "full",
        "server",
    ),
    ("6.3.9600", V(6, 3, 9600), "no-revision", None),
]


@pytest.mark.parametrize(("text", "version", "shape", "hint"), SHAPES)
def test_every_shape_parses(text, version, shape, hint):
    parsed = parse_version(text)
    assert (parsed.version, parsed.shape, parsed.kind_hint) == (version, shape, hint)


def test_whole_docker_info_paste_takes_the_os_build_line(data_dir):
    sample = (data_dir / "public" / "docker-info_docker-cli-docs_windows-samples.txt").read_text()
    first = sample.split("=====")[1]  # the Windows Server 2022 sample
    parsed = parse_version(first)
    assert parsed.version == V(10, 0, 20348, 707)
    assert parsed.shape == "os-build"


@pytest.mark.parametrize(
    "text",
    [
        "14393.321.amd64fre.rs1_release_inmarket.161004-2338",
        "10.0 17763 (17763.1.amd64fre.rs5_release.180914-1434)",
    ],
)
def test_build_lab_numbers_are_not_revisions_and_say_so(text):
    parsed = parse_version(text)
    assert parsed.version.revision is None
    assert any("ver" in w and "revision" in w for w in parsed.warnings)


NAMES = [
    # text, kind asked, build, kind
    ("ltsc2022", None, 20348, "server"),
    ("LTSC2019", None, 17763, "server"),
    ("ltsc2016", None, 14393, "server"),
    ("sac2016", None, 14393, "server"),
    ("ltsc2025", None, 26100, "server"),
    ("Windows Server 2022", None, 20348, "server"),
    ("Windows Server 2016 Datacenter", None, 14393, "server"),
    ("Microsoft Windows Server Version 21H2", None, 20348, "server"),
    ("Windows Server, version 1809", None, 17763, "server"),
    ("Windows Server 23H2", None, 25398, "server"),
    ("1809", None, 17763, "server"),
    ("1809", "client", 17763, "client"),
    ("20H2", None, 19042, "server"),
    ("2004", "client", 19041, "client"),
    ("win11-23h2", None, 22631, "client"),
    ("win11-23h2", "server", 22631, "client"),  # the name settles the kind
    ("Windows 11 Pro 24H2", None, 26100, "client"),
    ("Windows 10 22H2", None, 19045, "client"),
    ("win10-21h1", None, 19043, "client"),
    ("23H2", None, 25398, "server"),
    ("23H2", "client", 22631, "client"),
    ("21H2", None, 20348, "server"),
    ("25H2", None, 26200, "client"),
    ("Windows Server 2025", None, 26100, "server"),
]


@pytest.mark.parametrize(("text", "kind", "build", "expected_kind"), NAMES)
def test_release_names_and_tags(text, kind, build, expected_kind):
    parsed = parse_version(text, kind=kind)
    assert parsed.version == V(10, 0, build)
    assert parsed.shape == "release-name"
    assert parsed.kind_hint == expected_kind


@pytest.mark.parametrize("release", catalog.RELEASES, ids=lambda r: f"{r.name}")
def test_every_catalog_name_and_tag_resolves_to_its_build(release):
    for name in (release.name, *release.tags):
        assert parse_version(name, kind=release.kind).version.build == release.build


@pytest.mark.parametrize("text", ["22H2", "21H2"])
def test_ambiguous_client_names_are_errors_naming_both(text):
    with pytest.raises(InvalidVersion, match="ambiguous"):
        parse_version(text, kind="client")


BAD = [
    "",
    "   ",
    "windows/amd64",
    "hyperv",
    "latest",
    "10.0",
    "10.0.12",
    "10.0.17763.5329.1",
    "1234",
    "abc.def.ghi",
    "10.0.99999999999999999999.1",
    "x" * 5000,
    "Windows 12",
    "\x00\x01",
]


@pytest.mark.parametrize("text", BAD)
def test_malformed_versions_are_typed_errors_naming_accepted_shapes(text):
    with pytest.raises(InvalidVersion) as info:
        parse_version(text)
    assert "Accepted shapes" in str(info.value)


def test_comparison_is_by_integers_not_strings():
    newer, older = V(10, 0, 26100, 32230), V(10, 0, 26100, 9999)
    assert newer > older
    assert str(newer) < str(older)  # the trap string comparison falls into
    assert sorted([newer, older], key=lambda v: v.key) == [older, newer]


# In ascending order; an unknown revision sorts before every known revision of its build.
ORDERED = [
    WindowsVersion(6, 3, 9600),
    WindowsVersion(10, 0, 14393),
    WindowsVersion(10, 0, 14393, 0),
    WindowsVersion(10, 0, 14393, 1944),
    WindowsVersion(10, 0, 17763),
    WindowsVersion(10, 0, 17763, 5),
    WindowsVersion(10, 0, 17763, 1039),
    WindowsVersion(10, 0, 17763, 1040),
    WindowsVersion(10, 0, 20348, 2113),
    WindowsVersion(10, 0, 26100, 7462),
    WindowsVersion(10, 0, 26100, 32230),  # five digits: integers, not strings
    WindowsVersion(11, 0, 100),
]


@pytest.mark.parametrize(
    ("left", "right"),
    [(a, b) for a in range(len(ORDERED)) for b in range(len(ORDERED))],
    ids=lambda i: str(ORDERED[i]),
)
def test_every_pair_compares_as_its_position(left, right):
    a, b = ORDERED[left], ORDERED[right]
    assert (a < b, a <= b, a == b, a >= b, a > b, a != b) == (
        left < right,
        left <= right,
        left == right,
        left >= right,
        left > right,
        left != right,
    )


def test_sorting_a_shuffled_list_restores_the_order():
    assert sorted(reversed(ORDERED)) == ORDERED
    assert max(ORDERED[:4]) == WindowsVersion(10, 0, 14393, 1944)
