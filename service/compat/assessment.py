"""One whole answer for one host and one image version: both verdicts, warnings, remedies,
and which of the modes the caller can use is recommended (the sentence is sentences.py's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.compat import advisories, known_problems, sentences
from service.compat.hosts import host_from_text, parse_image_version
from service.compat.remedies import DEFAULT_BASE, BaseTag, Remedy, base_tag_for, remedies
from service.compat.rules import Host, Isolation, Judgement, Verdict, judge
from service.compat.versions import WindowsVersion

# What the caller can use (`isolation=`): Kubernetes on AKS/EKS/GKE has no Hyper-V by default.
ALLOWED_MODES: dict[str, tuple[Isolation, ...]] = {
    "any": (Isolation.PROCESS, Isolation.HYPERV),
    "process": (Isolation.PROCESS,),
    "hyperv": (Isolation.HYPERV,),
}
ISOLATION_CHOICES = tuple(ALLOWED_MODES)
DEFAULT_ISOLATION = "any"


@dataclass(frozen=True)
class Assessment:
    host: Host
    image: WindowsVersion | None  # None when the image carries no usable os.version
    process: Judgement
    hyperv: Judgement
    warnings: tuple[str, ...]
    remedies: tuple[Remedy, ...]
    fixed_summary: str | None = None  # for answers the rules cannot phrase (a Linux image)
    target: BaseTag | None = None  # the base tag this host runs best; None when none works
    isolation: str = DEFAULT_ISOLATION  # the modes the caller can use, a key of ALLOWED_MODES
    # Known field failures for this pair (either effect): the sentence names them.
    known: tuple[known_problems.KnownProblem, ...] = ()
    # With `runtime=`: that runtime's outcome decides `compatible` and leads the sentence.
    runtime_compatible: bool | None = None
    runtime_lead: str | None = None
    runtime_note: str | None = None  # runtimes that disagree, as a clause for the sentence

    @property
    def modes(self) -> tuple[Isolation, ...]:
        return ALLOWED_MODES[self.isolation]

    def judgement(self, mode: Isolation) -> Judgement:
        return self.process if mode is Isolation.PROCESS else self.hyperv

    @property
    def compatible(self) -> bool:
        """A mode the caller can use is supported (and, with `runtime=`, that runtime agrees)."""
        if self.runtime_compatible is False:
            return False
        return self.recommended_isolation is not None

    @property
    def recommended_isolation(self) -> str | None:
        for mode in self.modes:
            if self.judgement(mode).verdict is Verdict.SUPPORTED:
                return mode.value
        return None

    @property
    def summary(self) -> str:
        return sentences.dressed(self, self.fixed_summary or sentences.summarize(self))


def check_isolation(isolation: str) -> str:
    if isolation not in ALLOWED_MODES:
        raise ValueError(f"isolation must be one of {', '.join(ISOLATION_CHOICES)}")
    return isolation


def assess(
    host: Host,
    image: WindowsVersion,
    *,
    requested_kind: str | None = None,
    today: date | None = None,
    repository: str = DEFAULT_BASE,
    extra_warnings: tuple[str, ...] = (),
    isolation: str = DEFAULT_ISOLATION,
    runtime: str | None = None,
) -> Assessment:
    modes = ALLOWED_MODES[check_isolation(isolation)]
    process = judge(host, image, Isolation.PROCESS, runtime=runtime)
    hyperv = judge(host, image, Isolation.HYPERV, runtime=runtime)
    found = advisories.collect(host, image, process, hyperv, requested_kind, today or date.today())
    warnings = tuple(dict.fromkeys([*extra_warnings, *found]))
    # Judged once: the remedies and the sentence both name it.
    target = base_tag_for(host) if process.verdict is not Verdict.SUPPORTED else None
    found_remedies = remedies(host, image, process, hyperv, repository, target, modes=modes)
    known = known_problems.in_force().concerning(host.version, host.kind, image, runtime)
    return Assessment(
        host,
        image,
        process,
        hyperv,
        warnings,
        tuple(found_remedies),
        target=target,
        isolation=isolation,
        known=known,
    )


def assess_text(
    host_text: str,
    image_text: str,
    host_type: str | None = None,
    today: date | None = None,
    isolation: str = DEFAULT_ISOLATION,
) -> Assessment:
    """Parse both versions and assess: the whole question as people ask it."""
    host, notes = host_from_text(host_text, host_type)
    parsed_image = parse_image_version(image_text)
    notes = (*notes, *(f"Image: {w}" for w in parsed_image.warnings))
    return assess(
        host,
        parsed_image.version,
        requested_kind=host_type,
        today=today,
        extra_warnings=notes,
        isolation=isolation,
    )
