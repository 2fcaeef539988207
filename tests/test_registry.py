"""RegistryClient against a real distribution registry on 127.0.0.1 (see registry_harness)."""

from __future__ import annotations

import base64
import json
import logging
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client import REGISTRY as METRICS
from registry_harness import (
    DOCKER_IMAGE,
    DOCKER_LIST,
    OCI_IMAGE,
    OCI_INDEX,
    PlatformSpec,
    config_for,
    write_docker_config,
)

from service.compat.image import Platform
from service.config import DEFAULT_ALLOWED, Config, ConfigError
from service.registry.auth import (
    Challenge,
    Credential,
    CredentialStore,
    TokenCache,
    normalise_config_key,
    parse_docker_config,
    parse_www_authenticate,
)
from service.registry.client import RegistryClient, _failure
from service.registry.errors import (
    ImageNotFound,
    RegistryAuthError,
    RegistryNotAllowed,
    RegistryUnavailable,
)
from service.registry.guard import Guard, host_matches, is_internal_address
from service.registry.reference import parse_reference
from service.registry.transport import Reply

WIN = PlatformSpec
LINUX = PlatformSpec(os="linux", os_version=None, foreign_base=False)


@pytest.fixture(scope="module")
def client(registry_config):
    return RegistryClient(registry_config)


def ref_of(server, repo, tag_or_digest="latest"):
    separator = "@" if tag_or_digest.startswith("sha256:") else ":"
    return parse_reference(f"{server.host}/{repo}{separator}{tag_or_digest}")


# -- image shapes ------------------------------------------------------------------------------
def test_mcr_base_image_single_entry_list(registry, client):
    repo = registry.new_repo("windows/servercore")
    pushed = registry.push_mcr_base(repo, "ltsc2022", "10.0.20348.2113")
    assert pushed.body.startswith(b'{\n   "schemaVersion"')  # MCR's 3-space indentation

    image = client.resolve(ref_of(registry, repo, "ltsc2022"))

    assert image.reference == f"{registry.host}/{repo}:ltsc2022"
    assert image.digest == pushed.digest
    assert image.media_type == DOCKER_LIST
    assert image.platforms == (
        Platform("windows", "amd64", "10.0.20348.2113", pushed.children[0], None, "index"),
    )


