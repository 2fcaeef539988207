"""The warnings of advice.md, as sentences. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.advice.shapes import TagShape
from service.compat import catalog
from service.compat.rules import Host
from service.compat.versions import WindowsVersion


def lagging(tag: str, version: WindowsVersion, newest: str) -> str:
    return (
        f"The floating tag {tag} points to {version}, older than the newest pinned tag "
        f"{newest} (MCR's floating tags have lagged by weeks); use {newest} for the newest "
        "update if your hosts are at that revision or later."
    )


def newer_than_host(tag: str, version: WindowsVersion, host: Host, pinned: TagShape | None) -> str:
    instead = f"build on {pinned.tag}" if pinned else "pin a tag no newer than the host"
    return (
        f"The floating tag {tag} is {version}, newer than host {host.version}: images newer "
        f"than their host have failed in the field; {instead} or update the host."
    )


def floating_does_not_run(tag: str, version: WindowsVersion, isolation: str) -> str:
    return (
        f"The floating tag {tag} is {version}, which does not run on every host with "
        f"{isolation} isolation; the FROM line uses the pinned tag."
    )


def unread(tag: str) -> str:
    return f"The manifest list of {tag} gives no Windows os.version; its revision is unknown."


def exact_revision(
    repository: str, host: Host, newest: TagShape | None, kb: str | None = None
) -> str:
    if host.version.revision is None:
        return (
            f"Windows Server 2016 runs a process-isolated image only at the host's exact "
            f"revision, and host {host.version} gives none: give the output of `ver`."
        )
    target = f"10.0.{host.build}.{host.version.revision}"
    named = f" (install {kb})" if kb else ""
    update = (
        f"update the host to {newest.version}{named} and build on {newest.tag}"
        if newest
        else "update the host to a revision the repository publishes"
    )
    return (
        f"No tag of {repository} is {target}: Windows Server 2016 runs a process-isolated "
        f"image only at the host's exact revision; {update}, or use Hyper-V isolation."
    )


def no_revision(host: Host, pinned: str) -> str:
    return (
        f"Host {host.version} gives no revision, so {pinned} may be newer than it; give the "
        "full version (`ver`) to pin a tag no newer than the host."
    )


def nothing_runs(repository: str, hosts: Sequence[Host], isolation: str) -> str:
    names = ", ".join(f"{h.version} ({catalog.describe(h.build, h.kind)})" for h in hosts)
    return f"No tag of {repository} runs on {names} with {isolation} isolation."


def split(repository: str, splits: Sequence[Any]) -> str:
    parts = "; ".join(
        f"{catalog.describe(s.build)} hosts: {s.dockerfile or 'no tag'}" for s in splits
    )
    return (
        f"No tag of {repository} runs on every host: split the deployment by build "
        f"(a nodeSelector on node.kubernetes.io/windows-build) — {parts}."
    )


def truncated(repository: str, read: int) -> str:
    return f"{repository} has more tags than the {read} read; the answer considers those only."
