"""The compatibility decision of rules.md §3-4: one verdict and reason per isolation mode.

Every exception to "same build" lives in the tables below, next to the catalog, so the
decision itself stays a few short functions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.compat import catalog, known_problems
from service.compat.catalog import (
    CLIENT,
    LTSC2016,
    LTSC2019,
    LTSC2022,
    LTSC2025,
    SERVER,
    V20H2,
    V23H2,
    V2004,
    WINDOWS_11_FIRST_BUILD,
)
from service.compat.versions import WindowsVersion


class Isolation(StrEnum):
    PROCESS = "process"
    HYPERV = "hyperv"


class Rule(StrEnum):
    """Stable ids of the rules that decide a verdict: the API's `rule` field."""

    MAJOR_MINOR = "major-minor"
    NEWER_IMAGE = "newer-image"
    HYPERV_OLDER = "hyperv-older"
    HYPERV_ONLY = "hyperv-only"
    SAME_BUILD = "same-build"
    STABLE_ABI = "stable-abi"
    DIFFERENT_BUILD = "different-build"
    EXACT_REVISION = "exact-revision"
    REVISION_MISSING = "revision-missing"
    BASELINE = "baseline"
    WIN11_PREVIEW = "win11-preview"
    WIN11_SUPPORTED = "win11-supported"
    WIN11_OTHER = "win11-other"
    WIN10_SAME_BUILD = "win10-same-build"
    WIN10_OTHER = "win10-other"
    # Decided before the rules, when an image entry cannot be judged (selection).
    NOT_WINDOWS = "not-windows"
    OTHER_ARCHITECTURE = "other-architecture"
    NO_OS_VERSION = "no-os-version"
    LINUX_IMAGE = "linux-image"


class Verdict(StrEnum):
    SUPPORTED = "supported"
    UNSUPPORTED = "unsupported"
    PREVIEW = "preview"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Host:
    version: WindowsVersion
    kind: str  # "server" or "client"

    @property
    def build(self) -> int:
        return self.version.build


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str
    # A stable id for machines: a Rule, or `known-problem:<id>` when a known field failure
    # (known_problems.py, data with dynamic ids) overrode the table.
    rule: Rule | str

    @property
    def known_problem(self) -> str | None:
        """The id of the known problem that decided, if one did."""
        prefix = known_problems.RULE_PREFIX
        return self.rule.removeprefix(prefix) if self.rule.startswith(prefix) else None


@dataclass(frozen=True)
class Baseline:
    host_revision: int  # hosts at or past this revision are on the new side
    image_revision: int  # images at or past this revision are on the new side
    name: str


# Server hosts that run other builds' images with process isolation (stable ABI from WS2022).
STABLE_ABI_IMAGES: dict[int, frozenset[int]] = {
    V23H2: frozenset({LTSC2022}),
    LTSC2025: frozenset({LTSC2022}),
}

# Hosts whose Hyper-V isolation runs only these image builds.
HYPERV_ONLY_IMAGES: dict[int, frozenset[int]] = {V23H2: frozenset({LTSC2022})}

# Windows 11 hosts with process isolation: image build -> verdict (others are unsupported).
WINDOWS_11_PROCESS: dict[int, Verdict] = {
    LTSC2022: Verdict.PREVIEW,
    LTSC2025: Verdict.SUPPORTED,
}
WINDOWS_11_RULES: dict[Verdict, Rule] = {
    Verdict.PREVIEW: Rule.WIN11_PREVIEW,
    Verdict.SUPPORTED: Rule.WIN11_SUPPORTED,
}

# Windows 10 hosts that run their own build's image with process isolation.
WINDOWS_10_PROCESS_BUILDS = frozenset({V2004, V20H2})

# Builds whose process isolation needs host and image at the very same revision.
EXACT_REVISION_BUILDS = frozenset({LTSC2016})

# Builds split by a security baseline: both sides must agree (process isolation only).
BASELINES: dict[int, Baseline] = {
    LTSC2019: Baseline(1039, 1040, "February 2020 security baseline"),
}


def _names(host: Host, image: WindowsVersion) -> dict[str, object]:
    return {
        "ib": image.build,
        "hb": host.build,
        "irel": catalog.describe(image.build, SERVER),
        "hrel": catalog.describe(host.build, host.kind),
        "iv": image,
        "hv": host.version,
    }


