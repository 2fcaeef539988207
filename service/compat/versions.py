"""Windows versions: parse every shape people paste (rules.md §1), compare as integers."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from service.compat import catalog

MAX_INPUT = 64 * 1024  # bytes: a `kubectl describe node` is 6-7 KB, `Get-ComputerInfo` 9 KB
MAX_PART = 2**31 - 1
NODES_ENDPOINT = "/compat/nodes"

ACCEPTED_SHAPES = (
    "10.0.20348.2113",
    "10.0.17763",
    "20348 or 20348.2113",
    "Microsoft Windows [Version 10.0.16299.125]",
    "Microsoft Windows Server Version 21H2 (OS Build 20348.169)",
    "Windows Server 2025 (26100.4061)",
    "14393.321.amd64fre.rs1_release_inmarket.161004-2338",
    "10.0 17763 (17763.1.amd64fre.rs5_release.180914-1434)",
    "Microsoft Windows NT 10.0.20348",
    "AKSWindows-2022-containerd-20348.2655.240814",
    "a whole `docker info`, `systeminfo`, `Get-ComputerInfo` or `kubectl describe node` of one "
    "host",
    "ltsc2022, Windows Server 2022, 1809, 2009, 20H2, win11-23h2",
    "tags: ltsc2019-amd64, 1809-KB4493509, 10.0.17763.437-amd64",
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


class SeveralHosts(InvalidVersion):
    """One text, several hosts: never guess which one was meant."""

    def __init__(self, text: str, versions: list[str]) -> None:
        self.versions = versions
        ValueError.__init__(
            self,
            f"The text holds {len(versions)} different hosts ({', '.join(versions)}); ask about "
            f"one host, or send the whole list to {NODES_ENDPOINT}.",
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
    def base(self) -> str:
        """Major.Minor.Build, as the build label and Docker's messages write it."""
        return f"{self.major}.{self.minor}.{self.build}"

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


@dataclass(frozen=True)
class _Found:
    """One version a text mentions, and how far its revision can be trusted."""

    parsed: ParsedVersion
    trust: int  # higher wins for the revision; 0: no revision of its own
    order: int  # the shape's place in the tables: stronger signals come first


def _int(text: str | int | None) -> int | None:
    if text is None:
        return None
    value = int(text)
    if value > MAX_PART:
        raise ValueError(f"{text} is too large for a version part")
    return value


def _kind_named(text: str) -> str | None:
    """The host kind a product name tells, if any."""
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
_NT_REVISION = (
    "`Microsoft Windows NT` strings carry no update revision, so it is unknown; give the output "
    "of `ver` for it"
)


def _version(major, minor, build, revision=None) -> WindowsVersion:
    return WindowsVersion(_int(major), _int(minor), _int(build), _int(revision))


def _os_build(m: re.Match) -> ParsedVersion:
    return ParsedVersion(_version(10, 0, m["build"], m["rev"]), "os-build")


def _ver(m: re.Match) -> ParsedVersion:
    return ParsedVersion(_version(m["maj"], m["min"], m["build"], m["rev"]), "ver")


def _product_build(m: re.Match) -> ParsedVersion:
    return ParsedVersion(_version(10, 0, m["build"], m["rev"]), "product-build")


def _aks(m: re.Match) -> ParsedVersion:
    version = _version(10, 0, m["build"], m["rev"])
    return ParsedVersion(version, "aks-node-image", catalog.SERVER)


def _nt(m: re.Match) -> ParsedVersion:
    # .NET / EC2Launch print "Microsoft Windows NT 10.0.20348.0": that .0 is not the update.
    revision = m["rev"] if m["rev"] not in (None, "0") else None
    warnings = () if revision else (_NT_REVISION,)
    version = _version(m["maj"], m["min"], m["build"], revision)
    return ParsedVersion(version, "windows-nt", None, warnings)


def _kernel(m: re.Match) -> ParsedVersion:
    warning = _UNRELIABLE_REVISION.format(shape="the kernel version string")
    version = _version(m["maj"], m["min"], m["build"])
    return ParsedVersion(version, "kernel-version", None, (warning,))


def _buildlabex(m: re.Match) -> ParsedVersion:
    warning = _UNRELIABLE_REVISION.format(shape="BuildLabEx")
    return ParsedVersion(_version(10, 0, m["build"]), "buildlabex", None, (warning,))


def _dotted(m: re.Match) -> ParsedVersion:
    version = _version(m["maj"], m["min"], m["build"], m["rev"])
    return ParsedVersion(version, "full" if m["rev"] else "no-revision")


