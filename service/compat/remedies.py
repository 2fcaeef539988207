"""What to do when process isolation is not supported (rules.md §5): rebuild on the right base
tag, use Hyper-V isolation, or schedule onto hosts of the image's build."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from service.advice.spelling import retarget_tag, split_family
from service.compat import catalog, repositories
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

DEFAULT_BASE = repositories.SERVERCORE
HYPERV_DAEMON_JSON = '"exec-opts":["isolation=hyperv"]'
BUILD_LABEL = "node.kubernetes.io/windows-build"
# The standard build label has no revision; a host pinned to one needs a label of its own.
OS_VERSION_LABEL = "wincompat/os-version"
BOTH_MODES = (Isolation.PROCESS, Isolation.HYPERV)

# The cumulative update that moves a host past a baseline, for the "update the host" advice.
BASELINE_UPDATES: dict[int, str] = {LTSC2019: "KB4532691 (February 2020, 10.0.17763.1039)"}


@dataclass(frozen=True)
class Remedy:
    action: str  # "rebuild", "hyperv", "schedule", "update-host", "give-revision"
    detail: str
    fields: Mapping[str, object] = field(default_factory=dict)  # machine-readable specifics


@dataclass(frozen=True)
class BaseTag:
    tag: str  # as servercore spells it: a release tag or a patch-pinned 10.0.b.r
    verdict: Verdict  # what process isolation would be with it: supported or preview
    build: int = 0
    pinned: bool = False  # a 10.0.b.r tag: the revision matters for this host


def _pinned(release: catalog.Release, host: Host) -> str | None:
    """Same build as the host: a patch-pinned tag where the revision matters, else the tag."""
    revision = host.version.revision
    if release.build != host.build or revision is None:
        return release.tag
    baseline = BASELINES.get(host.build)
    before = baseline and baseline_side(host.version, baseline, host=True) == "before"
    if host.build in EXACT_REVISION_BUILDS or before:
        return f"{host.version.base}.{revision}"
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
        if not tag:
            continue
        found = BaseTag(tag, verdict, release.build, tag != release.tag)
        if verdict is Verdict.SUPPORTED:
            return found
        if verdict is Verdict.PREVIEW and preview is None:
            preview = found
    return preview


def _family_tag(target: BaseTag, repository: str) -> tuple[str, str, str]:
    """(repository, tag, note): the target in the image's own base repository when it has
    one, else in servercore, saying why."""
    if not repositories.is_base(repository):
        return DEFAULT_BASE, target.tag, ""
    if target.pinned and repository in repositories.PINNED_TAGS:
        return repository, target.tag, ""
    tag = None if target.pinned else repositories.release_tag(repository, target.build)
    if tag:
        return repository, tag, ""
    release = catalog.describe(target.build)
    note = f" ({repositories.family(repository)} has no {release} tag)"
    return DEFAULT_BASE, target.tag, note


def _rebuild(target: BaseTag, repository: str) -> Remedy:
    preview = " (process isolation as a preview)" if target.verdict is Verdict.PREVIEW else ""
    name, image_tag = split_family(repository)
    if image_tag is not None:
        # A suffixed family (`…/aspnet:4.8-windowsservercore-ltsc2019`): the target carried
        # into the image's own family, spelled as published (advice/spelling.py).
        tag = retarget_tag(image_tag, target.tag, name)
        image = f"{name}:{tag}"
        fields = {"tag": tag, "base_image": image, "process": target.verdict.value}
        return Remedy("rebuild", f"FROM {image}{preview}", fields)
    base, tag, note = _family_tag(target, repository)
    image = f"{base}:{tag}"
    fields = {"tag": tag, "base_image": image, "process": target.verdict.value}
    if repositories.is_base(repository):
        return Remedy("rebuild", f"FROM {image}{preview}{note}", fields)
    detail = (
        f"rebuild {repository} on a base of build {target.build}: in its Dockerfile, "
        f"FROM {image} (or the {tag} tag of the base image it uses){preview}"
    )
    return Remedy("rebuild", detail, {**fields, "own_from": True})


def _hyperv() -> Remedy:
    return Remedy(
        "hyperv",
        "docker run --isolation=hyperv …, or " + HYPERV_DAEMON_JSON + " in "
        r"C:\ProgramData\docker\config\daemon.json (restart Docker); in Kubernetes, a "
        "RuntimeClass for Hyper-V isolation",
        {"docker_run": "--isolation=hyperv", "daemon_json": {"exec-opts": ["isolation=hyperv"]}},
    )


def _schedule(host: Host, image: WindowsVersion) -> Remedy | None:
    """Hosts of the image's version, by a selector that cannot pick this very host."""
    release = catalog.image_release(image.build)
    if release is None:
        return None
    if image.build == host.build:
        exact = image.build in EXACT_REVISION_BUILDS and image.revision is not None
        return _schedule_exact(release, image) if exact else None
    build = image.base
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


def _schedule_exact(release: catalog.Release, image: WindowsVersion) -> Remedy:
    version = str(image)
    return Remedy(
        "schedule",
        f"run it on {release.name} hosts at exactly {version}: {BUILD_LABEL} has no revision, "
        f"so label those nodes {OS_VERSION_LABEL}={version} and select that label in "
        f"Kubernetes; Swarm --constraint node.labels.OsVersion=={version}",
        {
            "node_selector": {OS_VERSION_LABEL: version},
            "swarm_constraint": f"node.labels.OsVersion=={version}",
            "host_builds": [image.build],
            "os_version": version,
        },
    )


def _update_host(host: Host, image: WindowsVersion, process: Judgement) -> Remedy | None:
    newer_image = (image.revision or 0) > (host.version.revision or 0)
    if process.rule is Rule.EXACT_REVISION and newer_image:  # never advise a downgrade
        target = f"{host.version.base}.{image.revision}"
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
    *,
    modes: tuple[Isolation, ...] = BOTH_MODES,
) -> list[Remedy]:
    """Remedies in the order to try them; none when process isolation is supported.
    `target` is base_tag_for(host), passed in by callers that already have it; `modes` are the
    isolation modes the caller can use (no Hyper-V advice to a caller without Hyper-V)."""
    if process.verdict is Verdict.SUPPORTED:
        return []
    target = target or base_tag_for(host)
    if target and target.verdict is process.verdict:
        target = None  # e.g. a WS2022 image on Windows 11: rebuilding on ltsc2022 changes nothing
    update = _update_host(host, image, process)
    # A host behind a security baseline is updated first; otherwise rebuilding on the host's
    # own revision comes first and updating the host only follows for a newer image.
    first, later = (update, None) if process.rule is Rule.BASELINE else (None, update)
    found = [
        _give_revision(process, host),
        first,
        _rebuild(target, repository) if target else None,
        later,
        _hyperv() if hyperv.verdict is Verdict.SUPPORTED and Isolation.HYPERV in modes else None,
        _schedule(host, image) if host.kind != CLIENT else None,
    ]
    return [r for r in found if r is not None]
