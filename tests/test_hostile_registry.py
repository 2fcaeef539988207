"""Issue 15 against a hostile registry on 127.0.0.1 (tests/hostile_harness.py): SSRF by parser
differential, credentials echoed back, unbounded labels, slow and lying registries. A canary
listener off every list must receive nothing."""

from __future__ import annotations

import json
import logging
import socket
import time
from typing import Any

import pytest
from hostile_harness import Canary, basic, error_body, raw, reply, sha
from prometheus_client import REGISTRY as METRICS
from prometheus_client import generate_latest

from service.config import Config
from service.registry.client import CONFIG_FALLBACKS, FALLBACK_THREADS, RegistryClient
from service.registry.errors import (
    RegistryError,
    RegistryNotAllowed,
    RegistryRateLimited,
    RegistryTimeout,
    RegistryUnavailable,
)
from service.registry.guard import Guard, Target, parse_target
from service.registry.reference import parse_reference
from service.registry.transport import Transport, new_session

DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_IMAGE = "application/vnd.docker.distribution.manifest.v2+json"
USER, PASSWORD = "robot", "s3cret-Pa55word-xyz"


def config(*hosts: str, **overrides: Any) -> Config:
    settings: dict[str, Any] = {
        "allowed_registries": (),
        "insecure_registries": hosts,
        "registry_timeout": 1.0,
        "registry_retries": 0,
        "max_manifest_bytes": 64 * 1024,
    }
    settings.update(overrides)
    return Config(**settings)


def docker_config(tmp_path, host: str, **entry: str) -> str:
    entry = entry or {"auth": basic(USER, PASSWORD)}
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"auths": {host: entry}}))
    return str(path)


