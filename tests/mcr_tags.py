"""MCR-shaped tag sets pushed into the real test registry (tests/registry_harness.py).

The revisions are real servercore tags (tests/data/public/agentbaker/
servercore_nanoserver_tags_first_seen_in_components_json.csv, plus the seed document's
1809-KB4493509 = 10.0.17763.437 and MCR's ltsc2022-KB5040437 = 10.0.20348.2582). Each distinct
os.version is one pushed image; every other tag is the same list pushed again under its name,
so aliases share a digest as they do on MCR."""

from __future__ import annotations

from dataclasses import dataclass, field

from registry_harness import DOCKER_LIST, PlatformSpec, PushedImage, RegistryServer

SERVERCORE_20348 = (2582, 2700, 2762, 2849, 2966, 3091, 3207, 3328, 3453, 3692, 3807, 3932, 4052)
SERVERCORE_17763 = (437, 1040, 5329, 6054, 7136, 7314)
SERVERCORE_14393 = (6897, 7159)
SERVERCORE_26100 = (3476, 3775, 4061)
# floating / KB / suffixed aliases -> the pinned version they point to
ALIASES = {
    "ltsc2022": "10.0.20348.2762",  # lags: 2849 and later are published
    "ltsc2022-amd64": "10.0.20348.2762",
    "10.0.20348.2582-amd64": "10.0.20348.2582",
    "ltsc2022-KB5040437": "10.0.20348.2582",
    "ltsc2019": "10.0.17763.7314",
    "1809": "10.0.17763.7314",
    "1809-KB4493509": "10.0.17763.437",
    "ltsc2016": "10.0.14393.7159",
    "ltsc2025": "10.0.26100.4061",
    "20H2": "10.0.19042.1889",
    "2009": "10.0.19042.1889",
    "2004": "10.0.19041.1415",
    "latest": "10.0.20348.2762",
}
EXTRA_VERSIONS = ("10.0.19042.1889", "10.0.19041.1415")


@dataclass
class Loaded:
    repo: str
    reference: str  # host/repo
    tags: list[str] = field(default_factory=list)
    images: dict[str, PushedImage] = field(default_factory=dict)  # os_version -> image


def _push_version(registry: RegistryServer, loaded: Loaded, version: str, tag: str | None):
    image = registry.push_mcr_base(loaded.repo, tag or version, version)
    loaded.images[version] = image
    loaded.tags.append(tag or version)
    return image


def _alias(registry: RegistryServer, loaded: Loaded, tag: str, version: str) -> None:
    image = loaded.images[version]
    registry.push_manifest(loaded.repo, tag, image.body, image.media_type)
    loaded.tags.append(tag)


def load_servercore(registry: RegistryServer, host: str) -> Loaded:
    """Pushed into `registry`, named as seen through `host` (the paging front)."""
    loaded = Loaded(registry.new_repo("windows/servercore"), "")
    loaded.reference = f"{host}/{loaded.repo}"
    for build, revisions in (
        (20348, SERVERCORE_20348),
        (17763, SERVERCORE_17763),
        (14393, SERVERCORE_14393),
        (26100, SERVERCORE_26100),
    ):
        for revision in revisions:
            _push_version(registry, loaded, f"10.0.{build}.{revision}", None)
    for version in EXTRA_VERSIONS:
        _push_version(registry, loaded, version, f"untagged-{version}")
    for tag, version in ALIASES.items():
        _alias(registry, loaded, tag, version)
    return loaded


# A dotnet/framework-style repository: only suffixed families, plus a dated snapshot.
DOTNET_TAGS = {
    "4.8-windowsservercore-ltsc2019": "10.0.17763.7314",
    "4.8-windowsservercore-ltsc2022": "10.0.20348.3932",
    "4.8-20250610-windowsservercore-ltsc2022": "10.0.20348.3807",
    "4.8-windowsservercore-ltsc2025": "10.0.26100.4061",
    "4.8.1-windowsservercore-ltsc2022": "10.0.20348.3932",
    "3.5-windowsservercore-ltsc2019": "10.0.17763.7314",
    "4.8": "10.0.20348.3932",
}


def load_dotnet(registry: RegistryServer, host: str) -> Loaded:
    loaded = Loaded(registry.new_repo("dotnet/framework/aspnet"), "")
    loaded.reference = f"{host}/{loaded.repo}"
    for tag, version in DOTNET_TAGS.items():
        if version in loaded.images:
            _alias(registry, loaded, tag, version)
        else:
            _push_version(registry, loaded, version, tag)
    return loaded


def push_windows(registry: RegistryServer, repo: str, tag: str, version: str) -> PushedImage:
    return registry.push_image(repo, tag, [PlatformSpec(os_version=version)], kind=DOCKER_LIST)
