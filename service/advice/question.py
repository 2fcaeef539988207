"""GET /advice as a plain function over the resolver: list, classify, resolve the few tags
that matter (the floating tag per group, KB tags), then choose (choose.py)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.advice.choose import (
    Advice,
    KbPair,
    Resolved,
    advise,
    family_of,
    kb_matches,
    kb_pairs,
    pick_family,
    runs,
    tags_to_resolve,
)
from service.advice.shapes import TagShape, classify
from service.compat import catalog
from service.compat.hosts import host_from_text
from service.compat.image import Platform
from service.compat.rules import Host
from service.compat.versions import InvalidVersion, WindowsVersion, parse_version
from service.registry.errors import ImageNotFound, RegistryAuthError, RegistryError
from service.registry.reference import ImageReference, parse_reference

MAX_HOSTS = 100
_KB = re.compile(r"\s*KB\d{6,8}\s*", re.I)


class BadAdviceInput(ValueError):
    """Input that names the field at fault; the API makes it a 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class KbLookup:
    kb: str
    revision: int | None
    os_version: str | None
    tags: tuple[KbPair, ...]


@dataclass(frozen=True)
class AskedTag:
    """The tag given with the repository, resolved through its manifest list."""

    tag: str
    kind: str
    os_version: str | None
    digest: str | None
    runs_on: tuple[str, ...]


@dataclass(frozen=True)
class AdviceAnswer:
    repository: str
    hosts: tuple[Host, ...]
    advice: Advice | None  # None when only a KB was asked about
    kb_lookup: KbLookup | None
    tag_count: int
    truncated: bool
    cache_status: str
    cache_age: int
    warnings: tuple[str, ...]
    asked: AskedTag | None = None


def parse_hosts(texts: Sequence[str]) -> tuple[Host, ...]:
    if len(texts) > MAX_HOSTS:
        raise BadAdviceInput("hosts", f"at most {MAX_HOSTS} hosts per question")
    hosts = []
    for i, text in enumerate(texts):
        if _KB.fullmatch(text):
            raise BadAdviceInput(
                f"hosts[{i}]",
                f"{text.strip()} is an update, not a host version; ask `kb={text.strip()}` "
                "for the revision it brings, and give the host as `ver` prints it",
            )
        try:
            hosts.append(host_from_text(text)[0])
        except ValueError as exc:
            raise BadAdviceInput(f"hosts[{i}]", str(exc)) from None
    return tuple(hosts)


def check_kb(kb: str | None) -> None:
    if kb is not None and not _KB.fullmatch(kb):
        raise BadAdviceInput("kb", f"{kb!r} is not a KB number; expected e.g. KB5040437")


def parse_repository(text: str) -> tuple[ImageReference, str | None]:
    """The repository, and the tag when one was written (`latest` is not assumed)."""
    try:
        ref = parse_reference(text)
    except ValueError as exc:
        raise BadAdviceInput("repository", str(exc)) from None
    if ref.digest:
        raise BadAdviceInput("repository", "give a repository (and maybe a tag), not a digest")
    written = text.rsplit("/", 1)[-1]
    return ref, ref.tag if ":" in written else None


def answer(
    resolver: Any,
    ref: ImageReference,
    hosts: Sequence[Host],
    *,
    kb: str | None = None,
    isolation: str = "process",
    arch: str = "amd64",
    family: str | None = None,
    asked_tag: str | None = None,
) -> AdviceAnswer:
    check_kb(kb)
    listing = _tag_list(resolver, ref)
    shapes = [classify(t) for t in listing.tags]
    chosen = family if family is not None else family_of(ref.tag, shapes)
    chosen = pick_family(shapes, chosen)
    wanted = (
        tags_to_resolve(shapes, hosts, family=chosen, arch=arch, isolation=isolation)
        if hosts
        else []
    )
    asked = kb_matches(shapes, kb.strip()) if kb else []
    wanted += [s.tag for s in asked]
    if asked_tag:
        wanted.append(asked_tag)
    notes: list[str] = []
    resolved = {t: _resolve(resolver, ref, t, arch, notes) for t in dict.fromkeys(wanted)}
    advice = None
    if hosts:
        advice = advise(
            ref.name,
            shapes,
            hosts,
            resolved,
            family=chosen,
            arch=arch,
            isolation=isolation,
            truncated=listing.truncated,
        )
    lookup = _kb_lookup(kb, asked, resolved) if kb else None
    if lookup is not None and lookup.revision is None:
        notes.append(f"No tag of {ref.name} carries {lookup.kb}, so its revision is unknown here.")
    given = _asked(asked_tag, resolved, hosts, isolation) if asked_tag else None
    return AdviceAnswer(
        ref.name,
        tuple(hosts),
        advice,
        lookup,
        len(listing.tags),
        listing.truncated,
        listing.cache_status,
        listing.age_seconds,
        tuple(notes),
        given,
    )


def _asked(tag: str, resolved: dict, hosts: Sequence[Host], isolation: str) -> AskedTag:
    known = resolved[tag]
    version = known.os_version
    runs_on = tuple(str(h.version) for h in hosts if version and runs(h, version, isolation))
    shown = str(version) if version else None
    return AskedTag(tag, classify(tag).kind, shown, known.digest, runs_on)


def _tag_list(resolver: Any, ref: ImageReference) -> Any:
    try:
        return resolver.tags(ref)
    except ImageNotFound:
        raise ImageNotFound(f"repository {ref.name} not found (tags/list)") from None
    except RegistryAuthError as exc:
        raise RegistryAuthError(
            f"{exc.detail}; this registry does not let us list the tags of {ref.repository} "
            "(some registries refuse tags/list): ask /compat about a tag instead"
        ) from None


def _resolve(resolver: Any, ref: ImageReference, tag: str, arch: str, notes: list) -> Resolved:
    """One tag's Windows entry for the arch; a registry failure becomes a note, not an error."""
    try:
        image = resolver.resolve(dataclasses.replace(ref, tag=tag, digest=None)).image
    except RegistryError as exc:
        notes.append(f"Could not read {ref.name}:{tag}: {exc.detail}")
        return Resolved(None, None)
    entries = [p for p in image.platforms if p.is_windows and p.architecture.lower() == arch]
    versions = [v for v in (_os_version(p) for p in entries) if v is not None]
    return Resolved(max(versions, default=None), image.digest)


def _os_version(platform: Platform) -> WindowsVersion | None:
    try:
        parsed = parse_version(platform.os_version or "", kind=catalog.SERVER)
    except InvalidVersion:
        return None
    return parsed.version if parsed.shape in ("full", "no-revision") else None


def _kb_lookup(kb: str, asked: Sequence[TagShape], resolved: dict) -> KbLookup:
    pairs = tuple(p for p in kb_pairs_all(asked, resolved) if p.os_version)
    first = pairs[0] if pairs else None
    return KbLookup(
        kb.strip().upper(),
        first.revision if first else None,
        first.os_version if first else None,
        pairs,
    )


def kb_pairs_all(shapes: Sequence[TagShape], resolved: dict) -> tuple[KbPair, ...]:
    families = {s.family for s in shapes}
    return tuple(p for f in sorted(families) for p in kb_pairs(shapes, resolved, f))
