"""Faults a real registry will not produce on demand, from a scripted server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from helpers import DOCKER_CONFIG, DOCKER_IMAGE, DOCKER_LIST, sha256_digest
from prometheus_client import REGISTRY as METRICS

from service.config import Config
from service.registry.client import RegistryClient
from service.registry.errors import (
    ImageNotFound,
    RegistryAuthError,
    RegistryNotAllowed,
    RegistryRateLimited,
    RegistryTimeout,
    RegistryUnavailable,
    UnsupportedManifest,
)
from service.registry.guard import Guard
from service.registry.reference import parse_reference
from service.registry.transport import Transport, new_session, parse_retry_after

CAP = 64 * 1024


def requests_counted(host: str, status: str) -> float:
    labels = {"registry": host, "status": status}
    return METRICS.get_sample_value("wincompat_registry_requests_total", labels) or 0.0


sha = sha256_digest


def windows_list(os_version: str | None = "10.0.20348.473", child: str | None = None) -> bytes:
    platform = {"architecture": "amd64", "os": "windows"}
    if os_version:
        platform["os.version"] = os_version
    entry = {
        "mediaType": DOCKER_IMAGE,
        "size": 1,
        "digest": child or sha(b"child"),
        "platform": platform,
    }
    doc = {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [entry]}
    return json.dumps(doc, indent=3).encode()


LIST = windows_list()
LIST_DIGEST = sha(LIST)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = "normal"  # normal | endless | trickle | cut (close mid-body)


def manifest(body: bytes = LIST, media_type: str = DOCKER_LIST, **headers: str) -> Answer:
    return Answer(200, body, {"Content-Type": media_type, **headers})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-exchange (as a bounded one does) is not a test failure."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FaultServer:
    """Answers (method, path) from a script: a list of Answers, the last one repeating."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Answer]] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.clients: set[int] = set()
        self.stopping = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.host = f"127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    def route(self, method: str, path: str, *answers: Answer) -> None:
        self.routes[(method, path)] = list(answers)

    def serve_image(self, body: bytes = LIST, tag: str = "v1") -> str:
        """HEAD /v2/app/manifests/<tag> gives the digest; GET by digest gives the body."""
        digest = sha(body)
        self.route(
            "HEAD",
            f"/v2/app/manifests/{tag}",
            Answer(200, b"", {"Docker-Content-Digest": digest, "Content-Type": DOCKER_LIST}),
        )
        self.route("GET", f"/v2/app/manifests/{digest}", manifest(body))
        return digest

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(1 for m, p, _ in self.seen if m == (method or m) and p == (path or p))

    def next_answer(self, method: str, path: str) -> Answer:
        answers = self.routes.get((method, path))
        if not answers:
            return Answer(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}')
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def close(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as registries do

        def do_GET(self) -> None:
            self._answer()

        def do_HEAD(self) -> None:
            self._answer()

        def _answer(self) -> None:
            server.seen.append((self.command, self.path, dict(self.headers)))
            server.clients.add(self.client_address[1])
            answer = server.next_answer(self.command, self.path)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if answer.mode == "normal":
                self.send_header("Content-Length", str(len(answer.body)))
            elif answer.mode == "cut":
                self.send_header("Content-Length", str(len(answer.body) * 2))
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                return
            with contextlib.suppress(OSError):  # the client hung up: what bounded clients do
                self._body(answer)

        def _body(self, answer: Answer) -> None:
            if answer.mode in ("normal", "cut"):
                self.wfile.write(answer.body)
                if answer.mode == "cut":
                    self.close_connection = True
                return
            piece, pause = (b"x" * 8192, 0) if answer.mode == "endless" else (b" ", 0.05)
            while not server.stopping.is_set():
                self.wfile.write(piece)
                self.wfile.flush()
                time.sleep(pause)
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[FaultServer]:
    fault = FaultServer()
    yield fault
    fault.close()


def config(*hosts: str, **overrides: Any) -> Config:
    settings: dict[str, Any] = {
        "allowed_registries": (),
        "insecure_registries": hosts,
        "registry_timeout": 1.0,
        "registry_retries": 2,
        "retry_after_max": 1.5,
        "max_manifest_bytes": CAP,
    }
    settings.update(overrides)
    return Config(**settings)


def client_for(server: FaultServer, sleep: Any = None, **overrides: Any) -> RegistryClient:
    """A client for the fault server; `sleep` replaces the transport's waits (fake time)."""
    settings = config(server.host, **overrides)
    if sleep is None:
        return RegistryClient(settings)
    guard = Guard(settings)
    transport = Transport(settings, new_session(), guard, sleep=sleep)
    return RegistryClient(settings, guard=guard, transport=transport)


def ref(server: FaultServer, tail: str = ":v1") -> Any:
    return parse_reference(f"{server.host}/app{tail}")


# -- retries ------------------------------------------------------------------------------------
def test_500s_then_success_is_retried(server):
    digest = server.serve_image()
    path = f"/v2/app/manifests/{digest}"
    server.route("GET", path, Answer(500, b"oops"), Answer(502, b"<html>"), manifest())

    image = client_for(server).resolve(ref(server))

    assert image.digest == digest
    assert image.platforms[0].os_version == "10.0.20348.473"
    assert server.count("GET", path) == 3


def test_503_forever_gives_up_after_the_retries(server):
    server.route("HEAD", "/v2/app/manifests/v1", Answer(503))
    with pytest.raises(RegistryUnavailable, match="503"):
        client_for(server).resolve(ref(server))
    assert server.count("HEAD") == 3  # 1 + registry_retries


def test_429_with_short_retry_after_is_waited_for(server):
    digest = server.serve_image()
    server.route(
        "HEAD",
        "/v2/app/manifests/v1",
        Answer(429, b"", {"Retry-After": "1"}),
        Answer(200, b"", {"Docker-Content-Digest": digest}),
    )
    slept: list[float] = []
    assert client_for(server, sleep=slept.append).resolve_digest(ref(server)) == digest
    assert slept == [1.0]  # waited exactly what the registry asked, on the injected sleep
    assert server.count("HEAD") == 2


def test_429_with_long_retry_after_is_passed_on(server):
    body = json.dumps(
        {
            "errors": [
                {"code": "TOOMANYREQUESTS", "message": "You have reached your pull rate limit."}
            ]
        }
    )
    server.route(
        "HEAD",
        "/v2/app/manifests/v1",
        Answer(429, body.encode(), {"Retry-After": "120", "ratelimit-remaining": "0;w=21600"}),
    )
    with pytest.raises(RegistryRateLimited) as caught:
        client_for(server).resolve(ref(server))
    assert caught.value.retry_after == 120
    assert server.count() == 1


def test_429_twice_is_not_waited_for_again(server):
    server.route("HEAD", "/v2/app/manifests/v1", Answer(429, b"", {"Retry-After": "1"}))
    slept: list[float] = []
    with pytest.raises(RegistryRateLimited) as caught:
        client_for(server, sleep=slept.append).resolve(ref(server))
    assert caught.value.retry_after == 1
    assert slept == [1.0]
    assert server.count() == 2


def test_429_without_retry_after_on_get_carries_the_registry_message(server):
    server.serve_image()
    body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down please"}]}'
    server.route("GET", f"/v2/app/manifests/{LIST_DIGEST}", Answer(429, body))
    with pytest.raises(RegistryRateLimited, match="slow down please") as caught:
        client_for(server).resolve(ref(server))
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        ("Sun, 29 Nov 2026 18:00:30 GMT", 30.0),
        ("Sun, 29 Nov 2026 17:00:00 GMT", 0.0),  # in the past
        ("soon", None),
        ("", None),
        (None, None),
        ("\u00b2", None),  # str.isdigit() says yes; int() and float() say no
        ("9" * 400, 86_400.0),  # float() gives inf; capped, never an OverflowError
        ("Sun, 29 Nov 9999999 18:00:30 GMT", None),
    ],
    ids=["seconds", "date", "past", "word", "empty", "absent", "superscript", "huge", "far-year"],
)
def test_parse_retry_after(value, seconds):
    now = datetime(2026, 11, 29, 18, 0, 0, tzinfo=UTC)
    assert parse_retry_after(value, now) == seconds


