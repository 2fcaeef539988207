"""What each real container runtime does with an image (runtimes.md): which entry of a list it
pulls, and whether that entry then starts.

A runtime is a row of RUNTIMES: a platform matcher (one function per family) and the sort it
uses to choose among matching entries. Runtimes never read config blobs to choose: they see the
`os.version` of the index, or nothing, so an entry whose version wincompat read from its config
is, to them, an entry without a version."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from service.compat import catalog
from service.compat.catalog import CLIENT, LTSC2022, LTSC2025
from service.compat.image import Platform
from service.compat.rules import Host, Isolation, Judgement, Verdict, judge
from service.compat.runtime_ids import CONTAINERD_16, CONTAINERD_17, CONTAINERD_22, DOCKER
from service.compat.versions import InvalidVersion, WindowsVersion, parse_version

NO_MATCH = "no match for platform in manifest"  # containerd's error (errdefs.ErrNotFound)
# LTSC builds with a stable ABI, ascending: containerd >= 2.2 / hcsshim >= 0.13 run images from
# the newest of these older than the host up to the host (hcsshim osversion compatLTSCReleases).
ABI_LTSC_BUILDS: tuple[int, ...] = (LTSC2022, LTSC2025)
ABI_FIRST = LTSC2022  # below this host build every runtime needs the very same build


@dataclass(frozen=True)
class Seen:
    """A list entry as a runtime sees it: its os.version string from the index, or ""."""

    index: int
    os: str
    architecture: str
    os_version: str


# ---- parsing the way the runtimes do -------------------------------------------------------


def _parts(os_version: str) -> list[str]:
    return os_version.split(".")


def _mmb(os_version: str) -> tuple[int, int, int] | None:
    """major.minor.build as containerd's getWindowsOSVersion reads them; None if unreadable."""
    parts = _parts(os_version)
    if len(parts) < 3:
        return None
    try:
        return int(parts[0]), int(parts[1]), int(parts[2])
    except ValueError:
        return None


def revision_of(os_version: str) -> int:
    """containerd <= 2.1's revision(): the fourth part as an integer, 0 when absent or bad."""
    parts = _parts(os_version)
    if len(parts) < 4:
        return 0
    try:
        return int(parts[3])
    except ValueError:
        return 0


def host_prefix(host: WindowsVersion) -> str:
    """What runtimes know of their host: major.minor.build (RtlGetNtVersionNumbers)."""
    return f"{host.major}.{host.minor}.{host.build}"


# ---- matchers: one per family ---------------------------------------------------------------


def _abi_window(host: WindowsVersion, os_version: str, lowest: int) -> bool:
    got = _mmb(os_version)
    if got is None or got[:2] != (host.major, host.minor):
        return False
    if host.build < ABI_FIRST:
        return got[2] == host.build
    return lowest <= got[2] <= host.build


def match_abi_ltsc(host: WindowsVersion, os_version: str) -> bool:
    """containerd >= 2.2: from the newest stable-ABI LTSC *older* than the host, up to it."""
    if not os_version:
        return True
    older = [b for b in ABI_LTSC_BUILDS if host.build > b]
    return _abi_window(host, os_version, older[-1] if older else ABI_FIRST)


def match_abi_2022(host: WindowsVersion, os_version: str) -> bool:
    """containerd 1.7.6 - 2.1 (hcsshim 0.10 - 0.12): any build from 20348 up to the host."""
    if not os_version:
        return True
    return _abi_window(host, os_version, ABI_FIRST)


def match_prefix(host: WindowsVersion, os_version: str) -> bool:
    """containerd <= 1.7.5: the os.version string starts with the host's major.minor.build."""
    return not os_version or os_version.startswith(host_prefix(host))


def match_docker(host: WindowsVersion, os_version: str) -> bool:
    """Docker's pull filter: refuse an image build above the host's, accept the rest."""
    got = _mmb(os_version)
    return got is None or got[2] <= host.build


# ---- sorts: which matching entry wins -------------------------------------------------------


