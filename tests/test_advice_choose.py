"""Choosing floating and pinned tags from a classified tag list: plain tables, no registry.
The tag list is MCR-shaped (tests/mcr_tags.py names where the revisions come from; the
Windows Server 2016 revisions and KBs are the seed document's: 1770 = KB4041691,
1914 = KB4051033, 1944 = KB4053579)."""

from __future__ import annotations

import pytest

from service.advice.choose import Resolved, advise, groups, pick_family, tags_to_resolve
from service.advice.shapes import classify
from service.compat.hosts import host_from_text
from service.compat.versions import parse_version

TAGS = [
    "ltsc2022", "ltsc2019", "1809", "ltsc2016", "ltsc2025", "ltsc2022-KB5040437",
    "10.0.20348.2582", "10.0.20348.2700", "10.0.20348.2849",
    "10.0.17763.437", "10.0.17763.7314", "10.0.14393.1770", "10.0.14393.1944",
    "10.0.26100.4061", "latest", "1607-KB4053579",
]  # fmt: skip
FLOATING = {  # what each floating tag's manifest list says
    "ltsc2022": "10.0.20348.2700",
    "ltsc2019": "10.0.17763.7314",
    "ltsc2025": "10.0.26100.4061",
    "ltsc2022-KB5040437": "10.0.20348.2582",
    "1607-KB4053579": "10.0.14393.1944",  # the seed document's pair
}


def _hosts(*texts):
    return [host_from_text(t)[0] for t in texts]


def _resolved():
    return {t: Resolved(parse_version(v).version, f"sha256:{t}") for t, v in FLOATING.items()}


def _advice(*hosts, tags=TAGS, resolved=None):
    shapes = [classify(t) for t in tags]
    return advise("r", shapes, _hosts(*hosts), resolved or _resolved(), family="")


@pytest.mark.parametrize(
    ("hosts", "floating", "pinned", "dockerfile"),
    [
        (("10.0.20348.2700",), "ltsc2022", "10.0.20348.2700", "FROM r:ltsc2022"),
        (("10.0.20348.2600",), "ltsc2022", "10.0.20348.2582", "FROM r:10.0.20348.2582"),
        (("10.0.20348.2900",), "ltsc2022", "10.0.20348.2849", "FROM r:ltsc2022"),
        (("10.0.17763.7314",), "ltsc2019", "10.0.17763.7314", "FROM r:ltsc2019"),
        (("10.0.14393.1770",), None, "10.0.14393.1770", "FROM r:10.0.14393.1770"),
        (("10.0.14393.1914",), None, None, None),
        (("10.0.26100.4061",), "ltsc2025", "10.0.26100.4061", "FROM r:ltsc2025"),
        (("10.0.20348.2849", "10.0.26100.4061"), "ltsc2022", "10.0.20348.2849", "FROM r:ltsc2022"),
        (("10.0.17763.7314", "10.0.20348.2849"), None, None, None),
    ],
    ids=[
        "at-floating",
        "older-than-floating",
        "past-newest-pinned",
        "ws2019",
        "ws2016-exact",
        "ws2016-none",
        "ws2025",
        "fleet-2022-2025",
        "fleet-split",
    ],
)
def test_choice(hosts, floating, pinned, dockerfile):
    found = _advice(*hosts)
    assert (found.floating.tag if found.floating else None) == floating
    assert (found.pinned.tag if found.pinned else None) == pinned
    assert found.dockerfile == dockerfile


@pytest.mark.parametrize(
    ("hosts", "needle"),
    [
        (("10.0.20348.2700",), "older than the newest pinned tag 10.0.20348.2849"),
        (("10.0.20348.2600",), "newer than host 10.0.20348.2600"),
        (("10.0.14393.1914",), "update the host to 10.0.14393.1944 (install KB4053579)"),
        (("10.0.17763.7314", "10.0.20348.2849"), "split the deployment"),
        (("10.0.20348",), "gives no revision"),
    ],
    ids=["lagging", "newer-than-host", "ws2016-update", "split", "no-revision"],
)
def test_warnings(hosts, needle):
    assert any(needle in w for w in _advice(*hosts).warnings)


def test_split_answers_per_build():
    found = _advice("10.0.17763.7314", "10.0.20348.2849")
    assert [(s.build, s.dockerfile) for s in found.splits] == [
        (20348, "FROM r:ltsc2022"),
        (17763, "FROM r:ltsc2019"),
    ]


def test_only_the_floating_tags_and_kb_tags_are_resolved():
    shapes = [classify(t) for t in TAGS]
    wanted = tags_to_resolve(shapes, _hosts("10.0.20348.2700"), family="")
    assert wanted == ["ltsc2022", "ltsc2022-KB5040437"]


def test_rows_are_newest_first():
    rows = [r.shape.tag for r in _advice("10.0.20348.2700").tags]
    assert rows[:4] == ["ltsc2025", "10.0.26100.4061", "ltsc2022", "10.0.20348.2849"]
    assert rows[-1] == "latest"


def test_kb_pair_names_the_pinned_tag_of_its_revision():
    pair = next(p for p in _advice("10.0.20348.2700").kb if p.kb == "KB5040437")
    assert (pair.kb, pair.revision, pair.pinned_tag) == ("KB5040437", 2582, "10.0.20348.2582")


@pytest.mark.parametrize(
    ("tags", "family"),
    [
        (["ltsc2022", "4.8-windowsservercore-ltsc2022"], ""),
        (
            ["4.8-windowsservercore-ltsc2022", "4.8-windowsservercore-ltsc2019",
             "3.5-windowsservercore-ltsc2019"],
            "4.8-windowsservercore-",
        ),
        (["latest"], ""),
    ],
    ids=["base-images-first", "largest-family", "nothing"],
)  # fmt: skip
def test_pick_family(tags, family):
    assert pick_family([classify(t) for t in tags]) == family


def test_arch_suffix_only_tags_still_answer():
    shapes = [classify(t) for t in ("ltsc2022-amd64", "10.0.20348.2700-amd64", "ltsc2022-arm64")]
    (group,) = groups(shapes, _hosts("10.0.20348.2700"), family="")
    assert group.floating.tag == "ltsc2022-amd64" and group.pinned.tag == "10.0.20348.2700-amd64"
