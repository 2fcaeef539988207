"""The runtime table (runtimes.md) against the runtimes' own published test tables, then the
spec's rows: which entry each runtime pulls, and whether it starts.

Published tables, copied as data (host build, image build, expected):
- hcsshim osversion/platform_compat_windows_test.go Test_PlatformCompat, at bacda396 (hcsshim
  >= 0.13, containerd >= 2.2) and at 640a5606 (hcsshim 0.10 - 0.12, containerd 1.7.6 - 2.1);
- containerd/platforms platform_windows_compat_test.go Test_PlatformCompat and
  Test_PlatformOrder, defaults_test.go TestMatchComparerMatch_ABICheckWCOW and
  TestWindowsMatchComparerLess (containerd >= 2.2);
- containerd/containerd platforms/defaults_windows_test.go TestMatchComparerLess (the prefix
  matcher and revision sort of containerd <= 2.1)."""

from __future__ import annotations

import pytest

from service.compat import runtimes
from service.compat.hosts import make_host
from service.compat.image import Platform
from service.compat.runtimes import (
    BY_ID,
    Seen,
    by_revision,
    by_string,
    choose,
    match_abi_2022,
    match_abi_ltsc,
    match_docker,
    match_prefix,
    runtime_for,
)
from service.compat.versions import WindowsVersion, parse_version

RS5, LTSC2019, LTSC2022, WIN11_22H2, V23H2, LTSC2025 = 17763, 17763, 20348, 22621, 25398, 26100


def v(build: int, revision: int | None = None) -> WindowsVersion:
    return WindowsVersion(10, 0, build, revision)


def ver(build: int) -> str:
    return f"10.0.{build}"


HCSSHIM_BACDA396 = [
    (LTSC2019, LTSC2019, True),
    (LTSC2019, LTSC2022, False),
    (LTSC2022, LTSC2019, False),
    (LTSC2022, LTSC2022, True),
    (WIN11_22H2, LTSC2019, False),
    (WIN11_22H2, LTSC2022, True),
    (LTSC2025, LTSC2022, True),
    (LTSC2022, LTSC2025, False),
    (LTSC2022, WIN11_22H2, False),
    (LTSC2025, WIN11_22H2, True),
]
# containerd/platforms has the same rows plus the 23H2 ones.
PLATFORMS_COMPAT = [*HCSSHIM_BACDA396, (V23H2, LTSC2019, False), (V23H2, LTSC2022, True)]
HCSSHIM_640A5606 = [
    (RS5, RS5, True),
    (RS5, LTSC2022, False),
    (LTSC2022, RS5, False),
    (LTSC2022, LTSC2022, True),
    (WIN11_22H2, RS5, False),
    (WIN11_22H2, LTSC2022, True),
]
ABI_CHECK_WCOW = [
    (LTSC2019, ver(LTSC2019), True),
    (LTSC2019, ver(LTSC2022), False),
    (LTSC2022, ver(LTSC2019), False),
    (LTSC2022, ver(LTSC2022), True),
    (WIN11_22H2, ver(LTSC2019), False),
    (WIN11_22H2, ver(LTSC2022), True),
    (LTSC2022, "", True),  # an entry without os.version matches any host
]


def _ids(rows):
    return [f"host{h}-image{i}" for h, i, _ in rows]


@pytest.mark.parametrize(("hb", "ib", "runs"), PLATFORMS_COMPAT, ids=_ids(PLATFORMS_COMPAT))
def test_containerd_22_platform_compat(hb, ib, runs):
    assert match_abi_ltsc(v(hb), ver(ib)) is runs


@pytest.mark.parametrize(("hb", "ib", "runs"), HCSSHIM_BACDA396, ids=_ids(HCSSHIM_BACDA396))
def test_hcsshim_013_platform_compat(hb, ib, runs):
    assert match_abi_ltsc(v(hb), ver(ib)) is runs


@pytest.mark.parametrize(("hb", "ib", "runs"), HCSSHIM_640A5606, ids=_ids(HCSSHIM_640A5606))
def test_hcsshim_010_platform_compat(hb, ib, runs):
    assert match_abi_2022(v(hb), ver(ib)) is runs


