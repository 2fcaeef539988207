"""RegistryClient: a reference → the digest its tag points to → every platform behind it.

Only manifests and config blobs are fetched, never layers. Bounds, retries and the guard live
in transport.py; challenges and credentials in auth.py; body formats in manifest.py.
"""

from __future__ import annotations

import contextvars
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import requests

from service.compat.image import Platform, ResolvedImage
from service.config import Config
from service.registry.auth import Authenticator, CredentialStore
from service.registry.budget import question_budget
from service.registry.errors import (
    ImageNotFound,
    RegistryAuthError,
    RegistryError,
    RegistryTimeout,
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
from service.registry.tags import TagBounds, TagList, list_tags
from service.registry.transport import Reply, Transport, registry_errors, safe_text, shared_session

_UNKNOWN = object()
DEFAULT_TAG_BOUNDS = TagBounds()

NOT_FOUND_CODES = frozenset({"MANIFEST_UNKNOWN", "NAME_UNKNOWN", "BLOB_UNKNOWN"})
# An index of 10,000 Windows entries without os.version must not cost 20,000 requests: at most
# this many child manifests (and their configs) per question, a few at a time.
CONFIG_FALLBACKS = 16
FALLBACK_THREADS = 4
MAX_PLATFORMS = 256  # entries kept per answer: selection needs the runnable ones, not 10,000
LEARNED_MAX = 4096  # child digest -> os.version learned from a config blob (immutable)
DETAIL_MAX = 600  # characters of a registry's error text passed on


def _from_config(platform: Platform, os_version: str | None) -> Platform:
    """An entry whose os.version was read from its config blob: runtimes never read it there
    (runtimes.md), so its source says so."""
    source = "config" if os_version else "none"
    return replace(platform, os_version=os_version, os_version_source=source)


def question_seconds(config: Config) -> float:
    """A question's whole registry budget: two request timeouts (a HEAD and a GET, say)."""
    return 2 * config.registry_timeout


class RegistryClient:
    """Thread-safe; share one per process (its session pools connections for every thread)."""

    def __init__(
        self,
        config: Config,
        session: requests.Session | None = None,
        *,
        guard: Guard | None = None,
        transport: Transport | None = None,
        tag_bounds: TagBounds = DEFAULT_TAG_BOUNDS,
    ) -> None:
        self._config = config
        self._tag_bounds = tag_bounds
        self._guard = guard or Guard(config)
        self._transport = transport or Transport(config, session or shared_session(), self._guard)
        self._auth = Authenticator(CredentialStore(config.docker_config), self._transport)
        self._learned: OrderedDict[str, str | None] = OrderedDict()
        self._learned_lock = threading.Lock()

    def resolve(self, ref: ImageReference) -> ResolvedImage:
        with question_budget(question_seconds(self._config)):
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
            entries = _bounded([e for e in manifest.entries if not e.attestation])
            platforms = self._entry_platforms(ref, entries)
        else:
            platforms = (self._image_platform(ref, manifest, digest),)
        return ResolvedImage(str(ref), digest, manifest.media_type, platforms)

    def _entry_platforms(
        self, ref: ImageReference, entries: list[IndexEntry]
    ) -> tuple[Platform, ...]:
        """Entries as listed; Windows ones without os.version read it from their config blob:
        at most CONFIG_FALLBACKS per question, a few at a time, learned for the next one."""
        platforms = [
            replace(e.platform, os_version_source="index" if e.platform.os_version else "none")
            for e in entries
        ]
        missing = [i for i, p in enumerate(platforms) if p.is_windows and not p.os_version]
        unknown = [i for i in missing if self._known(ref, entries[i]) is _UNKNOWN]
        for i in set(missing) - set(unknown):
            platforms[i] = _from_config(platforms[i], self._known(ref, entries[i]))
        asked = unknown[:CONFIG_FALLBACKS]
        if asked:
            self._read_versions(ref, entries, platforms, asked)
        if len(unknown) > len(asked):
            # An answer with platforms left unread must not be cached as the image's truth:
            # this question ends here, what it read is kept, the next one reads on.
            left = len(unknown) - len(asked)
            raise RegistryTimeout(
                f"{ref}: {left} more Windows entries need their config blob read "
                f"({CONFIG_FALLBACKS} are read per question and remembered); ask again"
            )
        return tuple(platforms)

    def _read_versions(
        self,
        ref: ImageReference,
        entries: list[IndexEntry],
        platforms: list[Platform],
        asked: list[int],
    ) -> None:
        """os.version for the entries at `asked`, a few at a time, into `platforms`."""
        with ThreadPoolExecutor(min(FALLBACK_THREADS, len(asked))) as pool:
            futures = [
                pool.submit(contextvars.copy_context().run, self._entry_version, ref, entries[i])
                for i in asked
            ]
            for i, future in zip(asked, futures, strict=True):
                platforms[i] = _from_config(platforms[i], future.result())

    def _known(self, ref: ImageReference, entry: IndexEntry) -> str | object | None:
        with self._learned_lock:
            return self._learned.get(_learned_key(ref, entry), _UNKNOWN)

    def _entry_version(self, ref: ImageReference, entry: IndexEntry) -> str | None:
        """A list entry's os.version from its child manifest's config blob, remembered."""
        child = parse_manifest(*self._manifest(ref, entry.descriptor.digest))
        if not isinstance(child, ImageManifest):
            raise RegistryUnavailable(
                f"not a valid manifest: entry {entry.descriptor.digest} of {ref} is not an image"
            )
        version = self._config_blob(ref, child.config).os_version
        with self._learned_lock:
            self._learned[_learned_key(ref, entry)] = version
            while len(self._learned) > LEARNED_MAX:
                self._learned.popitem(last=False)
        return version

    def list_tags(self, ref: ImageReference) -> TagList:
        """Every tag of the repository (bounded), following Link pagination."""
        b = self._tag_bounds

        def page(path: str) -> tuple[bytes, dict[str, str]]:
            reply = self._get(ref, "GET", path, "application/json")
            return reply.body, {"Link": reply.headers.get("Link", "")}

        return list_tags(page, page_size=b.page_size, max_tags=b.max_tags, max_pages=b.max_pages)

    def _manifest(self, ref: ImageReference, digest: str) -> tuple[bytes, str | None]:
        reply = self._get(ref, "GET", f"manifests/{digest}", MANIFEST_ACCEPT)
        verify_digest(reply.body, digest)
        served = reply.headers.get("Docker-Content-Digest")
        if served and served != digest:
            verify_digest(reply.body, served)  # a different algorithm must still agree
        return reply.body, reply.headers.get("Content-Type")

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
        """One registry API call with the auth dance; any answer but 2xx is raised.

        Registry text in an error passes through the authenticator's redaction: a registry
        that echoes our Authorization header must not get it copied into an answer."""
        scheme = "http" if self._guard.is_insecure(ref.endpoint) else "https"
        url = f"{scheme}://{ref.endpoint}/v2/{ref.repository}/{path}"
        try:
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
        except RegistryError as exc:
            exc.detail = self._auth.redact(exc.detail)[:DETAIL_MAX]
            exc.args = (exc.detail,)
            raise

    def _send(
        self, method: str, url: str, ref: ImageReference, accept: str, authorization: str | None
    ) -> Reply:
        headers = {"Accept": accept}
        if authorization:
            headers["Authorization"] = authorization
        return self._transport.request(method, url, registry=ref.registry, headers=headers)


def _learned_key(ref: ImageReference, entry: IndexEntry) -> str:
    # Per repository, as the cache keys digests: access is granted per repository.
    return f"{ref.registry}/{ref.repository}@{entry.descriptor.digest}"


def _bounded(entries: list[IndexEntry]) -> list[IndexEntry]:
    """At most MAX_PLATFORMS entries, Windows ones first, in the list's own order."""
    if len(entries) <= MAX_PLATFORMS:
        return entries
    by_kind = sorted(range(len(entries)), key=lambda i: not entries[i].platform.is_windows)
    keep = set(by_kind[:MAX_PLATFORMS])
    return [entry for i, entry in enumerate(entries) if i in keep]


def _failure(ref: ImageReference, reply: Reply) -> RegistryError:
    """The error for a non-2xx answer (after retries and the auth dance)."""
    errors = registry_errors(reply.body)[:5]
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
