"""Manifest/config parsing and digest checks on real registry responses (tests/data/registry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.compat.image import Platform
from service.registry.errors import RegistryUnavailable, UnsupportedManifest
from service.registry.manifests import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1_SIGNED,
    MANIFEST_ACCEPT,
    OCI_INDEX,
    OCI_MANIFEST,
    ImageManifest,
    Index,
    compute_digest,
    media_type_of,
    parse_config,
    parse_manifest,
    verify_digest,
)

FIXTURES = Path(__file__).resolve().parent / "data" / "registry"
MCR_LIST = "mcr_dotnet-framework-runtime_4.8_2022-01_manifest-list.docker.json"
MCR_MANIFEST = "mcr_dotnet-framework-runtime_4.8_2022-01_win-10.0.20348.473_manifest.docker.json"
MCR_CONFIG = "mcr_dotnet-framework-runtime_4.8_2022-01_win-10.0.20348.473_config.json"
HUB_LIST = "dockerhub_library-hello-world_latest_2022-01_manifest-list.docker.json"
HUB_NANO_MANIFEST = (
    "dockerhub_library-hello-world_nanoserver_win-10.0.17763.1040_manifest.docker.json"
)
HUB_NANO_LIST = "dockerhub_library-hello-world_nanoserver_manifest-list.docker.reformatted.json"
GCR_INDEX = "gcr_k8s-staging-cri-tools_win-test-image-tags_1_index.oci.reformatted.json"

BYTE_EXACT = [
    (MCR_MANIFEST, "sha256:5ec4722ef299457d69a7186d3da503a947584aa1a5bfc0bfc021fe115dc2a76b"),
    (MCR_CONFIG, "sha256:85df02b6f81af17edcf27e6f9e6d771212856d49de6780ef7417d28842670d24"),
    (HUB_LIST, "sha256:975f4b14f326b05db86e16de00144f9c12257553bba9484fed41f9b6f2257800"),
    (HUB_NANO_MANIFEST, "sha256:63c287625c2b0b72900e562de73c0e381472a83b1b39217aef3856cd398eca0b"),
]


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(("name", "digest"), BYTE_EXACT)
def test_byte_exact_fixtures_verify(name, digest):
    verify_digest(raw(name), digest)
    assert compute_digest(raw(name)) == digest


@pytest.mark.parametrize(("name", "digest"), BYTE_EXACT)
def test_a_flipped_byte_fails_verification_naming_both_digests(name, digest):
    body = bytearray(raw(name))
    body[len(body) // 2] ^= 0x01
    with pytest.raises(RegistryUnavailable) as caught:
        verify_digest(bytes(body), digest)
    assert digest in caught.value.detail
    assert compute_digest(bytes(body)) in caught.value.detail


@pytest.mark.parametrize(("name", "digest"), BYTE_EXACT)
def test_reserialised_json_does_not_verify(name, digest):
    """Why we hash raw bytes: the same JSON printed again has another digest."""
    again = json.dumps(json.loads(raw(name))).encode()
    with pytest.raises(RegistryUnavailable):
        verify_digest(again, digest)


def test_verify_digest_other_algorithms_and_bad_digests():
    body = b'{"a":1}'
    verify_digest(body, compute_digest(body, "sha512"))
    with pytest.raises(RegistryUnavailable, match="not a valid digest"):
        verify_digest(body, "sha256:abc")
    with pytest.raises(RegistryUnavailable, match="not a valid digest"):
        verify_digest(body, "md5:" + "0" * 32)


def test_mcr_list_entries():
    index = parse_manifest(raw(MCR_LIST), DOCKER_LIST)
    assert isinstance(index, Index)
    assert index.media_type == DOCKER_LIST
    assert [e.platform.os_version for e in index.entries] == [
        "10.0.14393.4889",
        "10.0.17763.2458",
        "10.0.19042.1469",
        "10.0.20348.473",
    ]
    last = index.entries[-1]
    assert last.platform == Platform(
        os="windows",
        architecture="amd64",
        os_version="10.0.20348.473",
        digest="sha256:5ec4722ef299457d69a7186d3da503a947584aa1a5bfc0bfc021fe115dc2a76b",
    )
    assert last.descriptor.size == 1523
    assert last.descriptor.media_type == DOCKER_MANIFEST
    assert not any(e.attestation for e in index.entries)


def test_mcr_list_entry_digest_matches_its_child_manifest():
    index = parse_manifest(raw(MCR_LIST), DOCKER_LIST)
    assert isinstance(index, Index)
    verify_digest(raw(MCR_MANIFEST), index.entries[-1].descriptor.digest)
    assert len(raw(MCR_MANIFEST)) == index.entries[-1].descriptor.size


def test_docker_hub_list_with_escaped_slashes_and_linux_entries():
    index = parse_manifest(
        raw(HUB_LIST), "application/vnd.docker.distribution.manifest.list.v2+json"
    )
    assert isinstance(index, Index)
    assert len(index.entries) == 11
    windows = [e.platform for e in index.entries if e.platform.is_windows]
    assert [p.os_version for p in windows] == ["10.0.20348.469", "10.0.17763.2452"]
    arm = [e.platform for e in index.entries if e.platform.architecture == "arm"]
    assert [p.variant for p in arm] == ["v5", "v7"]
    assert all(e.descriptor.media_type == DOCKER_MANIFEST for e in index.entries)


def test_reformatted_single_entry_list_parses():
    index = parse_manifest(raw(HUB_NANO_LIST), DOCKER_LIST + "; charset=utf-8")
    assert isinstance(index, Index)
    (entry,) = index.entries
    assert entry.platform.os_version == "10.0.17763.1040"
    verify_digest(raw(HUB_NANO_MANIFEST), entry.descriptor.digest)


def test_oci_index_marks_the_attestation_entry():
    index = parse_manifest(raw(GCR_INDEX), OCI_INDEX)
    assert isinstance(index, Index)
    assert [(e.platform.os, e.attestation) for e in index.entries] == [
        ("windows", False),
        ("unknown", True),
    ]
    assert index.entries[0].platform.os_version == "10.0.20348.4405"


def test_attestation_marked_by_annotation_too():
    doc = json.loads(raw(GCR_INDEX))
    doc["manifests"][1]["platform"] = {"os": "linux", "architecture": "amd64"}
    doc["manifests"][1]["annotations"] = {"vnd.docker.reference.type": "attestation-manifest"}
    index = parse_manifest(json.dumps(doc).encode(), OCI_INDEX)
    assert isinstance(index, Index)
    assert [e.attestation for e in index.entries] == [False, True]


@pytest.mark.parametrize("name", [MCR_MANIFEST, HUB_NANO_MANIFEST])
def test_image_manifest_gives_its_config_descriptor(name):
    manifest = parse_manifest(raw(name), DOCKER_MANIFEST)
    assert isinstance(manifest, ImageManifest)
    assert manifest.config.digest == json.loads(raw(name))["config"]["digest"]
    assert manifest.config.media_type == "application/vnd.docker.container.image.v1+json"


def test_mcr_config_blob():
    config = parse_config(raw(MCR_CONFIG))
    assert (config.os, config.architecture, config.os_version, config.variant) == (
        "windows",
        "amd64",
        "10.0.20348.473",
        None,
    )
    manifest = parse_manifest(raw(MCR_MANIFEST), DOCKER_MANIFEST)
    assert isinstance(manifest, ImageManifest)
    verify_digest(raw(MCR_CONFIG), manifest.config.digest)


def test_config_without_os_version():
    config = parse_config(b'{"os":"linux","architecture":"arm64","variant":"v8"}')
    assert (config.os, config.os_version, config.variant) == ("linux", None, "v8")


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        (None, Index),  # no Content-Type: the body's mediaType decides
        ("application/json", Index),
        ("APPLICATION/VND.DOCKER.DISTRIBUTION.MANIFEST.LIST.V2+JSON", Index),
    ],
)
def test_content_type_fallbacks(content_type, kind):
    assert isinstance(parse_manifest(raw(MCR_LIST), content_type), kind)


def test_oci_bodies_without_media_type_are_recognised_by_shape():
    index = {"schemaVersion": 2, "manifests": []}
    image = {"schemaVersion": 2, "config": json.loads(raw(MCR_MANIFEST))["config"]}
    assert isinstance(parse_manifest(json.dumps(index).encode(), "application/json"), Index)
    parsed = parse_manifest(json.dumps(image).encode(), "")
    assert isinstance(parsed, ImageManifest)
    assert parsed.media_type == OCI_MANIFEST


SCHEMA1 = json.dumps(
    {"schemaVersion": 1, "name": "library/hello-world", "tag": "latest", "fsLayers": []}
).encode()


@pytest.mark.parametrize(
    "content_type",
    [DOCKER_SCHEMA1_SIGNED, "application/vnd.docker.distribution.manifest.v1+json", None],
)
def test_schema1_is_unsupported_with_a_clear_message(content_type):
    with pytest.raises(UnsupportedManifest) as caught:
        parse_manifest(SCHEMA1, content_type)
    assert "schema 1" in caught.value.detail
    assert isinstance(caught.value, RegistryUnavailable)


BAD_BODIES = [
    (b"", DOCKER_LIST),
    (b"<html>502 Bad Gateway</html>", DOCKER_LIST),
    (raw(MCR_LIST)[:700], DOCKER_LIST),  # truncated
    (b"\xff\xfe\x00", DOCKER_LIST),
    (b"[]", DOCKER_LIST),
    (b'"manifest"', DOCKER_LIST),
    (b'{"schemaVersion":2,"mediaType":"x"}', DOCKER_LIST),  # no manifests
    (b'{"manifests":{"a":1}}', DOCKER_LIST),
    (b'{"manifests":[1]}', DOCKER_LIST),
    (b'{"manifests":[{"digest":"sha256:../../x","platform":{"os":"windows"}}]}', OCI_INDEX),
    (b'{"manifests":[{"digest":"' + b"sha256:" + b"a" * 64 + b'","size":-1}]}', OCI_INDEX),
    (b'{"manifests":[{"digest":"sha256:' + b"a" * 64 + b'","platform":{"os":7}}]}', OCI_INDEX),
    (b'{"config":{"digest":"sha256:abc"}}', DOCKER_MANIFEST),
    (b'{"config":null}', DOCKER_MANIFEST),
    (b'{"layers":[]}', DOCKER_MANIFEST),
    (b'{"whatever":true}', "text/html"),
]


@pytest.mark.parametrize(("body", "content_type"), BAD_BODIES)
def test_garbage_is_not_a_valid_manifest(body, content_type):
    with pytest.raises(RegistryUnavailable) as caught:
        parse_manifest(body, content_type)
    assert not isinstance(caught.value, UnsupportedManifest)
    assert "not a valid manifest" in caught.value.detail


def test_unknown_manifest_kind_is_unsupported():
    with pytest.raises(UnsupportedManifest, match="unsupported manifest media type"):
        parse_manifest(b'{"mediaType":"x"}', "application/vnd.oci.artifact.manifest.v1+json")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'{"os":"windows"}',
        b'{"os":1,"architecture":"amd64"}',
        b'{"os":"windows","architecture":"amd64","os.version":10}',
    ],
)
def test_garbage_config(body):
    with pytest.raises(RegistryUnavailable, match="not a valid image config"):
        parse_config(body)


def test_media_type_of_strips_parameters():
    assert media_type_of(" Application/JSON ; charset=utf-8") == "application/json"
    assert media_type_of(None) == ""


def test_accept_header_names_all_four_manifest_types():
    assert set(MANIFEST_ACCEPT.split(", ")) == {
        OCI_INDEX,
        DOCKER_LIST,
        OCI_MANIFEST,
        DOCKER_MANIFEST,
    }