def _build_rev(m: re.Match) -> ParsedVersion:
    return ParsedVersion(_version(10, 0, m["build"], m["rev"]), "build")


Handler = Callable[[re.Match], ParsedVersion]

# How far each shape's revision is the installed update (higher wins when one text says the
# same build several ways: an `OS Build 20348.169` beats a lab string's `.1`).
TRUST: dict[str, int] = {
    "os-build": 5,
    "ver": 5,
    "full": 4,
    "build": 4,
    "product-build": 4,
    "aks-node-image": 3,
    "windows-nt": 3,
}

LAB_BUILD_SHAPES = frozenset({"buildlabex"})

# Searched anywhere in a line, strongest signal first.
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
            # the lab build in brackets may be older: `10.0 19045 (19041.1.amd64fre.vb_release`
            r"(?P<maj>\d+)\.(?P<min>\d+) (?P<build>\d{4,5}) \(\d{4,5}\.\d+\.\w*fre\.",
            re.I,
        ),
        _kernel,
    ),
    (
        re.compile(r"(?<![\d.])(?P<build>\d{4,5})\.\d+\.(?:amd64|arm64|x86|wow64)\w*fre\.", re.I),
        _buildlabex,
    ),
    # "Windows Server 2025 (26100.4061)", "Windows Server 2022 Datacenter 25398.950"
    (
        re.compile(r"\bWindows\b[\w ,]*?[ (](?P<build>\d{5})\.(?P<rev>\d+)\)?(?![\w.])", re.I),
        _product_build,
    ),
    # 10.0.b[.r] inside a longer text, but not an image tag (`nanoserver:10.0.17763.437`).
    (
        re.compile(
            # the look-behinds follow the literal "10": checked where it is, not everywhere
            r"(?P<maj>10)(?<![\w.]10)(?<!\w:10)(?<![/@]10)\.(?P<min>0)\.(?P<build>\d{4,5})"
            r"(?:\.(?P<rev>\d+))?(?![\w.])"
        ),
        _dotted,
    ),
)

# A lowercase string every match of a searched shape holds: a pattern runs only over a text
# that has it (a `str.find` costs far less than a regex scan of a 64 KiB paste).
_NEEDLES: dict[Handler, str] = {
    _os_build: "os build",
    _ver: "[version ",
    _aks: "akswindows-",
    _nt: "windows nt ",
    _kernel: "fre.",
    _buildlabex: "fre.",
    _product_build: "windows",
    _dotted: "10.0.",
}

# Matched against a whole value: the text itself, or a version field of a paste.
_WHOLE: tuple[tuple[re.Pattern, Handler], ...] = (
    (
        re.compile(r"v?(?P<maj>\d{1,3})\.(?P<min>\d{1,3})\.(?P<build>\d{1,6})(?:\.(?P<rev>\d+))?"),
        _dotted,
    ),
    (re.compile(r"(?P<build>\d{5})(?:\.(?P<rev>\d+))?"), _build_rev),
)

_LABEL = re.compile(r"[A-Za-z][\w .()/-]{0,60}")
_SEPARATOR = re.compile(r"[:=]")
# Fields that name the product: only these tell a host's kind (a `Server:` section header,
# `Server Version:` or `Windows Server` in an image name do not).
PRODUCT_FIELDS = frozenset(
    {"operatingsystem", "osname", "productname", "windowsproductname", "osimage", "caption"}
)
# Fields whose whole value is a version in a paste of many lines.
VERSION_FIELDS = frozenset(
    {
        "osversion",
        "version",
        "kernelversion",
        "currentbuild",
        "currentbuildnumber",
        "buildnumber",
        "osbuildnumber",
        "osbuild",
        "windowsbuild",
        "nodekubernetesiowindowsbuild",
    }
)
# Fields whose numbers are not the host's update, whatever they look like.
IGNORED_FIELDS = frozenset({"oshardwareabstractionlayer", "biosversion", "biosbiosversion"})
_VER_BANNER = re.compile(r"^(?P<words>[^\[]*)\[Version ", re.I)
_PLAIN = re.compile(r"\s*(?P<maj>10)\.(?P<min>0)\.(?P<build>\d{4,5})(?:\.(?P<rev>\d{1,9}))?\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NOISE_WORDS = re.compile(
    r"\b(microsoft|datacenter|standard|essentials|enterprise|education|professional|pro|home|"
    r"iot|server core|core|azure edition|edition|version|n)\b|[,()\"']"
)
# Tag-shaped suffixes: `ltsc2019-amd64`, `10.0.17763.437-amd64`, `1809-KB4493509`.
_ARCH_SUFFIX = re.compile(r"-(?:amd64|arm64|x64)$", re.I)
_KB_SUFFIX = re.compile(r"^(?P<name>[\w.]+?)-KB(?P<kb>\d{6,7})$", re.I)
# Release ids people write that the catalog does not spell: 20H2's registry ReleaseId is 2009.
NAME_ALIASES = {"2009": "20h2"}
# Knowledge-base updates with the revision they install (the seed document's examples and the
# 17763 baseline): a `1809-KB4493509` tag is 10.0.17763.437.
KB_REVISIONS: dict[str, tuple[int, int]] = {
    "4041691": (catalog.WS2016, 1770),
    "4051033": (catalog.WS2016, 1914),
    "4053579": (catalog.WS2016, 1944),
    "4493509": (catalog.WS2019, 437),
    "4534273": (catalog.WS2019, 973),
    "4532691": (catalog.WS2019, 1039),
}


