"""The rules of rules.md §3-5: every public vector, then tables for each exception."""

from __future__ import annotations

from datetime import date

import pytest

from service.compat.assessment import assess, assess_text
from service.compat.hosts import make_host
from service.compat.rules import REASONS, Host, Isolation, Rule, Verdict, judge
from service.compat.versions import WindowsVersion, parse_version

TODAY = date(2026, 11, 29)


def _vectors():
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent / "data" / "vectors" / "public.json"
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    "case",
    _vectors(),
    ids=lambda c: f"{c['host']}-{c['host_kind']}-{c['image']}-{c['isolation']}",
)
def test_public_vector(case):
    a = assess_text(case["host"], case["image"], case["host_kind"], today=TODAY)
    judgement = a.process if case["isolation"] == "process" else a.hyperv
    assert judgement.verdict.value == case["expected"], judgement.reason


def host(text: str, kind: str | None = None) -> Host:
    return make_host(parse_version(text, kind=kind), kind)


def image(text: str) -> WindowsVersion:
    return parse_version(text).version


TABLE = [
    # host, kind, image, (process verdict, rule), (hyper-v verdict, rule)
    pytest.param(
        "10.0.14393.1914",
        "server",
        "10.0.14393.1944",
        ("unsupported", "exact-revision"),
        ("supported", "hyperv-older"),
        id="ws2016-older-host-revision",
    ),
    pytest.param(
        "10.0.14393.1944",
        "server",
        "10.0.14393.1944",
        ("supported", "same-build"),
        ("supported", "hyperv-older"),
        id="ws2016-same-revision",
    ),
    pytest.param(
        "10.0.14393",
        "server",
        "10.0.14393.1944",
        ("unknown", "revision-missing"),
        ("supported", "hyperv-older"),
        id="ws2016-host-revision-unknown",
    ),
    pytest.param(
        "10.0.14393.1944",
        "server",
        "10.0.14393",
        ("unknown", "revision-missing"),
        ("supported", "hyperv-older"),
        id="ws2016-image-revision-unknown",
    ),
    pytest.param(
        "10.0.17763.1039",
        "server",
        "10.0.17763.1040",
        ("supported", "same-build"),
        ("supported", "hyperv-older"),
        id="ws2019-both-after-baseline",
    ),
    pytest.param(
        "10.0.17763.1038",
        "server",
        "10.0.17763.1040",
        ("unsupported", "baseline"),
        ("supported", "hyperv-older"),
        id="ws2019-host-before-image-after",
    ),
    pytest.param(
        "10.0.17763.1038",
        "server",
        "10.0.17763.1039",
        ("supported", "same-build"),
        ("supported", "hyperv-older"),
        id="ws2019-both-before-baseline",
    ),
    pytest.param(
        "10.0.17763.1039",
        "server",
        "10.0.17763.1039",
        ("unsupported", "baseline"),
        ("supported", "hyperv-older"),
        id="ws2019-host-after-image-before",
    ),
    pytest.param(
        "10.0.17763",
        "server",
        "10.0.17763.1040",
        ("supported", "same-build"),
        ("supported", "hyperv-older"),
        id="ws2019-host-revision-unknown",
    ),
    pytest.param(
        "10.0.17763.5329",
        "server",
        "10.0.17763.9999",
        ("supported", "same-build"),
        ("supported", "hyperv-older"),
        id="ws2019-newer-image-revision",
    ),
    pytest.param(
        "10.0.25398.950",
        "server",
        "10.0.20348.2227",
        ("supported", "stable-abi"),
        ("supported", "hyperv-older"),
        id="23h2-runs-ws2022",
    ),
    pytest.param(
        "10.0.25398.950",
        "server",
        "10.0.17763.5329",
        ("unsupported", "different-build"),
        ("unsupported", "hyperv-only"),
        id="23h2-refuses-ws2019",
    ),
    pytest.param(
        "10.0.25398.950",
        "server",
        "10.0.14393.3204",
        ("unsupported", "different-build"),
        ("unsupported", "hyperv-only"),
        id="23h2-refuses-ws2016",
    ),
    pytest.param(
        "10.0.26100.1",
        "server",
        "10.0.20348.9",
        ("supported", "stable-abi"),
        ("supported", "hyperv-older"),
        id="ws2025-runs-ws2022-stable-abi",
    ),
    pytest.param(
        "10.0.20348.1",
        "server",
        "10.0.26100.1",
        ("unsupported", "newer-image"),
        ("unsupported", "newer-image"),
        id="ws2022-refuses-newer-ws2025",
    ),
    pytest.param(
        "10.0.19041.1",
        "client",
        "10.0.19041.1",
        ("supported", "win10-same-build"),
        ("supported", "hyperv-older"),
        id="win10-2004-same-build",
    ),
    pytest.param(
        "10.0.19042.1",
        "client",
        "10.0.19042.1",
        ("supported", "win10-same-build"),
        ("supported", "hyperv-older"),
        id="win10-20h2-same-build",
    ),
    pytest.param(
        "10.0.18363.1",
        "client",
        "10.0.18363.1",
        ("unsupported", "win10-other"),
        ("supported", "hyperv-older"),
        id="win10-1909-no-process",
    ),
    pytest.param(
        "10.0.19044.1",
        "client",
        "10.0.19041.1",
        ("unsupported", "win10-other"),
        ("supported", "hyperv-older"),
        id="win10-21h2-refuses-2004-image",
    ),
    pytest.param(
        "10.0.26200.1",
        "client",
        "10.0.20348.1",
        ("preview", "win11-preview"),
        ("supported", "hyperv-older"),
        id="win11-25h2-ws2022-preview",
    ),
    pytest.param(
        "10.0.22000.1",
        "client",
        "10.0.17763.1",
        ("unsupported", "win11-other"),
        ("supported", "hyperv-older"),
        id="win11-refuses-ws2019-process",
    ),
    pytest.param(
        "6.3.9600",
        "server",
        "10.0.14393.1",
        ("unsupported", "major-minor"),
        ("unsupported", "major-minor"),
        id="ws2012r2-other-major-minor",
    ),
    pytest.param(
        "10.0.27000.1",
        "server",
        "10.0.26100.1",
        ("unsupported", "different-build"),
        ("supported", "hyperv-older"),
        id="unknown-host-build-older-image",
    ),
    pytest.param(
        "10.0.27000.1",
        "server",
        "10.0.27000.5",
        ("supported", "same-build"),
        ("supported", "hyperv-older"),
        id="unknown-build-same-build",
    ),
    pytest.param(
        "10.0.26100.1",
        "client",
        "10.0.26100.1",
        ("supported", "win11-supported"),
        ("supported", "hyperv-older"),
        id="win11-24h2-ws2025",
    ),
]