def test_digest_agrees_with_skopeo(registry, client):
    """An independent client reads the same bytes and the same digest."""
    repo = registry.new_repo("windows/nanoserver")
    registry.push_mcr_base(repo, "ltsc2022", "10.0.20348.2113")
    raw = subprocess.run(
        [
            "skopeo",
            "inspect",
            "--raw",
            "--tls-verify=false",
            f"docker://{registry.host}/{repo}:ltsc2022",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    skopeo = (
        subprocess.run(
            ["skopeo", "manifest-digest", "/dev/stdin"],
            input=raw,
            check=True,
            capture_output=True,
            timeout=30,
        )
        .stdout.decode()
        .strip()
    )
    assert client.resolve_digest(ref_of(registry, repo, "ltsc2022")) == skopeo


def test_multi_build_list_with_linux_entries_keeps_every_entry_in_order(registry, client):
    repo = registry.new_repo("dotnet/runtime")
    specs = [
        WIN(os_version="10.0.26100.32230"),
        WIN(os_version="10.0.26100.9999"),
        WIN(os_version="10.0.20348.2700"),
        WIN(os_version="10.0.17763.5122"),
        LINUX,
        PlatformSpec(os="linux", architecture="arm64", os_version=None, variant="v8"),
    ]
    pushed = registry.push_image(repo, "4.8", specs)

    image = client.resolve(ref_of(registry, repo, "4.8"))

    assert image.digest == pushed.digest
    assert [(p.os, p.architecture, p.os_version, p.variant) for p in image.platforms] == [
        ("windows", "amd64", "10.0.26100.32230", None),
        ("windows", "amd64", "10.0.26100.9999", None),
        ("windows", "amd64", "10.0.20348.2700", None),
        ("windows", "amd64", "10.0.17763.5122", None),
        ("linux", "amd64", None, None),
        ("linux", "arm64", None, "v8"),
    ]
    assert [p.digest for p in image.platforms] == list(pushed.children)


def test_list_with_versions_costs_one_head_and_one_get(registry, client):
    repo = registry.new_repo("app/versions-in-list")
    pushed = registry.push_image(repo, "v1", [WIN(os_version="10.0.20348.1"), LINUX])
    mark = registry.mark()

    client.resolve(ref_of(registry, repo, "v1"))

    assert [(a.method, a.path) for a in registry.requests(mark)] == [
        ("HEAD", f"/v2/{repo}/manifests/v1"),
        ("GET", f"/v2/{repo}/manifests/{pushed.digest}"),
    ]


def test_oci_index_drops_attestation_entries(registry, client):
    repo = registry.new_repo("buildx/app")
    pushed = registry.push_image(
        repo,
        "latest",
        [WIN(os_version="10.0.20348.4405"), LINUX],
        kind=OCI_INDEX,
        attestations=True,
    )
    assert len(pushed.attestations) == 2
    assert b"unknown" in pushed.body

    image = client.resolve(ref_of(registry, repo))

    assert image.media_type == OCI_INDEX
    assert [(p.os, p.os_version, p.digest) for p in image.platforms] == [
        ("windows", "10.0.20348.4405", pushed.children[0]),
        ("linux", None, pushed.children[1]),
    ]


@pytest.mark.parametrize("kind", [DOCKER_LIST, OCI_INDEX])
def test_entries_without_os_version_read_it_from_the_config_blob(registry, client, kind):
    repo = registry.new_repo("app/no-version-in-list")
    specs = [
        WIN(os_version="10.0.26100.32230", version_in_list=False),
        WIN(os_version="10.0.17763.5122"),
        LINUX,
    ]
    pushed = registry.push_image(repo, "v2", specs, kind=kind)
    mark = registry.mark()

    image = client.resolve(ref_of(registry, repo, "v2"))

    assert [p.os_version for p in image.platforms] == ["10.0.26100.32230", "10.0.17763.5122", None]
    # Only the entry lacking os.version costs its child manifest and config blob.
    fetched = [a.path for a in registry.requests(mark) if a.method == "GET"]
    assert fetched == [
        f"/v2/{repo}/manifests/{pushed.digest}",
        f"/v2/{repo}/manifests/{pushed.children[0]}",
        f"/v2/{repo}/blobs/{pushed.configs[0]}",
    ]


def test_entry_without_os_version_anywhere_stays_unknown(registry, client):
    repo = registry.new_repo("app/no-version-at-all")
    registry.push_image(repo, "v3", [WIN(version_in_list=False, version_in_config=False)])
    (platform,) = client.resolve(ref_of(registry, repo, "v3")).platforms
    assert (platform.os, platform.os_version) == ("windows", None)


@pytest.mark.parametrize("kind", [DOCKER_IMAGE, OCI_IMAGE])
def test_single_image_manifest_is_one_platform_from_its_config(registry, client, kind):
    repo = registry.new_repo("app/single")
    pushed = registry.push_image(repo, "ltsc2025", [WIN(os_version="10.0.26100.32230")], kind=kind)

    image = client.resolve(ref_of(registry, repo, "ltsc2025"))

    assert image.media_type == kind
    assert image.digest == pushed.digest
    assert image.platforms == (
        Platform("windows", "amd64", "10.0.26100.32230", pushed.digest, None, "config"),
    )


def test_foreign_layers_are_never_downloaded(registry, client):
    repo = registry.new_repo("app/foreign")
    pushed = registry.push_image(repo, "v1", [WIN(os_version="10.0.20348.1")], kind=DOCKER_IMAGE)
    manifest = json.loads(pushed.body)
    assert manifest["layers"][0]["urls"][0].startswith("https://mcr.microsoft.com/")
    layers = {layer["digest"] for layer in manifest["layers"]}
    mark = registry.mark()

    client.resolve(ref_of(registry, repo, "v1"))

    paths = [a.path for a in registry.requests(mark)]
    assert paths and not [p for p in paths if any(d in p for d in layers)]


# -- references ----------------------------------------------------------------------------------
def test_resolve_digest_is_one_head(registry, client):
    repo = registry.new_repo("app/head")
    pushed = registry.push_image(repo, "v1", [WIN()])
    mark = registry.mark()

    assert client.resolve_digest(ref_of(registry, repo, "v1")) == pushed.digest

    assert [(a.method, a.status) for a in registry.requests(mark)] == [("HEAD", 200)]


def test_digest_reference_asks_nothing_to_resolve_and_gets_by_digest(registry, client):
    repo = registry.new_repo("app/by-digest")
    pushed = registry.push_image(repo, None, [WIN(os_version="10.0.20348.9")])
    ref = ref_of(registry, repo, pushed.digest)
    mark = registry.mark()

    assert client.resolve_digest(ref) == pushed.digest
    assert registry.request_count(since=mark) == 0
    image = client.resolve(ref)

    assert image.reference == f"{registry.host}/{repo}@{pushed.digest}"
    assert image.platforms[0].os_version == "10.0.20348.9"
    assert registry.request_count("HEAD", since=mark) == 0


def test_tag_and_digest_the_digest_wins(registry, client):
    repo = registry.new_repo("app/tag-at-digest")
    registry.push_image(repo, "v1", [WIN(os_version="10.0.17763.1")])
    other = registry.push_image(repo, None, [WIN(os_version="10.0.26100.1")])
    ref = parse_reference(f"{registry.host}/{repo}:v1@{other.digest}")

    image = client.resolve(ref)

    assert image.digest == other.digest
    assert image.platforms[0].os_version == "10.0.26100.1"
    assert image.reference == f"{registry.host}/{repo}:v1@{other.digest}"


@pytest.mark.parametrize(
    "what",
    ["missing tag", "missing repository", "missing digest"],
)
def test_missing_things_are_image_not_found(registry, client, what):
    repo = registry.new_repo("app/present")
    registry.push_image(repo, "v1", [WIN()])
    text = {
        "missing tag": f"{registry.host}/{repo}:nope",
        "missing repository": f"{registry.host}/{repo}-absent:v1",
        "missing digest": f"{registry.host}/{repo}@sha256:" + "c" * 64,
    }[what]
    with pytest.raises(ImageNotFound) as caught:
        client.resolve(parse_reference(text))
    assert text in caught.value.detail


def test_missing_config_blob_is_image_not_found(registry, client):
    repo = registry.new_repo("app/lost-config")
    pushed = registry.push_image(repo, "v1", [WIN(version_in_list=False)])
    registry.delete_blob(repo, pushed.configs[0])
    with pytest.raises(ImageNotFound, match=r"BLOB_UNKNOWN|blob unknown"):
        client.resolve(ref_of(registry, repo, "v1"))


def test_config_blob_that_is_not_a_config_is_unavailable(registry, client):
    repo = registry.new_repo("app/bad-config")
    blob = registry.push_blob(repo, b"[1, 2, 3]")
    config = {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 9}
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_IMAGE,
            "config": {**config, "digest": blob},
            "layers": [],
        }
    ).encode()
    registry.push_manifest(repo, "v1", body, DOCKER_IMAGE)
    with pytest.raises(RegistryUnavailable, match="not a valid image config"):
        client.resolve(ref_of(registry, repo, "v1"))


