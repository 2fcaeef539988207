"""Manifest, index and config bodies as registries serve them: media types, parsing, digests.

Pure: bytes in, values out. Every digest is computed over the raw bytes as served.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from service.compat.image import Platform
from service.registry.errors import RegistryUnavailable, UnsupportedManifest
from service.registry.reference import is_valid_digest

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
SCHEMA1_TYPES = frozenset({DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED})
# Content-Types that say nothing about the manifest kind: the body decides.
GENERIC_TYPES = frozenset(
    {"", "application/json", "text/plain", "text/html", "application/octet-stream"}
)
# Leaving one out makes real registries answer 404 for Windows-only lists or OCI indexes.
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

# buildx marks provenance/SBOM entries like this (platform unknown/unknown too).
ATTESTATION_ANNOTATION = "vnd.docker.reference.type"
ATTESTATION_TYPE = "attestation-manifest"

_SCHEMA1_MESSAGE = (
    "Docker schema 1 manifests are not supported (deprecated since 2017); "
    "push the image again with a current Docker or buildx"
)


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int


@dataclass(frozen=True)
class IndexEntry:
    descriptor: Descriptor
    platform: Platform  # digest = the child manifest's digest
    attestation: bool  # buildx provenance/SBOM entry: not a runnable platform


@dataclass(frozen=True)
class Index:
    media_type: str
    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True)
class ImageManifest:
    media_type: str
    config: Descriptor


@dataclass(frozen=True)
class ImageConfig:
    os: str
    architecture: str
    os_version: str | None
    variant: str | None


def media_type_of(content_type: str | None) -> str:
    """`Content-Type` without parameters, lowercased."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def compute_digest(raw: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, raw).hexdigest()}"


def verify_digest(raw: bytes, expected: str) -> None:
    """The raw bytes must hash to `expected` (never re-serialise before hashing)."""
    if not is_valid_digest(expected):
        raise RegistryUnavailable(f"not a valid digest: {expected[:80]!r}")
    actual = compute_digest(raw, expected.split(":", 1)[0])
    if actual != expected:
        raise RegistryUnavailable(
            f"content digest mismatch: expected {expected}, received content hashes to {actual}"
        )


def parse_manifest(raw: bytes, content_type: str | None) -> Index | ImageManifest:
    """An index/list or an image manifest; schema 1 and other kinds → UnsupportedManifest;
    junk → RegistryUnavailable("not a valid manifest: ...")."""
    doc = _load_object(raw, "manifest")
    media_type = _media_type(doc, media_type_of(content_type))
    if media_type in SCHEMA1_TYPES:
        raise UnsupportedManifest(_SCHEMA1_MESSAGE)
    try:
        if media_type in INDEX_TYPES:
            return Index(media_type, tuple(_entry(item) for item in doc["manifests"]))
        return ImageManifest(media_type, _descriptor(doc["config"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryUnavailable(f"not a valid manifest: {_why(exc)}") from None


def parse_config(raw: bytes) -> ImageConfig:
    """The image config blob: top-level os, architecture, os.version, variant."""
    doc = _load_object(raw, "image config")
    try:
        return ImageConfig(
            os=_text(doc["os"]),
            architecture=_text(doc["architecture"]),
            os_version=_optional_text(doc.get("os.version")),
            variant=_optional_text(doc.get("variant")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryUnavailable(f"not a valid image config: {_why(exc)}") from None


def _load_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        reason = str(exc)[:200]
        raise RegistryUnavailable(f"not a valid {what}: body is not JSON ({reason})") from None
    except RecursionError:
        raise RegistryUnavailable(f"not a valid {what}: JSON nested too deeply") from None
    if not isinstance(doc, dict):
        raise RegistryUnavailable(f"not a valid {what}: expected a JSON object")
    return doc


def _media_type(doc: dict[str, Any], declared: str) -> str:
    """The Content-Type when it names a manifest kind, else the body's own evidence."""
    known = INDEX_TYPES | IMAGE_TYPES | SCHEMA1_TYPES
    if declared in known:
        return declared
    if doc.get("schemaVersion") == 1:
        return DOCKER_SCHEMA1
    body_type = doc.get("mediaType")
    if isinstance(body_type, str) and body_type in known:
        return body_type
    # OCI allows omitting mediaType; generic Content-Types (application/json) happen too.
    if "manifests" in doc:
        return OCI_INDEX
    if "config" in doc:
        return OCI_MANIFEST
    if declared not in GENERIC_TYPES:
        raise UnsupportedManifest(f"unsupported manifest media type {declared[:100]!r}")
    raise RegistryUnavailable(
        f"not a valid manifest: unknown content type {declared[:100]!r} and no manifest shape"
    )


def _entry(item: Any) -> IndexEntry:
    descriptor = _descriptor(item)
    platform = item.get("platform") or {}
    if not isinstance(platform, dict):
        raise TypeError("platform is not an object")
    os_name = _text(platform.get("os", "unknown"))
    architecture = _text(platform.get("architecture", "unknown"))
    annotations = item.get("annotations") or {}
    attestation = (os_name, architecture) == ("unknown", "unknown") or (
        isinstance(annotations, dict)
        and annotations.get(ATTESTATION_ANNOTATION) == ATTESTATION_TYPE
    )
    return IndexEntry(
        descriptor=descriptor,
        platform=Platform(
            os=os_name,
            architecture=architecture,
            os_version=_optional_text(platform.get("os.version")),
            digest=descriptor.digest,
            variant=_optional_text(platform.get("variant")),
        ),
        attestation=attestation,
    )


def _descriptor(item: Any) -> Descriptor:
    if not isinstance(item, dict):
        raise TypeError("descriptor is not an object")
    digest = item["digest"]
    # Digests go into request paths: anything but algorithm:hex is refused here.
    if not isinstance(digest, str) or not is_valid_digest(digest):
        raise ValueError(f"invalid descriptor digest {str(digest)[:80]!r}")
    size = item.get("size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"invalid descriptor size {str(size)[:40]!r}")
    return Descriptor(media_type=_text(item.get("mediaType", "")), digest=digest, size=size)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else _text(value)


def _why(exc: Exception) -> str:
    return f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
