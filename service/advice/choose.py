"""Choose the floating and the pinned tag for a host or a fleet, from a classified tag list and
what the registry said about the few tags worth resolving. Pure (advice.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from service.advice import warnings as say
from service.advice.shapes import DATED, FLOATING, KB, PINNED, UNKNOWN, TagShape, classify
from service.compat.rules import EXACT_REVISION_BUILDS, Host, Isolation, Verdict, judge
from service.compat.versions import WindowsVersion

ISOLATIONS = ("process", "hyperv", "any")
MAX_KB_RESOLVED = 12  # KB tags read per answer (one manifest each), newest first
_ARCH_ORDER = {None: 0, "amd64": 1, "arm64": 2}


@dataclass(frozen=True)
class Resolved:
    """One tag's image as the registry described it (its Windows entry for the arch)."""

    os_version: WindowsVersion | None
    digest: str | None


@dataclass(frozen=True)
class Pick:
    tag: str
    os_version: str | None
    digest: str | None = None


@dataclass(frozen=True)
class Group:
    """The answer for some hosts: all of them, or those of one build when nothing is common."""

    hosts: tuple[Host, ...]
    floating: TagShape | None
    pinned: TagShape | None


@dataclass(frozen=True)
class Split:
    build: int
    hosts: tuple[str, ...]
    floating: Pick | None
    pinned: Pick | None
    dockerfile: str | None


@dataclass(frozen=True)
class KbPair:
    kb: str
    tag: str
    os_version: str | None
    revision: int | None
    digest: str | None
    pinned_tag: str | None  # the 10.0.B.R tag of the same revision, when published


@dataclass(frozen=True)
class TagRow:
    shape: TagShape
    runs_on: tuple[str, ...]


@dataclass(frozen=True)
class Advice:
    family: str
    floating: Pick | None
    pinned: Pick | None
    dockerfile: str | None
    tags: tuple[TagRow, ...]
    kb: tuple[KbPair, ...]
    splits: tuple[Split, ...]
    warnings: tuple[str, ...]


# -- which tags belong to the question --------------------------------------------------------


def families(shapes: Iterable[TagShape]) -> dict[str, int]:
    """Family prefix -> number of tags naming a Windows release."""
    counts: dict[str, int] = {}
    for shape in shapes:
        if shape.kind != UNKNOWN:
            counts[shape.family] = counts.get(shape.family, 0) + 1
    return counts


def pick_family(shapes: Sequence[TagShape], wanted: str | None = None) -> str:
    """The asked family; else the base images' (no prefix); else the largest family."""
    if wanted is not None:
        return wanted
    counts = families(shapes)
    if "" in counts or not counts:
        return ""
    return max(counts, key=lambda f: (counts[f], f))


def family_of(image_tag: str | None, shapes: Sequence[TagShape]) -> str | None:
    """The family a tag given with the repository (`…/aspnet:4.8-windowsservercore-ltsc2019`)
    belongs to, if it names a release."""
    if not image_tag:
        return None
    shape = classify(image_tag)
    return shape.family if shape.kind != UNKNOWN else None


def _usable(shapes: Sequence[TagShape], family: str, arch: str) -> list[TagShape]:
    return [
        s for s in shapes if s.kind != UNKNOWN and s.family == family and s.arch in (None, arch)
    ]


# -- judging ------------------------------------------------------------------------------------


def _version(shape: TagShape, resolved: Mapping[str, Resolved]) -> WindowsVersion | None:
    known = resolved.get(shape.tag)
    if known is not None and known.os_version is not None:
        return known.os_version
    if shape.build is None:
        return None
    return WindowsVersion(10, 0, shape.build, shape.revision)


def runs(host: Host, version: WindowsVersion, isolation: str) -> bool:
    return _judged(host, version.major, version.minor, version.build, version.revision, isolation)


def _judged(host: Host, major: int, minor: int, build: int, revision, isolation: str) -> bool:
    # Revisions matter only within a build (rules.md §4): other builds are judged once each,
    # which keeps a 10,000-tag list to a few hundred judgements.
    if build != host.build:
        revision = None
    return _runs(host, major, minor, build, revision, isolation)


@lru_cache(maxsize=65_536)
def _runs(host: Host, major: int, minor: int, build: int, revision, isolation: str) -> bool:
    version = WindowsVersion(major, minor, build, revision)
    modes = (Isolation.PROCESS, Isolation.HYPERV) if isolation == "any" else (isolation,)
    return any(judge(host, version, mode).verdict is Verdict.SUPPORTED for mode in modes)


def _runs_all(hosts: Sequence[Host], version: WindowsVersion | None, isolation: str) -> bool:
    return version is not None and all(runs(h, version, isolation) for h in hosts)


def _not_newer(hosts: Sequence[Host], version: WindowsVersion) -> bool:
    """No host of the same build is at an older revision than the image."""
    return all(
        h.build != version.build
        or h.version.revision is None
        or version.revision is None
        or version.revision <= h.version.revision
        for h in hosts
    )


# -- choosing -----------------------------------------------------------------------------------


