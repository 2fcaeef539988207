"""Value types for what a registry tells us about an image."""

from __future__ import annotations

from dataclasses import dataclass

# The same two media types as registry.manifests.INDEX_TYPES; this module stays free of I/O code.
LIST_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)


@dataclass(frozen=True)
class Platform:
    """One entry of an image: a list/index entry, or the single manifest itself."""

    os: str
    architecture: str
    os_version: str | None
    digest: str | None
    variant: str | None = None
    # Where os_version came from: "index" (the list entry), "config" (its config blob, read
    # because the index lacked it) or "none". None: not recorded (older cached values).
    os_version_source: str | None = None

    @property
    def is_windows(self) -> bool:
        return self.os.lower() == "windows"

    @property
    def version_source(self) -> str:
        if self.os_version_source is not None:
            return self.os_version_source
        return "index" if self.os_version else "none"


@dataclass(frozen=True)
class ResolvedImage:
    """A reference resolved to the digest its tag points to and every platform behind it."""

    reference: str  # canonical, e.g. mcr.microsoft.com/windows/servercore:ltsc2022
    digest: str  # of the list/index or single manifest the tag points to
    media_type: str
    platforms: tuple[Platform, ...]

    @property
    def is_list(self) -> bool:
        """An OCI index or Docker manifest list (runtimes then choose by the index alone)."""
        return self.media_type in LIST_MEDIA_TYPES