REASONS: dict[Rule, str] = {
    Rule.MAJOR_MINOR: "Windows containers need the same major.minor version: image {iv} ({irel}), "
    "host {hv} ({hrel}).",
    Rule.NEWER_IMAGE: "A newer image never runs on an older host: image {ib} ({irel}) is newer "
    "than host {hb} ({hrel}).",
    Rule.HYPERV_OLDER: "Hyper-V isolation gives the container its own kernel, so an image of the "
    "same or an older build runs: image {ib} ({irel}) on host {hb} ({hrel}).",
    Rule.HYPERV_ONLY: "A {hrel} host runs only {allowed} images, even with Hyper-V isolation: "
    "image {ib} ({irel}), host {hb}.",
    Rule.SAME_BUILD: "Process isolation shares the host's kernel and the builds match: "
    "image {ib} ({irel}), host {hb} ({hrel}).",
    Rule.STABLE_ABI: "Windows Server 2022 images run with process isolation on newer server hosts "
    "thanks to the stable ABI: image {ib} ({irel}), host {hb} ({hrel}).",
    Rule.DIFFERENT_BUILD: "Process isolation needs the same build: image {ib} ({irel}), "
    "host {hb} ({hrel}).",
    Rule.EXACT_REVISION: "{irel} needs the exact same revision for process isolation: "
    "image {iv}, host {hv}.",
    Rule.REVISION_MISSING: "{irel} needs the exact same revision for process isolation, and the "
    "{missing} revision is unknown: give the full version (10.0.{ib}.N, from `ver`).",
    Rule.BASELINE: "With process isolation, host and image must sit on the same side of the "
    "{baseline}: image {iv} is {iside} (revision {irev} or later is after), host {hv} is "
    "{hside} (revision {hrev} or later is after).",
    Rule.WIN11_PREVIEW: "Windows 11 runs Windows Server 2022 images with process isolation only as "
    "a preview, not supported for production: image {ib} ({irel}), host {hb} ({hrel}).",
    Rule.WIN11_SUPPORTED: "Windows 11 24H2 and later run Windows Server 2025 images with process "
    "isolation: image {ib} ({irel}), host {hb} ({hrel}).",
    Rule.WIN11_OTHER: "Windows 11 runs only Windows Server 2022 (preview) and Windows Server 2025 "
    "images with process isolation: image {ib} ({irel}), host {hb} ({hrel}).",
    Rule.WIN10_SAME_BUILD: "Windows 10 2004 and 20H2 run their own build's image with process "
    "isolation: image {ib} ({irel}), host {hb} ({hrel}).",
    Rule.WIN10_OTHER: "Windows 10 supports process isolation only on 2004 and 20H2 hosts with "
    "an image of the same build: image {ib} ({irel}), host {hb} ({hrel}).",
}


def _judgement(
    verdict: Verdict, rule: Rule, host: Host, image: WindowsVersion, **extra
) -> Judgement:
    return Judgement(verdict, REASONS[rule].format(**_names(host, image), **extra), rule)


def judge(
    host: Host, image: WindowsVersion, isolation: Isolation | str, *, runtime: str | None = None
) -> Judgement:
    """Can an image of this version start on this host under this isolation mode?
    Microsoft's table, then the known field failures in force (for `runtime`, when given)."""
    mode = Isolation(isolation)
    key = (host, image, mode, runtime, known_problems.generation())
    found = _JUDGED.get(key)
    if found is None:
        decide = _process if mode is Isolation.PROCESS else _hyperv
        table = _never(host, image) or decide(host, image)
        found = _known_failure(host, image, mode, table, runtime) or table
        if len(_JUDGED) >= _JUDGED_MAX:
            _JUDGED.clear()  # bounded: distinct versions come from user input
        _JUDGED[key] = found
    return found


# Judgements are pure in (host, image, mode, runtime, table): one answer judges the same pairs
# many times (every entry, every runtime row, every candidate base tag).
_JUDGED: dict[tuple, Judgement] = {}
_JUDGED_MAX = 16_384


