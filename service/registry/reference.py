"""Image references: the distribution/reference grammar, docker.io normalisation. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
DOCKER_HUB_ENDPOINT = "registry-1.docker.io"
# Names people write for Docker Hub; all mean docker.io.
DOCKER_HUB_ALIASES = frozenset({DOCKER_HUB, "index.docker.io", DOCKER_HUB_ENDPOINT})
DEFAULT_TAG = "latest"
NAME_MAX = 255

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_REGISTRY = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::([0-9]+))?"
)
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_DIGEST = re.compile(r"([a-z0-9]+(?:[+._-][a-z0-9]+)*):([0-9a-f]+)")
# Hex length per algorithm the registry (and hashlib) knows; others are refused before sending.
DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")


class InvalidReference(ValueError):
    """The text is not an image reference; the message says what is wrong and what is expected."""


@dataclass(frozen=True)
class ImageReference:
    registry: str  # as the user means it: "docker.io", "mcr.microsoft.com", "127.0.0.1:5000"
    repository: str  # "library/nginx"
    tag: str | None
    digest: str | None

    @property
    def endpoint(self) -> str:
        """host[:port] to contact."""
        return DOCKER_HUB_ENDPOINT if self.registry == DOCKER_HUB else self.registry

    @property
    def reference(self) -> str:
        """What to ask the registry for: the digest wins over the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def is_valid_digest(text: str) -> bool:
    """`algorithm:hex` with a known algorithm and its exact lowercase hex length."""
    match = _DIGEST.fullmatch(text)
    return bool(match) and DIGEST_HEX_LENGTH.get(match.group(1)) == len(match.group(2))


def normalise_registry(host: str) -> str:
    """Lowercase host[:port]; Docker Hub's other names become docker.io."""
    host = host.lower()
    return DOCKER_HUB if host in DOCKER_HUB_ALIASES else host


def parse_reference(text: str) -> ImageReference:
    """Parse `[registry/]repository[:tag][@digest]` as docker pull does."""
    if not isinstance(text, str) or not text:
        raise InvalidReference("empty image reference; expected e.g. mcr.microsoft.com/repo:tag")
    _check_characters(text)
    name, tag, digest = _split_reference(text)
    if len(name) > NAME_MAX:
        raise InvalidReference(f"image name is {len(name)} characters; at most {NAME_MAX} allowed")
    registry, repository = _split_registry(name)
    return ImageReference(
        registry=registry,
        repository=repository,
        tag=tag if tag or digest else DEFAULT_TAG,
        digest=digest,
    )


def _check_characters(text: str) -> None:
    if _SCHEME.match(text):
        raise InvalidReference(
            f"{text!r} starts with a URL scheme; give an image reference without it, "
            "e.g. mcr.microsoft.com/windows/servercore:ltsc2022"
        )
    if _FORBIDDEN.search(text):
        raise InvalidReference("image reference contains whitespace or control characters")


def _split_reference(text: str) -> tuple[str, str | None, str | None]:
    """name, tag, digest. A ':' after the last '/' starts the tag (before it, it is a port)."""
    name, _, digest = text.partition("@")
    if "@" in text:
        if not is_valid_digest(digest):
            raise InvalidReference(
                f"invalid digest {digest!r}; expected algorithm:hex, "
                "e.g. sha256: followed by 64 lowercase hex digits"
            )
    else:
        digest = None
    tag = None
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise InvalidReference(
                f"invalid tag {tag!r}; expected up to 128 of A-Z a-z 0-9 _ . - "
                "not starting with . or -"
            )
    if not name:
        raise InvalidReference("image reference has no repository name")
    return name, tag, digest


def _split_registry(name: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, repository = _check_registry(first), rest
    else:
        registry, repository = DOCKER_HUB, name
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    _check_repository(repository)
    return registry, repository


def _check_registry(host: str) -> str:
    match = _REGISTRY.fullmatch(host)
    if not match:
        raise InvalidReference(f"invalid registry {host!r}; expected host[:port]")
    port = match.group(1)
    if port is not None and not 0 < int(port) < 65536:
        raise InvalidReference(f"invalid registry port in {host!r}; expected 1-65535")
    return normalise_registry(host)


def _check_repository(repository: str) -> None:
    if repository != repository.lower():
        raise InvalidReference(f"repository name {repository!r} must be lowercase")
    for component in repository.split("/"):
        if not _PATH_COMPONENT.fullmatch(component):
            raise InvalidReference(
                f"invalid repository path component {component!r} in {repository!r}; "
                "expected lowercase letters and digits separated by '.', '_', '__' or '-'"
            )
