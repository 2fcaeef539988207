"""ResolvedImage <-> JSON-ready dicts, so Redis and the in-process layer hold the same values."""

from __future__ import annotations

from typing import Any

from service.compat.image import Platform, ResolvedImage


def encode_image(image: ResolvedImage) -> dict[str, Any]:
    return {
        "reference": image.reference,
        "digest": image.digest,
        "media_type": image.media_type,
        "platforms": [_encode_platform(p) for p in image.platforms],
    }


def decode_image(data: dict[str, Any]) -> ResolvedImage:
    """Raises KeyError/TypeError on a malformed value; callers treat that as a cache miss."""
    return ResolvedImage(
        reference=data["reference"],
        digest=data["digest"],
        media_type=data["media_type"],
        platforms=tuple(_decode_platform(p) for p in data["platforms"]),
    )


def _encode_platform(platform: Platform) -> dict[str, Any]:
    return {
        "os": platform.os,
        "architecture": platform.architecture,
        "os_version": platform.os_version,
        "digest": platform.digest,
        "variant": platform.variant,
        "os_version_source": platform.os_version_source,
    }


def _decode_platform(data: dict[str, Any]) -> Platform:
    return Platform(
        os=data["os"],
        architecture=data["architecture"],
        os_version=data.get("os_version"),
        digest=data.get("digest"),
        variant=data.get("variant"),
        os_version_source=data.get("os_version_source"),
    )
