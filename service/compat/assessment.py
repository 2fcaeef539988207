"""One whole answer for one host and one image version: both verdicts, warnings, remedies,
the recommended mode and a sentence a chatbot can say as is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.compat import advisories, catalog, known_problems
from service.compat.catalog import KINDS, SERVER
from service.compat.remedies import DEFAULT_BASE, BaseTag, Remedy, base_tag_for, remedies
from service.compat.rules import Host, Isolation, Judgement, Rule, Verdict, judge
from service.compat.versions import InvalidVersion, ParsedVersion, WindowsVersion, parse_version


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
    # Known field failures for this pair (either effect): the sentence names them.
    known: tuple[known_problems.KnownProblem, ...] = ()
    # With `runtime=`: that runtime's outcome decides `compatible` and leads the sentence.
    runtime_compatible: bool | None = None
    runtime_lead: str | None = None
    runtime_note: str | None = None  # runtimes that disagree, as a clause for the sentence

    @property
    def compatible(self) -> bool:
        if self.runtime_compatible is not None:
            return self.runtime_compatible
        return Verdict.SUPPORTED in (self.process.verdict, self.hyperv.verdict)

    @property
    def recommended_isolation(self) -> str | None:
        for mode, judgement in ((Isolation.PROCESS, self.process), (Isolation.HYPERV, self.hyperv)):
            if judgement.verdict is Verdict.SUPPORTED:
                return mode.value
        return None

    @property
    def summary(self) -> str:
        sentence = self.fixed_summary or summarize(self)
        if self.runtime_note:
            sentence = f"{sentence[:-1]}; {self.runtime_note}."
        return (
            f"{self.runtime_lead}{sentence[0].lower()}{sentence[1:]}"
            if self.runtime_lead
            else sentence
        )


def make_host(parsed: ParsedVersion, host_type: str | None = None) -> Host:
    """The host's kind: the catalog for single-kind builds, else host_type, else the product
    the text named, else server (rules.md §1-2)."""
    if host_type is not None and host_type not in KINDS:
        raise ValueError(f"host_type must be one of {', '.join(KINDS)}")
    kinds = catalog.kinds_of(parsed.version.build)
    kind = kinds[0] if len(kinds) == 1 else (host_type or parsed.kind_hint or SERVER)
    return Host(parsed.version, kind)


def parse_image_version(text: str) -> ParsedVersion:
    """An image's OS version: the host shapes apply, names resolve to server releases."""
    parsed = parse_version(text, kind=SERVER)
    if parsed.kind_hint == catalog.CLIENT and parsed.shape == "release-name":
        raise InvalidVersion(text, "Only Windows Server builds exist as images.")
    return parsed


def assess(
    host: Host,
    image: WindowsVersion,
    *,
    requested_kind: str | None = None,
    today: date | None = None,
    repository: str = DEFAULT_BASE,
    extra_warnings: tuple[str, ...] = (),
    runtime: str | None = None,
) -> Assessment:
    process = judge(host, image, Isolation.PROCESS, runtime=runtime)
    hyperv = judge(host, image, Isolation.HYPERV, runtime=runtime)
    found = advisories.collect(host, image, process, hyperv, requested_kind, today or date.today())
    warnings = tuple(dict.fromkeys([*extra_warnings, *found]))
    # Judged once: the remedies and the sentence both name it.
    target = base_tag_for(host) if process.verdict is not Verdict.SUPPORTED else None
    found_remedies = remedies(host, image, process, hyperv, repository, target)
    known = known_problems.in_force().concerning(host.version, host.kind, image, runtime)
    return Assessment(
        host, image, process, hyperv, warnings, tuple(found_remedies), target=target, known=known
    )


def host_from_text(text: str, host_type: str | None = None) -> tuple[Host, tuple[str, ...]]:
    """Parse a host string into a Host, with the warnings the parsing itself raised."""
    parsed = parse_version(text, kind=host_type)
    host = make_host(parsed, host_type)
    notes = parsed.warnings
    dual = len(catalog.kinds_of(host.build)) > 1
    if dual and host_type and parsed.kind_hint and host_type != parsed.kind_hint:
        notes = (
            *notes,
            f"The host text names a {parsed.kind_hint} release, but host_type says "
            f"{host_type}; host_type was used.",
        )
    return host, notes


def assess_text(
    host_text: str, image_text: str, host_type: str | None = None, today: date | None = None
) -> Assessment:
    """Parse both versions and assess: the whole question as people ask it."""
    host, notes = host_from_text(host_text, host_type)
    parsed_image = parse_image_version(image_text)
    notes = (*notes, *(f"Image: {w}" for w in parsed_image.warnings))
    return assess(
        host, parsed_image.version, requested_kind=host_type, today=today, extra_warnings=notes
    )


# Why nothing runs, as a clause, by the rule of the most permissive mode's verdict.
_WHY_NOT: dict[Rule, str] = {
    Rule.MAJOR_MINOR: "the Windows major.minor versions differ",
    Rule.NEWER_IMAGE: "a newer image never runs on an older host",
    Rule.HYPERV_ONLY: "this host runs only Windows Server 2022 images",
}


def _named(version: WindowsVersion, build_name: str) -> str:
    return f"{version} ({build_name})"


def summarize(a: Assessment) -> str:
    """The sentence, with the known problems for the pair named before its full stop."""
    sentence = _sentence(a)
    if not a.known:
        return sentence
    named = "; ".join(f"known problem {p.label}: {p.text}" for p in a.known)
    return f"{sentence[:-1]}; {named}."


def _sentence(a: Assessment) -> str:
    image = "image " + _named(a.image, catalog.describe(a.image.build))
    host = "host " + _named(a.host.version, catalog.describe(a.host.build, a.host.kind))
    process, hyperv = a.process.verdict, a.hyperv.verdict
    if process is Verdict.SUPPORTED:
        both = " and with Hyper-V isolation" if hyperv is Verdict.SUPPORTED else ""
        return f"Yes: {image} runs on {host} with process isolation{both}."
    target = a.target
    fix = (
        f"; rebuild on {target.tag} for process isolation"
        if target and target.verdict is Verdict.SUPPORTED
        else ""
    )
    if hyperv is Verdict.SUPPORTED:
        why = {
            Verdict.PREVIEW: "process isolation works there only as a preview",
            Verdict.UNKNOWN: "process isolation can't be judged until both revisions are known",
        }.get(
            process,
            "process isolation would fail with HCS error 0xc0370101 (the container's operating "
            "system does not match the host's)",
        )
        only = "Yes, with Hyper-V isolation only"
        return f"{only}: {image} runs on {host} with --isolation=hyperv; {why}{fix}."
    why = _WHY_NOT.get(a.hyperv.rule, "neither isolation mode supports the pair")
    if a.hyperv.known_problem or a.process.known_problem:
        why = "of a known field failure"
    elsewhere = catalog.image_release(a.image.build)
    where = f" or run it on {elsewhere.name} hosts" if elsewhere and a.host.kind == SERVER else ""
    return f"No: {image} does not run on {host}, because {why}{fix}{where}."
