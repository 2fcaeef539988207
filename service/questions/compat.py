"""Will this image run on this host? The question as data in, the answer as data out; the
response schema (service/api/schemas.py) is the only place that says how it is written."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from service.advice.spelling import family_repository
from service.compat import catalog
from service.compat.assessment import Assessment
from service.compat.hosts import host_from_text, parse_image_version
from service.compat.image import ResolvedImage
from service.compat.rules import Host
from service.compat.runtimes import Outcome
from service.compat.selection import Entry, assess_version, select_platform
from service.compat.versions import InvalidVersion, WindowsVersion
from service.questions import published
from service.registry.errors import not_allowed
from service.registry.reference import ImageReference, InvalidReference, parse_reference

VERSION_MAX_AGE = 3600  # an image_version answer depends only on the question and the catalog


def release_name(version: WindowsVersion | None) -> str | None:
    """The server release an image version belongs to."""
    release = catalog.release_for(version.build, catalog.SERVER) if version else None
    return release.name if release else None


def host_release(host: Host) -> str | None:
    release = catalog.release_for(host.build, host.kind)
    return release.name if release else None


class InvalidQuestion(ValueError):
    """One field of the question cannot be used; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Resolution(Protocol):
    """What the answer reads of service.cache.resolver.Resolution."""

    image: ResolvedImage
    cache_status: str
    age_seconds: int
    max_age: int
    warnings: tuple[str, ...]


class Resolver(Protocol):
    def resolve(self, ref: ImageReference) -> Resolution: ...


@dataclass(frozen=True)
class PlatformFacts:
    entry: Entry
    selected: bool

    @property
    def release(self) -> str | None:
        return release_name(self.entry.version)


@dataclass(frozen=True)
class ImageFacts:
    reference: str | None
    digest: str | None
    media_type: str | None
    os_version: str | None
    version: WindowsVersion | None
    platforms: tuple[PlatformFacts, ...] = ()

    @property
    def build(self) -> int | None:
        return self.version.build if self.version else None

    @property
    def revision(self) -> int | None:
        return self.version.revision if self.version else None

    @property
    def release(self) -> str | None:
        return release_name(self.version)


@dataclass(frozen=True)
class CacheFacts:
    status: str  # "hit" | "miss" | "stale"
    age_seconds: int


@dataclass(frozen=True)
class CompatAnswer:
    """What CompatResponseSchema writes. A new answer field: one attribute here (or on the
    Assessment) and one field in the schema."""

    image: ImageFacts
    assessment: Assessment
    cache: CacheFacts | None
    max_age: int  # seconds the answer stays true: HTTP's Cache-Control, not in the body
    runtimes: Mapping[str, Outcome] = field(default_factory=dict)  # per runtime id


def answer(
    question: Mapping[str, Any],
    resolver: Resolver,
    allowed: Callable[[str], bool],
    *,
    today: date | None = None,
) -> CompatAnswer:
    """`question` as CompatQuerySchema loads it. Raises InvalidQuestion for a bad field, and
    the registry's errors (RegistryNotAllowed when `allowed(registry)` says no). `today`
    dates the support warnings (default: today)."""
    try:
        host, notes = host_from_text(question["host"], question.get("host_type"))
    except (InvalidVersion, ValueError) as exc:
        raise InvalidQuestion("host", str(exc)) from None
    if question.get("image_version"):
        return _version_answer(question, host, notes, today)
    return _image_answer(question, host, notes, resolver, allowed, today)


def _version_answer(
    question: Mapping[str, Any], host: Host, notes: tuple[str, ...], today: date | None
) -> CompatAnswer:
    try:
        parsed = parse_image_version(question["image_version"])
    except InvalidVersion as exc:
        raise InvalidQuestion("image_version", str(exc)) from None
    notes = (*notes, *(f"Image: {w}" for w in parsed.warnings))
    kind = question.get("host_type")
    assessment, outcomes = assess_version(
        host,
        parsed.version,
        runtime=question.get("runtime"),
        requested_kind=kind,
        today=today,
        extra_warnings=notes,
        isolation=question.get("isolation", "any"),
    )
    version = parsed.version
    image = ImageFacts(None, None, None, str(version), version)
    return CompatAnswer(image, assessment, None, VERSION_MAX_AGE, outcomes)


def repository_of(ref: ImageReference) -> str:
    """The image's own repository: rebuild advice keeps its family (`…:4.8-…-ltsc2019` stays
    in it), or says to put the base tag under its own FROM when it is not one of Microsoft's
    base repositories."""
    name = f"{ref.registry}/{ref.repository}"
    return family_repository(name, ref.tag) or name


def _image_answer(
    question: Mapping[str, Any],
    host: Host,
    notes: tuple[str, ...],
    resolver: Resolver,
    allowed: Callable[[str], bool],
    today: date | None,
) -> CompatAnswer:
    try:
        ref = parse_reference(question["image"])
    except InvalidReference as exc:
        raise InvalidQuestion("image", str(exc)) from None
    # By name, before any cache: a shared Redis may hold answers another replica was allowed.
    if not allowed(ref.registry):
        raise not_allowed(ref.registry)
    resolution = resolver.resolve(ref)
    selection = select_platform(
        host,
        resolution.image.platforms,
        arch=question.get("arch", "amd64"),
        name=str(ref),
        requested_kind=question.get("host_type"),
        today=today,
        repository=repository_of(ref),
        extra_warnings=(*notes, *resolution.warnings),
        runtime=question.get("runtime"),
        listed=resolution.image.is_list,
        isolation=question.get("isolation", "any"),
    )
    chosen, resolved = selection.chosen, resolution.image
    image = ImageFacts(
        resolved.reference,
        resolved.digest,
        resolved.media_type,
        chosen.platform.os_version if chosen else None,
        chosen.version if chosen else None,
        tuple(PlatformFacts(e, e is chosen) for e in selection.entries),
    )
    cache = CacheFacts(resolution.cache_status, resolution.age_seconds)
    assessment = published.checked(selection.assessment, resolver, allowed)
    return CompatAnswer(image, assessment, cache, resolution.max_age, selection.runtimes)
