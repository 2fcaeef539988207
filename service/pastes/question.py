"""A question in words ("will servercore ltsc2019 run on windows server 2022?") read into the
fields of /compat: an image reference or OS version, and the host text.

Pure and bounded: the text is cut at MAX_QUESTION characters before any pattern runs, and every
pattern is linear (no nested repetition)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.compat.versions import InvalidVersion, parse_version

MAX_QUESTION = 4096
MAX_IMAGE_WORDS = 256  # an OS version in words is short; /compat's image_version bound

# Microsoft's base images people name without their registry: "servercore ltsc2019".
BASE_NAMES = {
    "servercore": "mcr.microsoft.com/windows/servercore",
    "server core": "mcr.microsoft.com/windows/servercore",
    "nanoserver": "mcr.microsoft.com/windows/nanoserver",
    "nano server": "mcr.microsoft.com/windows/nanoserver",
}

# A reference with a registry or a repository path, a tag or a digest: "mcr.microsoft.com/x:y",
# "contoso.azurecr.io/app@sha256:...", "library/nginx". Bare words are too ambiguous to be one.
_REFERENCE = re.compile(
    r"(?<![\w./:@-])"
    r"(?P<ref>[a-z0-9][a-z0-9._-]*(?::[0-9]{1,5})?(?:/[a-z0-9][a-z0-9._-]*)+"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?)",
    re.I,
)
_BASE = re.compile(
    r"\b(?P<name>servercore|server core|nanoserver|nano server)"
    r"(?:[\s:]+(?P<tag>ltsc\d{4}|\d{4}|\d{2}h\d|10\.0\.\d{5}(?:\.\d+)?))?\b",
    re.I,
)
# Where the host's part of the question starts, strongest first.
_HOST_MARKERS = (
    re.compile(
        r"\b(?:my|the|our) (?:host|node|server|machine)(?:'s version)? (?:says|is|runs)\b[:\s]*",
        re.I,
    ),
    re.compile(r"\bhost(?: version)?\s*(?:[:=]|is\b)\s*", re.I),
    re.compile(r"\b(?:run|work)s?\s+(?:on|onto|against)\b\s*", re.I),
    re.compile(r"\b(?:on|onto|against)\b\s*", re.I),
)
# Words around a version in the image's part: "will a 17763 image run".
_FILLER = re.compile(
    r"\b(?:will|would|does|do|can|could|i|we|an?|the|image|container|of|run|runs|work|works|"
    r"windows container|is|it|ok|okay|please|tell me|if)\b|[?!,;]",
    re.I,
)
_END = re.compile(r"[\s?!.;,]+$")
_CLAUSE = re.compile(r"[;?!]|\b(?:will|can|could|would|does|do)\b", re.I)


@dataclass(frozen=True)
class Question:
    """What a question named; None for what it did not."""

    image: str | None = None
    image_version: str | None = None
    host: str | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        absent = () if self.image or self.image_version else ("image",)
        return (*absent, *(() if self.host else ("host",)))


def _reference(text: str) -> tuple[str | None, tuple[int, int] | None]:
    match = _REFERENCE.search(text)
    if match:
        return match["ref"].rstrip(".:"), match.span("ref")
    base = _BASE.search(text)
    if base:
        repository = BASE_NAMES[" ".join(base["name"].lower().split())]
        tag = (base["tag"] or "latest").lower()
        return f"{repository}:{tag}", base.span()
    return None, None


def _is_version(text: str) -> bool:
    try:
        parse_version(text)
    except InvalidVersion:
        return False
    return True


def _version_text(after: str) -> str | None:
    """The text after a marker, or only its first clause when that alone is a version."""
    whole = _END.sub("", after).strip()
    first = _END.sub("", _CLAUSE.split(whole, 1)[0]).strip()
    for candidate in (first, whole):
        if candidate and _is_version(candidate):
            return candidate
    return None


def _host_text(rest: str) -> tuple[str | None, int]:
    """The host's text after the first marker that leads to a version; its start."""
    for marker in _HOST_MARKERS:
        for match in marker.finditer(rest):
            candidate = _version_text(rest[match.end() :])
            if candidate:
                return candidate, match.start()
    return None, len(rest)


def _image_version(before: str) -> str | None:
    words = " ".join(_FILLER.sub(" ", before).split())
    fits = 0 < len(words) <= MAX_IMAGE_WORDS
    return words if fits and _is_version(words) else None


def read_question(text: str) -> Question:
    """Read a question in words for an image (reference or OS version) and a host."""
    text = " ".join(text[:MAX_QUESTION].split())
    image, span = _reference(text)
    # The image's own words never count as the host: cut them out before looking for it.
    rest = text if span is None else f"{text[: span[0]]} \x00 {text[span[1] :]}"
    host_part = rest.split("\x00", 1)
    host, start = _host_text(host_part[-1] if span else rest)
    if host is None and span is not None:  # "my host says ...; will IMAGE run?"
        host, start = _host_text(host_part[0])
    image_version = None
    if image is None:
        image_version = _image_version(rest[:start])
    return Question(image=image, image_version=image_version, host=host)


def missing_sentence(question: Question) -> str:
    """One sentence saying what to add: what a chatbot relays to the person."""
    needs = question.missing
    if needs == ("image", "host"):
        return (
            "Name an image (such as mcr.microsoft.com/windows/servercore:ltsc2022 or its OS "
            "version 10.0.20348.2113) and the host it should run on (such as Windows Server "
            "2022, 10.0.20348.2700 or the output of `ver`)."
        )
    if needs == ("image",):
        return (
            "Name the image to check, such as mcr.microsoft.com/windows/servercore:ltsc2022 or "
            "its OS version 10.0.20348.2113."
        )
    return (
        "Add the host the image should run on, such as 'on Windows Server 2022', "
        "'on 10.0.20348.2700' or 'my host says' followed by the output of `ver`."
    )