def by_revision(host: WindowsVersion, entries: Sequence[Seen]) -> list[Seen]:
    """containerd <= 2.1: the integer revision alone, across builds, highest first."""
    return sorted(entries, key=lambda e: -revision_of(e.os_version))


def by_string(host: WindowsVersion, entries: Sequence[Seen]) -> list[Seen]:
    """containerd >= 2.2: the whole os.version string, descending (text, not numbers)."""
    return sorted(entries, key=lambda e: e.os_version, reverse=True)


def host_build_first(host: WindowsVersion, entries: Sequence[Seen]) -> list[Seen]:
    """Docker: entries of the host's maj.min.build first, else list order."""
    mine = host_prefix(host) + "."
    return sorted(entries, key=lambda e: not e.os_version.startswith(mine))


@dataclass(frozen=True)
class Runtime:
    id: str
    name: str  # how sentences name it
    versions: str  # who has it
    matches: Callable[[WindowsVersion, str], bool]
    order: Callable[[WindowsVersion, Sequence[Seen]], list[Seen]]
    rule: str  # the matcher in words, for details
    no_match: str  # the runtime's own error when nothing in a list matches
    refuses: str = NO_MATCH  # its error for a single image (or a version) it will not take


# fmt: off
RUNTIMES: tuple[Runtime, ...] = (
    Runtime(CONTAINERD_22, "containerd 2.2", "containerd >= 2.2, hcsshim >= 0.13",
            match_abi_ltsc, by_string,
            "images from the newest LTSC older than the host up to the host build", NO_MATCH),
    Runtime(CONTAINERD_17, "containerd 1.7", "containerd 1.7.6 - 2.1, hcsshim 0.10 - 0.12",
            match_abi_2022, by_revision, "images from build 20348 up to the host build", NO_MATCH),
    Runtime(CONTAINERD_16, "containerd 1.6", "containerd <= 1.7.5",
            match_prefix, by_revision, "the host's major.minor.build by prefix", NO_MATCH),
    Runtime(DOCKER, "Docker", "Moby / Docker Engine on Windows",
            match_docker, host_build_first, "image builds up to the host's",
            "no matching manifest for windows/{arch} {host} in the manifest list entries",
            "a Windows version {image}-based image is incompatible with a {host} host"),
)
# fmt: on
BY_ID: dict[str, Runtime] = {r.id: r for r in RUNTIMES}


# ---- what a runtime does with an image ------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    runtime: str
    matches: bool
    pulls: str | None  # the digest of the entry it pulls; None for versions or no match
    os_version: str | None  # that entry's real os.version (from its config if need be)
    starts: bool | None  # None: the entry's version is unknown
    isolation: str  # the mode `starts` is about: process, or hyperv for Docker on clients
    detail: str | None = None  # why not, in the runtime's own words where it has them
    entry: int | None = None  # index of the pulled entry in the platform list
    judgement: Judgement | None = None


def seen_entries(platforms: Sequence[Platform], listed: bool) -> list[Seen]:
    """The list as runtimes see it: index os.version only (a single manifest: its config's)."""
    out = []
    for i, p in enumerate(platforms):
        visible = p.os_version if (p.version_source == "index" or not listed) else None
        out.append(Seen(i, p.os.lower(), p.architecture.lower(), visible or ""))
    return out


def choose(
    runtime: Runtime, host: WindowsVersion, entries: Sequence[Seen], arch: str
) -> Seen | None:
    """The entry the runtime pulls: os/arch and its matcher, then its sort, first wins."""
    candidates = [
        e
        for e in entries
        if e.os == "windows" and e.architecture == arch and runtime.matches(host, e.os_version)
    ]
    ordered = runtime.order(host, candidates)
    return ordered[0] if ordered else None


def _mode(runtime: Runtime, host: Host) -> Isolation:
    return Isolation.HYPERV if runtime.id == DOCKER and host.kind == CLIENT else Isolation.PROCESS


