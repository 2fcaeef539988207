"""Images with several platforms (rules.md §6): judge every entry, pick the one the host
should use, and answer for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.compat import catalog
from service.compat.assessment import Assessment, assess
from service.compat.image import Platform
from service.compat.remedies import DEFAULT_BASE
from service.compat.rules import Host, Isolation, Judgement, Rule, Verdict, judge
from service.compat.versions import InvalidVersion, WindowsVersion, parse_version

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


def _arch(name: str) -> str:
    return ARCH_ALIASES.get(name.lower(), name.lower())


def _same(verdict: Verdict, reason: str, rule: Rule) -> tuple[Judgement, Judgement]:
    return Judgement(verdict, reason, rule), Judgement(verdict, reason, rule)


def _os_version(platform: Platform) -> WindowsVersion | None:
    if not platform.os_version:
        return None
    try:
        parsed = parse_version(platform.os_version, kind=catalog.SERVER)
    except InvalidVersion:
        return None
    return parsed.version if parsed.shape in ("full", "no-revision") else None


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
    isolation: str = "any",
) -> Selection:
    entries = tuple(judge_entry(host, p, _arch(arch)) for p in platforms)
    judged = [e for e in entries if e.version is not None]
    if not judged:
        return Selection(None, entries, _fallback(host, entries, _arch(arch), name))
    chosen = max(judged, key=_rank)
    notes = (*extra_warnings, *_string_order_note(chosen, tuple(judged)))
    assessment = assess(
        host,
        chosen.version,
        requested_kind=requested_kind,
        today=today,
        repository=repository,
        extra_warnings=notes,
        isolation=isolation,
    )
    return Selection(chosen, entries, assessment)
