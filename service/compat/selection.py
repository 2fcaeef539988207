"""Images with several platforms (rules.md §6): judge every entry, pick the one the host
should use, and answer for it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from service.compat import runtimes
from service.compat.assessment import Assessment, assess
from service.compat.image import Platform
from service.compat.remedies import DEFAULT_BASE
from service.compat.rules import Host, Isolation, Judgement, Rule, Verdict, judge
from service.compat.versions import WindowsVersion

ARCH_ALIASES = {"x86_64": "amd64", "x64": "amd64", "aarch64": "arm64"}


@dataclass(frozen=True)
class Entry:
    platform: Platform
    version: WindowsVersion | None
    process: Judgement
    hyperv: Judgement


@dataclass(frozen=True)
class Selection:
    chosen: Entry | None
    entries: tuple[Entry, ...]
    assessment: Assessment
    runtimes: dict[str, runtimes.Outcome] = field(default_factory=dict)  # by runtime id


def _arch(name: str) -> str:
    return ARCH_ALIASES.get(name.lower(), name.lower())


def _same(verdict: Verdict, reason: str, rule: Rule) -> tuple[Judgement, Judgement]:
    return Judgement(verdict, reason, rule), Judgement(verdict, reason, rule)


def _os_version(platform: Platform) -> WindowsVersion | None:
    return runtimes.entry_version(platform.os_version)


def judge_entry(host: Host, platform: Platform, arch: str) -> Entry:
    """Both verdicts for one list entry, or why it cannot be judged."""
    if not platform.is_windows:
        pair = _same(
            Verdict.UNSUPPORTED, f"A {platform.os} entry never runs on Windows.", Rule.NOT_WINDOWS
        )
        return Entry(platform, None, *pair)
    if _arch(platform.architecture) != arch:
        reason = f"Built for windows/{platform.architecture}; the host is windows/{arch}."
        return Entry(platform, None, *_same(Verdict.UNSUPPORTED, reason, Rule.OTHER_ARCHITECTURE))
    version = _os_version(platform)
    if version is None:
        shown = (
            f" ({platform.os_version!r} is not a Windows version)" if platform.os_version else ""
        )
        reason = f"The registry gives no usable os.version for this entry{shown}, nor its config."
        return Entry(platform, None, *_same(Verdict.UNKNOWN, reason, Rule.NO_OS_VERSION))
    process = judge(host, version, Isolation.PROCESS)
    return Entry(platform, version, process, judge(host, version, Isolation.HYPERV))


def _rank(entry: Entry) -> tuple:
    """Best process-supported entry, else best Hyper-V-supported; builds and revisions as
    integers (containerd's string order goes wrong at five-digit revisions)."""
    v = entry.version
    return (
        entry.process.verdict is Verdict.SUPPORTED,
        entry.hyperv.verdict is Verdict.SUPPORTED,
        entry.process.verdict is Verdict.PREVIEW,
        v.key if v else (-1, -1, -1, -1),
    )


def _string_order_note(chosen: Entry, entries: tuple[Entry, ...]) -> list[str]:
    rivals = [
        e
        for e in entries
        if e.version and chosen.version and e.version.build == chosen.version.build
    ]
    by_string = max(rivals, key=lambda e: e.platform.os_version or "")
    if by_string is chosen:
        return []
    return [
        f"containerd orders entries by comparing version strings and would pick "
        f"{by_string.platform.os_version} over {chosen.platform.os_version}; this answer "
        "compares integers."
    ]


def _unjudged(host: Host, verdict: Verdict, reason: str, rule: Rule, summary: str) -> Assessment:
    process, hyperv = _same(verdict, reason, rule)
    return Assessment(host, None, process, hyperv, (), (), fixed_summary=summary)


def _fallback(host: Host, entries: tuple[Entry, ...], arch: str, name: str) -> Assessment:
    windows = [e for e in entries if e.platform.is_windows]
    unknown = [e for e in windows if e.process.rule is Rule.NO_OS_VERSION]
    if unknown:
        return _unjudged(
            host,
            Verdict.UNKNOWN,
            unknown[0].process.reason,
            Rule.NO_OS_VERSION,
            f"Can't tell: {name} carries no os.version to judge against the host.",
        )
    if windows:
        arches = ", ".join(sorted({f"windows/{e.platform.architecture}" for e in windows}))
        reason = f"The image has no windows/{arch} entry, only {arches}."
        return _unjudged(
            host,
            Verdict.UNSUPPORTED,
            reason,
            Rule.OTHER_ARCHITECTURE,
            f"No: {name} has no windows/{arch} entry, only {arches}.",
        )
    reason = "A Linux image: it has no Windows entry at all."
    return _unjudged(
        host,
        Verdict.UNSUPPORTED,
        reason,
        Rule.LINUX_IMAGE,
        f"No: {name} is a Linux image; it cannot run on a Windows host.",
    )


def select_platform(
    host: Host,
    platforms: tuple[Platform, ...],
    *,
    arch: str = "amd64",
    name: str = "the image",
    requested_kind: str | None = None,
    today: date | None = None,
    repository: str = DEFAULT_BASE,
    extra_warnings: tuple[str, ...] = (),
    runtime: str | None = None,
    listed: bool = True,
    isolation: str = "any",
) -> Selection:
    """`runtime`: judge the entry that runtime pulls, and let its outcome decide; `listed`:
    the platforms come from a list/index (runtimes then see only its os.version fields)."""
    entries = tuple(judge_entry(host, p, _arch(arch)) for p in platforms)
    outcomes = runtimes.outcomes_for_platforms(host, platforms, _arch(arch), listed=listed)
    judged = [e for e in entries if e.version is not None]
    if not judged:
        fallback = _fallback(host, entries, _arch(arch), name)
        return Selection(None, entries, runtime_decides(fallback, outcomes, runtime), outcomes)
    chosen = max(judged, key=_rank)
    if runtime and outcomes[runtime].entry is not None:
        pulled = entries[outcomes[runtime].entry]
        chosen = pulled if pulled.version is not None else chosen
    notes = [*extra_warnings, *_string_order_note(chosen, tuple(judged))]
    clause = None
    if not runtime:
        starts = chosen.process.verdict in (Verdict.SUPPORTED, Verdict.PREVIEW)
        notes += runtimes.disagreements(outcomes, entries.index(chosen), starts)
        clause = runtimes.disagreement_clause(outcomes, entries.index(chosen), starts)
    note = runtimes.unversioned_note(platforms, outcomes)
    notes += [note] if note else []
    assessment = assess(
        host,
        chosen.version,
        requested_kind=requested_kind,
        today=today,
        repository=repository,
        extra_warnings=tuple(notes),
        runtime=runtime,
        isolation=isolation,
    )
    assessment = replace(assessment, runtime_note=clause)
    return Selection(chosen, entries, runtime_decides(assessment, outcomes, runtime), outcomes)


def runtime_decides(
    assessment: Assessment, outcomes: dict[str, runtimes.Outcome], runtime: str | None
) -> Assessment:
    """With `runtime=`: its outcome decides `compatible` and leads the sentence."""
    if not runtime:
        return assessment
    o, name = outcomes[runtime], runtimes.BY_ID[runtime].name
    if not o.matches:
        return replace(
            assessment,
            runtime_compatible=False,
            fixed_summary=f"No: {name} pulls nothing for this host: {o.detail}.",
        )
    # It pulls an entry: the answer is already about that entry, judged for this runtime.
    return replace(
        assessment,
        runtime_lead=f"With {name}, ",
    )


def assess_version(
    host: Host,
    image: WindowsVersion,
    *,
    runtime: str | None = None,
    requested_kind: str | None = None,
    today: date | None = None,
    extra_warnings: tuple[str, ...] = (),
    isolation: str = "any",
) -> tuple[Assessment, dict[str, runtimes.Outcome]]:
    """An image_version question with every runtime's row; `runtime` decides as on lists."""
    outcomes = runtimes.outcomes_for_version(host, image)
    notes, clause = list(extra_warnings), None
    if not runtime:
        table = judge(host, image, Isolation.PROCESS).verdict
        starts = table in (Verdict.SUPPORTED, Verdict.PREVIEW)
        notes += runtimes.disagreements(outcomes, None, starts)
        clause = runtimes.disagreement_clause(outcomes, None, starts)
    a = assess(
        host,
        image,
        requested_kind=requested_kind,
        today=today,
        extra_warnings=tuple(notes),
        runtime=runtime,
        isolation=isolation,
    )
    return runtime_decides(replace(a, runtime_note=clause), outcomes, runtime), outcomes


def select_for_node(
    host: Host, platforms: tuple[Platform, ...], container_runtime_version: str | None, **kw
) -> Selection:
    """A Kubernetes node judged by its own runtime, from `status.nodeInfo.containerRuntimeVersion`
    (`containerd://1.7.20`, `docker://20.10.9`); a runtime we cannot name gets the doc's pick."""
    return select_platform(
        host, platforms, runtime=runtimes.runtime_for(container_runtime_version), **kw
    )


def assess_version_for_node(
    host: Host, image: WindowsVersion, container_runtime_version: str | None, **kw
) -> tuple[Assessment, dict[str, runtimes.Outcome]]:
    """The same for an image_version question."""
    return assess_version(
        host, image, runtime=runtimes.runtime_for(container_runtime_version), **kw
    )
