"""Tag shapes, the published spelling of rebuild tags, and tags/list paging: plain tables."""

from __future__ import annotations

import json

import pytest

from service.advice.shapes import classify
from service.advice.spelling import published_tag, retarget_tag
from service.compat.hosts import host_from_text
from service.compat.remedies import remedies
from service.compat.rules import Isolation, judge
from service.compat.versions import parse_version
from service.registry.tags import list_tags, next_query

SHAPES = [
    # tag, kind, build, revision, kb, family, arch
    ("ltsc2016", "floating", 14393, None, None, "", None),
    ("sac2016", "floating", 14393, None, None, "", None),
    ("ltsc2019", "floating", 17763, None, None, "", None),
    ("ltsc2022", "floating", 20348, None, None, "", None),
    ("ltsc2025", "floating", 26100, None, None, "", None),
    ("1607", "floating", 14393, None, None, "", None),
    ("1709", "floating", 16299, None, None, "", None),
    ("1803", "floating", 17134, None, None, "", None),
    ("1809", "floating", 17763, None, None, "", None),
    ("1903", "floating", 18362, None, None, "", None),
    ("1909", "floating", 18363, None, None, "", None),
    ("2004", "floating", 19041, None, None, "", None),
    ("20H2", "floating", 19042, None, None, "", None),
    ("2009", "floating", 19042, None, None, "", None),
    ("ltsc2022-amd64", "floating", 20348, None, None, "", "amd64"),
    ("10.0.17763.437", "pinned", 17763, 437, None, "", None),
    ("10.0.20348.2582-amd64", "pinned", 20348, 2582, None, "", "amd64"),
    ("1809-KB4493509", "kb", 17763, None, "KB4493509", "", None),
    ("ltsc2022-KB5040437", "kb", 20348, None, "KB5040437", "", None),
    (
        "4.8-windowsservercore-ltsc2022",
        "floating",
        20348,
        None,
        None,
        "4.8-windowsservercore-",
        None,
    ),
    (
        "4.8-20240910-windowsservercore-ltsc2022",
        "dated",
        20348,
        None,
        None,
        "4.8-windowsservercore-",
        None,
    ),
    ("3.12-nanoserver-ltsc2025", "floating", 26100, None, None, "3.12-nanoserver-", None),
    ("lts-nanoserver-1809", "floating", 17763, None, None, "lts-nanoserver-", None),
    ("latest", "unknown", None, None, None, "", None),
    ("4.8", "unknown", None, None, None, "", None),
    ("10.0.20348", "unknown", None, None, None, "", None),
]


@pytest.mark.parametrize(
    ("tag", "kind", "build", "revision", "kb", "family", "arch"), SHAPES, ids=[s[0] for s in SHAPES]
)
def test_classify(tag, kind, build, revision, kb, family, arch):
    shape = classify(tag)
    assert (shape.kind, shape.build, shape.revision, shape.kb, shape.family, shape.arch) == (
        kind,
        build,
        revision,
        kb,
        family,
        arch,
    )
    assert shape.tag == tag  # case as published


@pytest.mark.parametrize(
    ("repository", "tag", "published"),
    [
        ("mcr.microsoft.com/windows/nanoserver", "ltsc2019", "1809"),
        ("mcr.microsoft.com/windows/servercore", "ltsc2019", "ltsc2019"),
        ("mcr.microsoft.com/windows/servercore", "20h2", "20H2"),
        ("mcr.microsoft.com/windows/servercore", "10.0.17763.1040", "10.0.17763.1040"),
        ("mcr.microsoft.com/windows/nanoserver", "ltsc2022", "ltsc2022"),
    ],
    ids=["nanoserver-1809", "servercore-ltsc2019", "20H2-case", "pinned-unchanged", "nano-2022"],
)
def test_published_tag(repository, tag, published):
    assert published_tag(repository, tag) == published


@pytest.mark.parametrize(
    ("image_tag", "target", "expected"),
    [
        ("4.8-windowsservercore-ltsc2019", "ltsc2022", "4.8-windowsservercore-ltsc2022"),
        ("4.8-windowsservercore-ltsc2022", "10.0.17763.1040", "4.8-windowsservercore-ltsc2019"),
        ("3.12-nanoserver-1809-amd64", "ltsc2022", "3.12-nanoserver-ltsc2022-amd64"),
        ("ltsc2022", "20h2", "20H2"),
        (None, "ltsc2025", "ltsc2025"),
    ],
    ids=["dotnet-family", "pinned-into-family", "arch-suffix", "base-case", "no-tag"],
)
def test_retarget_tag(image_tag, target, expected):
    assert retarget_tag(image_tag, target) == expected


@pytest.mark.parametrize(
    ("repository", "host", "image", "tag"),
    [
        ("mcr.microsoft.com/windows/nanoserver", "10.0.17763.5329", "10.0.20348.2700", "1809"),
        ("mcr.microsoft.com/windows/servercore", "10.0.17763.5329", "10.0.20348.2700", "ltsc2019"),
        ("mcr.microsoft.com/windows/servercore", "10.0.19042.1889", "10.0.17763.5329", "20H2"),
    ],
    ids=["nanoserver-keeps-family", "servercore", "20H2-as-published"],
)
def test_compat_remedy_names_the_published_tag(repository, host, image, tag):
    parsed_host, _ = host_from_text(host)
    version = parse_version(image).version
    found = remedies(
        parsed_host,
        version,
        judge(parsed_host, version, Isolation.PROCESS),
        judge(parsed_host, version, Isolation.HYPERV),
        repository,
    )
    rebuild = next(r for r in found if r.action == "rebuild")
    assert rebuild.fields["tag"] == tag
    assert rebuild.fields["base_image"] == f"{repository}:{tag}"


@pytest.mark.parametrize(
    ("link", "query"),
    [
        ('</v2/x/tags/list?n=10&last=b>; rel="next"', "n=10&last=b"),
        ("<https://other.example/v2/x/tags/list?last=c&n=5&evil=1>; rel=next", "last=c&n=5"),
        ('</v2/x/tags/list?n=10&last=b>; rel="prev"', None),
        ("", None),
    ],
    ids=["relative", "absolute-keeps-only-paging", "not-next", "absent"],
)
def test_next_query(link, query):
    assert next_query(link) == query


def test_list_tags_stops_at_the_bounds():
    def fetch(path):
        start = int(path.rsplit("last=", 1)[1]) if "last=" in path else 0
        tags = [str(i) for i in range(start + 1, start + 4)]
        return json.dumps({"tags": tags}).encode(), {
            "Link": f'</v2/x/tags/list?n=3&last={tags[-1]}>; rel="next"'
        }

    found = list_tags(fetch, page_size=3, max_tags=7, max_pages=100)
    assert found.tags == tuple(str(i) for i in range(1, 8)) and found.truncated
    assert found.pages == 3
    paged = list_tags(fetch, page_size=3, max_tags=100, max_pages=2)
    assert len(paged.tags) == 6 and paged.truncated and paged.pages == 2


def test_tags_that_break_the_grammar_are_dropped():
    def fetch(path):
        return json.dumps({"tags": ["ltsc2022", "x" * 129, "-bad", "ok.1"]}).encode(), {}

    assert list_tags(fetch).tags == ("ltsc2022", "ok.1")
