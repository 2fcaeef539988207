"""Every summary and reason, for every host x image x host kind x isolation of the catalog's
builds, is one grammatical sentence: rendered all, checked all."""

from __future__ import annotations

import re
from datetime import date

import pytest

from service.compat import catalog
from service.compat.assessment import ISOLATION_CHOICES, assess
from service.compat.hosts import make_host
from service.compat.rules import Host
from service.compat.versions import ParsedVersion, WindowsVersion

TODAY = date(2026, 12, 1)
BUILDS = sorted({r.build for r in catalog.RELEASES})
IMAGE_BUILDS = sorted({r.build for r in catalog.RELEASES if r.has_images})
FIRST_WORDS = (
    "Yes: ",
    "Yes, with Hyper-V isolation only: ",
    "Yes, with Hyper-V isolation: ",
    "Preview only: ",
    "No: ",
    "Can't tell: ",
)
# Signs of a sentence put together from empty or misplaced parts.
GARBLED = [
    (re.compile(r"\s{2,}"), "double space"),
    (re.compile(r"\s[,.;:]"), "space before punctuation"),
    (re.compile(r"[,;:]\s*[,.;:]"), "empty clause"),
    (re.compile(r"\b(because|or|and|on|with|of)\s*[.;,]"), "dangling word"),
    (re.compile(r"because\s+or\b"), "because or"),
    (re.compile(r"(?<!,) or run it"), "run it without its comma"),
    (re.compile(r"\(\s*\)|\{|\}|\bNone\b"), "unfilled placeholder"),
    (re.compile(r"\.\s+[A-Z]"), "two sentences"),
]


def _problems(text: str) -> list[str]:
    found = [name for pattern, name in GARBLED if pattern.search(text)]
    if not text.endswith("."):
        found.append("no final full stop")
    return found


def _versions(build: int) -> list[WindowsVersion]:
    return [WindowsVersion(10, 0, build, 5), WindowsVersion(10, 0, build)]


def _all_answers():
    for hb in [*BUILDS, 27000]:
        for kind in catalog.KINDS:
            for hv in _versions(hb):
                for iv in [v for ib in [*IMAGE_BUILDS, 27000] for v in _versions(ib)]:
                    host = make_host(ParsedVersion(hv, "full"), kind)  # the catalog's kind wins
                    for isolation in ISOLATION_CHOICES:
                        a = assess(host, iv, today=TODAY, isolation=isolation)
                        yield (hv, kind, iv, isolation), a


ANSWERS = list(_all_answers())


def test_the_table_is_big():
    assert len(ANSWERS) > 312 * 3


def test_every_summary_is_one_grammatical_sentence():
    bad = []
    for question, a in ANSWERS:
        text = a.summary
        problems = _problems(text)
        if not text.startswith(FIRST_WORDS):
            problems.append("unknown first words")
        if problems:
            bad.append((question, problems, text))
    assert not bad, bad[:5]


def test_every_reason_and_remedy_is_a_sentence():
    bad = []
    for question, a in ANSWERS:
        for text in (a.process.reason, a.hyperv.reason):
            problems = _problems(text)
            if problems or not text[0].isupper():
                bad.append((question, problems, text))
    assert not bad, bad[:5]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("No: image 1 does not run, because or run it on X hosts.", id="because-or"),
        pytest.param("Yes: image runs on host  with process.", id="double-space"),
        pytest.param("No: image fails, because ; rebuild.", id="empty-clause"),
        pytest.param("No: image fails because x. Run it elsewhere.", id="two-sentences"),
        pytest.param("No: image fails because {why}.", id="placeholder"),
        pytest.param("No: image fails because x", id="no-stop"),
    ],
)
def test_the_checker_catches_garbled_sentences(text):
    assert _problems(text)


def test_a_6_3_host_is_never_called_10_0():
    a = assess(Host(WindowsVersion(6, 3, 9600), catalog.SERVER), WindowsVersion(10, 0, 17763, 1))
    everything = " ".join(
        [a.summary, a.process.reason, a.hyperv.reason, *a.warnings, *(r.detail for r in a.remedies)]
    )
    assert "6.3.9600" in a.summary
    assert "10.0.9600" not in everything


def test_unknown_process_says_what_to_give_not_hyperv_only():
    a = assess(Host(WindowsVersion(10, 0, 14393), catalog.SERVER), WindowsVersion(10, 0, 14393, 5))
    assert not a.summary.startswith("Yes, with Hyper-V isolation only")
    assert "can't be judged" in a.summary and "`ver` on the host" in a.summary
    process_only = assess(a.host, a.image, isolation="process")
    assert process_only.summary.startswith("Can't tell: ")