# -- bodies -------------------------------------------------------------------------------------
def test_garbage_json_is_not_a_valid_manifest(server):
    garbage = b"{this is not json"
    server.route("GET", f"/v2/app/manifests/{sha(garbage)}", manifest(garbage))
    with pytest.raises(RegistryUnavailable, match="not a valid manifest"):
        client_for(server).resolve(ref(server, f"@{sha(garbage)}"))


def test_truncated_json_is_not_a_valid_manifest(server):
    truncated = LIST[: len(LIST) // 2]
    server.route("GET", f"/v2/app/manifests/{sha(truncated)}", manifest(truncated))
    with pytest.raises(RegistryUnavailable, match="not a valid manifest"):
        client_for(server).resolve(ref(server, f"@{sha(truncated)}"))


def test_connection_closed_mid_body_is_unavailable_after_retries(server):
    server.route("GET", f"/v2/app/manifests/{LIST_DIGEST}", Answer(200, LIST, mode="cut"))
    with pytest.raises(RegistryUnavailable, match="broke off"):
        client_for(server).resolve(ref(server, f"@{LIST_DIGEST}"))
    assert server.count("GET") == 3


def test_schema1_manifest_is_unsupported(server):
    schema1 = json.dumps({"schemaVersion": 1, "name": "app", "tag": "v1"}).encode()
    media_type = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    server.route("GET", f"/v2/app/manifests/{sha(schema1)}", manifest(schema1, media_type))
    with pytest.raises(UnsupportedManifest, match="schema 1"):
        client_for(server).resolve(ref(server, f"@{sha(schema1)}"))


def test_body_that_does_not_match_its_digest(server):
    server.route("GET", f"/v2/app/manifests/{LIST_DIGEST}", manifest(windows_list("10.0.1.1")))
    with pytest.raises(RegistryUnavailable) as caught:
        client_for(server).resolve(ref(server, f"@{LIST_DIGEST}"))
    assert LIST_DIGEST in caught.value.detail
    assert sha(windows_list("10.0.1.1")) in caught.value.detail


def test_docker_content_digest_header_must_agree(server):
    lying = "sha256:" + "e" * 64
    server.route(
        "GET",
        f"/v2/app/manifests/{LIST_DIGEST}",
        manifest(LIST, **{"Docker-Content-Digest": lying}),
    )
    with pytest.raises(RegistryUnavailable, match=lying):
        client_for(server).resolve(ref(server, f"@{LIST_DIGEST}"))


def test_child_manifest_must_match_the_list_entry(server):
    child = json.dumps(
        {"schemaVersion": 2, "mediaType": DOCKER_IMAGE, "config": {"digest": sha(b"{}"), "size": 2}}
    ).encode()
    claimed = sha(b"what the list says")
    body = windows_list(None, child=claimed)
    server.route("GET", f"/v2/app/manifests/{sha(body)}", manifest(body))
    server.route("GET", f"/v2/app/manifests/{claimed}", manifest(child, DOCKER_IMAGE))
    with pytest.raises(RegistryUnavailable, match="digest mismatch"):
        client_for(server).resolve(ref(server, f"@{sha(body)}"))


def test_gzip_encoded_manifest_is_hashed_after_decoding(server):
    server.route(
        "GET",
        f"/v2/app/manifests/{LIST_DIGEST}",
        manifest(gzip.compress(LIST), **{"Content-Encoding": "gzip"}),
    )
    image = client_for(server).resolve(ref(server, f"@{LIST_DIGEST}"))
    assert image.platforms[0].os_version == "10.0.20348.473"


def test_endless_body_is_cut_off(server):
    server.route("GET", f"/v2/app/manifests/{LIST_DIGEST}", Answer(200, mode="endless"))
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable, match="cut off"):
        client_for(server).resolve(ref(server, f"@{LIST_DIGEST}"))
    assert time.monotonic() - started < 3
    assert server.count("GET") == 1  # a size violation is not retried


