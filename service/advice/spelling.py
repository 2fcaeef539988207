"""The tag a rebuild should name, spelled as published and in the image's own family. Pure.

Used by the advice answers and by /compat remedies ("rebuild on …"), so both name the same tag:
nanoserver stays nanoserver (it publishes `1809`, not `ltsc2019`), `…-ltsc2019` suffixed
families keep their prefix, and `20H2` keeps MCR's upper case."""

from __future__ import annotations

import re

from service.advice.shapes import FLOATING, PINNED, RELEASE_NAMES, classify
from service.compat.catalog import LTSC2019

# How repositories spell a release's floating tag when it is not the catalog's first tag,
# by the repository's last path component (mirrors keep MCR's names: acr.io/windows/nanoserver).
FAMILY_RELEASE_TAGS: dict[str, dict[int, str]] = {
    "nanoserver": {LTSC2019: "1809"},  # nanoserver has no ltsc2019 tag
}
_LAST = re.compile(r"(?:^|/)(?P<name>[a-z0-9]+)(?:[._-][a-z0-9._-]*)?$")
# MCR's case for release names the catalog keeps in lower case.
PUBLISHED_CASE: dict[str, str] = {"20h2": "20H2"}
# The canonical release name per build, for families that publish release names only.
_BUILD_NAMES: dict[int, str] = {}
for _name, _build in RELEASE_NAMES.items():
    _BUILD_NAMES.setdefault(_build, PUBLISHED_CASE.get(_name, _name))


def release_tag(build: int, repository: str = "") -> str | None:
    """The floating tag of `build` as `repository` publishes it."""
    match = _LAST.search(repository)
    own = FAMILY_RELEASE_TAGS.get(match["name"] if match else "", {}).get(build)
    return own or _BUILD_NAMES.get(build)


def published_tag(repository: str, tag: str) -> str:
    """`tag` (a catalog tag or 10.0.B.R) as `repository` publishes it."""
    shape = classify(tag)
    if shape.kind == FLOATING and shape.build is not None and not shape.family:
        return release_tag(shape.build, repository) or tag
    return tag


def retarget_tag(image_tag: str | None, target_tag: str, repository: str = "") -> str:
    """The tag to rebuild on: `target_tag` (from the base-image advice) carried into the image
    tag's family, e.g. `4.8-windowsservercore-ltsc2019` + `ltsc2022` ->
    `4.8-windowsservercore-ltsc2022`; an `-amd64` suffix is kept."""
    target = classify(target_tag)
    current = classify(image_tag) if image_tag else None
    if current is None or current.build is None or not current.family or target.build is None:
        return published_tag(repository, target_tag)
    if target.kind == PINNED:
        # Suffixed families publish release names, not 10.0.B.R: keep the family instead.
        name = current.release if current.build == target.build else None
        name = name or release_tag(target.build)
    else:
        name = release_tag(target.build) or target_tag
    suffix = f"-{current.arch}" if current.arch else ""
    return f"{current.family}{name}{suffix}"


def rebuild_reference(repository: str, image_tag: str | None, target_tag: str) -> str:
    return f"{repository}:{retarget_tag(image_tag, target_tag, repository)}"


def split_family(repository: str) -> tuple[str, str | None]:
    """`name[:tag]` -> (name, tag): remedies get the image's tag when it names a family."""
    slash, colon = repository.rfind("/"), repository.rfind(":")
    if colon > slash:
        return repository[:colon], repository[colon + 1 :]
    return repository, None


def family_repository(name: str, tag: str | None) -> str | None:
    """`name:tag` for remedies when the tag is a suffixed family (`4.8-…-ltsc2019`), so the
    rebuild advice stays in it; None when the image is no such family."""
    shape = classify(tag) if tag else None
    if shape is None or shape.build is None or not shape.family:
        return None
    return f"{name}:{tag}"