def test_concurrent_resolutions_share_one_client(registry, client):
    repo = registry.new_repo("app/concurrent")
    pushed = [
        registry.push_image(repo, f"v{i}", [WIN(os_version=f"10.0.20348.{i}")]) for i in range(4)
    ]
    with ThreadPoolExecutor(8) as pool:
        images = list(
            pool.map(lambda i: client.resolve(ref_of(registry, repo, f"v{i % 4}")), range(16))
        )
    for i, image in enumerate(images):
        assert image.digest == pushed[i % 4].digest
        assert image.platforms[0].os_version == f"10.0.20348.{i % 4}"


def test_stopped_registry_is_unavailable_then_recovers(registry, registry_config):
    repo = registry.new_repo("app/restart")
    pushed = registry.push_image(repo, "v1", [WIN()])
    client = RegistryClient(config_for(registry, registry_retries=0))
    registry.stop()
    try:
        with pytest.raises(RegistryUnavailable, match="cannot reach"):
            client.resolve(ref_of(registry, repo, "v1"))
    finally:
        registry.start()
    assert client.resolve(ref_of(registry, repo, "v1")).digest == pushed.digest


def test_requests_are_counted_in_metrics(registry, client):
    repo = registry.new_repo("app/metrics")
    registry.push_image(repo, "v1", [WIN()])

    def counted(status: str) -> float:
        labels = {"registry": registry.host, "status": status}
        return METRICS.get_sample_value("wincompat_registry_requests_total", labels) or 0.0

    before, before_missing = counted("200"), counted("404")

    client.resolve(ref_of(registry, repo, "v1"))
    with pytest.raises(ImageNotFound):
        client.resolve_digest(ref_of(registry, repo, "absent"))

    assert counted("200") - before == 2
    assert counted("404") - before_missing == 1


