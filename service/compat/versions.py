"""Windows versions: parse every shape people paste (rules.md §1), compare as integers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from service.compat import catalog

MAX_INPUT = 4096  # a whole `docker info` paste fits; anything longer is not a version
MAX_PART = 2**31 - 1

ACCEPTED_SHAPES = (
    "10.0.20348.2113",
    "10.0.17763",
    "20348 or 20348.2113",
    "Microsoft Windows [Version 10.0.16299.125]",
    "Microsoft Windows Server Version 21H2 (OS Build 20348.169)",
    "14393.321.amd64fre.rs1_release_inmarket.161004-2338",
    "10.0 17763 (17763.1.amd64fre.rs5_release.180914-1434)",
    "Microsoft Windows NT 10.0.20348",
    "AKSWindows-2022-containerd-20348.2655.240814",
    "ltsc2022, Windows Server 2022, 1809, 20H2, win11-23h2",
)


class InvalidVersion(ValueError):
    """Text that is no Windows version shape we know; the message names the accepted ones."""

    def __init__(self, text: str, why: str = "") -> None:
        shown = text if len(text) <= 80 else text[:77] + "..."
        lead = f"{why} " if why else ""
        super().__init__(
            f"{lead}{shown!r} is not a Windows version. Accepted shapes: "
            + "; ".join(ACCEPTED_SHAPES)
        )


@dataclass(frozen=True)
class WindowsVersion:
    """Major.Minor.Build.Revision; revision None means unknown. One ordering, by `key`, in which
    an unknown revision sorts before every known one (pypa/packaging's _BaseVersion style)."""

    major: int
    minor: int
    build: int
    revision: int | None = None

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.build}"
        return base if self.revision is None else f"{base}.{self.revision}"

    @property
    def key(self) -> tuple[int, int, int, int]:
        return (self.major, self.minor, self.build, -1 if self.revision is None else self.revision)

    def __lt__(self, other: WindowsVersion) -> bool:
        if not isinstance(other, WindowsVersion):
            return NotImplemented
        return self.key < other.key

    def __le__(self, other: WindowsVersion) -> bool:
        if not isinstance(other, WindowsVersion):
            return NotImplemented
        return self.key <= other.key

    def __gt__(self, other: WindowsVersion) -> bool:
        if not isinstance(other, WindowsVersion):
            return NotImplemented
        return self.key > other.key

    def __ge__(self, other: WindowsVersion) -> bool:
        if not isinstance(other, WindowsVersion):
            return NotImplemented
        return self.key >= other.key


@dataclass(frozen=True)
class ParsedVersion:
    version: WindowsVersion
    shape: str  # which shape of rules.md §1 it came from
    kind_hint: str | None = None  # "server"/"client" when the text names the product
    warnings: tuple[str, ...] = ()


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    value = int(text)
    if value > MAX_PART:
        raise ValueError(f"{text} is too large for a version part")
    return value


def _kind_named(text: str) -> str | None:
    """The host kind a product name in the text tells, if any."""
    lowered = text.lower()
    if "windows server" in lowered or re.search(r"\bserver\b", lowered):
        return catalog.SERVER
    if re.search(r"windows (?:10|11)(?![.\d])|\bwin1[01]\b", lowered):
        return catalog.CLIENT
    return None


_UNRELIABLE_REVISION = (
    "the number after the build in {shape} belongs to the build lab, not the installed update, "
    "so the revision is unknown; give the output of `ver` or the `OS Build` string for it"
)


def _version(major, minor, build, revision=None) -> WindowsVersion:
    return WindowsVersion(_int(major), _int(minor), _int(build), _int(revision))


def _os_build(m: re.Match, text: str) -> ParsedVersion:
    return ParsedVersion(_version(10, 0, m["build"], m["rev"]), "os-build", _kind_named(text))


def _ver(m: re.Match, text: str) -> ParsedVersion:
    version = _version(m["maj"], m["min"], m["build"], m["rev"])
    return ParsedVersion(version, "ver", _kind_named(text))


def _aks(m: re.Match, text: str) -> ParsedVersion:
    return ParsedVersion(_version(10, 0, m["build"], m["rev"]), "aks-node-image", catalog.SERVER)


def _nt(m: re.Match, text: str) -> ParsedVersion:
    # .NET / EC2Launch print "Microsoft Windows NT 10.0.20348.0": that .0 is not the update.
    revision = m["rev"] if m["rev"] not in (None, "0") else None
    warnings = (
        ()
        if revision
        else (
            "`Microsoft Windows NT` strings carry no update revision, so it is unknown; give the "
            "output of `ver` for it",
        )
    )
    version = _version(m["maj"], m["min"], m["build"], revision)
    return ParsedVersion(version, "windows-nt", _kind_named(text), warnings)


def _kernel(m: re.Match, text: str) -> ParsedVersion:
    warning = _UNRELIABLE_REVISION.format(shape="the kernel version string")
    version = _version(m["maj"], m["min"], m["build"])
    return ParsedVersion(version, "kernel-version", _kind_named(text), (warning,))


def _buildlabex(m: re.Match, text: str) -> ParsedVersion:
    warning = _UNRELIABLE_REVISION.format(shape="BuildLabEx")
    return ParsedVersion(_version(10, 0, m["build"]), "buildlabex", _kind_named(text), (warning,))


def _embedded_full(m: re.Match, text: str) -> ParsedVersion:
    version = _version(10, 0, m["build"], m["rev"])
    return ParsedVersion(version, "full" if m["rev"] else "no-revision", _kind_named(text))


def _dotted(m: re.Match, text: str) -> ParsedVersion:
    version = _version(m["maj"], m["min"], m["build"], m["rev"])
    return ParsedVersion(version, "full" if m["rev"] else "no-revision", _kind_named(text))


