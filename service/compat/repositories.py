"""Which release tags each Windows base repository publishes (rules.md §2): a rebuild remedy
names a tag that exists in the image's own repository (a nanoserver image gets a nanoserver
tag)."""

from __future__ import annotations

from service.compat import catalog

SERVERCORE = "mcr.microsoft.com/windows/servercore"
NANOSERVER = "mcr.microsoft.com/windows/nanoserver"
SERVER = "mcr.microsoft.com/windows/server"
WINDOWS = "mcr.microsoft.com/windows"

# The release tags each repository publishes, as MCR spells them.
RELEASE_TAGS: dict[str, frozenset[str]] = {
    SERVERCORE: frozenset(
        {"ltsc2016", "ltsc2019", "ltsc2022", "ltsc2025", "1709", "1803", "1809", "1903", "1909"}
        | {"2004", "20H2"}
    ),
    NANOSERVER: frozenset(
        {"ltsc2022", "ltsc2025", "sac2016", "1709", "1803", "1809", "1903", "1909", "2004"}
        | {"20H2"}
    ),
    SERVER: frozenset({"ltsc2022", "ltsc2025"}),
    WINDOWS: frozenset({"ltsc2019", "1809", "1903", "1909", "2004", "20H2"}),
}
# Repositories that publish patch-pinned `10.0.<build>.<revision>` tags.
PINNED_TAGS = frozenset({SERVERCORE, NANOSERVER})


def is_base(repository: str) -> bool:
    return repository in RELEASE_TAGS


def family(repository: str) -> str:
    """The part a sentence names: `windows/nanoserver`."""
    return repository.removeprefix("mcr.microsoft.com/")


def release_tag(repository: str, build: int) -> str | None:
    """The tag of this build's release in this repository, in the catalog's order of
    preference (`ltsc2019` before `1809`); None when the repository has none."""
    release = catalog.image_release(build)
    if release is None:
        return None
    published = RELEASE_TAGS.get(repository, frozenset())
    return next((tag for tag in release.tags if tag in published), None)