@pytest.mark.parametrize(("h", "kind", "i", "process", "hyperv"), TABLE)
def test_rules_table(h, kind, i, process, hyperv):
    hst, img = host(h, kind), image(i)
    for mode, (verdict, rule) in ((Isolation.PROCESS, process), (Isolation.HYPERV, hyperv)):
        judged = judge(hst, img, mode)
        assert (judged.verdict.value, judged.rule) == (verdict, rule), judged.reason


def test_every_rule_id_has_a_reason_and_the_ids_are_stable():
    # The ids are the API's contract: a renamed id breaks clients, so they are spelled here.
    assert {r.value for r in Rule} == {
        "major-minor", "newer-image", "hyperv-older", "hyperv-only", "same-build", "stable-abi",
        "different-build", "exact-revision", "revision-missing", "baseline", "win11-preview",
        "win11-supported", "win11-other", "win10-same-build", "win10-other", "not-windows",
        "other-architecture", "no-os-version", "linux-image",
    }  # fmt: skip
    judged_by_rules = set(Rule) - {
        Rule.NOT_WINDOWS,
        Rule.OTHER_ARCHITECTURE,
        Rule.NO_OS_VERSION,
        Rule.LINUX_IMAGE,
    }
    assert set(REASONS) == judged_by_rules


def test_reason_names_both_releases():
    j = judge(host("10.0.20348.1"), image("10.0.17763.1"), "process")
    assert j.reason == (
        "Process isolation needs the same build: image 17763 (Windows Server 2019), "
        "host 20348 (Windows Server 2022)."
    )


def test_single_kind_builds_ignore_a_contradicting_host_type_with_a_warning():
    a = assess_text("10.0.22631.4751", "10.0.20348.1", host_type="server", today=TODAY)
    assert a.host.kind == "client"
    assert a.process.verdict is Verdict.PREVIEW
    assert any("host_type says server" in w for w in a.warnings)


def test_product_name_in_text_sets_the_kind_of_a_dual_build():
    a = assess_text("Windows 10 Pro Version 2004 (OS Build 19041.1415)", "10.0.19041.1")
    assert a.host.kind == "client"
    assert assess_text("10.0.19041.1415", "10.0.19041.1").host.kind == "server"


def test_stale_revision_and_baseline_warnings():
    a = assess_text("10.0.17763.100", "10.0.17763.200", today=TODAY)
    assert any("newer than the host's" in w and "update the host" in w for w in a.warnings)
    b = assess_text("10.0.17763", "10.0.17763.5329", today=TODAY)
    assert any("taken as after the February 2020" in w for w in b.warnings)
    # The assumption itself decides here: say so beside the unsupported verdict.
    c = assess_text("10.0.17763", "10.0.17763.1000", today=TODAY)
    assert c.process.verdict is Verdict.UNSUPPORTED
    assert any("host revision is unknown and was taken as after" in w for w in c.warnings)