def _floating_rank(shape: TagShape) -> tuple:
    # Newest build; the unsuffixed tag over -amd64; ltsc… over 1809-style names.
    ltsc = (shape.release or "").lower().startswith("ltsc")
    return (shape.build or 0, -_ARCH_ORDER.get(shape.arch, 3), ltsc, shape.tag)


def _floating(
    usable: Sequence[TagShape], hosts: Sequence[Host], isolation: str, resolved
) -> TagShape | None:
    found = [
        s
        for s in usable
        if s.kind == FLOATING and _runs_all(hosts, _version(s, resolved), isolation)
    ]
    return max(found, key=_floating_rank, default=None)


def _pinned(usable: Sequence[TagShape], hosts: Sequence[Host], isolation: str) -> TagShape | None:
    best: TagShape | None = None
    for s in usable:
        if s.kind != PINNED or s.build is None:
            continue
        if best is not None and (s.build, s.revision) < (best.build, best.revision):
            continue  # cheaper than judging: it could not win
        if not all(_judged(h, 10, 0, s.build, s.revision, isolation) for h in hosts):
            continue
        if not _not_newer(hosts, WindowsVersion(10, 0, s.build, s.revision)):
            continue
        if best is None or _pinned_rank(s) > _pinned_rank(best):
            best = s
    return best


def _pinned_rank(s: TagShape) -> tuple:
    return (s.build, s.revision, -_ARCH_ORDER.get(s.arch, 3))


def groups(
    shapes: Sequence[TagShape],
    hosts: Sequence[Host],
    *,
    family: str,
    arch: str = "amd64",
    isolation: str = "process",
    resolved: Mapping[str, Resolved] | None = None,
) -> tuple[Group, ...]:
    """One group for every host when some tag runs on all of them, else one per build."""
    usable, resolved = _usable(shapes, family, arch), resolved or {}
    common = Group(
        tuple(hosts),
        _floating(usable, hosts, isolation, resolved),
        _pinned(usable, hosts, isolation),
    )
    builds = sorted({h.build for h in hosts}, reverse=True)
    if common.floating or common.pinned or len(builds) < 2:
        return (common,)
    split = []
    for build in builds:
        mine = tuple(h for h in hosts if h.build == build)
        split.append(
            Group(
                mine, _floating(usable, mine, isolation, resolved), _pinned(usable, mine, isolation)
            )
        )
    return tuple(split)


def kb_tags(shapes: Sequence[TagShape], builds: Iterable[int], family: str) -> list[TagShape]:
    """The KB tags worth resolving for these builds: newest KB numbers first, bounded."""
    wanted = set(builds)
    found = [s for s in shapes if s.kind == KB and s.build in wanted and s.family == family]
    return sorted(found, key=lambda s: int(s.kb[2:]), reverse=True)[:MAX_KB_RESOLVED]


def tags_to_resolve(
    shapes: Sequence[TagShape],
    hosts: Sequence[Host],
    *,
    family: str,
    arch: str = "amd64",
    isolation: str = "process",
) -> list[str]:
    """The floating tag of each group (its os.version is in its manifest list) and the KB tags."""
    found = groups(shapes, hosts, family=family, arch=arch, isolation=isolation)
    tags = [g.floating.tag for g in found if g.floating]
    tags += [s.tag for s in kb_tags(shapes, {h.build for h in hosts}, family)]
    return list(dict.fromkeys(tags))


# -- the answer ---------------------------------------------------------------------------------


def advise(
    repository: str,
    shapes: Sequence[TagShape],
    hosts: Sequence[Host],
    resolved: Mapping[str, Resolved],
    *,
    family: str,
    arch: str = "amd64",
    isolation: str = "process",
    truncated: bool = False,
) -> Advice:
    usable = _usable(shapes, family, arch)
    # The same groups tags_to_resolve saw: the floating tag's real os.version only warns.
    found = groups(shapes, hosts, family=family, arch=arch, isolation=isolation)
    notes: list[str] = []
    answers = [_group_answer(repository, g, usable, resolved, isolation, notes) for g in found]
    rows = tuple(
        TagRow(s, tuple(str(h.version) for h in hosts if _shape_runs(h, s, resolved, isolation)))
        for s in sorted(shapes, key=_newest_first)
    )
    splits: tuple[Split, ...] = ()
    if len(found) > 1:
        splits = tuple(answers)
        notes.append(say.split(repository, splits))
        floating = pinned = dockerfile = None
    else:
        floating, pinned, dockerfile = answers[0].floating, answers[0].pinned, answers[0].dockerfile
    if truncated:
        notes.append(say.truncated(repository, len(shapes)))
    kb = kb_pairs(shapes, resolved, family)
    return Advice(
        family, floating, pinned, dockerfile, rows, kb, splits, tuple(dict.fromkeys(notes))
    )


_KIND_ORDER = {FLOATING: 0, PINNED: 1, DATED: 2, KB: 3, UNKNOWN: 4}


def _newest_first(shape: TagShape) -> tuple:
    revision = shape.revision if shape.revision is not None else -1
    return (-(shape.build or 0), _KIND_ORDER[shape.kind], -revision, shape.tag)


