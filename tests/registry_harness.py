"""Real docker-registry (CNCF distribution 2.8) on 127.0.0.1 for tests.

Fixtures (session-scoped, started on first use, killed at the end):

``registry``        anonymous registry, a :class:`RegistryServer`
``registry_config`` a ``service.config.Config`` whose ``insecure_registries`` names it
``basic_registry``  htpasswd Basic auth; ``.username`` / ``.password`` are valid credentials
``token_registry``  Bearer token auth; ``.token_server`` is our :class:`TokenServer`
                    (``.host``, ``.requests`` list of (user, scope), ``.request_count()``)

``RegistryServer`` API:
    .host / .url                     "127.0.0.1:PORT" / "http://127.0.0.1:PORT"
    .new_repo(prefix)                a unique repository name, e.g. "test/servercore-1a2b3c"
    .push_blob(repo, data) -> digest
    .push_manifest(repo, reference, body, media_type) -> digest (of the exact bytes pushed)
    .push_image(repo, tag, platforms, kind=..., attestations=False, indent=None) -> PushedImage
        kind: DOCKER_LIST, OCI_INDEX (lists) or DOCKER_IMAGE, OCI_IMAGE (one image manifest);
        platforms: PlatformSpec(os, architecture, os_version, version_in_list, ...)
    .push_mcr_base(repo, tag, os_version) -> PushedImage   single-entry Docker list, 3-space
    .delete_blob(repo, digest)       e.g. to make a config blob go missing
    .mark() -> int                   a position in the access log (syncs the log first)
    .requests(since=0) -> list[Access(method, path, status)]
    .request_count(method=None, path_contains=None, since=0) -> int
    .stop() / .start()               stop and restart on the same port and storage

Helpers: ``config_for(*servers, docker_config=None, **overrides)`` builds a Config naming the
servers as insecure registries; ``write_docker_config(path, {host: (user, password)}, style)``
writes a Docker config.json (style "auth" = base64 user:pass, "fields" = username/password).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from helpers import (
    DOCKER_CONFIG,
    DOCKER_FOREIGN_LAYER,
    DOCKER_IMAGE,
    DOCKER_LAYER,
    DOCKER_LIST,
    OCI_CONFIG,
    OCI_FOREIGN_LAYER,
    OCI_IMAGE,
    OCI_INDEX,
    OCI_LAYER,
    free_port,
    sha256_digest,
)

from service.config import Config

__all__ = [
    "DOCKER_IMAGE",
    "DOCKER_LIST",
    "OCI_IMAGE",
    "OCI_INDEX",
    "Access",
    "PlatformSpec",
    "PushedImage",
    "RegistryServer",
    "TokenServer",
    "basic_registry",
    "config_for",
    "registry",
    "registry_config",
    "token_registry",
    "write_docker_config",
]

REGISTRY_BINARY = "/usr/bin/docker-registry"
_CHILD_KIND = {DOCKER_LIST: DOCKER_IMAGE, OCI_INDEX: OCI_IMAGE}
_LAYER_TYPES = {  # image kind → (config, foreign base layer, ordinary layer) media types
    DOCKER_IMAGE: (DOCKER_CONFIG, DOCKER_FOREIGN_LAYER, DOCKER_LAYER),
    OCI_IMAGE: (OCI_CONFIG, OCI_FOREIGN_LAYER, OCI_LAYER),
}
BASIC_REALM = "harness-basic-realm"
TOKEN_SERVICE = "harness-registry"
TOKEN_ISSUER = "harness-token-issuer"
_ACCESS_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3}) ')
_MARK_PATH = "/v2/?harness-mark="


def _dump(doc: Any, indent: int | None) -> bytes:
    """Compact Go-style JSON, or indented like MCR (indent=3)."""
    if indent is None:
        return json.dumps(doc, separators=(",", ":")).encode()
    return json.dumps(doc, indent=indent).encode()


@dataclass(frozen=True)
class Access:
    method: str
    path: str
    status: int


@dataclass(frozen=True)
class PlatformSpec:
    """One platform of an image to push."""

    os: str = "windows"
    architecture: str = "amd64"
    os_version: str | None = "10.0.20348.473"
    version_in_list: bool = True  # put os.version in the list entry (else only the config)
    version_in_config: bool = True
    variant: str | None = None
    foreign_base: bool = True  # a foreign base layer with urls → mcr.microsoft.com


@dataclass(frozen=True)
class PushedImage:
    repo: str
    tag: str | None
    digest: str  # of the top-level list/index or image manifest
    media_type: str
    body: bytes
    children: tuple[str, ...]  # per platform, in order (lists only)
    configs: tuple[str, ...]  # config blob digest per platform
    attestations: tuple[str, ...]


class _Pusher:
    """Pushes blobs and manifests over plain HTTP the way docker push does."""

    def __init__(self, server: RegistryServer) -> None:
        self._server = server
        self._session = requests.Session()
        self._session.trust_env = False

    def _headers(self, repo: str) -> dict[str, str]:
        return self._server.push_authorization(repo)

    def blob(self, repo: str, data: bytes) -> str:
        digest = sha256_digest(data)
        base = f"{self._server.url}/v2/{repo}/blobs/uploads/"
        started = self._session.post(base, headers=self._headers(repo), timeout=10)
        assert started.status_code == 202, (started.status_code, started.text)
        location = urljoin(base, started.headers["Location"])
        separator = "&" if "?" in location else "?"
        headers = {**self._headers(repo), "Content-Type": "application/octet-stream"}
        done = self._session.put(
            f"{location}{separator}digest={digest}", data=data, headers=headers, timeout=10
        )
        assert done.status_code == 201, (done.status_code, done.text)
        return digest

    def manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        headers = {**self._headers(repo), "Content-Type": media_type}
        url = f"{self._server.url}/v2/{repo}/manifests/{reference}"
        answer = self._session.put(url, data=body, headers=headers, timeout=10)
        assert answer.status_code == 201, (answer.status_code, answer.text)
        digest = sha256_digest(body)
        assert answer.headers["Docker-Content-Digest"] == digest
        return digest


class RegistryServer:
    """`docker-registry serve` on 127.0.0.1 with a temp filesystem root."""

    name = "anonymous"

    def __init__(self) -> None:
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self._dir = Path(tempfile.mkdtemp(prefix=f"wincompat-registry-{self.name}-"))
        self._auth = self._auth_config(self._dir)
        self._process: subprocess.Popen[str] | None = None
        self._access: list[Access] = []
        self._stderr: list[str] = []
        self._lock = threading.Lock()
        self._pusher = _Pusher(self)
        self._write_config()

    # -- lifecycle -------------------------------------------------------------------------
    def _auth_config(self, workdir: Path) -> dict[str, Any] | None:
        """The `auth` section of the registry config; the auth flavours override this."""
        return None

    def _write_config(self) -> None:
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "warn", "formatter": "text", "accesslog": {"disabled": False}},
            "storage": {
                "filesystem": {"rootdirectory": str(self._dir / "root")},
                "delete": {"enabled": True},
            },
            "http": {"addr": self.host, "secret": uuid.uuid4().hex},
            "validation": {"manifests": {"urls": {"allow": [r"^https://mcr\.microsoft\.com/"]}}},
        }
        if self._auth:
            config["auth"] = self._auth
        # JSON is YAML: no YAML library needed.
        (self._dir / "config.yml").write_text(json.dumps(config, indent=2))

    def start(self) -> None:
        # Every REGISTRY_* variable would override the config file: never pass one on.
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("REGISTRY_")}
        self._process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(self._dir / "config.yml")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        threading.Thread(target=self._drain, args=(self._process.stdout, True), daemon=True).start()
        threading.Thread(
            target=self._drain, args=(self._process.stderr, False), daemon=True
        ).start()
        self._wait_ready()

    def _drain(self, stream: Any, access: bool) -> None:
        for line in stream:
            match = _ACCESS_LINE.search(line) if access else None
            with self._lock:
                if match:
                    self._access.append(Access(match[1], match[2], int(match[3])))
                elif not access:
                    self._stderr.append(line.rstrip())

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self._stderr[-10:]}")
            try:
                requests.get(f"{self.url}/v2/", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError(f"docker-registry did not start on {self.host}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    # -- request accounting ------------------------------------------------------------------
    def _sync(self) -> None:
        """Wait until every request answered so far is in the access log."""
        token = uuid.uuid4().hex
        requests.get(f"{self.url}{_MARK_PATH}{token}", timeout=5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with self._lock:
                if any(a.path.endswith(token) for a in self._access[-20:]):
                    break
            time.sleep(0.005)
        time.sleep(0.02)  # lines of other connections are written at the same moment

    def mark(self) -> int:
        self._sync()
        with self._lock:
            return len(self._access)

    def requests(self, since: int = 0) -> list[Access]:
        self._sync()
        with self._lock:
            return [a for a in self._access[since:] if not a.path.startswith(_MARK_PATH)]

    def request_count(
        self, method: str | None = None, path_contains: str | None = None, since: int = 0
    ) -> int:
        return sum(
            1
            for a in self.requests(since)
            if (method is None or a.method == method)
            and (path_contains is None or path_contains in a.path)
        )

    # -- pushing -----------------------------------------------------------------------------
    def push_authorization(self, repo: str) -> dict[str, str]:
        """Headers the pusher sends; the auth flavours override this."""
        return {}

    def new_repo(self, prefix: str = "test/image") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    def push_blob(self, repo: str, data: bytes) -> str:
        return self._pusher.blob(repo, data)

    def push_manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        return self._pusher.manifest(repo, reference, body, media_type)

    def delete_blob(self, repo: str, digest: str) -> None:
        url = f"{self.url}/v2/{repo}/blobs/{digest}"
        answer = requests.delete(url, headers=self.push_authorization(repo), timeout=10)
        assert answer.status_code == 202, (answer.status_code, answer.text)

    def push_image(
        self,
        repo: str,
        tag: str | None,
        platforms: Sequence[PlatformSpec] = (PlatformSpec(),),
        *,
        kind: str = DOCKER_LIST,
        attestations: bool = False,
        indent: int | None = None,
    ) -> PushedImage:
        """Children first, then the list that names them (or one image manifest)."""
        if kind in (DOCKER_IMAGE, OCI_IMAGE):
            (spec,) = platforms
            body, config = self._image_manifest(repo, spec, kind, indent)
            digest = self.push_manifest(repo, tag or sha256_digest(body), body, kind)
            return PushedImage(repo, tag, digest, kind, body, (), (config,), ())
        child_kind = _CHILD_KIND[kind]
        entries, children, configs, attested = [], [], [], []
        for spec in platforms:
            body, config = self._image_manifest(repo, spec, child_kind, indent)
            child = self.push_manifest(repo, sha256_digest(body), body, child_kind)
            entries.append(_entry(spec, child_kind, child, len(body)))
            children.append(child)
            configs.append(config)
            if attestations:
                entry = self._attestation(repo, child, indent)
                entries.append(entry)
                attested.append(entry["digest"])
        body = _dump({"schemaVersion": 2, "mediaType": kind, "manifests": entries}, indent)
        digest = self.push_manifest(repo, tag or sha256_digest(body), body, kind)
        return PushedImage(
            repo, tag, digest, kind, body, tuple(children), tuple(configs), tuple(attested)
        )

    def push_mcr_base(self, repo: str, tag: str, os_version: str) -> PushedImage:
        """Like mcr.microsoft.com/windows/servercore:ltsc2022: a one-entry list, 3-space JSON."""
        return self.push_image(repo, tag, [PlatformSpec(os_version=os_version)], indent=3)

    def _image_manifest(
        self, repo: str, spec: PlatformSpec, kind: str, indent: int | None
    ) -> tuple[bytes, str]:
        config_type, foreign_type, layer_type = _LAYER_TYPES[kind]
        layer = os.urandom(64)
        layer_digest = self.push_blob(repo, layer)
        config: dict[str, Any] = {
            "architecture": spec.architecture,
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "history": [{"created_by": f"Apply image {spec.os_version or 'unknown'}"}],
            "os": spec.os,
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(layer)]},
        }
        if spec.os_version and spec.version_in_config:
            config["os.version"] = spec.os_version
        if spec.variant:
            config["variant"] = spec.variant
        config_body = _dump(config, None)
        config_digest = self.push_blob(repo, config_body)
        layers = []
        if spec.foreign_base:
            base = sha256_digest(b"base layer " + (spec.os_version or "").encode())
            url = f"https://mcr.microsoft.com/v2/windows/servercore/blobs/{base}"
            layers.append(
                {"mediaType": foreign_type, "size": 1251699055, "digest": base, "urls": [url]}
            )
        layers.append({"mediaType": layer_type, "size": len(layer), "digest": layer_digest})
        manifest = {
            "schemaVersion": 2,
            "mediaType": kind,
            "config": {"mediaType": config_type, "size": len(config_body), "digest": config_digest},
            "layers": layers,
        }
        return _dump(manifest, indent), config_digest

    def _attestation(self, repo: str, subject: str, indent: int | None) -> dict[str, Any]:
        """A buildx provenance manifest and its unknown/unknown index entry."""
        statement = json.dumps({"_type": "https://in-toto.io/Statement/v0.1"}).encode()
        layer = self.push_blob(repo, statement)
        config = _dump({"architecture": "unknown", "os": "unknown", "config": {}}, None)
        config_digest = self.push_blob(repo, config)
        body = _dump(
            {
                "schemaVersion": 2,
                "mediaType": OCI_IMAGE,
                "config": {
                    "mediaType": OCI_CONFIG,
                    "size": len(config),
                    "digest": config_digest,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.in-toto+json",
                        "size": len(statement),
                        "digest": layer,
                        "annotations": {
                            "in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"
                        },
                    }
                ],
            },
            indent,
        )
        digest = self.push_manifest(repo, sha256_digest(body), body, OCI_IMAGE)
        return {
            "mediaType": OCI_IMAGE,
            "digest": digest,
            "size": len(body),
            "annotations": {
                "vnd.docker.reference.digest": subject,
                "vnd.docker.reference.type": "attestation-manifest",
            },
            "platform": {"architecture": "unknown", "os": "unknown"},
        }


def _entry(spec: PlatformSpec, media_type: str, digest: str, size: int) -> dict[str, Any]:
    platform: dict[str, Any] = {"architecture": spec.architecture, "os": spec.os}
    if spec.os_version and spec.version_in_list:
        platform["os.version"] = spec.os_version
    if spec.variant:
        platform["variant"] = spec.variant
    return {"mediaType": media_type, "size": size, "digest": digest, "platform": platform}


# -- auth flavours ---------------------------------------------------------------------------
class BasicRegistry(RegistryServer):
    name = "basic"
    username = "harness-user"
    password = "harness-pass:with,odd chars"

    def _auth_config(self, workdir: Path) -> dict[str, Any]:
        htpasswd = subprocess.run(
            ["htpasswd", "-Bbn", self.username, self.password],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (workdir / "htpasswd").write_text(htpasswd)
        return {"htpasswd": {"realm": BASIC_REALM, "path": str(workdir / "htpasswd")}}

    def push_authorization(self, repo: str) -> dict[str, str]:
        pair = f"{self.username}:{self.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


class TokenServer:
    """Issues RS256 JWTs (x5c header) the way Docker Hub's auth service does."""

    def __init__(self, users: dict[str, str], lifetime: int = 300) -> None:
        self.users = users
        self.lifetime = lifetime
        self.style = "token"  # or "access_token": which field carries the JWT
        self.says_expires_in = True  # False: the answer leaves the lifetime to the client
        self.requests: list[tuple[str | None, str]] = []  # (user, scope) per request
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.certificate = _self_signed(self._key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self.realm = f"http://{self.host}/token"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def request_count(self) -> int:
        return len(self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def issue(self, user: str | None, scopes: list[str], service: str) -> dict[str, Any]:
        now = int(time.time())
        access = [_grant(scope) for scope in scopes if user is not None]
        claims = {
            "iss": TOKEN_ISSUER,
            "sub": user or "",
            "aud": service,
            "exp": now + self.lifetime,
            "nbf": now - 30,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": [a for a in access if a],
        }
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        token = jwt.encode(
            claims,
            self._key,
            algorithm="RS256",
            headers={"x5c": [base64.b64encode(der).decode()]},
        )
        answer: dict[str, Any] = {
            self.style: token,
            "issued_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        if self.says_expires_in:
            answer["expires_in"] = self.lifetime
        return answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                user = _basic_user(self.headers.get("Authorization"), server.users)
                scopes = query.get("scope", [])
                server.requests.append((user if user else None, " ".join(scopes)))
                if user is False:
                    self._answer(401, {"details": "incorrect username or password"})
                    return
                service = query.get("service", [""])[0]
                self._answer(200, server.issue(user or None, scopes, service))

            def _answer(self, status: int, doc: dict[str, Any]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _basic_user(header: str | None, users: dict[str, str]) -> str | bool | None:
    """The authenticated user; None when anonymous; False when the credentials are wrong."""
    if not header:
        return None
    try:
        user, _, password = base64.b64decode(header.split(" ", 1)[1]).decode().partition(":")
    except (IndexError, ValueError):
        return False
    return user if users.get(user) == password else False


def _grant(scope: str) -> dict[str, Any] | None:
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if kind != "repository" or not name:
        return None
    return {"type": kind, "name": name, "actions": actions.split(",")}


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "harness token signer")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


class TokenRegistry(RegistryServer):
    name = "token"
    username = "harness-token-user"
    password = "s3cret-token-pass"

    def _auth_config(self, workdir: Path) -> dict[str, Any]:
        self.token_server = TokenServer({self.username: self.password})
        bundle = workdir / "root.pem"
        bundle.write_bytes(self.token_server.certificate.public_bytes(serialization.Encoding.PEM))
        return {
            "token": {
                "realm": self.token_server.realm,
                "service": TOKEN_SERVICE,
                "issuer": TOKEN_ISSUER,
                "rootcertbundle": str(bundle),
            }
        }

    def push_authorization(self, repo: str) -> dict[str, str]:
        answer = self.token_server.issue(
            self.username, [f"repository:{repo}:pull,push"], TOKEN_SERVICE
        )
        return {"Authorization": f"Bearer {answer[self.token_server.style]}"}

    def close(self) -> None:
        super().close()
        self.token_server.close()


# -- helpers and fixtures --------------------------------------------------------------------
def config_for(
    *servers: RegistryServer, docker_config: str | None = None, **overrides: Any
) -> Config:
    """A Config that may contact exactly these servers (over plain HTTP), quickly."""
    hosts = [s.host for s in servers]
    hosts += [s.token_server.host for s in servers if isinstance(s, TokenRegistry)]
    settings: dict[str, Any] = {
        "allowed_registries": (),
        "insecure_registries": tuple(hosts),
        "registry_timeout": 5.0,
        "registry_retries": 1,
        "docker_config": docker_config,
    }
    settings.update(overrides)
    return Config(**settings)


def write_docker_config(
    path: Path, entries: dict[str, tuple[str, str]], style: str = "auth"
) -> Path:
    """A Docker config.json as `docker login` (style "auth") or by hand ("fields") writes it."""
    auths: dict[str, Any] = {}
    for key, (user, password) in entries.items():
        if style == "auth":
            auths[key] = {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}
        else:
            auths[key] = {"username": user, "password": password}
    path.write_text(json.dumps({"auths": auths}))
    return path


def _serve(server: RegistryServer) -> Iterator[RegistryServer]:
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def registry() -> Iterator[RegistryServer]:
    yield from _serve(RegistryServer())


@pytest.fixture(scope="session")
def registry_config(registry: RegistryServer) -> Config:
    return config_for(registry)


@pytest.fixture(scope="session")
def basic_registry() -> Iterator[RegistryServer]:
    yield from _serve(BasicRegistry())


@pytest.fixture(scope="session")
def token_registry() -> Iterator[RegistryServer]:
    yield from _serve(TokenRegistry())
