"""Rebuild remedies name tags that exist: the pure check against a tag list, then /compat
against the real registry, whose tag list says which tags the repository publishes."""

from __future__ import annotations

import pytest
from registry_harness import config_for

from service.advice.listed import Listed, published
from service.app import create_app

SUFFIXED = ["4.8-windowsservercore-ltsc2019", "4.8-20240910-windowsservercore-ltsc2022"]


@pytest.mark.parametrize(
    ("wanted", "tags", "host_revision", "expected"),
    [
        pytest.param(
            "ltsc2022", ["ltsc2019", "ltsc2022"], None, Listed("ltsc2022", True), id="listed"
        ),
        pytest.param(
            "ltsc2022",
            ["ltsc2019", "10.0.20348.2700", "10.0.20348.3000"],
            2800,
            Listed("10.0.20348.2700", True, "ltsc2022"),
            id="newest-pinned-not-newer-than-host",
        ),
        pytest.param(
            "4.8-windowsservercore-ltsc2022",
            SUFFIXED,
            None,
            Listed(
                "4.8-20240910-windowsservercore-ltsc2022", True, "4.8-windowsservercore-ltsc2022"
            ),
            id="same-family-dated",
        ),
        pytest.param(
            "ltsc2022",
            ["4.8-windowsservercore-ltsc2022"],
            None,
            Listed("ltsc2022", False),
            id="other-family-does-not-count",
        ),
        pytest.param(
            "ltsc2022-amd64",
            ["ltsc2022-arm64", "ltsc2022"],
            None,
            Listed("ltsc2022-amd64", False),
            id="other-architecture-does-not-count",
        ),
        pytest.param(
            "10.0.14393.1914",
            ["ltsc2016", "10.0.14393.1944"],
            1914,
            Listed("10.0.14393.1914", False),
            id="ws2016-revision-is-never-swapped",
        ),
        pytest.param("ltsc2025", [], None, Listed("ltsc2025", False), id="empty-list"),
    ],
)
def test_published(wanted, tags, host_revision, expected):
    assert published(wanted, tags, host_revision) == expected


@pytest.fixture(scope="module")
def aspnet(registry):
    """A dotnet/framework-style repository: suffixed families, a dated WS2022 tag only."""
    repo = registry.new_repo("dotnet/framework/aspnet")
    registry.push_mcr_base(repo, SUFFIXED[0], "10.0.17763.5329")
    registry.push_mcr_base(repo, SUFFIXED[1], "10.0.20348.2700")
    return repo


def _rebuild(client, image: str, host: str) -> dict:
    r = client.get("/compat", query_string={"image": image, "host": host})
    assert r.status_code == 200, r.json
    return next(x for x in r.json["remedies"] if x["action"] == "rebuild")


def test_compat_names_the_published_tag_of_the_family(registry, aspnet):
    client = create_app(config_for(registry)).test_client()
    rebuild = _rebuild(client, f"{registry.host}/{aspnet}:{SUFFIXED[0]}", "10.0.20348.2700")
    assert rebuild["fields"]["tag"] == SUFFIXED[1]
    assert rebuild["fields"]["tag_published"] is True
    assert rebuild["fields"]["instead_of"] == "4.8-windowsservercore-ltsc2022"
    assert rebuild["detail"].startswith(f"FROM {registry.host}/{aspnet}:{SUFFIXED[1]}")


def test_compat_says_when_no_published_tag_fits(registry):
    repo = registry.new_repo("dotnet/framework/runtime")
    registry.push_mcr_base(repo, "4.8-windowsservercore-ltsc2019", "10.0.17763.5329")
    client = create_app(config_for(registry)).test_client()
    rebuild = _rebuild(
        client, f"{registry.host}/{repo}:4.8-windowsservercore-ltsc2019", "10.0.20348.2700"
    )
    assert rebuild["fields"]["tag_published"] is False
    assert "not in the repository's tag list" in rebuild["detail"]


class Listing:
    """What Resolver.tags returns: the repository's tags (a unit test of the replacement)."""

    def __init__(self, tags):
        self.tags, self.truncated = tuple(tags), False


def test_own_from_advice_names_the_replacement_everywhere():
    from service.compat.assessment import assess
    from service.compat.hosts import host_from_text
    from service.compat.versions import parse_version
    from service.questions.published import checked

    host, _ = host_from_text("10.0.20348.2700")
    image = parse_version("10.0.17763.5329").version
    a = assess(host, image, repository="127.0.0.1:5000/team/app")
    (rebuild,) = [r for r in a.remedies if r.action == "rebuild"]
    assert "ltsc2022 tag" in rebuild.detail  # own FROM advice names the base tag twice

    class Resolver:
        def tags(self, ref):
            assert str(ref).endswith("windows/servercore:ltsc2022")
            return Listing(["ltsc2019", "10.0.20348.2700"])

    fixed = next(
        r for r in checked(a, Resolver(), lambda _: True).remedies if r.action == "rebuild"
    )
    assert fixed.fields["tag"] == "10.0.20348.2700" and fixed.fields["instead_of"] == "ltsc2022"
    assert "ltsc2022" not in fixed.detail and "10.0.20348.2700 tag" in fixed.detail
