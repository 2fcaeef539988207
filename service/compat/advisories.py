"""Warnings worth saying beside a verdict: the settled disagreements of rules.md §7, how real
runtimes behave, revisions, and support dates. Rows of data, matched by one function."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.compat import catalog, known_problems
from service.compat.catalog import (
    CLIENT,
    LTSC2022,
    SERVER,
    V21H1,
    V23H2,
    V1809,
    V1909,
    V2004,
    WIN10_22H2,
    WIN11_25H2,
    WINDOWS_11_FIRST_BUILD,
)
from service.compat.rules import (
    BASELINES,
    Host,
    Judgement,
    Verdict,
)
from service.compat.versions import WindowsVersion


@dataclass(frozen=True)
class Advisory:
    kind: str | None  # host kind it concerns, None for both
    host_min: int
    host_max: int | None
    image_builds: frozenset[int] | None  # None: any image build
    text: str
    same_build: bool = False  # only when image and host builds are equal

    def applies(self, host: Host, image: WindowsVersion) -> bool:
        return (
            (self.kind is None or self.kind == host.kind)
            and self.host_min <= host.build <= (self.host_max or host.build)
            and (self.image_builds is None or image.build in self.image_builds)
            and (not self.same_build or image.build == host.build)
        )


# fmt: off
ADVISORIES: tuple[Advisory, ...] = (
    Advisory(CLIENT, WINDOWS_11_FIRST_BUILD, None, frozenset({LTSC2022}),
             "Process isolation of Windows Server 2022 images on Windows 11 is a preview: fine "
             "for development, not supported in production (hcsshim's own check accepts it)."),
    Advisory(CLIENT, WIN11_25H2, None, frozenset({LTSC2022}),
             "containerd 2.2+ and hcsshim 0.13+ refuse Windows Server 2022 images on Windows 11 "
             "25H2 and later with process isolation, although the documentation allows it."),
    Advisory(CLIENT, V1809, V1909, None,
             "Windows 10 1809/1903/1909 can start same-build containers with process isolation "
             "for development, but Microsoft does not support it.", same_build=True),
    Advisory(CLIENT, V21H1, WIN10_22H2, frozenset({V2004}),
             "Windows 10 21H1-22H2 share the 2004 code base, but Microsoft says 2004 images are "
             "unsupported on them with process isolation."),
    Advisory(SERVER, V23H2, V23H2, None,
             "Windows Server 23H2 is a container host only: it runs Windows Server 2022 images "
             "and no others, in either isolation mode."),
)
# fmt: on


def advisories(host: Host, image: WindowsVersion) -> list[str]:
    return [a.text for a in ADVISORIES if a.applies(host, image)]


def runtime_notes(host: Host, image: WindowsVersion, process: Judgement, hyperv: Judgement):
    notes = []
    if image.build > host.build:
        notes.append(
            f"Docker refuses to even pull it here: 'a Windows version {image.base}-based "
            f"image is incompatible with a {host.version.base} host'."
        )
    if (
        host.kind == CLIENT
        and process.verdict != Verdict.SUPPORTED
        and hyperv.verdict == (Verdict.SUPPORTED)
    ):
        notes.append(
            "Docker on Windows 10/11 uses Hyper-V isolation by default, so a plain `docker run` "
            "works; only `--isolation=process` meets the process verdict."
        )
    return notes


def revision_notes(host: Host, image: WindowsVersion, process: Judgement) -> list[str]:
    notes = []
    same = image.build == host.build
    baseline = BASELINES.get(host.build)
    if same and baseline and host.kind == SERVER:
        missing = [w for w, v in (("host", host.version), ("image", image)) if v.revision is None]
        if missing:
            notes.append(
                f"The {' and '.join(missing)} revision is unknown and was taken as after the "
                f"{baseline.name} (host .{baseline.host_revision}+, image "
                f".{baseline.image_revision}+); give full versions to be sure."
            )
    hr, ir = host.version.revision, image.revision
    if (
        same
        and hr is not None
        and ir is not None
        and ir > hr
        and process.verdict
        in (
            Verdict.SUPPORTED,
            Verdict.PREVIEW,
        )
    ):
        notes.append(
            f"The image's revision ({ir}) is newer than the host's ({hr}): allowed, but "
            "update the host."
        )
    return notes


def catalog_notes(host: Host, image: WindowsVersion, requested_kind: str | None) -> list[str]:
    notes = []
    kinds = catalog.kinds_of(host.build)
    if not kinds:
        notes.append(
            f"Host build {host.build} is not in the release catalog; it was judged by number "
            f"as a {host.kind} host."
        )
    elif requested_kind and requested_kind not in kinds:
        notes.append(
            f"host_type says {requested_kind}, but build {host.build} is only "
            f"{catalog.describe(host.build)} ({host.kind}); the {host.kind} rules apply."
        )
    if not catalog.kinds_of(image.build):
        notes.append(f"Image build {image.build} is not in the release catalog; judged by number.")
    elif catalog.image_release(image.build) is None:
        notes.append(
            f"No Windows Server image has build {image.build} "
            f"({catalog.describe(image.build)}): only Windows Server builds exist as images."
        )
    return notes


def support_notes(host: Host, image: WindowsVersion, today: date) -> list[str]:
    notes = []
    for who, release in (
        ("host", catalog.release_for(host.build, host.kind)),
        ("image", catalog.image_release(image.build)),
    ):
        if release and release.support_end and release.support_end < today:
            notes.append(
                f"The {who}'s release, {release.name}, has been out of support since "
                f"{release.support_end.isoformat()}: it gets no security updates."
            )
    return notes


def collect(host, image, process, hyperv, requested_kind, today) -> list[str]:
    """Every warning for one question, in reading order, without repeats."""
    found = [
        *catalog_notes(host, image, requested_kind),
        *revision_notes(host, image, process),
        *advisories(host, image),
        *runtime_notes(host, image, process, hyperv),
        *known_problems.in_force().warnings(host.version, host.kind, image),
        *support_notes(host, image, today),
    ]
    return list(dict.fromkeys(found))
