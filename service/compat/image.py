"""Value types for what a registry tells us about an image."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    """One entry of an image: a list/index entry, or the single manifest itself."""

    os: str
    architecture: str
    os_version: str | None
    digest: str | None
    variant: str | None = None

    @property
    def is_windows(self) -> bool:
        return self.os.lower() == "windows"


@dataclass(frozen=True)
class ResolvedImage:
    """A reference resolved to the digest its tag points to and every platform behind it."""

    reference: str  # canonical, e.g. mcr.microsoft.com/windows/servercore:ltsc2022
    digest: str  # of the list/index or single manifest the tag points to
    media_type: str
    platforms: tuple[Platform, ...]