@lru_cache(maxsize=4096)
def entry_version(text: str | None) -> WindowsVersion | None:
    """An entry's os.version as a version, parsed once per distinct string; None when it is
    missing or not a full/no-revision Windows version."""
    if not text:
        return None
    try:
        parsed = parse_version(text, kind=catalog.SERVER)
    except InvalidVersion:
        return None
    return parsed.version if parsed.shape in ("full", "no-revision") else None


def _started(
    runtime: Runtime, host: Host, version: WindowsVersion | None
) -> tuple[bool | None, str | None, Judgement | None]:
    """Whether the pulled entry starts, in the mode this runtime uses, and why not."""
    mode = _mode(runtime, host)
    if version is None:
        return None, "the entry carries no os.version, in the index or its config", None
    j = judge(host, version, mode, runtime=runtime.id)
    starts = j.verdict in (Verdict.SUPPORTED, Verdict.PREVIEW)
    if mode is Isolation.HYPERV:
        return starts, f"Docker on Windows 10/11 uses Hyper-V isolation by default: {j.reason}", j
    return starts, None if starts else j.reason, j


def _refused(runtime: Runtime, host: Host, arch: str, image: str | None) -> str:
    """Why nothing is pulled; `image` is the one version offered (a single image)."""
    mine = host_prefix(host.version)
    if image is None:
        error = runtime.no_match.format(arch=arch, host=mine)
        return f"no entry matches {mine} ({runtime.rule}): {error}"
    got = _mmb(image)
    shown = ".".join(map(str, got)) if got else image
    error = runtime.refuses.format(image=shown, host=mine)
    return f"image {image} does not match {mine} ({runtime.rule}): {error}"


def for_platforms(
    runtime: Runtime,
    host: Host,
    platforms: Sequence[Platform],
    arch: str,
    listed: bool,
    seen: Sequence[Seen] | None = None,
) -> Outcome:
    """What `runtime` does on `host` with an image of these platform entries."""
    mode = _mode(runtime, host).value
    seen = seen if seen is not None else seen_entries(platforms, listed)
    picked = choose(runtime, host.version, seen, arch)
    if picked is None:
        single = platforms[0].os_version if not listed and len(platforms) == 1 else None
        detail = _refused(runtime, host, arch, single)
        return Outcome(runtime.id, False, None, None, False, mode, detail)
    platform = platforms[picked.index]
    starts, detail, j = _started(runtime, host, entry_version(platform.os_version))
    return Outcome(
        runtime.id,
        True,
        platform.digest,
        platform.os_version,
        starts,
        mode,
        detail,
        picked.index,
        j,
    )


def for_version(runtime: Runtime, host: Host, image: WindowsVersion) -> Outcome:
    """An image_version question: would the runtime accept that version, and start it?"""
    mode = _mode(runtime, host).value
    if not runtime.matches(host.version, str(image)):
        detail = _refused(runtime, host, "amd64", str(image))
        return Outcome(runtime.id, False, None, str(image), False, mode, detail)
    starts, detail, j = _started(runtime, host, image)
    return Outcome(runtime.id, True, None, str(image), starts, mode, detail, None, j)


def outcomes_for_platforms(
    host: Host, platforms: Sequence[Platform], arch: str = "amd64", *, listed: bool = True
) -> dict[str, Outcome]:
    seen = seen_entries(platforms, listed)  # the same view for every runtime
    return {r.id: for_platforms(r, host, platforms, arch, listed, seen) for r in RUNTIMES}


def outcomes_for_version(host: Host, image: WindowsVersion) -> dict[str, Outcome]:
    return {r.id: for_version(r, host, image) for r in RUNTIMES}


# ---- which runtime a node runs ------------------------------------------------------------


_SEMVER = re.compile(r"v?(\d{1,6})\.(\d{1,6})(?:\.(\d{1,6}))?")


def _semver(text: str) -> tuple[int, int, int] | None:
    found = _SEMVER.match(text)
    if found is None:
        return None
    return int(found[1]), int(found[2]), int(found[3] or 0)