def _field(label: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (label or "").lower())


def _split(line: str) -> tuple[str | None, str]:
    """`Label: value` -> (label, value); a line without a label is all value."""
    stripped = line.strip()
    separator = _SEPARATOR.search(stripped, 0, 66)
    if stripped[:1].isdigit() or separator is None:
        return None, stripped
    label = stripped[: separator.start()].strip().strip("\"'")
    if not _LABEL.fullmatch(label):
        return None, stripped
    return label, stripped[separator.end() :].strip()


def _clean(value: str) -> str:
    """Quotes, trailing commas and surrounding space off a value: users paste whole lines."""
    return value.strip().strip("\"'`,").strip().strip("\"'`").strip()


def _name_key(text: str) -> str:
    lowered = _NOISE_WORDS.sub(" ", text.lower())
    lowered = re.sub(r"[-_/]", " ", lowered)
    lowered = re.sub(r"\bwin(?:dows)? ?(1[01])\b", r"windows \1", lowered)
    lowered = re.sub(r"\b(ltsc|sac) (\d{4})\b", r"\1\2", lowered)
    key = " ".join(lowered.split())
    return NAME_ALIASES.get(key, key)


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


def _by_kb(value: str, kind: str | None) -> ParsedVersion | None:
    """`1809-KB4493509`: the release's build; the revision when the KB is known."""
    m = _KB_SUFFIX.fullmatch(value)
    named = m and _by_name(m["name"], kind)
    if not named:
        return None
    known = KB_REVISIONS.get(m["kb"])
    if known and known[0] == named.version.build:
        return ParsedVersion(_version(10, 0, known[0], known[1]), "kb-tag", named.kind_hint)
    note = (
        f"KB{m['kb']} is not in the table of known updates, so the revision is unknown; give "
        "the 10.0.x.y tag for it"
    )
    return ParsedVersion(named.version, "kb-tag", named.kind_hint, (note,))


