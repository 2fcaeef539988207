"""One image against many hosts: the same rules as /compat, judged once per distinct host
(version, kind, architecture) however many nodes or cells share it."""

from __future__ import annotations

from dataclasses import dataclass

from service.compat.assessment import Assessment, assess
from service.compat.image import Platform, ResolvedImage
from service.compat.remedies import DEFAULT_BASE
from service.compat.rules import Host, Verdict
from service.compat.selection import select_platform
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

    @classmethod
    def of_image(cls, image: ResolvedImage, repository: str = DEFAULT_BASE) -> Subject:
        return cls(image.reference, image.digest, image.platforms, None, repository)

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

    @property
    def rule(self) -> str:
        a = self.assessment
        return a.hyperv.rule if self.mode == "hyperv" else a.process.rule


def runs_with(assessment: Assessment, isolation: str) -> str | None:
    """The mode the image runs with, among those the caller can use (api.md `isolation`)."""
    for mode, judgement in (("process", assessment.process), ("hyperv", assessment.hyperv)):
        if isolation in ("any", mode) and judgement.verdict is Verdict.SUPPORTED:
            return mode
    return None


class Judge:
    """Judges one subject against hosts, memoised per (host, arch): a 5,000-node cluster has
    a handful of distinct builds."""

    def __init__(self, subject: Subject, isolation: str = "any") -> None:
        self.subject = subject
        self.isolation = isolation
        self._seen: dict[tuple[Host, str, tuple[str, ...]], Outcome] = {}

    def outcome(self, host: Host, arch: str = "amd64", notes: tuple[str, ...] = ()) -> Outcome:
        key = (host, arch, notes)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._judge(host, arch, notes)
        return found

    def _judge(self, host: Host, arch: str, notes: tuple[str, ...]) -> Outcome:
        s = self.subject
        if s.platforms is None:
            a = assess(host, s.version, extra_warnings=notes)
            return Outcome(a, *self._runs(a), str(s.version), None)
        selection = select_platform(
            host,
            s.platforms,
            arch=arch,
            name=s.name,
            repository=s.repository,
            extra_warnings=notes,
        )
        chosen = selection.chosen.platform if selection.chosen else None
        a = selection.assessment
        return Outcome(
            a, *self._runs(a), chosen.os_version if chosen else None, chosen and chosen.digest
        )

    def _runs(self, a: Assessment) -> tuple[bool, str | None]:
        mode = runs_with(a, self.isolation)
        return mode is not None, mode