def windows_index(n: int, with_version: bool = False, child=None) -> bytes:
    entries = []
    for i in range(n):
        platform = {"os": "windows", "architecture": "amd64"}
        if with_version:
            platform["os.version"] = "10.0.20348.1"
        digest = child(i) if child else sha(f"child-{i}".encode())
        entries.append(
            {"mediaType": DOCKER_IMAGE, "size": 1, "digest": digest, "platform": platform}
        )
    doc = {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": entries}
    return json.dumps(doc).encode()


def ref(host: str, tail: str = ":v1"):
    return parse_reference(f"{host}/app{tail}")


# -- 1. SSRF by parser differential ---------------------------------------------------------------
def test_redirect_with_backslash_authority_is_refused(hostile, canary):
    smuggled = f"http://{canary.host}\\@{hostile.host}/v2/app/manifests/v1"
    hostile.route("HEAD", "/v2/app/manifests/v1", reply(307, Location=smuggled))
    with pytest.raises(RegistryNotAllowed, match="backslash"):
        RegistryClient(config(hostile.host)).resolve(ref(hostile.host))
    assert canary.connections == 0


def test_realm_with_backslash_authority_gets_no_credentials(hostile, canary, tmp_path):
    realm = f"http://{canary.host}\\@{hostile.host}/token"
    challenge = f'Bearer realm="{realm}",service="x"'
    hostile.route("HEAD", "/v2/app/manifests/v1", reply(401, WWW_Authenticate=challenge))
    settings = config(hostile.host, docker_config=docker_config(tmp_path, hostile.host))
    with pytest.raises(RegistryNotAllowed):
        RegistryClient(settings).resolve(ref(hostile.host))
    assert canary.connections == 0
    assert not any(s.path.startswith("/token") for s in hostile.seen)


@pytest.mark.parametrize(
    "location",
    [
        "http://user@{allowed}/v2/app/manifests/v1",
        "http://{canary}%2f@{allowed}/x",
        "http://{allowed}\t/x",
        "http://%31%32%37.0.0.1:{canary_port}/x",
    ],
    ids=["userinfo", "encoded-slash-userinfo", "tab", "percent-encoded-host"],
)
def test_redirects_other_parsers_could_read_differently_are_refused(hostile, canary, location):
    target = location.format(allowed=hostile.host, canary=canary.host, canary_port=canary.port)
    hostile.route("HEAD", "/v2/app/manifests/v1", reply(302, Location=target))
    with pytest.raises(RegistryNotAllowed):
        RegistryClient(config(hostile.host)).resolve(ref(hostile.host))
    assert canary.connections == 0


@pytest.mark.parametrize(
    ("url", "host", "port", "rebuilt"),
    [
        (
            "https://Mcr.Microsoft.com/v2/x?a=1#f",
            "mcr.microsoft.com",
            443,
            "https://mcr.microsoft.com/v2/x?a=1",
        ),
        ("http://[::1]:5000/v2/", "::1", 5000, "http://[::1]:5000/v2/"),
        (
            "https://bücher.example/v2/",
            "xn--bcher-kva.example",
            443,
            "https://xn--bcher-kva.example/v2/",
        ),
    ],
    ids=["case-and-fragment", "ipv6", "idna"],
)
def test_parse_target_rebuilds_what_urllib3_reads(url, host, port, rebuilt):
    assert parse_target(url)[1:] == (host, port, rebuilt)


@pytest.mark.parametrize(
    "url",
    [
        "http://a\\@b/",
        "http://u:p@b/",
        "http://b/\x00",
        "http://b /",
        "ftp://b/",
        "http://[::1/x",
        "http://b:99999/",
        "http://a\u200d.example/",
        "http://\u2488.example/",
    ],
    ids=[
        "backslash",
        "userinfo",
        "nul",
        "space",
        "ftp",
        "open-bracket",
        "port",
        "zwj",
        "dotted-digit",
    ],
)
def test_parse_target_refuses(url):
    with pytest.raises((RegistryNotAllowed, RegistryUnavailable)):
        parse_target(url)


def test_connection_goes_to_the_checked_address_not_a_second_lookup(hostile, monkeypatch):
    """DNS rebinding: the guard checked 127.0.0.1; a second lookup would say 127.0.0.2, where
    a canary listens on the same port. The pinned connection must reach the checked one."""
    canary = Canary("127.0.0.2", hostile.port)
    try:
        real = socket.getaddrinfo

        def rebinding(host, port, *args, **kwargs):
            if str(host) == "rebind.example.test":
                return real("127.0.0.2", port, *args, **kwargs)
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        hostile.route("GET", "/v2/", reply(200, b"{}"))

        class CheckedGuard:
            def check_url(self, url: str, registry: str) -> Target:
                return Target(
                    f"http://rebind.example.test:{hostile.port}/v2/",
                    "http",
                    "rebind.example.test",
                    hostile.port,
                    "127.0.0.1",
                )

        transport = Transport(config(), new_session(), CheckedGuard())  # type: ignore[arg-type]
        answer = transport.request("GET", "ignored", registry="rebind.example.test")
        assert answer.status == 200
        assert hostile.count("GET", "/v2/") == 1
        assert canary.connections == 0
    finally:
        canary.close()


def test_guard_pins_the_first_checked_address_and_refuses_any_internal_one():
    resolved = {
        "good.azurecr.io": ["20.1.2.3", "20.1.2.4"],
        "mixed.azurecr.io": ["20.1.2.3", "10.0.0.1"],
    }
    guard = Guard(Config(allowed_registries=("*.azurecr.io",)), resolver=lambda h, p: resolved[h])
    target = guard.check_url("https://good.azurecr.io/v2/", "good.azurecr.io")
    assert (target.host, target.port, target.address) == ("good.azurecr.io", 443, "20.1.2.3")
    with pytest.raises(RegistryNotAllowed, match="internal address"):
        guard.check_url("https://mixed.azurecr.io/v2/", "mixed.azurecr.io")


# -- 2. credentials echoed by the registry ------------------------------------------------------
def test_echoed_basic_credentials_are_redacted(hostile, tmp_path, caplog):
    def echo(seen, conn):
        said = f"access denied for {seen.headers.get('authorization', '')}"
        reply(403, error_body(said), Content_Type="application/json")(seen, conn)

    digest = sha(b"x")
    path = f"/v2/app/manifests/{digest}"
    hostile.route("GET", path, reply(401, WWW_Authenticate='Basic realm="r"'), echo)
    settings = config(hostile.host, docker_config=docker_config(tmp_path, hostile.host))
    with caplog.at_level(logging.DEBUG), pytest.raises(RegistryError) as caught:
        RegistryClient(settings).resolve(ref(hostile.host, f"@{digest}"))
    assert any("authorization" in s.headers for s in hostile.seen)  # it was sent, and echoed
    secrets = (basic(USER, PASSWORD), PASSWORD)
    everything = caught.value.detail + caplog.text + generate_latest(METRICS).decode()
    assert "[redacted]" in caught.value.detail
    assert not any(secret in everything for secret in secrets)


def test_echoed_bearer_token_is_redacted(hostile, tmp_path):
    token = "tok-" + "A1b2C3d4" * 6
    realm = f"http://{hostile.host}/token"
    challenge = f'Bearer realm="{realm}",service="hostile"'

    def echo(seen, conn):
        said = f"token {seen.headers.get('authorization', '').split(' ')[-1]} lacks pull"
        reply(403, error_body(said), Content_Type="application/json")(seen, conn)

    digest = sha(b"x")
    hostile.route(
        "GET", f"/v2/app/manifests/{digest}", reply(401, WWW_Authenticate=challenge), echo
    )
    hostile.route("GET", "/token", reply(200, json.dumps({"token": token}).encode()))
    settings = config(hostile.host, docker_config=docker_config(tmp_path, hostile.host))
    with pytest.raises(RegistryError) as caught:
        RegistryClient(settings).resolve(ref(hostile.host, f"@{digest}"))
    assert token not in caught.value.detail
    assert "[redacted]" in caught.value.detail


def test_registry_text_is_bounded(hostile):
    digest = sha(b"x")
    hostile.route("GET", f"/v2/app/manifests/{digest}", reply(403, error_body("no " * 5000)))
    with pytest.raises(RegistryError) as caught:
        RegistryClient(config(hostile.host)).resolve(ref(hostile.host, f"@{digest}"))
    assert len(caught.value.detail) <= 600


# -- 3. labels ------------------------------------------------------------------------------------
def test_metrics_labels_are_registry_names_only(hostile):
    for i in range(20):
        hostile.route(
            "HEAD", "/v2/app/manifests/v1", reply(302, Location=f"http://u{i}@{hostile.host}/x")
        )
        with pytest.raises(RegistryNotAllowed):
            RegistryClient(config(hostile.host)).resolve(ref(hostile.host))
    labels = {
        sample.labels["registry"]
        for metric in METRICS.collect()
        if metric.name == "wincompat_registry_requests"
        for sample in metric.samples
    }
    assert not any("@" in label for label in labels)
    assert hostile.host in labels


# -- 6. deadlines and budgets -----------------------------------------------------------------
def test_headers_dribbled_one_byte_at_a_time_hit_the_total_deadline(hostile):
    head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200
    hostile.route("HEAD", "/v2/app/manifests/v1", raw(head, per_byte=0.05))
    started = time.monotonic()
    with pytest.raises(RegistryTimeout):
        RegistryClient(config(hostile.host, registry_timeout=0.5)).resolve(ref(hostile.host))
    assert time.monotonic() - started < 2.0  # one byte each 50 ms would take 10 s


def _slow_children(hostile, n: int, pause: float) -> bytes:
    """An index of n Windows entries without os.version; each child answers after `pause`."""
    config_blob = json.dumps(
        {"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.9"}
    ).encode()
    hostile.route("GET", f"/v2/app/blobs/{sha(config_blob)}", reply(200, config_blob))
    children = []
    for i in range(n):
        child = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": DOCKER_IMAGE,
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "digest": sha(config_blob),
                    "size": len(config_blob),
                },
                "layers": [],
                "n": i,
            }
        ).encode()
        children.append(sha(child))
        slow = raw(b"", per_byte=0)

        def answer(seen, conn, body=child):
            time.sleep(pause)
            reply(200, body, Content_Type=DOCKER_IMAGE)(seen, conn)

        del slow
        hostile.route("GET", f"/v2/app/manifests/{sha(child)}", answer)
    return windows_index(n, child=lambda i: children[i])