def test_one_log_line_per_request_without_headers(registry, client, caplog):
    repo = registry.new_repo("app/logged")
    registry.push_image(repo, "v1", [WIN()])
    with caplog.at_level(logging.INFO, logger="wincompat.registry"):
        client.resolve(ref_of(registry, repo, "v1"))
    lines = [r.getMessage() for r in caplog.records if r.name == "wincompat.registry"]
    assert len(lines) == 2
    assert lines[0].startswith(f"HEAD {registry.host} /v2/{repo}/manifests/v1 -> 200 in ")
    assert lines[1].startswith(f"GET {registry.host} /v2/{repo}/manifests/sha256:")
    assert not any("Accept" in line or "application/" in line for line in lines)


# -- authentication -------------------------------------------------------------------------------
def docker_config(tmp_path: Path, server, password=None, key=None, style="auth") -> str:
    entries = {key or server.host: (server.username, password or server.password)}
    return str(write_docker_config(tmp_path / "config.json", entries, style))


@pytest.mark.parametrize(
    ("key", "style"),
    [
        (None, "auth"),
        (None, "fields"),
        ("http://{host}/v2/", "auth"),
        ("https://{host}", "fields"),
    ],
)
def test_basic_auth_with_docker_config_credentials(basic_registry, tmp_path, key, style):
    repo = basic_registry.new_repo("private/app")
    pushed = basic_registry.push_image(repo, "v1", [WIN(os_version="10.0.20348.77")])
    key = key.format(host=basic_registry.host) if key else None
    config = config_for(
        basic_registry, docker_config=docker_config(tmp_path, basic_registry, key=key, style=style)
    )
    client = RegistryClient(config)
    mark = basic_registry.mark()

    image = client.resolve(ref_of(basic_registry, repo, "v1"))
    client.resolve(ref_of(basic_registry, repo, "v1"))

    assert image.digest == pushed.digest
    assert image.platforms[0].os_version == "10.0.20348.77"
    # One 401 to learn the scheme, then credentials are sent up front.
    statuses = [a.status for a in basic_registry.requests(mark)]
    assert statuses == [401, 200, 200, 200, 200]


