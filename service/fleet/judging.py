"""One image against many hosts: the same rules as /compat, judged once per distinct host
(version, kind, architecture) however many nodes or cells share it."""

from __future__ import annotations

from dataclasses import dataclass

from service.compat import runtimes
from service.compat.assessment import Assessment
from service.compat.image import Platform, ResolvedImage
from service.compat.remedies import DEFAULT_BASE
from service.compat.rules import Host, Verdict
from service.compat.selection import assess_version, select_platform
from service.compat.versions import WindowsVersion

ISOLATIONS = ("any", "process", "hyperv")


@dataclass(frozen=True)
class Subject:
    """What is judged: a resolved image (its platforms) or a bare image version."""

    reference: str | None
    digest: str | None
    platforms: tuple[Platform, ...] | None  # None for an image_version question
    version: WindowsVersion | None = None
    repository: str = DEFAULT_BASE
    listed: bool = True  # a list/index (runtimes read os.version there) or one manifest

    @classmethod
    def of_image(cls, image: ResolvedImage, repository: str = DEFAULT_BASE) -> Subject:
        return cls(image.reference, image.digest, image.platforms, None, repository, image.is_list)

    @classmethod
    def of_version(cls, version: WindowsVersion) -> Subject:
        return cls(None, None, None, version)

    @property
    def name(self) -> str:
        return self.reference or f"image {self.version}"


@dataclass(frozen=True)
class Outcome:
    """The whole judgement for one host, plus which entry it would use."""

    assessment: Assessment
    runs: bool
    mode: str | None  # the isolation it runs with: "process", "hyperv" or None
    os_version: str | None  # of the entry this host would use
    digest: str | None
    runtime: str | None = None  # the runtime id it was judged by (runtimes.md), if any

    @property
    def rule(self) -> str:
        a = self.assessment
        return a.hyperv.rule if self.mode == "hyperv" else a.process.rule


def runs_with(assessment: Assessment, isolation: str) -> str | None:
    """The mode the image runs with, among those the caller can use (api.md `isolation`);
    None when the runtime it was judged by pulls nothing or cannot start it."""
    if assessment.runtime_compatible is False:
        return None
    for mode, judgement in (("process", assessment.process), ("hyperv", assessment.hyperv)):
        if isolation in ("any", mode) and judgement.verdict is Verdict.SUPPORTED:
            return mode
    return None


class Judge:
    """Judges one subject against hosts, memoised per (host, arch, runtime): a 5,000-node
    cluster has a handful of distinct builds and runtimes."""

    def __init__(self, subject: Subject, isolation: str = "any", runtime: str | None = None):
        self.subject = subject
        self.isolation = isolation
        self.runtime = runtime  # the caller's `runtime=`, for hosts that don't name their own
        self._seen: dict[tuple, Outcome] = {}

    def outcome(
        self,
        host: Host,
        arch: str = "amd64",
        notes: tuple[str, ...] = (),
        node_runtime: str | None = None,
    ) -> Outcome:
        """`node_runtime` is a node's containerRuntimeVersion (`containerd://1.7.20`): that
        node is judged by its own runtime, else by the caller's `runtime=`."""
        runtime = runtimes.runtime_for(node_runtime) or self.runtime
        key = (host, arch, notes, runtime)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._judge(host, arch, notes, runtime)
        return found

    def _judge(self, host: Host, arch: str, notes: tuple[str, ...], runtime: str | None):
        s = self.subject
        if s.platforms is None:
            a, _ = assess_version(host, s.version, runtime=runtime, extra_warnings=notes)
            return Outcome(a, *self._runs(a), str(s.version), None, runtime)
        selection = select_platform(
            host,
            s.platforms,
            arch=arch,
            name=s.name,
            repository=s.repository,
            extra_warnings=notes,
            runtime=runtime,
            listed=s.listed,
        )
        chosen = selection.chosen.platform if selection.chosen else None
        a = selection.assessment
        return Outcome(
            a,
            *self._runs(a),
            chosen.os_version if chosen else None,
            chosen and chosen.digest,
            runtime,
        )

    def _runs(self, a: Assessment) -> tuple[bool, str | None]:
        mode = runs_with(a, self.isolation)
        return mode is not None, mode