def check_text(text: object) -> str:
    """Refuse what cannot be a version before reading it: empty, too long, control chars."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidVersion(str(text or ""), "An empty string carries no version.")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_INPUT:
        raise InvalidVersion(text, f"Longer than {MAX_INPUT} bytes ({size}).")
    bad = _CONTROL.search(text)
    if bad:
        raise InvalidVersion(
            text.replace("\x00", "\\x00"),
            f"It holds a control character (U+{ord(bad.group()):04X}) at position {bad.start()}.",
        )
    return text.replace("\ufeff", "")  # a byte-order mark from a saved file


def parse_version(text: str, *, kind: str | None = None) -> ParsedVersion:
    """Parse any shape of rules.md §1, or a whole paste about one host. `kind`
    ("server"/"client") only settles names that mean different builds for servers and
    clients, such as "23H2". Several hosts in one text raise SeveralHosts."""
    text = check_text(text)
    plain = _PLAIN.fullmatch(text)
    if plain:  # the shape most questions use: no lines, labels or names to read
        return _checked(_dotted(plain), text)
    try:
        return _parse(text, kind)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, InvalidVersion):
            raise
        raise InvalidVersion(text, f"{exc}.") from None


def _searched(lines: list[str]) -> list[list[_Found]]:
    """Every mention, per line (each pattern runs once over the whole text; none crosses a
    line). A weaker shape inside a stronger one's match is the same mention (the
    `10.0.17763.0` of `Windows NT 10.0.17763.0`), not another."""
    joined = "\n".join(lines)
    lowered = joined.lower()
    starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    found: list[list[_Found]] = [[] for _ in lines]
    claimed: list[tuple[int, int]] = []
    for order, (pattern, handler) in enumerate(_SEARCHED):
        if _NEEDLES[handler] not in lowered:
            continue
        for match in pattern.finditer(joined):
            start, end = match.span()
            if any(start < e and s < end for s, e in claimed):
                continue
            claimed.append((start, end))
            parsed = handler(match)
            line = bisect.bisect_right(starts, start) - 1
            found[line].append(_Found(parsed, TRUST.get(parsed.shape, 0), order))
    return found


def _whole(value: str, kind: str | None) -> ParsedVersion | None:
    value = _ARCH_SUFFIX.sub("", _clean(value))
    for pattern, handler in _WHOLE:
        match = pattern.fullmatch(value)
        if match:
            return handler(match)
    return _by_kb(value, kind)


def _read_line(
    line: str, found: list[_Found], single: bool, kind: str | None
) -> tuple[list[_Found], str | None]:
    """The versions a line mentions (`found`: what the searched shapes saw in it), and its
    product text (None when it names no product)."""
    label, value = _split(line)
    field = _field(label)
    if field in IGNORED_FIELDS:
        return [], None
    if not found and (single or field in VERSION_FIELDS):
        try:
            parsed = _whole(value, kind)
        except ValueError:
            if single:
                raise
            parsed = None  # `Version: 24.0.0` of the Docker client, in a paste
        if parsed and (single or parsed.version.build >= 1000):
            found.append(_Found(parsed, TRUST.get(parsed.shape, 0), len(_SEARCHED)))
    banner = _VER_BANNER.match(line)
    if field in PRODUCT_FIELDS:
        product = _clean(value)
    elif banner:
        product = banner["words"]
    else:
        product = line if single and label is None else None
    return found, product


def _parse(text: str, kind: str | None) -> ParsedVersion:
    lines = [line for line in text.splitlines() if line.strip()]
    single = len(lines) == 1
    found: list[_Found] = []
    products: list[str] = []
    for line, searched in zip(lines, _searched(lines), strict=True):
        line_found, product = _read_line(line, searched, single, kind)
        found += line_found
        products += [product] if product else []
    hints = {k for k in map(_kind_named, products) if k}
    hint = hints.pop() if len(hints) == 1 else None
    if found:
        return _checked(_one_host(text, found, hint), text)
    named = _named(text, lines, products, kind, single)
    if named:
        return named
    raise InvalidVersion(text)


def _named(text, lines, products, kind, single) -> ParsedVersion | None:
    if single:
        value = _ARCH_SUFFIX.sub("", _clean(_split(lines[0])[1]))
        return _by_name(value, kind) or _by_name(_clean(lines[0]), kind)
    releases = {p.version for p in filter(None, (_by_name(_clean(t), kind) for t in products))}
    if len(releases) > 1:
        raise SeveralHosts(text, sorted(str(v) for v in releases))
    return next(filter(None, (_by_name(_clean(t), kind) for t in products)), None)


def _one_host(text: str, found: list[_Found], hint: str | None) -> ParsedVersion:
    """Every mention must be the same build; the most trusted revision wins, and two
    different revisions at the same trust are two hosts."""
    # A BuildLabEx names its code base's build (19041 on every Windows 10 2004-22H2 host):
    # it decides the build only when nothing else in the text does.
    solid = [f for f in found if f.parsed.shape not in LAB_BUILD_SHAPES]
    warnings = tuple(dict.fromkeys(w for f in found for w in f.parsed.warnings))
    found = solid or found
    builds = {f.parsed.version.base for f in found}
    if len(builds) > 1:
        raise SeveralHosts(text, sorted(builds, key=lambda b: [int(p) for p in b.split(".")]))
    known = [f for f in found if f.parsed.version.revision is not None]
    if known:
        top = max(f.trust for f in known)
        revisions = {f.parsed.version for f in known if f.trust == top}
        if len(revisions) > 1:
            raise SeveralHosts(text, [str(v) for v in sorted(revisions)])
        best = min((f for f in known if f.trust == top), key=lambda f: f.order)
        return ParsedVersion(best.parsed.version, best.parsed.shape, best.parsed.kind_hint or hint)
    best = min(found, key=lambda f: f.order)
    return ParsedVersion(
        best.parsed.version, best.parsed.shape, best.parsed.kind_hint or hint, warnings
    )


def _checked(parsed: ParsedVersion, text: str) -> ParsedVersion:
    if parsed.version.build < 1000:
        raise InvalidVersion(text, "A Windows build has at least four digits.")
    return parsed
