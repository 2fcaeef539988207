"""The distribution reference grammar, docker.io normalisation and canonical strings."""

from __future__ import annotations

import pytest

from service.registry.reference import (
    ImageReference,
    InvalidReference,
    is_valid_digest,
    parse_reference,
)

D = "sha256:" + "0123456789abcdef" * 4
D512 = "sha512:" + "ab" * 64

VALID = [
    # text, registry, repository, tag, digest, canonical
    ("nginx", "docker.io", "library/nginx", "latest", None, "docker.io/library/nginx:latest"),
    ("nginx:1.25", "docker.io", "library/nginx", "1.25", None, "docker.io/library/nginx:1.25"),
    ("library/nginx", "docker.io", "library/nginx", "latest", None, None),
    ("docker.io/nginx", "docker.io", "library/nginx", "latest", None, None),
    ("index.docker.io/nginx", "docker.io", "library/nginx", "latest", None, None),
    ("registry-1.docker.io/library/nginx:x", "docker.io", "library/nginx", "x", None, None),
    ("DOCKER.IO/nginx", "docker.io", "library/nginx", "latest", None, None),
    ("bitnami/redis", "docker.io", "bitnami/redis", "latest", None, None),
    (
        "mcr.microsoft.com/windows/servercore:ltsc2022",
        "mcr.microsoft.com",
        "windows/servercore",
        "ltsc2022",
        None,
        "mcr.microsoft.com/windows/servercore:ltsc2022",
    ),
    (
        "MCR.Microsoft.com/windows/nanoserver",
        "mcr.microsoft.com",
        "windows/nanoserver",
        "latest",
        None,
        "mcr.microsoft.com/windows/nanoserver:latest",
    ),
    ("127.0.0.1:5000/a/b:t", "127.0.0.1:5000", "a/b", "t", None, "127.0.0.1:5000/a/b:t"),
    ("localhost/app", "localhost", "app", "latest", None, "localhost/app:latest"),
    ("localhost:5000/app", "localhost:5000", "app", "latest", None, None),
    ("myhost:5000/app", "myhost:5000", "app", "latest", None, None),
    ("[::1]:5000/app:v1", "[::1]:5000", "app", "v1", None, "[::1]:5000/app:v1"),
    (
        f"contoso.azurecr.io/app@{D}",
        "contoso.azurecr.io",
        "app",
        None,
        D,
        f"contoso.azurecr.io/app@{D}",
    ),
    (
        f"contoso.azurecr.io/app:v2@{D}",
        "contoso.azurecr.io",
        "app",
        "v2",
        D,
        f"contoso.azurecr.io/app:v2@{D}",
    ),
    (f"nginx@{D}", "docker.io", "library/nginx", None, D, f"docker.io/library/nginx@{D}"),
    (f"quay.io/a/b@{D512}", "quay.io", "a/b", None, D512, None),
    ("a/b.c_d__e-f---g:TAG_.-x", "docker.io", "a/b.c_d__e-f---g", "TAG_.-x", None, None),
    ("ghcr.io/o/r/deep/path:_t", "ghcr.io", "o/r/deep/path", "_t", None, None),
    ("x:" + "a" * 128, "docker.io", "library/x", "a" * 128, None, None),
    ("mcr.microsoft.com", "docker.io", "library/mcr.microsoft.com", "latest", None, None),
]


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest", "canonical"), VALID)
def test_valid_references(text, registry, repository, tag, digest, canonical):
    ref = parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    if canonical:
        assert str(ref) == canonical
    # The canonical form parses back to the same reference.
    assert parse_reference(str(ref)) == ref


INVALID = [
    ("", "empty"),
    ("https://mcr.microsoft.com/windows/servercore", "scheme"),
    ("oci://x/y", "scheme"),
    ("nginx latest", "whitespace"),
    (" nginx", "whitespace"),
    ("nginx\n", "whitespace"),
    ("ngi\x00nx", "control"),
    ("Nginx", "lowercase"),
    ("mcr.microsoft.com/Windows/servercore", "lowercase"),
    ("mcr.microsoft.com/windows//servercore", "path component"),
    ("mcr.microsoft.com/", "path component"),
    ("a/-b", "path component"),
    ("a/b_", "path component"),
    ("a/b___c", "path component"),
    ("a/b..c", "path component"),
    ("nginx:", "tag"),
    ("nginx:-x", "tag"),
    ("nginx:.x", "tag"),
    ("nginx:" + "a" * 129, "tag"),
    ("nginx:a+b", "tag"),
    ("nginx@sha256:1234", "digest"),
    ("nginx@sha256:" + "A" * 64, "digest"),
    ("nginx@sha256:" + "0" * 63, "digest"),
    ("nginx@md5:" + "0" * 32, "digest"),
    ("nginx@", "digest"),
    (f"nginx@{D}@{D}", "digest"),
    ("my_host:5000/app", "registry"),
    ("-bad.example.com/app", "registry"),
    ("host.example.com:99999/app", "port"),
    (":tag", "repository"),
    ("a" * 250 + "/bcdef", "255"),
]


@pytest.mark.parametrize(("text", "says"), INVALID)
def test_invalid_references(text, says):
    with pytest.raises(InvalidReference) as caught:
        parse_reference(text)
    assert says in str(caught.value).lower()


def test_name_length_limit_is_inclusive():
    repo = "a" * 251  # "x.io/" + 251 = 256 characters
    with pytest.raises(InvalidReference):
        parse_reference(f"x.io/{repo}")
    assert parse_reference(f"x.io/{repo[:-1]}").repository == repo[:-1]


@pytest.mark.parametrize(
    ("registry", "endpoint"),
    [
        ("docker.io", "registry-1.docker.io"),
        ("mcr.microsoft.com", "mcr.microsoft.com"),
        ("127.0.0.1:5000", "127.0.0.1:5000"),
    ],
)
def test_endpoint(registry, endpoint):
    assert ImageReference(registry, "a/b", "t", None).endpoint == endpoint


@pytest.mark.parametrize(
    ("text", "reference"),
    [("nginx", "latest"), ("nginx:1", "1"), (f"nginx@{D}", D), (f"nginx:1@{D}", D)],
)
def test_reference_asks_for_the_digest_first(text, reference):
    assert parse_reference(text).reference == reference


def test_reference_is_frozen_and_hashable():
    ref = parse_reference("nginx")
    with pytest.raises(AttributeError):
        ref.tag = "x"  # type: ignore[misc]
    assert {ref, parse_reference("docker.io/library/nginx:latest")} == {ref}


@pytest.mark.parametrize(
    ("digest", "valid"),
    [
        (D, True),
        (D512, True),
        ("sha384:" + "a" * 96, True),
        ("sha256:" + "a" * 65, False),
        ("sha512:" + "a" * 64, False),
        ("SHA256:" + "a" * 64, False),
        ("sha256" + "a" * 64, False),
        ("sha256:../../etc", False),
    ],
)
def test_is_valid_digest(digest, valid):
    assert is_valid_digest(digest) is valid
