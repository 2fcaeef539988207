"""Remedies that point the right way: no downgrade advice, a schedule that cannot pick the
failing host, rebuild tags in the image's own family, tags spelled as published."""

from __future__ import annotations

from datetime import date

import pytest

from service.compat.assessment import assess
from service.compat.hosts import make_host
from service.compat.rules import Host
from service.compat.versions import parse_version

TODAY = date(2026, 12, 1)
MCR = "mcr.microsoft.com/windows"


def _assess(h: str, i: str, kind: str = "server", repository: str = f"{MCR}/servercore"):
    host = make_host(parse_version(h, kind=kind), kind)
    return assess(host, parse_version(i).version, today=TODAY, repository=repository)


def _actions(a) -> dict:
    return {r.action: r for r in a.remedies}


def test_ws2016_host_newer_than_image_rebuilds_on_the_host_revision_first():
    # Seed example 1, the other way round: the host moved on to KB4053579 (.1944).
    a = _assess("10.0.14393.1944", "10.0.14393.1770")
    assert a.remedies[0].action == "rebuild"
    assert a.remedies[0].fields["tag"] == "10.0.14393.1944"
    assert "update-host" not in _actions(a)  # never a downgrade


def test_ws2016_image_newer_than_host_may_update_the_host_after_the_rebuild():
    a = _assess("10.0.14393.1770", "10.0.14393.1944")
    assert [r.action for r in a.remedies][:2] == ["rebuild", "update-host"]
    assert _actions(a)["update-host"].fields["host_version"] == "10.0.14393.1944"


def test_ws2016_schedule_selects_the_image_revision_not_the_build():
    a = _assess("10.0.14393.1944", "10.0.14393.1770")
    fields = _actions(a)["schedule"].fields
    assert fields["node_selector"] == {"wincompat/os-version": "10.0.14393.1770"}
    assert fields["swarm_constraint"] == "node.labels.OsVersion==10.0.14393.1770"
    assert "10.0.14393.1944" not in _actions(a)["schedule"].detail


@pytest.mark.parametrize(
    ("h", "i"),
    [
        pytest.param("10.0.17763.1000", "10.0.17763.5329", id="17763-baseline"),
        pytest.param("10.0.14393.1944", "10.0.14393", id="14393-image-revision-unknown"),
    ],
)
def test_no_schedule_that_would_select_the_failing_host(h, i):
    assert "schedule" not in _actions(_assess(h, i))


@pytest.mark.parametrize(
    ("repository", "host", "expected"),
    [
        pytest.param(f"{MCR}/nanoserver", "10.0.20348.5", f"{MCR}/nanoserver:ltsc2022", id="nano"),
        pytest.param(
            f"{MCR}/nanoserver", "10.0.17763.5329", f"{MCR}/nanoserver:1809", id="nano-1809"
        ),
        pytest.param(
            f"{MCR}/nanoserver", "10.0.14393.5", f"{MCR}/nanoserver:10.0.14393.5", id="nano-2016"
        ),
        pytest.param(f"{MCR}/server", "10.0.26100.5", f"{MCR}/server:ltsc2025", id="server"),
        pytest.param(f"{MCR}", "10.0.17763.5329", f"{MCR}:ltsc2019", id="windows"),
        pytest.param(f"{MCR}/servercore", "10.0.19042.5", f"{MCR}/servercore:20H2", id="20H2"),
        pytest.param(f"{MCR}/nanoserver", "10.0.19042.5", f"{MCR}/nanoserver:20H2", id="nano-20H2"),
    ],
)
def test_rebuild_keeps_the_image_family(repository, host, expected):
    a = _assess(host, "10.0.14393.1", repository=repository)
    rebuild = _actions(a)["rebuild"]
    assert rebuild.fields["base_image"] == expected
    assert rebuild.detail == f"FROM {expected}"


def test_a_family_without_the_tag_falls_back_to_servercore_and_says_so():
    a = _assess("10.0.17763.5329", "10.0.14393.1", repository=f"{MCR}/server")
    rebuild = _actions(a)["rebuild"]
    assert rebuild.fields["base_image"] == f"{MCR}/servercore:ltsc2019"
    assert "windows/server has no Windows Server 2019 tag" in rebuild.detail


def test_an_image_outside_the_base_repositories_gets_the_tag_for_its_own_from():
    a = _assess("10.0.20348.5", "10.0.17763.1", repository="contoso.azurecr.io/app")
    rebuild = _actions(a)["rebuild"]
    assert rebuild.fields["own_from"] is True
    assert rebuild.detail.startswith("rebuild contoso.azurecr.io/app on a base of build 20348")
    assert f"FROM {MCR}/servercore:ltsc2022" in rebuild.detail


def test_no_hyperv_remedy_for_a_caller_without_hyperv():
    host = Host(parse_version("10.0.20348.5").version, "server")
    image = parse_version("10.0.17763.1").version
    assert "hyperv" in _actions(assess(host, image, today=TODAY))
    assert "hyperv" not in _actions(assess(host, image, today=TODAY, isolation="process"))