# containerd releases by the matcher they ship: (first version, runtime id), ascending.
CONTAINERD_RELEASES: tuple[tuple[tuple[int, ...], str], ...] = (
    ((0,), CONTAINERD_16),
    ((1, 7, 6), CONTAINERD_17),
    ((2, 2, 0), CONTAINERD_22),
)


def runtime_for(container_runtime_version: str | None) -> str | None:
    """The runtime row of a Kubernetes node's `status.nodeInfo.containerRuntimeVersion`
    (`containerd://1.7.20`, `docker://20.10.9`); None when it names none we know."""
    if not container_runtime_version or len(container_runtime_version) > 256:
        return None
    scheme, _, version = container_runtime_version.strip().partition("://")
    scheme = scheme.lower()
    if scheme == "docker":
        return DOCKER
    if scheme != "containerd":
        return None
    found = _semver(version)
    if found is None:
        return None
    chosen = None
    for first, runtime in CONTAINERD_RELEASES:
        if found >= first:
            chosen = runtime
    return chosen


# ---- what to warn about -------------------------------------------------------------------


def _entry_words(o: Outcome) -> str:
    return f"the {o.os_version or 'unversioned'} entry"


def _fate(o: Outcome) -> str:
    if o.starts is None:
        return "whose version nobody can tell"
    mode = "Hyper-V" if o.isolation == Isolation.HYPERV.value else "process"
    return f"which starts with {mode} isolation" if o.starts else f"which fails: {o.detail}"


def disagreements(
    outcomes: dict[str, Outcome], chosen: int | None, starts: bool | None
) -> list[str]:
    """One warning per runtime that will do something else than the verdict says: pull
    another entry, pull nothing, or fail to start the entry."""
    notes = []
    for runtime in RUNTIMES:
        o = outcomes[runtime.id]
        if not o.matches:
            if starts:
                notes.append(f"{runtime.name} on this host pulls nothing: {o.detail}.")
        elif o.entry is not None and chosen is not None and o.entry != chosen:
            notes.append(f"{runtime.name} on this host will pull {_entry_words(o)}, {_fate(o)}.")
        elif o.starts is False and starts:
            notes.append(f"{runtime.name} on this host will not start it: {o.detail}")
    return notes


def disagreement_clause(
    outcomes: dict[str, Outcome], chosen: int | None, starts: bool | None
) -> str | None:
    """The same disagreements, short, for the summary sentence."""
    said = []
    for runtime in RUNTIMES:
        o = outcomes[runtime.id]
        if not o.matches:
            if starts:
                said.append(f"{runtime.name} pulls nothing")
        elif o.entry is not None and chosen is not None and o.entry != chosen:
            said.append(f"{runtime.name} pulls the {o.os_version or 'unversioned'} entry instead")
        elif o.starts is False and starts:
            said.append(f"{runtime.name} will not start it")
    return "but " + ", ".join(said) if said else None


def unversioned_note(platforms: Sequence[Platform], outcomes: dict[str, Outcome]) -> str | None:
    """The warning for a list whose Windows entries lack os.version in the index: name the
    entry the runtimes will take (the first) and whether it runs."""
    lacking = [p for p in platforms if p.is_windows and p.version_source != "index"]
    if not lacking:
        return None
    takers: dict[int, list[str]] = {}
    for runtime in RUNTIMES:
        o = outcomes[runtime.id]
        if o.entry is not None and platforms[o.entry].version_source != "index":
            takers.setdefault(o.entry, []).append(runtime.name)
    named = "; ".join(
        f"{', '.join(names)} take entry {i} ({platforms[i].digest or 'no digest'}, "
        f"{platforms[i].os_version or 'no version'} by its config), "
        f"{_fate(next(o for o in outcomes.values() if o.entry == i))}"
        for i, names in takers.items()
    )
    count = len(lacking)
    head = (
        f"The index gives no os.version for {count} Windows "
        f"entr{'y' if count == 1 else 'ies'}, and runtimes never read config blobs to choose: "
        "they pull the first such entry"
    )
    return f"{head}; {named}." if named else f"{head}."