def test_slow_children_are_bounded_by_the_question_budget_and_learned(hostile):
    index = _slow_children(hostile, 20, pause=0.3)
    hostile.serve_index(index)
    client = RegistryClient(config(hostile.host, registry_timeout=0.5))  # budget 1 s
    started = time.monotonic()
    with pytest.raises(RegistryTimeout):
        client.resolve(ref(hostile.host))
    assert time.monotonic() - started < 2.0  # twenty in series took 120 s at 6 s each
    asked_first = hostile.count("GET") - 1
    timeouts, image = 1, None
    for _ in range(10):  # what it learned stays: each question gets further
        try:
            image = client.resolve(ref(hostile.host))
            break
        except RegistryTimeout:
            timeouts += 1
    index_path = f"/v2/app/manifests/{sha(index)}"
    children = [
        s.path
        for s in hostile.seen
        if s.path.startswith("/v2/app/manifests/sha256") and s.path != index_path
    ]
    assert asked_first > 0
    assert image is not None
    assert {p.os_version for p in image.platforms} == {"10.0.20348.9"}
    # Only children cut off in flight by a budget are asked again; learned ones never are.
    assert len(set(children)) == 20
    assert len(children) <= 20 + timeouts * FALLBACK_THREADS


def test_huge_index_without_versions_costs_a_bounded_number_of_requests(hostile):
    index = windows_index(10_000)
    hostile.serve_index(index)
    settings = config(hostile.host, max_manifest_bytes=8 * 1024 * 1024)
    with pytest.raises(RegistryError):  # the children are all 404 here
        RegistryClient(settings).resolve(ref(hostile.host))
    assert len(hostile.seen) <= 2 + 2 * CONFIG_FALLBACKS


