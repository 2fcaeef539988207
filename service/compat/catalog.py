"""The Windows release catalog (rules.md §2): one table, looked up by build and kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SERVER = "server"
CLIENT = "client"
KINDS = (SERVER, CLIENT)

BASE_IMAGE_REPOSITORIES = (
    "mcr.microsoft.com/windows/servercore",
    "mcr.microsoft.com/windows/nanoserver",
    "mcr.microsoft.com/windows/server",
    "mcr.microsoft.com/windows",
)


@dataclass(frozen=True)
class Release:
    build: int
    kind: str  # "server" or "client"
    name: str  # "Windows Server 2022"
    version_id: str | None  # "21H2", "1809": what `winver` and docker info call it
    channel: str | None  # "LTSC", "SAC", "Annual", or None for client releases
    tags: tuple[str, ...] = ()  # base-image tags on mcr.microsoft.com; first is canonical
    aliases: tuple[str, ...] = ()  # extra names people paste, already normalised
    mainstream_end: date | None = None
    support_end: date | None = None  # end of (extended) support
    has_images: bool = False  # only Windows Server builds exist as images
    note: str = ""

    @property
    def tag(self) -> str | None:
        return self.tags[0] if self.tags else None

    @property
    def label(self) -> str:
        return self.name


# Builds as named constants (the model is hcsshim's osversion/windowsbuilds.go): rules,
# advisories and remedies name them instead of writing bare numbers.
WS2016 = LTSC2016 = V1607 = 14393
V1703 = 15063
V1709 = 16299
V1803 = 17134
WS2019 = LTSC2019 = V1809 = 17763
V1903 = 18362
V1909 = 18363
V2004 = 19041
V20H2 = 19042
V21H1 = 19043
WIN10_21H2 = 19044
WIN10_22H2 = 19045
WS2022 = LTSC2022 = 20348
WIN11_21H2 = 22000
WIN11_22H2 = 22621
WIN11_23H2 = 22631
V23H2 = 25398  # Windows Server 23H2 (Annual Channel)
WS2025 = LTSC2025 = 26100  # also Windows 11 24H2
WIN11_25H2 = 26200

WINDOWS_11_FIRST_BUILD = WIN11_21H2


def _server(build: int, name: str, version_id: str, channel: str, **fields) -> Release:
    fields.setdefault("has_images", True)
    return Release(
        build=build, kind=SERVER, name=name, version_id=version_id, channel=channel, **fields
    )


def _client(build: int, name: str, version_id: str, **fields) -> Release:
    return Release(
        build=build, kind=CLIENT, name=name, version_id=version_id, channel=None, **fields
    )


D = date.fromisoformat

# fmt: off
RELEASES: tuple[Release, ...] = (
    _server(WS2016, "Windows Server 2016", "1607", "LTSC",
            tags=("ltsc2016", "1607", "sac2016"),
            aliases=("windows server 2016", "2016", "ws2016"),
            mainstream_end=D("2022-01-11"), support_end=D("2027-01-11"),
            note="process isolation needs the exact same revision"),
    _client(V1607, "Windows 10 1607", "1607", aliases=("windows 10 1607", "1607"),
            support_end=D("2018-04-10")),
    _client(V1703, "Windows 10 1703", "1703", aliases=("windows 10 1703", "1703"),
            support_end=D("2018-10-09")),
    _server(V1709, "Windows Server 1709", "1709", "SAC", tags=("1709",),
            aliases=("windows server 1709",), support_end=D("2019-04-09")),
    _client(V1709, "Windows 10 1709", "1709", aliases=("windows 10 1709", "1709"),
            support_end=D("2019-04-09")),
    _server(V1803, "Windows Server 1803", "1803", "SAC", tags=("1803",),
            aliases=("windows server 1803",), support_end=D("2019-11-12")),
    _client(V1803, "Windows 10 1803", "1803", aliases=("windows 10 1803", "1803"),
            support_end=D("2019-11-12")),
    _server(WS2019, "Windows Server 2019", "1809", "LTSC", tags=("ltsc2019", "1809"),
            aliases=("windows server 2019", "2019", "ws2019", "windows server 1809"),
            mainstream_end=D("2024-01-09"), support_end=D("2029-01-09"),
            note="process isolation: host and image must sit on the same side of the "
            "February 2020 security baseline"),
    _client(V1809, "Windows 10 1809", "1809",
            aliases=("windows 10 1809", "1809", "windows 10 ltsc 2019", "windows 10 ltsc2019"),
            support_end=D("2020-11-10")),
    _server(V1903, "Windows Server 1903", "1903", "SAC", tags=("1903",),
            aliases=("windows server 1903",), support_end=D("2020-12-08")),
    _client(V1903, "Windows 10 1903", "1903", aliases=("windows 10 1903", "1903"),
            support_end=D("2020-12-08")),
    _server(V1909, "Windows Server 1909", "1909", "SAC", tags=("1909",),
            aliases=("windows server 1909",), support_end=D("2021-05-11")),
    _client(V1909, "Windows 10 1909", "1909", aliases=("windows 10 1909", "1909"),
            support_end=D("2021-05-11")),
    _server(V2004, "Windows Server 2004", "2004", "SAC", tags=("2004",),
            aliases=("windows server 2004",), support_end=D("2021-12-14")),
    _client(V2004, "Windows 10 2004", "2004", aliases=("windows 10 2004", "2004"),
            support_end=D("2021-12-14")),
    _server(V20H2, "Windows Server 20H2", "20H2", "SAC", tags=("20H2",),
            aliases=("windows server 20h2",), support_end=D("2022-08-09")),
    _client(V20H2, "Windows 10 20H2", "20H2", aliases=("windows 10 20h2", "20h2"),
            support_end=D("2022-05-10")),
    _client(V21H1, "Windows 10 21H1", "21H1", aliases=("windows 10 21h1", "21h1"),
            support_end=D("2022-12-13")),
    _client(WIN10_21H2, "Windows 10 21H2", "21H2", aliases=("windows 10 21h2", "21h2"),
            support_end=D("2023-06-13")),
    _client(WIN10_22H2, "Windows 10 22H2", "22H2", aliases=("windows 10 22h2", "22h2"),
            support_end=D("2025-10-14")),
    _server(WS2022, "Windows Server 2022", "21H2", "LTSC", tags=("ltsc2022",),
            aliases=("windows server 2022", "2022", "ws2022", "windows server 21h2", "21h2"),
            mainstream_end=D("2026-10-13"), support_end=D("2031-10-14")),
    _client(WIN11_21H2, "Windows 11 21H2", "21H2", aliases=("windows 11 21h2", "21h2"),
            support_end=D("2023-10-10")),
    _client(WIN11_22H2, "Windows 11 22H2", "22H2", aliases=("windows 11 22h2", "22h2"),
            support_end=D("2024-10-08")),
    _client(WIN11_23H2, "Windows 11 23H2", "23H2", aliases=("windows 11 23h2", "23h2"),
            support_end=D("2025-11-11")),
    _server(V23H2, "Windows Server 23H2", "23H2", "Annual",
            aliases=("windows server 23h2", "23h2"), support_end=D("2025-10-24"),
            has_images=False,
            note="a container host only: runs Windows Server 2022 images, has no images of "
            "its own"),
    _server(WS2025, "Windows Server 2025", "24H2", "LTSC", tags=("ltsc2025",),
            aliases=("windows server 2025", "2025", "ws2025", "windows server 24h2", "24h2"),
            mainstream_end=D("2029-10-09"), support_end=D("2034-10-10"),
            note="no full-fat `windows` image for 2025"),
    _client(WS2025, "Windows 11 24H2", "24H2", aliases=("windows 11 24h2", "24h2"),
            support_end=D("2026-10-13")),
    _client(WIN11_25H2, "Windows 11 25H2", "25H2", aliases=("windows 11 25h2", "25h2"),
            support_end=D("2027-10-12")),
)
# fmt: on

_BY_BUILD: dict[int, dict[str, Release]] = {}
for _r in RELEASES:
    _BY_BUILD.setdefault(_r.build, {})[_r.kind] = _r


def _alias_table() -> dict[str, tuple[Release, ...]]:
    table: dict[str, list[Release]] = {}
    for release in RELEASES:
        names = {release.name.lower(), *release.aliases, *(t.lower() for t in release.tags)}
        for name in names:
            table.setdefault(name, []).append(release)
    return {name: tuple(found) for name, found in table.items()}


ALIASES: dict[str, tuple[Release, ...]] = _alias_table()


def releases_for(build: int) -> dict[str, Release]:
    """Every release of a build, by kind ({} for a build not in the catalog)."""
    return _BY_BUILD.get(build, {})


def release_for(build: int, kind: str = SERVER) -> Release | None:
    """The release of this build for this kind, falling back to the build's only kind."""
    found = _BY_BUILD.get(build, {})
    return found.get(kind) or (next(iter(found.values())) if len(found) == 1 else None)


def kinds_of(build: int) -> tuple[str, ...]:
    """The kinds a known build exists as; empty for an unknown build."""
    return tuple(kind for kind in KINDS if kind in _BY_BUILD.get(build, {}))


def describe(build: int, kind: str = SERVER) -> str:
    """A release's name for a sentence: "Windows Server 2022", or "unknown build 27000"."""
    release = release_for(build, kind)
    return release.name if release else f"build {build}, not in the catalog"


def image_release(build: int) -> Release | None:
    """The Windows Server release whose images carry this build, if any exist."""
    release = _BY_BUILD.get(build, {}).get(SERVER)
    return release if release and release.has_images else None