def test_basic_auth_wrong_password_is_an_auth_error(basic_registry, tmp_path, caplog):
    repo = basic_registry.new_repo("private/app")
    basic_registry.push_image(repo, "v1", [WIN()])
    wrong = "not-the-password-1234"
    client = RegistryClient(
        config_for(basic_registry, docker_config=docker_config(tmp_path, basic_registry, wrong))
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(RegistryAuthError) as caught:
        client.resolve(ref_of(basic_registry, repo, "v1"))
    assert "401" in caught.value.detail
    assert wrong not in caught.value.detail and wrong not in repr(caught.value)
    assert wrong not in caplog.text


def test_basic_auth_without_credentials_is_an_auth_error(basic_registry):
    repo = basic_registry.new_repo("private/app")
    basic_registry.push_image(repo, "v1", [WIN()])
    with pytest.raises(RegistryAuthError, match="refused access"):
        RegistryClient(config_for(basic_registry)).resolve(ref_of(basic_registry, repo, "v1"))


def test_token_auth_resolves_and_reuses_the_token(token_registry, tmp_path, caplog):
    tokens = token_registry.token_server
    repo = token_registry.new_repo("private/app")
    pushed = token_registry.push_image(
        repo, "v1", [WIN(os_version="10.0.26100.1", version_in_list=False), LINUX]
    )
    client = RegistryClient(
        config_for(token_registry, docker_config=docker_config(tmp_path, token_registry))
    )
    before, mark = tokens.request_count(), token_registry.mark()

    with caplog.at_level(logging.DEBUG):
        first = client.resolve(ref_of(token_registry, repo, "v1"))
        second = client.resolve(ref_of(token_registry, repo, "v1"))

    assert first == second
    assert first.digest == pushed.digest
    assert first.platforms[0].os_version == "10.0.26100.1"
    # One token for the repository serves both resolutions (HEAD, GETs, the blob).
    assert tokens.requests[before:] == [(token_registry.username, f"repository:{repo}:pull")]
    assert [a.status for a in token_registry.requests(mark)].count(401) == 1
    assert token_registry.password not in caplog.text
    assert "Bearer" not in caplog.text and "eyJ" not in caplog.text


def test_token_per_repository_scope(token_registry, tmp_path):
    tokens = token_registry.token_server
    repos = [token_registry.new_repo("private/scoped") for _ in range(2)]
    for repo in repos:
        token_registry.push_image(repo, "v1", [WIN()])
    client = RegistryClient(
        config_for(token_registry, docker_config=docker_config(tmp_path, token_registry))
    )
    before = tokens.request_count()
    for repo in repos * 2:
        client.resolve_digest(ref_of(token_registry, repo, "v1"))
    assert [scope for _, scope in tokens.requests[before:]] == [
        f"repository:{repo}:pull" for repo in repos
    ]


def test_token_as_access_token_without_expires_in(token_registry, tmp_path):
    tokens = token_registry.token_server
    repo = token_registry.new_repo("private/oauth")
    pushed = token_registry.push_image(repo, "v1", [WIN()])
    client = RegistryClient(
        config_for(token_registry, docker_config=docker_config(tmp_path, token_registry))
    )
    tokens.style, tokens.says_expires_in = "access_token", False
    try:
        before = tokens.request_count()
        for _ in range(3):
            assert client.resolve_digest(ref_of(token_registry, repo, "v1")) == pushed.digest
        # No lifetime given: the token is kept for the default 60 s, not dropped at once.
        assert tokens.request_count() - before == 1
    finally:
        tokens.style, tokens.says_expires_in = "token", True


def test_token_auth_wrong_password(token_registry, tmp_path):
    repo = token_registry.new_repo("private/app")
    token_registry.push_image(repo, "v1", [WIN()])
    wrong = "wrong-token-password"
    client = RegistryClient(
        config_for(token_registry, docker_config=docker_config(tmp_path, token_registry, wrong))
    )
    with pytest.raises(RegistryAuthError, match="token service refused the configured") as caught:
        client.resolve(ref_of(token_registry, repo, "v1"))
    assert wrong not in str(caught.value)


def test_token_auth_anonymous_gets_no_access(token_registry):
    tokens = token_registry.token_server
    repo = token_registry.new_repo("private/app")
    token_registry.push_image(repo, "v1", [WIN()])
    before = tokens.request_count()
    with pytest.raises(RegistryAuthError, match="refused access"):
        RegistryClient(config_for(token_registry)).resolve(ref_of(token_registry, repo, "v1"))
    assert tokens.requests[before:] == [(None, f"repository:{repo}:pull")]


def test_token_realm_outside_the_lists_is_refused(token_registry, tmp_path):
    tokens = token_registry.token_server
    repo = token_registry.new_repo("private/app")
    token_registry.push_image(repo, "v1", [WIN()])
    config = config_for(
        token_registry,
        docker_config=docker_config(tmp_path, token_registry),
        insecure_registries=(token_registry.host,),  # the token server is not named
    )
    before = tokens.request_count()
    with pytest.raises(RegistryNotAllowed, match="refusing"):
        RegistryClient(config).resolve(ref_of(token_registry, repo, "v1"))
    assert tokens.request_count() == before


# -- the guard ------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.2:{port}", "127.0.0.1:1"])
def test_loopback_host_outside_the_lists_is_refused_before_any_request(registry, client, host):
    repo = registry.new_repo("app/guarded")
    registry.push_image(repo, "v1", [WIN()])
    text = f"{host.format(port=registry.port)}/{repo}:v1"
    mark = registry.mark()
    with pytest.raises(RegistryNotAllowed, match="allow-list"):
        client.resolve(parse_reference(text))
    assert registry.request_count(since=mark) == 0


@pytest.fixture
def name_to_loopback(monkeypatch):
    """*.example.test resolves to 127.0.0.1 (offline: no DNS)."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if str(host).endswith(".example.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_wildcard_name_resolving_to_loopback_is_refused(registry, name_to_loopback):
    repo = registry.new_repo("app/rebind")
    registry.push_image(repo, "v1", [WIN()])
    config = config_for(registry, allowed_registries=("*.example.test",))
    mark = registry.mark()
    with pytest.raises(RegistryNotAllowed, match="internal address"):
        RegistryClient(config).resolve(parse_reference(f"evil.example.test/{repo}:v1"))
    assert registry.request_count(since=mark) == 0


def test_name_resolving_to_loopback_is_allowed_when_named_exactly(registry, name_to_loopback):
    repo = registry.new_repo("app/named")
    pushed = registry.push_image(repo, "v1", [WIN()])
    name = f"registry.example.test:{registry.port}"
    config = config_for(registry, insecure_registries=(name,))
    image = RegistryClient(config).resolve(parse_reference(f"{name}/{repo}:v1"))
    assert image.digest == pushed.digest


HOSTS = [
    # pattern, host, matches
    ("*.azurecr.io", "contoso.azurecr.io", True),
    ("*.azurecr.io", "a.b.azurecr.io", True),
    ("*.azurecr.io", "azurecr.io", False),
    ("*.azurecr.io", "evilazurecr.io", False),
    ("*.azurecr.io", "contoso.azurecr.io.evil.com", False),
    ("*.azurecr.io", "contoso.azurecr.io:443", True),
    ("mcr.microsoft.com", "mcr.microsoft.com", True),
    ("mcr.microsoft.com", "MCR.Microsoft.COM", True),
    ("mcr.microsoft.com", "x.mcr.microsoft.com", False),
    ("docker.io", "registry-1.docker.io", True),
    ("docker.io", "index.docker.io", True),
    ("index.docker.io", "docker.io", True),
    ("docker.io", "auth.docker.io", False),
    ("127.0.0.1:5000", "127.0.0.1:5000", True),
    ("127.0.0.1:5000", "127.0.0.1:5001", False),
    ("127.0.0.1", "127.0.0.1:5001", True),
    ("[::1]:5000", "[::1]:5000", True),
    ("[::1]:5000", "[::1]:5001", False),
]


@pytest.mark.parametrize(("pattern", "host", "matches"), HOSTS)
def test_allow_list_matching(pattern, host, matches):
    assert host_matches(pattern, host) is matches


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("127.0.0.1", True),
        ("127.9.9.9", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("100.64.0.1", True),  # carrier-grade NAT
        ("::1", True),
        ("::", True),
        ("fe80::1%eth0", True),
        ("fd00::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("13.107.246.40", False),
        ("2603:1030::1", False),
    ],
)
def test_internal_addresses(address, internal):
    assert is_internal_address(address) is internal


def guard(resolved: dict[str, str], **settings) -> Guard:
    config = Config(**{"allowed_registries": DEFAULT_ALLOWED, **settings})
    return Guard(config, resolver=lambda host, port: [resolved[host]])


PUBLIC = {
    "mcr.microsoft.com": "13.107.246.40",
    "eastus.data.mcr.microsoft.com": "13.107.246.41",
    "registry-1.docker.io": "54.236.113.205",
    "auth.docker.io": "54.236.113.206",
    "production.cloudflare.docker.com": "104.16.1.1",
    "contoso.azurecr.io": "20.1.2.3",
    "evil.com": "93.184.216.34",
    "internal.azurecr.io": "10.0.0.7",
    "registry.corp": "10.0.0.8",
}


@pytest.mark.parametrize(
    ("url", "registry", "allowed"),
    [
        ("https://mcr.microsoft.com/v2/", "mcr.microsoft.com", True),
        ("https://eastus.data.mcr.microsoft.com/blob", "mcr.microsoft.com", True),
        ("https://registry-1.docker.io/v2/", "docker.io", True),
        ("https://auth.docker.io/token", "docker.io", True),
        ("https://production.cloudflare.docker.com/x", "docker.io", True),
        ("https://contoso.azurecr.io/oauth2/token", "contoso.azurecr.io", True),
        ("https://mcr.microsoft.com/v2/", "docker.io", True),  # on the allow-list itself
        ("https://evil.com/steal", "docker.io", False),  # redirect/realm elsewhere
        ("https://auth.docker.io/token", "mcr.microsoft.com", False),  # another's companion
        ("http://mcr.microsoft.com/v2/", "mcr.microsoft.com", False),  # downgrade to http
        ("https://internal.azurecr.io/v2/", "internal.azurecr.io", False),  # resolves inside
        ("https://registry.corp/v2/", "registry.corp", False),  # not listed
    ],
)
def test_guard_urls(url, registry, allowed):
    check = guard(PUBLIC)
    if allowed:
        check.check_url(url, registry)
    else:
        with pytest.raises(RegistryNotAllowed):
            check.check_url(url, registry)


def test_internal_registry_named_exactly_is_allowed():
    check = guard(PUBLIC, allowed_registries=("registry.corp", "*.azurecr.io"))
    assert check.check_url("https://registry.corp/v2/", "registry.corp").address is None
    with pytest.raises(RegistryNotAllowed, match="internal address"):
        check.check_url("https://internal.azurecr.io/v2/", "internal.azurecr.io")


def test_guard_refuses_names_that_do_not_resolve():
    def fail(host, port):
        raise socket.gaierror("Name or service not known")

    check = Guard(Config(allowed_registries=("*.azurecr.io",)), resolver=fail)
    with pytest.raises(RegistryUnavailable, match="cannot resolve"):
        check.check_url("https://nowhere.azurecr.io/v2/", "nowhere.azurecr.io")


# -- auth pieces ------------------------------------------------------------------------------
EXCHANGES = json.loads(
    (Path(__file__).resolve().parent / "data/registry/http_exchanges.json").read_text()
)


def test_www_authenticate_from_docker_hub_with_commas_in_quotes():
    header = EXCHANGES["dockerhub_401_challenge"]["response"]["headers"]["Www-Authenticate"]
    (challenge,) = parse_www_authenticate(header)
    assert challenge == Challenge(
        "bearer",
        {
            "realm": "https://auth.docker.io/token",
            "service": "registry.docker.io",
            "scope": "repository:samalba/my-app:pull,push",
        },
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('Basic realm="harness-basic-realm"', [("basic", {"realm": "harness-basic-realm"})]),
        (
            'Bearer realm="https://r/t",error="insufficient_scope", Basic realm="x, y"',
            [
                ("bearer", {"realm": "https://r/t", "error": "insufficient_scope"}),
                ("basic", {"realm": "x, y"}),
            ],
        ),
        ('BEARER Realm = "a\\"b" , service=svc', [("bearer", {"realm": 'a"b', "service": "svc"})]),
        ("Negotiate abc==, Basic realm=r", [("negotiate", {}), ("basic", {"realm": "r"})]),
        ("", []),
    ],
)
def test_www_authenticate_shapes(header, expected):
    assert [(c.scheme, dict(c.params)) for c in parse_www_authenticate(header)] == expected


@pytest.mark.parametrize(
    ("key", "registry"),
    [
        ("https://index.docker.io/v1/", "docker.io"),
        ("index.docker.io", "docker.io"),
        ("docker.io", "docker.io"),
        ("registry-1.docker.io", "docker.io"),
        ("https://contoso.azurecr.io", "contoso.azurecr.io"),
        ("http://127.0.0.1:5000/v2/", "127.0.0.1:5000"),
        ("Quay.IO", "quay.io"),
    ],
)
def test_docker_config_keys_are_normalised(key, registry):
    assert normalise_config_key(key) == registry


def test_docker_config_entries():
    encoded = base64.b64encode(b"me:pa:ss").decode()
    doc = {
        "auths": {
            "https://index.docker.io/v1/": {"auth": encoded},
            "ghcr.io": {"username": "u", "password": "p"},
            "broken.io": {"auth": "%%%"},
            "nocolon.io": {"auth": base64.b64encode(b"justuser").decode()},
            "empty.io": {},
        },
        "credsStore": "desktop",
    }
    found = parse_docker_config(json.dumps(doc))
    assert found == {"docker.io": Credential("me", "pa:ss"), "ghcr.io": Credential("u", "p")}
    assert "pa:ss" not in repr(found["docker.io"])
    assert found["docker.io"].basic_header() == "Basic " + encoded


def test_credential_store_follows_the_file_and_fails_fast(tmp_path):
    path = tmp_path / "config.json"
    write_docker_config(path, {"a.io": ("one", "1")})
    store = CredentialStore(str(path))
    assert store.get("a.io") == Credential("one", "1")
    write_docker_config(path, {"a.io": ("two", "22")})  # a rotated secret
    assert store.get("A.io") == Credential("two", "22")
    assert store.get("b.io") is None
    with pytest.raises(ConfigError, match="WINCOMPAT_DOCKER_CONFIG"):
        CredentialStore(str(tmp_path / "missing.json"))
    assert CredentialStore(None).get("a.io") is None


def test_token_cache_expires_with_skew():
    now = [1000.0]
    cache = TokenCache(clock=lambda: now[0])
    key = ("https://auth/token", "svc", "repository:a:pull", "")
    cache.put(key, "tok", 60)
    assert cache.get(key) == "tok"
    now[0] += 53.9  # 60 s less a 6 s skew
    assert cache.get(key) == "tok"
    now[0] += 0.2
    assert cache.get(key) is None
    assert cache.get(("https://auth/token", "svc", "repository:b:pull", "")) is None


def test_docker_hub_401_means_not_found_or_not_authorized():
    body = json.dumps(EXCHANGES["dockerhub_401_challenge"]["response"]["body"]).encode()
    reply = Reply(401, {}, body, "https://registry-1.docker.io/v2/library/x/manifests/latest")
    error = _failure(parse_reference("x"), reply)
    assert isinstance(error, ImageNotFound)
    assert "not found or not authorized" in error.detail
    other = _failure(parse_reference("ghcr.io/o/x"), reply)
    assert isinstance(other, RegistryAuthError)