def _known_failure(
    host: Host, image: WindowsVersion, mode: Isolation, table: Judgement, runtime: str | None
) -> Judgement | None:
    """A `fails` known problem outranks the table (rules.md §7); an unsupported pair stays
    with the rule that already excludes it."""
    if table.verdict is Verdict.UNSUPPORTED:
        return None
    problem = known_problems.in_force().failing(host.version, host.kind, image, mode.value, runtime)
    if problem is None:
        return None
    # One sentence: the field failure, then what the table said, as a clause.
    said = table.reason.rstrip(".")
    reason = (
        f"Known problem {problem.label}: {problem.text.rstrip('.')}; Microsoft's table says "
        f"{table.verdict.value} ({said})."
    )
    return Judgement(Verdict.UNSUPPORTED, reason, problem.rule)


def _never(host: Host, image: WindowsVersion) -> Judgement | None:
    """The rules that hold in both modes (rules.md §3.1-2)."""
    if (image.major, image.minor) != (host.version.major, host.version.minor):
        return _judgement(Verdict.UNSUPPORTED, Rule.MAJOR_MINOR, host, image)
    if image.build > host.build:
        return _judgement(Verdict.UNSUPPORTED, Rule.NEWER_IMAGE, host, image)
    return None


def _hyperv(host: Host, image: WindowsVersion) -> Judgement:
    allowed = HYPERV_ONLY_IMAGES.get(host.build)
    if allowed is not None and image.build not in allowed:
        names = " or ".join(catalog.describe(b) for b in sorted(allowed))
        return _judgement(Verdict.UNSUPPORTED, Rule.HYPERV_ONLY, host, image, allowed=names)
    return _judgement(Verdict.SUPPORTED, Rule.HYPERV_OLDER, host, image)


def _process(host: Host, image: WindowsVersion) -> Judgement:
    if host.kind == CLIENT:
        return _process_client(host, image)
    if image.build == host.build:
        return _revisions(host, image)
    if image.build in STABLE_ABI_IMAGES.get(host.build, ()):
        return _judgement(Verdict.SUPPORTED, Rule.STABLE_ABI, host, image)
    return _judgement(Verdict.UNSUPPORTED, Rule.DIFFERENT_BUILD, host, image)


def _process_client(host: Host, image: WindowsVersion) -> Judgement:
    if host.build >= WINDOWS_11_FIRST_BUILD:
        verdict = WINDOWS_11_PROCESS.get(image.build, Verdict.UNSUPPORTED)
        rule = WINDOWS_11_RULES.get(verdict, Rule.WIN11_OTHER)
        return _judgement(verdict, rule, host, image)
    if image.build == host.build and host.build in WINDOWS_10_PROCESS_BUILDS:
        return _judgement(Verdict.SUPPORTED, Rule.WIN10_SAME_BUILD, host, image)
    return _judgement(Verdict.UNSUPPORTED, Rule.WIN10_OTHER, host, image)


def _revisions(host: Host, image: WindowsVersion) -> Judgement:
    """Same build on a server host: the revision rules of rules.md §4."""
    hr, ir = host.version.revision, image.revision
    if host.build in EXACT_REVISION_BUILDS:
        missing = [who for who, rev in (("host", hr), ("image", ir)) if rev is None]
        if missing:
            which = " and ".join(missing)
            return _judgement(Verdict.UNKNOWN, Rule.REVISION_MISSING, host, image, missing=which)
        if hr != ir:
            return _judgement(Verdict.UNSUPPORTED, Rule.EXACT_REVISION, host, image)
    baseline = BASELINES.get(host.build)
    if baseline and baseline_side(host.version, baseline, host=True) != baseline_side(
        image, baseline, host=False
    ):
        return _judgement(
            Verdict.UNSUPPORTED,
            Rule.BASELINE,
            host,
            image,
            baseline=baseline.name,
            iside=baseline_side(image, baseline, host=False),
            hside=baseline_side(host.version, baseline, host=True),
            irev=baseline.image_revision,
            hrev=baseline.host_revision,
        )
    return _judgement(Verdict.SUPPORTED, Rule.SAME_BUILD, host, image)


def baseline_side(version: WindowsVersion, baseline: Baseline, *, host: bool) -> str:
    """ "before" or "after" the baseline; a missing revision counts as after (rules.md §4)."""
    boundary = baseline.host_revision if host else baseline.image_revision
    if version.revision is not None and version.revision < boundary:
        return "before"
    return "after"