@pytest.mark.parametrize(("hb", "image", "runs"), ABI_CHECK_WCOW, ids=_ids(ABI_CHECK_WCOW))
@pytest.mark.parametrize("matcher", [match_abi_ltsc, match_abi_2022], ids=["2.2", "1.7"])
def test_match_comparer_abi_check_wcow(matcher, hb, image, runs):
    assert matcher(v(hb), image) is runs


def seen(*versions: str) -> list[Seen]:
    return [Seen(i, "windows", "amd64", text) for i, text in enumerate(versions)]


def go_sort(runtime_id: str, host: WindowsVersion, entries: list[Seen]) -> list[str]:
    """sort.SliceStable with the runtime's Less: matching entries by its order, then the
    rest in list order."""
    runtime = BY_ID[runtime_id]
    matching = [e for e in entries if runtime.matches(host, e.os_version)]
    rest = [e for e in entries if not runtime.matches(host, e.os_version)]
    return [e.os_version for e in [*runtime.order(host, matching), *rest]]


LESS_INPUT = ("10.0.17764.1", "", "10.0.17763.1", "10.0.17763.2", "10.0.17762.1")
LESS_EXPECTED = ["10.0.17763.2", "10.0.17763.1", "", "10.0.17764.1", "10.0.17762.1"]


@pytest.mark.parametrize("runtime_id", ["containerd-2.2", "containerd-1.7", "containerd-1.6"])
def test_windows_match_comparer_less(runtime_id):
    # TestWindowsMatchComparerLess (platforms, 2.2) and TestMatchComparerLess (containerd 1.x)
    assert go_sort(runtime_id, v(17763, 1), seen(*LESS_INPUT)) == LESS_EXPECTED


PLATFORM_ORDER = [
    pytest.param(
        v(20348, 3091), ("", "10.0.20348.3091", "10.0.26100.2894"), "10.0.20348.3091", id="2022"
    ),
    pytest.param(
        v(26100, 2894), ("", "10.0.20348.3091", "10.0.26100.2894"), "10.0.26100.2894", id="2025"
    ),
    pytest.param(
        v(26100, 2894),
        ("", "10.0.20348.3091", "10.0.26100.3000"),
        "10.0.26100.3000",
        id="2025-latest-rev",
    ),
]


@pytest.mark.parametrize(("host", "versions", "wanted"), PLATFORM_ORDER)
def test_platform_order(host, versions, wanted):
    # Test_PlatformOrder: the first entry is linux; here it is the one without os.version,
    # as the Linux entry never matches a Windows host.
    entries = [Seen(0, "linux", "amd64", ""), *seen(*versions[1:])]
    entries = [Seen(i, e.os, e.architecture, e.os_version) for i, e in enumerate(entries)]
    assert choose(BY_ID["containerd-2.2"], host, entries, "amd64").os_version == wanted


# ---- the spec's table: which builds each runtime accepts, per host -----------------------
ACCEPTS = {
    # host build: {runtime: image builds it accepts of 26100, 20348, 17763}
    26100: {
        "containerd-2.2": {26100, 20348},
        "containerd-1.7": {26100, 20348},
        "containerd-1.6": {26100},
        "docker": {26100, 20348, 17763},
    },
    25398: {
        "containerd-2.2": {20348},
        "containerd-1.7": {20348},
        "containerd-1.6": set(),
        "docker": {20348, 17763},
    },
    26200: {
        "containerd-2.2": {26100},
        "containerd-1.7": {26100, 20348},
        "containerd-1.6": set(),
        "docker": {26100, 20348, 17763},
    },
    20348: {
        "containerd-2.2": {20348},
        "containerd-1.7": {20348},
        "containerd-1.6": {20348},
        "docker": {20348, 17763},
    },
    17763: {
        "containerd-2.2": {17763},
        "containerd-1.7": {17763},
        "containerd-1.6": {17763},
        "docker": {17763},
    },
}
MATRIX = [
    pytest.param(hb, rid, ib, ib in accepted, id=f"{rid}-host{hb}-image{ib}")
    for hb, rows in ACCEPTS.items()
    for rid, accepted in rows.items()
    for ib in (26100, 20348, 17763)
]


@pytest.mark.parametrize(("hb", "rid", "ib", "accepts"), MATRIX)
def test_each_runtime_accepts_what_the_table_says(hb, rid, ib, accepts):
    assert BY_ID[rid].matches(v(hb), f"10.0.{ib}.1000") is accepts