# -- 9. no 500 from a registry ------------------------------------------------------------------
DEEP = b"[" * 30_000 + b"]" * 30_000


SUPERSCRIPT_TWO = "\u00b2".encode().decode("latin-1")  # as a header value on the wire


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (200, DEEP, {"Content_Type": DOCKER_LIST}),
        (403, DEEP, {"Content_Type": "application/json"}),
        (200, b"{}", {"Content_Length": SUPERSCRIPT_TWO}),
        (200, b"{}", {"Content_Length": "9" * 5000}),
        (429, b"", {"Retry_After": "9" * 400}),
        (429, b"", {"Retry_After": SUPERSCRIPT_TWO}),
        (302, b"", {"Location": "http://[::1/x"}),
        (401, b"", {"WWW_Authenticate": 'Bearer realm="http://[::1/token"'}),
    ],
    ids=[
        "deep-manifest",
        "deep-error",
        "superscript-length",
        "5000-digit-length",
        "huge-retry-after",
        "superscript-retry-after",
        "bad-redirect",
        "bad-realm",
    ],
)
def test_registry_faults_are_registry_errors(hostile, status, body, headers):
    """The body is served under its own digest, so each fault is met, not a digest mismatch."""
    digest = sha(body)
    hostile.route("GET", f"/v2/app/manifests/{digest}", reply(status, body, **headers))
    with pytest.raises(RegistryError) as caught:
        RegistryClient(config(hostile.host)).resolve(ref(hostile.host, f"@{digest}"))
    assert "digest mismatch" not in caught.value.detail


def test_huge_retry_after_is_passed_on_capped(hostile):
    hostile.route("HEAD", "/v2/app/manifests/v1", reply(429, b"", Retry_After="9" * 400))
    with pytest.raises(RegistryRateLimited) as caught:
        RegistryClient(config(hostile.host)).resolve(ref(hostile.host))
    assert caught.value.retry_after == 86_400


def test_deep_json_from_the_token_service_is_an_error(hostile):
    realm = f"http://{hostile.host}/token"
    hostile.route(
        "HEAD", "/v2/app/manifests/v1", reply(401, WWW_Authenticate=f'Bearer realm="{realm}"')
    )
    hostile.route("GET", "/token", reply(200, DEEP))
    with pytest.raises(RegistryUnavailable, match="token"):
        RegistryClient(config(hostile.host)).resolve(ref(hostile.host))


