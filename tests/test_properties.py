"""Properties of the rules over random versions (hypothesis)."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from service.compat import catalog
from service.compat.rules import Host, Isolation, Verdict, judge
from service.compat.versions import WindowsVersion

KNOWN_BUILDS = sorted({r.build for r in catalog.RELEASES})
builds = st.one_of(st.sampled_from(KNOWN_BUILDS), st.integers(1000, 99999))
_revision_numbers = st.integers(0, 70000)
revisions = st.one_of(st.none(), _revision_numbers)
versions = st.builds(WindowsVersion, st.just(10), st.just(0), builds, revisions)
kinds = st.sampled_from(catalog.KINDS)


def _host(version: WindowsVersion, kind: str) -> Host:
    found = catalog.kinds_of(version.build)
    return Host(version, found[0] if len(found) == 1 else kind)


@given(versions, kinds, versions)
def test_hyperv_supported_implies_image_not_newer(h, kind, image):
    host = _host(h, kind)
    if judge(host, image, Isolation.HYPERV).verdict is Verdict.SUPPORTED:
        assert image.build <= host.build


@given(versions, versions)
def test_process_supported_implies_hyperv_supported_on_servers_but_23h2(h, image):
    host = _host(h, "server")
    assume(host.kind == "server" and host.build != 25398)
    if judge(host, image, Isolation.PROCESS).verdict is Verdict.SUPPORTED:
        assert judge(host, image, Isolation.HYPERV).verdict is Verdict.SUPPORTED


@given(versions, kinds, versions)
def test_newer_images_never_run(h, kind, image):
    host = _host(h, kind)
    if image.build > host.build:
        for mode in Isolation:
            assert judge(host, image, mode).verdict is Verdict.UNSUPPORTED


@given(versions, kinds, versions)
def test_every_reason_names_both_builds(h, kind, image):
    host = _host(h, kind)
    for mode in Isolation:
        reason = judge(host, image, mode).reason
        assert str(image.build) in reason and (
            str(host.build) in reason or catalog.describe(host.build, host.kind) in reason
        )


@given(st.integers(14393, 99999), _revision_numbers, _revision_numbers)
def test_revision_order_is_integer_order(build, a, b):
    va, vb = WindowsVersion(10, 0, build, a), WindowsVersion(10, 0, build, b)
    assert (va < vb) == (a < b) and (va == vb) == (a == b)
