"""What to do when process isolation is not supported (rules.md §5): rebuild on the right base
tag, use Hyper-V isolation, or schedule onto hosts of the image's build."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from service.compat import catalog
from service.compat.catalog import CLIENT, LTSC2019, SERVER
from service.compat.rules import (
    BASELINES,
    EXACT_REVISION_BUILDS,
    STABLE_ABI_IMAGES,
    Host,
    Isolation,
    Judgement,
    Rule,
    Verdict,
    baseline_side,
    judge,
)
from service.compat.versions import WindowsVersion

DEFAULT_BASE = "mcr.microsoft.com/windows/servercore"
HYPERV_DAEMON_JSON = '"exec-opts":["isolation=hyperv"]'
BUILD_LABEL = "node.kubernetes.io/windows-build"

# The cumulative update that moves a host past a baseline, for the "update the host" advice.
BASELINE_UPDATES: dict[int, str] = {LTSC2019: "KB4532691 (February 2020, 10.0.17763.1039)"}


@dataclass(frozen=True)
class Remedy:
    action: str  # "rebuild", "hyperv", "schedule", "update-host", "give-revision"
    detail: str
    fields: Mapping[str, object] = field(default_factory=dict)  # machine-readable specifics


@dataclass(frozen=True)
class BaseTag:
    tag: str
    verdict: Verdict  # what process isolation would be with it: supported or preview


def _pinned(release: catalog.Release, host: Host) -> str | None:
    """Same build as the host: a patch-pinned tag where the revision matters, else the tag."""
    revision = host.version.revision
    if release.build != host.build or revision is None:
        return release.tag
    baseline = BASELINES.get(host.build)
    before = baseline and baseline_side(host.version, baseline, host=True) == "before"
    if host.build in EXACT_REVISION_BUILDS or before:
        return f"10.0.{host.build}.{revision}"
    return release.tag


def base_tag_for(host: Host) -> BaseTag | None:
    """The newest base-image tag this host runs with process isolation, judged by the rules
    themselves; a preview-only tag when nothing is supported; None when no tag works."""
    preview = None
    releases = [r for r in catalog.RELEASES if r.kind == SERVER and r.has_images and r.tag]
    for release in sorted(releases, key=lambda r: r.build, reverse=True):
        revision = host.version.revision if release.build == host.build else None
        candidate = WindowsVersion(host.version.major, host.version.minor, release.build, revision)
        verdict = judge(host, candidate, Isolation.PROCESS).verdict
        tag = _pinned(release, host)
        if verdict is Verdict.SUPPORTED and tag:
            return BaseTag(tag, verdict)
        if verdict is Verdict.PREVIEW and preview is None and tag:
            preview = BaseTag(tag, verdict)
    return preview


def _rebuild(target: BaseTag, repository: str) -> Remedy:
    image = f"{repository}:{target.tag}"
    note = " (process isolation as a preview)" if target.verdict is Verdict.PREVIEW else ""
    return Remedy(
        "rebuild",
        f"FROM {image}{note}",
        {"tag": target.tag, "base_image": image, "process": target.verdict.value},
    )


def _hyperv() -> Remedy:
    return Remedy(
        "hyperv",
        "docker run --isolation=hyperv …, or " + HYPERV_DAEMON_JSON + " in "
        r"C:\ProgramData\docker\config\daemon.json (restart Docker); in Kubernetes, a "
        "RuntimeClass for Hyper-V isolation",
        {"docker_run": "--isolation=hyperv", "daemon_json": {"exec-opts": ["isolation=hyperv"]}},
    )


def _schedule(image: WindowsVersion) -> Remedy | None:
    release = catalog.image_release(image.build)
    if release is None:
        return None
    build = f"10.0.{image.build}"
    hosts = sorted(h for h, images in STABLE_ABI_IMAGES.items() if image.build in images)
    also = "".join(f", or {catalog.describe(h)} ({h})" for h in hosts)
    return Remedy(
        "schedule",
        f"run it on {release.name} hosts ({image.build}{also}): Kubernetes nodeSelector "
        f'{BUILD_LABEL}: "{build}"; Swarm --constraint node.labels.OsVersion=={build}',
        {
            "node_selector": {BUILD_LABEL: build},
            "swarm_constraint": f"node.labels.OsVersion=={build}",
            "host_builds": [image.build, *hosts],
        },
    )


def _update_host(host: Host, image: WindowsVersion, process: Judgement) -> Remedy | None:
    if process.rule is Rule.EXACT_REVISION:
        target = f"10.0.{host.build}.{image.revision}"
        return Remedy("update-host", f"update the host to {target}", {"host_version": target})
    if (
        process.rule is Rule.BASELINE
        and baseline_side(host.version, BASELINES[host.build], host=True) == "before"
    ):
        update = BASELINE_UPDATES.get(host.build, BASELINES[host.build].name)
        return Remedy("update-host", f"install {update} or later on the host", {"update": update})
    return None


def _give_revision(process: Judgement, host: Host) -> Remedy | None:
    if process.verdict is not Verdict.UNKNOWN:
        return None
    return Remedy(
        "give-revision",
        "ask again with full versions: `ver` on the host, and "
        "`docker image inspect --format '{{.OsVersion}}' IMAGE` for the image",
        {"build": host.build},
    )


def remedies(
    host: Host,
    image: WindowsVersion,
    process: Judgement,
    hyperv: Judgement,
    repository: str = DEFAULT_BASE,
    target: BaseTag | None = None,
) -> list[Remedy]:
    """Remedies in the order to try them; none when process isolation is supported.
    `target` is base_tag_for(host), passed in by callers that already have it."""
    if process.verdict is Verdict.SUPPORTED:
        return []
    target = target or base_tag_for(host)
    if target and target.verdict is process.verdict:
        target = None  # e.g. a WS2022 image on Windows 11: rebuilding on ltsc2022 changes nothing
    found = [
        _give_revision(process, host),
        _update_host(host, image, process),
        _rebuild(target, repository) if target else None,
        _hyperv() if hyperv.verdict is Verdict.SUPPORTED else None,
        _schedule(image) if host.kind != CLIENT else None,
    ]
    return [r for r in found if r is not None]
