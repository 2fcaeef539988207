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


def _server(build, name, vid, channel, tags, aliases=(), main=None, end=None, images=True, note=""):
    return Release(build, SERVER, name, vid, channel, tags, aliases, main, end, images, note)


def _client(build, name, vid, aliases=(), end=None, note=""):
    return Release(build, CLIENT, name, vid, None, (), aliases, None, end, False, note)


D = date.fromisoformat

# fmt: off
RELEASES: tuple[Release, ...] = (
    _server(14393, "Windows Server 2016", "1607", "LTSC", ("ltsc2016", "1607", "sac2016"),
            ("windows server 2016", "2016", "ws2016"), D("2022-01-11"), D("2027-01-11"),
            note="process isolation needs the exact same revision"),
    _client(14393, "Windows 10 1607", "1607", ("windows 10 1607", "1607"), D("2018-04-10")),
    _client(15063, "Windows 10 1703", "1703", ("windows 10 1703", "1703"),
            D("2018-10-09")),
    _server(16299, "Windows Server 1709", "1709", "SAC", ("1709",),
            ("windows server 1709",), end=D("2019-04-09")),
    _client(16299, "Windows 10 1709", "1709", ("windows 10 1709", "1709"), D("2019-04-09")),
    _server(17134, "Windows Server 1803", "1803", "SAC", ("1803",),
            ("windows server 1803",), end=D("2019-11-12")),
    _client(17134, "Windows 10 1803", "1803", ("windows 10 1803", "1803"), D("2019-11-12")),
    _server(17763, "Windows Server 2019", "1809", "LTSC", ("ltsc2019", "1809"),
            ("windows server 2019", "2019", "ws2019", "windows server 1809"),
            D("2024-01-09"), D("2029-01-09"),
            note="process isolation: host and image must sit on the same side of the "
            "February 2020 security baseline"),
    _client(17763, "Windows 10 1809", "1809",
            ("windows 10 1809", "1809", "windows 10 ltsc 2019", "windows 10 ltsc2019"),
            D("2020-11-10")),
    _server(18362, "Windows Server 1903", "1903", "SAC", ("1903",),
            ("windows server 1903",), end=D("2020-12-08")),
    _client(18362, "Windows 10 1903", "1903", ("windows 10 1903", "1903"), D("2020-12-08")),
    _server(18363, "Windows Server 1909", "1909", "SAC", ("1909",),
            ("windows server 1909",), end=D("2021-05-11")),
    _client(18363, "Windows 10 1909", "1909", ("windows 10 1909", "1909"), D("2021-05-11")),
    _server(19041, "Windows Server 2004", "2004", "SAC", ("2004",),
            ("windows server 2004",), end=D("2021-12-14")),
    _client(19041, "Windows 10 2004", "2004", ("windows 10 2004", "2004"), D("2021-12-14")),
    _server(19042, "Windows Server 20H2", "20H2", "SAC", ("20h2",),
            ("windows server 20h2",), end=D("2022-08-09")),
    _client(19042, "Windows 10 20H2", "20H2", ("windows 10 20h2", "20h2"), D("2022-05-10")),
    _client(19043, "Windows 10 21H1", "21H1", ("windows 10 21h1", "21h1"),
            D("2022-12-13")),
    _client(19044, "Windows 10 21H2", "21H2", ("windows 10 21h2", "21h2"),
            D("2023-06-13")),
    _client(19045, "Windows 10 22H2", "22H2", ("windows 10 22h2", "22h2"),
            D("2025-10-14")),
    _server(20348, "Windows Server 2022", "21H2", "LTSC", ("ltsc2022",),
            ("windows server 2022", "2022", "ws2022", "windows server 21h2", "21h2"),
            D("2026-10-13"), D("2031-10-14")),
    _client(22000, "Windows 11 21H2", "21H2", ("windows 11 21h2", "21h2"),
            D("2023-10-10")),
    _client(22621, "Windows 11 22H2", "22H2", ("windows 11 22h2", "22h2"),
            D("2024-10-08")),
    _client(22631, "Windows 11 23H2", "23H2", ("windows 11 23h2", "23h2"),
            D("2025-11-11")),
    _server(25398, "Windows Server 23H2", "23H2", "Annual", (),
            ("windows server 23h2", "23h2"), end=D("2025-10-24"), images=False,
            note="a container host only: runs Windows Server 2022 images, has no images of "
            "its own"),
    _server(26100, "Windows Server 2025", "24H2", "LTSC", ("ltsc2025",),
            ("windows server 2025", "2025", "ws2025", "windows server 24h2", "24h2"),
            D("2029-10-09"), D("2034-10-10"), note="no full-fat `windows` image for 2025"),
    _client(26100, "Windows 11 24H2", "24H2", ("windows 11 24h2", "24h2"),
            D("2026-10-13")),
    _client(26200, "Windows 11 25H2", "25H2", ("windows 11 25h2", "25h2"),
            D("2027-10-12")),
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
