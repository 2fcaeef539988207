"""Tag shapes of advice.md: what a published tag says about the Windows build inside. Pure.

A tag is split into an optional architecture suffix, a family prefix (`4.8-windowsservercore-`,
empty for the base images), an optional date component (`4.8-20240910-…`), and its last
component: a release name (`ltsc2022`, `1809`, `20H2`), `10.0.B.R`, or `<release>-KBnnnnnnn`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.compat import catalog

FLOATING, PINNED, KB, DATED, UNKNOWN = "floating", "pinned", "kb", "dated", "unknown"
KINDS = (FLOATING, PINNED, KB, DATED, UNKNOWN)

# Release names seen in published tags that the catalog does not list as tags.
EXTRA_RELEASE_NAMES: dict[str, int] = {"2009": catalog.V20H2}


def _release_names() -> dict[str, int]:
    names = {
        tag.lower(): release.build
        for release in catalog.RELEASES
        if release.kind == catalog.SERVER and release.has_images
        for tag in release.tags
    }
    return {**names, **EXTRA_RELEASE_NAMES}


RELEASE_NAMES: dict[str, int] = _release_names()
_NAMES = "|".join(sorted((re.escape(n) for n in RELEASE_NAMES), key=len, reverse=True))
_ARCH = re.compile(r"^(?P<rest>.+?)-(?P<arch>amd64|arm64)$", re.I)
_PINNED = re.compile(r"^(?P<prefix>(?:.*-)?)10\.0\.(?P<build>\d{4,5})\.(?P<rev>\d{1,6})$")
_RELEASE = re.compile(
    rf"^(?P<prefix>(?:.*-)?)(?P<release>{_NAMES})(?:-(?P<kb>KB\d{{6,8}}))?$", re.I
)
_DATE = re.compile(r"(?:^|-)(?P<date>20\d{6})-")  # 4.8-20240910-windowsservercore-ltsc2022


@dataclass(frozen=True)
class TagShape:
    tag: str  # as published
    kind: str  # one of KINDS
    build: int | None = None
    revision: int | None = None  # only pinned tags carry it in the name
    kb: str | None = None
    family: str = ""  # the prefix with any date removed: tags of one family differ only in OS
    arch: str | None = None  # from an -amd64/-arm64 suffix
    release: str | None = None  # the release component as published: "ltsc2022", "20H2"
    date: str | None = None

    @property
    def version(self) -> str | None:
        if self.build is None:
            return None
        return f"10.0.{self.build}" + ("" if self.revision is None else f".{self.revision}")


def classify(tag: str) -> TagShape:
    rest, arch = tag, None
    suffixed = _ARCH.match(tag)
    if suffixed:
        rest, arch = suffixed["rest"], suffixed["arch"].lower()
    pinned = _PINNED.match(rest)
    if pinned:
        family, date = _family(pinned["prefix"])
        kind = DATED if date else PINNED
        return TagShape(
            tag, kind, int(pinned["build"]), int(pinned["rev"]), None, family, arch, None, date
        )
    named = _RELEASE.match(rest)
    if named:
        family, date = _family(named["prefix"])
        build = RELEASE_NAMES[named["release"].lower()]
        kb = named["kb"].upper() if named["kb"] else None
        kind = KB if kb else DATED if date else FLOATING
        return TagShape(tag, kind, build, None, kb, family, arch, named["release"], date)
    return TagShape(tag, UNKNOWN, arch=arch)


def _family(prefix: str) -> tuple[str, str | None]:
    match = _DATE.search(prefix)
    if not match:
        return prefix, None
    start, end = match.span()
    joined = prefix[:start] + ("-" if start else "") + prefix[end:]
    return joined, match["date"]