def _build_rev(m: re.Match, text: str) -> ParsedVersion:
    return ParsedVersion(_version(10, 0, m["build"], m["rev"]), "build", _kind_named(text))


Handler = Callable[[re.Match, str], ParsedVersion]

# Searched anywhere in the text, strongest signal first: a pasted `docker info` carries the
# kernel string and the OS Build line, and only the latter has the installed revision.
_SEARCHED: tuple[tuple[re.Pattern, Handler], ...] = (
    (re.compile(r"OS Build[: ]+(?P<build>\d{4,5})\.(?P<rev>\d+)", re.I), _os_build),
    (
        re.compile(
            r"\[Version (?P<maj>\d+)\.(?P<min>\d+)\.(?P<build>\d+)(?:\.(?P<rev>\d+))?\]", re.I
        ),
        _ver,
    ),
    (
        re.compile(r"AKSWindows-[\w.-]*?-(?P<build>\d{5})\.(?P<rev>\d+)(?:\.\d+)?", re.I),
        _aks,
    ),
    (
        re.compile(
            r"Windows NT (?P<maj>\d+)\.(?P<min>\d+)\.(?P<build>\d{4,5})(?:\.(?P<rev>\d+))?", re.I
        ),
        _nt,
    ),
    (
        re.compile(
            r"(?P<maj>\d+)\.(?P<min>\d+) (?P<build>\d{4,5}) \((?P=build)\.\d+\.\w*fre\.", re.I
        ),
        _kernel,
    ),
    (
        re.compile(r"(?<![\d.])(?P<build>\d{4,5})\.\d+\.(?:amd64|arm64|x86|wow64)\w*fre\.", re.I),
        _buildlabex,
    ),
    (
        re.compile(r"(?<![\w.])10\.0\.(?P<build>\d{4,5})(?:\.(?P<rev>\d+))?(?![\w.])"),
        _embedded_full,
    ),
)

# Matched against the whole (cleaned) text.
_WHOLE: tuple[tuple[re.Pattern, Handler], ...] = (
    (
        re.compile(r"v?(?P<maj>\d{1,3})\.(?P<min>\d{1,3})\.(?P<build>\d{1,6})(?:\.(?P<rev>\d+))?"),
        _dotted,
    ),
    (re.compile(r"(?P<build>\d{5})(?:\.(?P<rev>\d+))?"), _build_rev),
)

_LABEL = re.compile(r"^[\w .-]{1,40}?\s*[:=]\s*", re.ASCII)
_NOISE_WORDS = re.compile(
    r"\b(microsoft|datacenter|standard|essentials|enterprise|education|professional|pro|home|"
    r"iot|server core|core|azure edition|edition|version|n)\b|[,()\"']"
)


def _clean(text: str) -> str:
    """Drop a `Label:` prefix, quotes and surrounding space: users paste whole lines."""
    text = text.strip().strip("\"'`").strip()
    text = _LABEL.sub("", text, count=1) if not text[:1].isdigit() else text
    return text.strip().strip("\"',").strip()


def _name_key(text: str) -> str:
    lowered = _NOISE_WORDS.sub(" ", text.lower())
    lowered = re.sub(r"[-_/]", " ", lowered)
    lowered = re.sub(r"\bwin(?:dows)? ?(1[01])\b", r"windows \1", lowered)
    lowered = re.sub(r"\b(ltsc|sac) (\d{4})\b", r"\1\2", lowered)
    return " ".join(lowered.split())


def _pick(candidates: tuple[catalog.Release, ...], wanted: str | None, text: str):
    """One release for a name: by the kind asked for, else server, else client."""
    if len(candidates) == 1:
        return candidates[0]
    for kind in (wanted,) if wanted else catalog.KINDS:
        narrowed = [r for r in candidates if r.kind == kind]
        if len(narrowed) == 1:
            return narrowed[0]
    names = ", ".join(f"{r.name} ({r.build})" for r in candidates)
    raise InvalidVersion(text, f"The name is ambiguous: it means {names}; name the product.")


def _by_name(text: str, kind: str | None) -> ParsedVersion | None:
    candidates = catalog.ALIASES.get(_name_key(text))
    if not candidates:
        return None
    hint = _kind_named(text)
    release = _pick(candidates, hint or kind, text)
    return ParsedVersion(WindowsVersion(10, 0, release.build), "release-name", release.kind)


def parse_version(text: str, *, kind: str | None = None) -> ParsedVersion:
    """Parse any shape of rules.md §1. `kind` ("server"/"client") only settles names that
    mean different builds for servers and clients, such as "23H2"."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidVersion(str(text or ""), "An empty string carries no version.")
    if len(text) > MAX_INPUT:
        raise InvalidVersion(text, f"Longer than {MAX_INPUT} characters.")
    try:
        return _parse(text, kind)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, InvalidVersion):
            raise
        raise InvalidVersion(text, f"{exc}.") from None


def _parse(text: str, kind: str | None) -> ParsedVersion:
    for pattern, handler in _SEARCHED:
        match = pattern.search(text)
        if match:
            return _checked(handler(match, text), text)
    cleaned = _clean(text)
    for pattern, handler in _WHOLE:
        match = pattern.fullmatch(cleaned)
        if match:
            return _checked(handler(match, text), text)
    by_name = _by_name(cleaned, kind)
    if by_name:
        return by_name
    raise InvalidVersion(text)


def _checked(parsed: ParsedVersion, text: str) -> ParsedVersion:
    if parsed.version.build < 1000:
        raise InvalidVersion(text, "A Windows build has at least four digits.")
    return parsed