@pytest.mark.parametrize(
    ("host", "image", "accepts"),
    [
        ("10.0.17763", "10.0.17763.5329", True),
        ("10.0.17763", "10.0.177630.1", True),  # a literal string prefix, as containerd does
        ("10.0.17763", "10.0.1776.1", False),
        ("10.0.17763", "", True),
    ],
)
def test_prefix_matcher_is_a_string_prefix(host, image, accepts):
    assert match_prefix(parse_version(host).version, image) is accepts


@pytest.mark.parametrize(
    ("image", "accepts"),
    [("10.0.20349.1", False), ("10.0.20348.99999", True), ("", True), ("windows", True)],
)
def test_docker_refuses_only_newer_builds(image, accepts):
    assert match_docker(v(20348, 5), image) is accepts


SORTS = [
    # sort, entries, the winner
    pytest.param(
        by_revision, ("10.0.26100.3194", "10.0.20348.3207"), "10.0.20348.3207", id="11366"
    ),
    pytest.param(by_string, ("10.0.26100.3194", "10.0.20348.3207"), "10.0.26100.3194", id="22"),
    pytest.param(
        by_string, ("10.0.26100.32230", "10.0.26100.7462"), "10.0.26100.7462", id="string-trap"
    ),
    pytest.param(
        by_revision, ("10.0.26100.7462", "10.0.26100.32230"), "10.0.26100.32230", id="int-rev"
    ),
    pytest.param(by_revision, ("", "", "10.0.17763.0"), "", id="stable-first-unversioned"),
]


@pytest.mark.parametrize(("order", "versions", "winner"), SORTS)
def test_sorts(order, versions, winner):
    assert order(v(26100), seen(*versions))[0].os_version == winner


def test_docker_prefers_the_host_build_else_list_order():
    entries = seen("10.0.17763.5329", "10.0.20348.2113", "10.0.20348.9")
    chosen = choose(BY_ID["docker"], v(20348, 5), entries, "amd64")
    assert chosen.index == 1  # host build first, keeping list order among them
    older = choose(BY_ID["docker"], v(25398, 5), entries, "amd64")
    assert older.index == 0  # no 25398 entry: the first acceptable one, not the best


def platform(os_version: str | None, source: str = "index", digest: str = "") -> Platform:
    name = digest or f"sha256:{(os_version or 'none').replace('.', '')}"
    return Platform("windows", "amd64", os_version, name, None, source)


def test_unversioned_index_entries_are_pulled_first_come():
    # The index lacks os.version; wincompat read 17763 and 20348 from the configs.
    platforms = (platform("10.0.17763.5329", "config"), platform("10.0.20348.2113", "config"))
    host = make_host(parse_version("10.0.20348.2700"))
    outcomes = runtimes.outcomes_for_platforms(host, platforms)
    for o in outcomes.values():
        assert (o.entry, o.os_version, o.starts) == (0, "10.0.17763.5329", False)
        assert "same build" in o.detail
    note = runtimes.unversioned_note(platforms, outcomes)
    assert "no os.version for 2 Windows entries" in note and "entry 0" in note


def test_a_single_manifest_is_matched_on_its_config_version():
    platforms = (platform("10.0.26100.1", "config"),)
    host = make_host(parse_version("10.0.20348.2700"))
    listed = runtimes.outcomes_for_platforms(host, platforms, listed=True)
    single = runtimes.outcomes_for_platforms(host, platforms, listed=False)
    assert listed["containerd-2.2"].matches is True  # the index said nothing
    assert single["containerd-2.2"].matches is False
    assert "no match for platform in manifest" in single["containerd-2.2"].detail
    assert single["docker"].detail.endswith(
        "a Windows version 10.0.26100-based image is incompatible with a 10.0.20348 host"
    )  # moby's own words for a single image
    assert listed["docker"].matches is True


def test_docker_refuses_a_newer_list_in_its_own_words():
    platforms = (platform("10.0.26100.1"),)
    host = make_host(parse_version("10.0.20348.2700"))
    o = runtimes.outcomes_for_platforms(host, platforms)["docker"]
    assert o.detail.endswith(
        "no matching manifest for windows/amd64 10.0.20348 in the manifest list entries"
    )