@pytest.mark.parametrize(
    ("h", "kind", "i", "needle"),
    [
        ("10.0.26200.1", "client", "10.0.20348.1", "containerd 2.2+"),
        ("10.0.22621.1", "client", "10.0.20348.1", "preview"),
        ("10.0.17763.1", "client", "10.0.17763.1", "does not support it"),
        ("10.0.19045.1", "client", "10.0.19041.1", "2004 images are unsupported"),
        ("10.0.25398.1", "server", "10.0.17763.1", "23H2 is a container host only"),
    ],
)
def test_settled_disagreements_warn(h, kind, i, needle):
    a = assess_text(h, i, kind, today=TODAY)
    assert any(needle in w for w in a.warnings), a.warnings


REMEDIES = [
    # host, kind, image, expected rebuild tag (None: no rebuild), hyperv remedy?, schedule?
    ("10.0.20348.2227", "server", "10.0.17763.5329", "ltsc2022", True, True),
    ("10.0.25398.950", "server", "10.0.17763.5329", "ltsc2022", False, True),
    ("10.0.26100.1", "server", "10.0.14393.1", "ltsc2025", True, True),
    ("10.0.14393.1914", "server", "10.0.14393.1944", "10.0.14393.1914", True, True),
    # Same build: the build label would select this very host, so no schedule remedy.
    ("10.0.17763.1000", "server", "10.0.17763.5329", "10.0.17763.1000", True, False),
    ("10.0.17763.5329", "server", "10.0.20348.1", "ltsc2019", False, True),
    ("10.0.22631.1", "client", "10.0.17763.1", "ltsc2022", True, False),
    ("10.0.26100.1", "client", "10.0.17763.1", "ltsc2025", True, False),
    ("10.0.19045.1", "client", "10.0.17763.1", None, True, False),
]


@pytest.mark.parametrize(("h", "kind", "i", "tag", "hyperv", "schedule"), REMEDIES)
def test_remedies(h, kind, i, tag, hyperv, schedule):
    a = assess(host(h, kind), image(i), today=TODAY)
    actions = {r.action: r for r in a.remedies}
    assert (actions["rebuild"].fields["tag"] if "rebuild" in actions else None) == tag
    assert ("hyperv" in actions) is hyperv
    assert ("schedule" in actions) is schedule
    if schedule:
        selector = actions["schedule"].fields["node_selector"]
        if image(i).build == host(h, kind).build:  # 14393: the revision, not just the build
            assert selector == {"wincompat/os-version": str(image(i))}
        else:
            assert selector == {"node.kubernetes.io/windows-build": f"10.0.{image(i).build}"}


def test_no_remedies_when_process_is_supported():
    assert assess(host("10.0.20348.5"), image("10.0.20348.1"), today=TODAY).remedies == ()


def test_update_host_remedies():
    a = assess(host("10.0.14393.1914"), image("10.0.14393.1944"), today=TODAY)
    assert a.remedies[0].detail == "FROM mcr.microsoft.com/windows/servercore:10.0.14393.1914"
    assert a.remedies[1].detail == "update the host to 10.0.14393.1944"
    b = assess(host("10.0.17763.1000"), image("10.0.17763.5329"), today=TODAY)
    assert "KB4532691" in b.remedies[0].detail


@pytest.mark.parametrize(
    ("h", "kind", "i", "start", "recommended"),
    [
        ("10.0.20348.5", "server", "10.0.20348.1", "Yes: ", "process"),
        ("10.0.20348.5", "server", "10.0.17763.1", "Yes, with Hyper-V isolation only", "hyperv"),
        ("10.0.22621.5", "client", "10.0.20348.1", "Yes, with Hyper-V isolation only", "hyperv"),
        ("10.0.17763.5", "server", "10.0.20348.1", "No: ", None),
        ("10.0.14393", "server", "10.0.14393.5", "Yes, with Hyper-V isolation: ", "hyperv"),
    ],
)
def test_summary_and_recommendation(h, kind, i, start, recommended):
    a = assess(host(h, kind), image(i), today=TODAY)
    assert a.summary.startswith(start)
    assert a.summary.count(". ") == 0 and a.summary.endswith(".")  # one sentence
    assert a.recommended_isolation == recommended
    assert a.compatible is (recommended is not None)


def test_process_failure_summary_names_the_hcs_error():
    a = assess(host("10.0.20348.5"), image("10.0.17763.1"), today=TODAY)
    assert "0xc0370101" in a.summary


def test_out_of_support_releases_are_warned():
    a = assess_text("10.0.19045.1", "10.0.17763.1", "client", today=TODAY)
    assert any("out of support since 2025-10-14" in w for w in a.warnings)