def test_deep_json_in_a_config_blob_is_an_error(hostile):
    hostile.route("GET", f"/v2/app/blobs/{sha(DEEP)}", reply(200, DEEP))
    image = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_IMAGE,
            "config": {"mediaType": "x", "digest": sha(DEEP), "size": 1},
        }
    ).encode()
    hostile.route(
        "GET", f"/v2/app/manifests/{sha(image)}", reply(200, image, Content_Type=DOCKER_IMAGE)
    )
    with pytest.raises(RegistryUnavailable, match="nested"):
        RegistryClient(config(hostile.host)).resolve(ref(hostile.host, f"@{sha(image)}"))


# -- 12. private registries ---------------------------------------------------------------------
def test_acr_identity_token_uses_the_refresh_token_grant(hostile, tmp_path, caplog):
    refresh = "refresh-" + "Zz9" * 10
    access = "access-" + "Qq7" * 10
    realm = f"http://{hostile.host}/oauth2/token"
    challenge = f'Bearer realm="{realm}",service="hostile.azurecr.io"'
    index = windows_index(1, with_version=True)
    digest = sha(index)

    def token(seen, conn):
        form = dict(pair.split("=", 1) for pair in seen.body.decode().split("&"))
        ok = form.get("grant_type") == "refresh_token" and form.get("refresh_token") == refresh
        body = json.dumps({"access_token": access}).encode() if ok else b"{}"
        reply(200 if ok else 401, body)(seen, conn)

    def registry(seen, conn):
        if seen.headers.get("authorization") == f"Bearer {access}":
            reply(200, Docker_Content_Digest=digest)(seen, conn)
        else:
            reply(401, WWW_Authenticate=challenge)(seen, conn)

    hostile.route("HEAD", "/v2/app/manifests/v1", registry)
    hostile.route("GET", f"/v2/app/manifests/{digest}", reply(200, index, Content_Type=DOCKER_LIST))
    hostile.route("POST", "/oauth2/token", token)
    path = docker_config(
        tmp_path,
        hostile.host,
        auth=basic("00000000-0000-0000-0000-000000000000", ""),
        identitytoken=refresh,
    )
    with caplog.at_level(logging.DEBUG):
        client = RegistryClient(config(hostile.host, docker_config=path))
        image = client.resolve(ref(hostile.host))
    assert image.digest == digest
    assert hostile.count("POST", "/oauth2/token") == 1
    everything = caplog.text + generate_latest(METRICS).decode() + repr(client.__dict__)
    assert refresh not in everything
    assert access not in everything


def test_credential_helpers_are_named_in_a_warning(tmp_path, caplog):
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps({"credHelpers": {"contoso.azurecr.io": "acr-env"}, "credsStore": "desktop"})
    )
    with caplog.at_level(logging.WARNING, logger="service.registry"):
        RegistryClient(config(docker_config=str(path)))
    assert "contoso.azurecr.io" in caplog.text
    assert "credsStore desktop" in caplog.text


def test_more_unversioned_entries_than_one_question_reads_are_read_over_several(hostile):
    """20 entries without os.version, 16 read per question: the first question ends with a
    registry-timeout (nothing half-known is cached), the second reads the last 4 and answers."""
    index = _slow_children(hostile, 20, pause=0.0)
    hostile.serve_index(index)
    client = RegistryClient(config(hostile.host))
    with pytest.raises(RegistryTimeout, match="ask again"):
        client.resolve(ref(hostile.host))
    image = client.resolve(ref(hostile.host))
    assert [p.os_version for p in image.platforms] == ["10.0.20348.9"] * 20
    index_path = f"/v2/app/manifests/{sha(index)}"
    children = [s.path for s in hostile.seen if "sha256" in s.path and s.path != index_path]
    manifests = [p for p in children if "/manifests/" in p]
    assert len(manifests) == len(set(manifests)) == 20  # each child read once, over two questions
