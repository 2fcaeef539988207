"""Is the tag a remedy names really published? Checked against the repository's tag list, and
replaced by a published tag of the same family and build when it is not. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from service.advice.shapes import FLOATING, PINNED, TagShape, classify


@dataclass(frozen=True)
class Listed:
    tag: str  # the tag to name: the one asked about, or the published one that replaces it
    exists: bool  # `tag` is in the list
    replaced: str | None = None  # the tag that was asked about, when it is not published


def _candidates(wanted: TagShape, shapes: Iterable[TagShape]) -> list[TagShape]:
    return [
        s
        for s in shapes
        if s.build == wanted.build and s.family == wanted.family and s.arch == wanted.arch
    ]


def _rank(wanted: TagShape, host_revision: int | None):
    """A floating tag first (it keeps getting updates) unless a revision must match; then the
    newest pinned revision no newer than the host's."""

    def key(s: TagShape) -> tuple:
        exact = wanted.revision is not None and s.revision == wanted.revision
        fits = s.revision is None or host_revision is None or s.revision <= host_revision
        floating = s.kind == FLOATING and wanted.kind != PINNED
        return (exact, floating, fits, s.kind == PINNED, s.revision or -1)

    return key


def published(wanted_tag: str, tags: Iterable[str], host_revision: int | None = None) -> Listed:
    """`wanted_tag` when the repository publishes it, else the best published tag of the same
    family, build and architecture; `exists=False` when there is none. A pinned tag (the
    WS2016 exact-revision rebuild) is only ever replaced by the very same revision."""
    listed = set(tags)
    if wanted_tag in listed:
        return Listed(wanted_tag, True)
    wanted = classify(wanted_tag)
    if wanted.build is None:
        return Listed(wanted_tag, False)
    found = _candidates(wanted, (classify(t) for t in listed))
    if wanted.kind == PINNED:
        found = [s for s in found if s.revision == wanted.revision]
    if not found:
        return Listed(wanted_tag, False)
    best = max(found, key=_rank(wanted, host_revision))
    return Listed(best.tag, True, replaced=wanted_tag)
