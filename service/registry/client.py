"""RegistryClient: a reference → the digest its tag points to → every platform behind it.

Only manifests and config blobs are fetched, never layers. Bounds, retries and the guard live
in transport.py; challenges and credentials in auth.py; body formats in manifest.py.
"""

from __future__ import annotations

from dataclasses import replace

import requests

from service.compat.image import Platform, ResolvedImage
from service.config import Config
from service.registry.auth import Authenticator, CredentialStore
from service.registry.errors import (
    ImageNotFound,
    RegistryAuthError,
    RegistryError,
    RegistryUnavailable,
)
from service.registry.guard import Guard
from service.registry.manifests import (
    MANIFEST_ACCEPT,
    Descriptor,
    ImageConfig,
    ImageManifest,
    Index,
    IndexEntry,
    compute_digest,
    parse_config,
    parse_manifest,
    verify_digest,
)
from service.registry.reference import DOCKER_HUB, ImageReference, is_valid_digest
from service.registry.transport import Reply, Transport, registry_errors, safe_text, shared_session

NOT_FOUND_CODES = frozenset({"MANIFEST_UNKNOWN", "NAME_UNKNOWN", "BLOB_UNKNOWN"})


class RegistryClient:
    """Thread-safe; share one per process (its session pools connections for every thread)."""

    def __init__(self, config: Config, session: requests.Session | None = None) -> None:
        self._config = config
        self._guard = Guard(config)
        self._transport = Transport(config, session or shared_session(), self._guard)
        self._auth = Authenticator(CredentialStore(config.docker_config), self._transport)

    def resolve(self, ref: ImageReference) -> ResolvedImage:
        return self.fetch_image(ref, self.resolve_digest(ref))

    def resolve_digest(self, ref: ImageReference) -> str:
        """The digest the reference points to: HEAD the tag (no body, no Hub pull quota)."""
        if ref.digest:
            return ref.digest
        path = f"manifests/{ref.reference}"
        digest = self._get(ref, "HEAD", path, MANIFEST_ACCEPT).headers.get(
            "Docker-Content-Digest", ""
        )
        if is_valid_digest(digest):
            return digest
        return compute_digest(self._get(ref, "GET", path, MANIFEST_ACCEPT).body)

    def fetch_image(self, ref: ImageReference, digest: str) -> ResolvedImage:
        """The manifest behind `digest` (verified) and the platforms it lists or is."""
        raw, content_type = self._manifest(ref, digest)
        manifest = parse_manifest(raw, content_type)
        if isinstance(manifest, Index):
            platforms = tuple(
                self._entry_platform(ref, entry)
                for entry in manifest.entries
                if not entry.attestation
            )
        else:
            platforms = (self._image_platform(ref, manifest, digest),)
        return ResolvedImage(str(ref), digest, manifest.media_type, platforms)

    def _manifest(self, ref: ImageReference, digest: str) -> tuple[bytes, str | None]:
        reply = self._get(ref, "GET", f"manifests/{digest}", MANIFEST_ACCEPT)
        verify_digest(reply.body, digest)
        served = reply.headers.get("Docker-Content-Digest")
        if served and served != digest:
            verify_digest(reply.body, served)  # a different algorithm must still agree
        return reply.body, reply.headers.get("Content-Type")

    def _entry_platform(self, ref: ImageReference, entry: IndexEntry) -> Platform:
        """A list entry; a Windows one without os.version takes it from its config blob."""
        platform = entry.platform
        if not platform.is_windows or platform.os_version:
            return replace(platform, os_version_source="index" if platform.os_version else "none")
        child = parse_manifest(*self._manifest(ref, entry.descriptor.digest))
        if not isinstance(child, ImageManifest):
            raise RegistryUnavailable(
                f"not a valid manifest: entry {entry.descriptor.digest} of {ref} is not an image"
            )
        os_version = self._config_blob(ref, child.config).os_version
        source = "config" if os_version else "none"  # runtimes never read it (runtimes.md)
        return replace(platform, os_version=os_version, os_version_source=source)

    def _image_platform(
        self, ref: ImageReference, manifest: ImageManifest, digest: str
    ) -> Platform:
        config = self._config_blob(ref, manifest.config)
        source = "config" if config.os_version else "none"
        return Platform(
            config.os, config.architecture, config.os_version, digest, config.variant, source
        )

    def _config_blob(self, ref: ImageReference, descriptor: Descriptor) -> ImageConfig:
        reply = self._get(ref, "GET", f"blobs/{descriptor.digest}", "*/*")
        verify_digest(reply.body, descriptor.digest)
        return parse_config(reply.body)

    def _get(self, ref: ImageReference, method: str, path: str, accept: str) -> Reply:
        """One registry API call with the auth dance; any answer but 2xx is raised."""
        self._guard.check_registry(ref.registry, ref.endpoint)
        scheme = "http" if self._guard.is_insecure(ref.endpoint) else "https"
        url = f"{scheme}://{ref.endpoint}/v2/{ref.repository}/{path}"
        sent = self._auth.cached_header(ref.registry, ref.repository)
        reply = self._send(method, url, ref, accept, sent)
        if reply.status == 401:
            challenge = reply.headers.get("WWW-Authenticate")
            answer = self._auth.respond(ref.registry, ref.repository, challenge, sent)
            if answer:
                reply = self._send(method, url, ref, accept, answer)
        if 200 <= reply.status < 300:
            return reply
        raise _failure(ref, reply)

    def _send(
        self, method: str, url: str, ref: ImageReference, accept: str, authorization: str | None
    ) -> Reply:
        headers = {"Accept": accept}
        if authorization:
            headers["Authorization"] = authorization
        return self._transport.request(method, url, registry=ref.registry, headers=headers)


def _failure(ref: ImageReference, reply: Reply) -> RegistryError:
    """The error for a non-2xx answer (after retries and the auth dance)."""
    errors = registry_errors(reply.body)
    said = "; ".join(safe_text(message or code) for code, message in errors)
    said = f" ({said})" if said else ""
    codes = {code for code, _ in errors}
    if reply.status == 404 or codes & NOT_FOUND_CODES:
        return ImageNotFound(f"{ref}: not found in {ref.registry}{said}")
    if reply.status == 401 and ref.registry == DOCKER_HUB:
        return ImageNotFound(
            f"{ref}: repository not found or not authorized "
            "(Docker Hub answers 401 for both; configure credentials for a private image)"
        )
    if reply.status in (401, 403):
        return RegistryAuthError(
            f"{ref.registry} refused access to {ref.repository} ({reply.status}){said}"
        )
    return RegistryUnavailable(f"{ref.registry} answered {reply.status} for {ref}{said}")