def test_oversized_body_is_refused_by_its_length(server):
    big = b" " * (CAP + 1)
    server.route("GET", f"/v2/app/manifests/{sha(big)}", manifest(big))
    with pytest.raises(RegistryUnavailable, match=f"limit is {CAP}"):
        client_for(server).resolve(ref(server, f"@{sha(big)}"))


def test_body_at_the_cap_is_read(server):
    padded = LIST + b" " * (CAP - len(LIST))
    server.route("GET", f"/v2/app/manifests/{sha(padded)}", manifest(padded))
    assert client_for(server).resolve(ref(server, f"@{sha(padded)}")).digest == sha(padded)


# -- time ---------------------------------------------------------------------------------------
@pytest.fixture
def silent() -> Iterator[str]:
    """A port that accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_server_that_never_answers_times_out(silent):
    client = RegistryClient(config(silent, registry_timeout=0.5))
    before = requests_counted(silent, "timeout")
    started = time.monotonic()
    with pytest.raises(RegistryTimeout):
        client.resolve(parse_reference(f"{silent}/app:v1"))
    assert time.monotonic() - started < 2  # timeouts are not retried
    after = requests_counted(silent, "timeout")
    assert after - before == 1


def test_trickling_body_hits_the_deadline(server):
    server.route("GET", f"/v2/app/manifests/{LIST_DIGEST}", Answer(200, mode="trickle"))
    started = time.monotonic()
    with pytest.raises(RegistryTimeout):
        client_for(server, registry_timeout=0.5).resolve(ref(server, f"@{LIST_DIGEST}"))
    assert time.monotonic() - started < 2.5


def test_connection_refused_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{sock.getsockname()[1]}"  # closed again: nothing listens
    before = requests_counted(host, "error")
    with pytest.raises(RegistryUnavailable, match="connection refused"):
        RegistryClient(config(host)).resolve(parse_reference(f"{host}/app:v1"))
    after = requests_counted(host, "error")
    assert after - before == 3


# -- redirects ----------------------------------------------------------------------------------
def config_blob_image(server: FaultServer, blob_answer: Answer) -> str:
    config_body = b'{"os":"windows","architecture":"amd64","os.version":"10.0.26100.1"}'
    image = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_IMAGE,
            "config": {
                "mediaType": DOCKER_CONFIG,
                "digest": sha(config_body),
                "size": len(config_body),
            },
            "layers": [],
        }
    ).encode()
    server.route("GET", f"/v2/app/manifests/{sha(image)}", manifest(image, DOCKER_IMAGE))
    server.route("GET", f"/v2/app/blobs/{sha(config_body)}", blob_answer)
    server.route("GET", "/cdn/config", Answer(200, config_body))
    return sha(image)


def test_redirect_to_the_same_host_is_followed(server):
    digest = config_blob_image(server, Answer(307, b"", {"Location": "/cdn/config"}))
    image = client_for(server).resolve(ref(server, f"@{digest}"))
    assert image.platforms[0].os_version == "10.0.26100.1"
    assert server.count("GET", "/cdn/config") == 1


def test_redirect_to_a_host_not_allowed_is_refused_and_never_contacted(server):
    target = FaultServer()
    try:
        location = f"http://{target.host}/cdn/config"
        digest = config_blob_image(server, Answer(307, b"", {"Location": location}))
        with pytest.raises(RegistryNotAllowed):
            client_for(server).resolve(ref(server, f"@{digest}"))
        assert target.count() == 0
    finally:
        target.close()


def test_redirect_to_a_public_name_not_allowed_is_refused(server):
    digest = config_blob_image(server, Answer(302, b"", {"Location": "https://evil.test/x"}))
    with pytest.raises(RegistryNotAllowed, match=r"evil\.test"):
        client_for(server).resolve(ref(server, f"@{digest}"))


def test_redirect_loop_is_bounded(server):
    digest = config_blob_image(server, Answer(307, b"", {"Location": "/v2/app/blobs/loop"}))
    server.route("GET", "/v2/app/blobs/loop", Answer(307, b"", {"Location": "/v2/app/blobs/loop"}))
    with pytest.raises(RegistryUnavailable, match="redirects"):
        client_for(server).resolve(ref(server, f"@{digest}"))
    assert server.count("GET", "/v2/app/blobs/loop") == 5


# -- statuses and auth --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(404, b"<html>Not Found</html>"), ImageNotFound),
        (Answer(400, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no repo"}]}'), ImageNotFound),
        (Answer(403, b"forbidden"), RegistryAuthError),
        (Answer(401, b"no challenge at all"), RegistryAuthError),
        (Answer(400, b"bad request"), RegistryUnavailable),
        (Answer(200, b"", {"Content-Type": DOCKER_LIST}), RegistryUnavailable),
    ],
)
def test_status_mapping(server, answer, error):
    server.route("GET", f"/v2/app/manifests/{LIST_DIGEST}", answer)
    with pytest.raises(error):
        client_for(server).resolve(ref(server, f"@{LIST_DIGEST}"))


def test_head_404_without_a_body_is_not_found(server):
    server.route("HEAD", "/v2/app/manifests/v1", Answer(404))
    with pytest.raises(ImageNotFound, match="app:v1"):
        client_for(server).resolve(ref(server))
    assert server.count() == 1


def test_head_without_digest_falls_back_to_get_and_hashes(server):
    server.route("HEAD", "/v2/app/manifests/v1", Answer(200, b"", {"Content-Type": DOCKER_LIST}))
    server.route("GET", "/v2/app/manifests/v1", manifest())
    assert client_for(server).resolve_digest(ref(server)) == LIST_DIGEST


def challenge_to(server: FaultServer, realm: FaultServer) -> None:
    """The registry answers the tag's HEAD with a Bearer challenge naming `realm`."""
    challenge = f'Bearer realm="http://{realm.host}/token",service="fault"'
    server.route("HEAD", "/v2/app/manifests/v1", Answer(401, b"", {"WWW-Authenticate": challenge}))


def test_bearer_realm_on_a_host_not_allowed_is_never_contacted(server):
    realm = FaultServer()
    try:
        challenge_to(server, realm)
        with pytest.raises(RegistryNotAllowed):
            client_for(server).resolve(ref(server))
        assert realm.count() == 0
    finally:
        realm.close()


def test_token_service_failing_is_unavailable_and_tokens_go_nowhere_else(server):
    realm = FaultServer()
    try:
        challenge_to(server, realm)
        realm.route("GET", "/token?service=fault&scope=repository:app:pull", Answer(500))
        client = RegistryClient(config(server.host, realm.host))
        with pytest.raises(RegistryUnavailable, match="token service answered 500"):
            client.resolve(ref(server))
        assert realm.count() == 3
    finally:
        realm.close()


def test_connections_are_reused(server):
    digest = server.serve_image()
    client = client_for(server)
    for _ in range(3):
        assert client.resolve(ref(server)).digest == digest
    assert server.count() == 6
    assert len(server.clients) == 1