def _shape_runs(host: Host, shape: TagShape, resolved, isolation: str) -> bool:
    known = resolved.get(shape.tag)
    if known is not None and known.os_version is not None:
        return runs(host, known.os_version, isolation)
    if shape.build is None:
        return False
    return _judged(host, 10, 0, shape.build, shape.revision, isolation)


def _group_answer(
    repository: str,
    group: Group,
    usable: Sequence[TagShape],
    resolved: Mapping[str, Resolved],
    isolation: str,
    notes: list[str],
) -> Split:
    hosts = group.hosts
    pinned = _as_pick(group.pinned, resolved)
    floating = _as_pick(group.floating, resolved)
    use = None
    if group.floating is not None:
        known = resolved.get(group.floating.tag)
        version = known.os_version if known else None
        notes.extend(
            _floating_notes(group.floating, version, hosts, usable, group.pinned, isolation)
        )
        if (
            version is not None
            and _runs_all(hosts, version, isolation)
            and _not_newer(hosts, version)
        ):
            use = group.floating.tag
    use = use or (group.pinned.tag if group.pinned else None)
    kbs = {
        (v.build, v.revision): shape.kb
        for shape in usable
        if shape.kind == KB and (v := _version(shape, resolved)) is not None
    }
    notes.extend(_host_notes(repository, hosts, usable, group, isolation, kbs))
    build = max(h.build for h in hosts)
    dockerfile = f"FROM {repository}:{use}" if use else None
    return Split(build, tuple(str(h.version) for h in hosts), floating, pinned, dockerfile)


def _as_pick(shape: TagShape | None, resolved: Mapping[str, Resolved]) -> Pick | None:
    if shape is None:
        return None
    known = resolved.get(shape.tag)
    if known is not None:
        version = str(known.os_version) if known.os_version else None
        return Pick(shape.tag, version, known.digest)
    return Pick(shape.tag, shape.version if shape.kind == PINNED else None)


def _newest_pinned(usable: Sequence[TagShape], build: int) -> TagShape | None:
    same = [s for s in usable if s.kind == PINNED and s.build == build]
    return max(same, key=lambda s: s.revision or 0, default=None)


def _floating_notes(
    floating: TagShape,
    version: WindowsVersion | None,
    hosts: Sequence[Host],
    usable: Sequence[TagShape],
    pinned: TagShape | None,
    isolation: str,
) -> list[str]:
    if version is None:
        return [say.unread(floating.tag)]
    notes = []
    newest = _newest_pinned(usable, version.build)
    if newest and version.revision is not None and (newest.revision or 0) > version.revision:
        notes.append(say.lagging(floating.tag, version, newest.tag))
    for host in hosts:
        older = host.build == version.build and host.version.revision is not None
        if older and version.revision is not None and version.revision > host.version.revision:
            notes.append(say.newer_than_host(floating.tag, version, host, pinned))
    if not _runs_all(hosts, version, isolation):
        notes.append(say.floating_does_not_run(floating.tag, version, isolation))
    return notes


def _host_notes(
    repository: str,
    hosts: Sequence[Host],
    usable: Sequence[TagShape],
    group: Group,
    isolation: str,
    kbs: Mapping[tuple, str | None],
) -> list[str]:
    notes = []
    for host in hosts:
        if host.build in EXACT_REVISION_BUILDS and group.pinned is None:
            newest = _newest_pinned(usable, host.build)
            kb = kbs.get((newest.build, newest.revision)) if newest else None
            notes.append(say.exact_revision(repository, host, newest, kb))
        elif host.version.revision is None and group.pinned is not None:
            notes.append(say.no_revision(host, group.pinned.tag))
    if group.floating is None and group.pinned is None:
        notes.append(say.nothing_runs(repository, hosts, isolation))
    return notes


def kb_pairs(
    shapes: Sequence[TagShape], resolved: Mapping[str, Resolved], family: str
) -> tuple[KbPair, ...]:
    pinned: dict[tuple, str] = {}
    for s in sorted(shapes, key=lambda s: _ARCH_ORDER.get(s.arch, 3)):  # unsuffixed first
        if s.kind == PINNED and s.family == family:
            pinned.setdefault((s.build, s.revision), s.tag)
    pairs = []
    for shape in shapes:
        known = resolved.get(shape.tag)
        if shape.kind != KB or known is None:
            continue
        version = known.os_version
        revision = version.revision if version else None
        same = pinned.get((version.build, revision)) if version else None
        shown = str(version) if version else None
        pairs.append(KbPair(shape.kb or "", shape.tag, shown, revision, known.digest, same))
    return tuple(sorted(pairs, key=lambda p: int(p.kb[2:]), reverse=True))


def kb_matches(shapes: Sequence[TagShape], kb: str) -> list[TagShape]:
    """Tags carrying this KB number, any family."""
    wanted = kb.upper()
    return [s for s in shapes if s.kind == KB and s.kb == wanted][:MAX_KB_RESOLVED]