def test_docker_on_a_client_judges_hyperv():
    host = make_host(parse_version("10.0.22631.4751"), "client")
    o = runtimes.for_version(BY_ID["docker"], host, v(17763, 5329))
    assert (o.matches, o.starts, o.isolation) == (True, True, "hyperv")
    assert o.detail.startswith("Docker on Windows 10/11 uses Hyper-V isolation")


def test_known_problems_reach_the_runtime_rows():
    host = make_host(parse_version("10.0.26200.7171"), "client")
    rows = runtimes.outcomes_for_version(host, v(26100, 3194))
    assert rows["containerd-2.2"].matches is True and rows["containerd-2.2"].starts is False
    assert rows["containerd-2.2"].judgement.rule == "known-problem:win11-25h2-ltsc2025"
    assert rows["docker"].starts is False  # Hyper-V fails as well


def test_disagreements_name_what_each_runtime_does():
    platforms = (platform("10.0.26100.3194"), platform("10.0.20348.3207"))
    host = make_host(parse_version("10.0.26100.4000"))
    outcomes = runtimes.outcomes_for_platforms(host, platforms)
    notes = runtimes.disagreements(outcomes, 0, True)
    assert "containerd 1.7 on this host will pull the 10.0.20348.3207 entry" in notes[0]
    # containerd 1.6 sorts by revision too, but its prefix matcher sees only the 26100 entry.
    assert len(notes) == 1
    assert runtimes.disagreements(outcomes, 1, True)[0].startswith("containerd 2.2")


NODES = [
    ("containerd://1.7.20", "containerd-1.7"),
    ("containerd://1.7.6", "containerd-1.7"),
    ("containerd://1.7.5", "containerd-1.6"),
    ("containerd://1.6.28", "containerd-1.6"),
    ("containerd://2.0.4", "containerd-1.7"),
    ("containerd://2.1.1", "containerd-1.7"),
    ("containerd://2.2.0", "containerd-2.2"),
    ("containerd://v2.3.1-rc.1", "containerd-2.2"),
    ("docker://20.10.9", "docker"),
    ("cri-o://1.30", None),
    ("containerd://", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "runtime_id"), NODES, ids=[str(t) for t, _ in NODES])
def test_runtime_for_a_nodes_container_runtime_version(text, runtime_id):
    assert runtime_for(text) == runtime_id


# ---- per node: what the fleet code calls with NodeFacts.runtime ----------------------------
NODE_LIST = (
    platform("10.0.26100.3194"),
    platform("10.0.20348.3207"),
    platform("10.0.17763.5329"),
)


@pytest.mark.parametrize(
    ("runtime_version", "pulled", "lead"),
    [
        ("containerd://1.7.20", "10.0.20348.3207", "With containerd 1.7, yes: "),
        ("containerd://2.2.1", "10.0.26100.3194", "With containerd 2.2, yes: "),
        ("docker://20.10.9", "10.0.26100.3194", "With Docker, yes: "),
        (None, "10.0.26100.3194", "Yes: "),  # unknown runtime: the doc's pick
    ],
)
def test_a_node_is_judged_by_its_own_runtime(runtime_version, pulled, lead):
    from service.compat.selection import select_for_node

    host = make_host(parse_version("10.0.26100.4000"))
    chosen = select_for_node(host, NODE_LIST, runtime_version)
    assert chosen.chosen.platform.os_version == pulled
    assert chosen.assessment.summary.startswith(lead)
    assert chosen.assessment.compatible is True


@pytest.mark.parametrize(
    ("runtime_version", "compatible", "lead"),
    [
        ("containerd://1.6.28", False, "No: containerd 1.6 pulls nothing"),
        ("containerd://1.7.20", True, "With containerd 1.7, yes: "),
    ],
)
def test_a_node_version_question_is_judged_by_its_runtime(runtime_version, compatible, lead):
    from service.compat.selection import assess_version_for_node

    host = make_host(parse_version("10.0.26100.4000"))
    a, rows = assess_version_for_node(host, v(20348, 3207), runtime_version)
    assert a.compatible is compatible and a.summary.startswith(lead)
    assert set(rows) == set(BY_ID)
