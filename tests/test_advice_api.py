"""GET/POST /advice against the real registry loaded with MCR-shaped tag sets (mcr_tags.py)."""

from __future__ import annotations

import pytest
from mcr_tags import SERVERCORE_20348, load_dotnet, load_servercore
from paging_front import PagingFront
from registry_harness import config_for

from service.app import create_app
from service.cache.resolver import Resolver
from service.registry.client import RegistryClient
from service.registry.tags import TagBounds

PAGE = 10  # tags per tags/list page: the servercore set spans several pages


@pytest.fixture(scope="module")
def front(registry):
    """The real registry behind a front that pages tags/list (paging_front.py says why)."""
    paging = PagingFront(registry.url)
    yield paging
    paging.close()


@pytest.fixture(scope="module")
def servercore(registry, front):
    return load_servercore(registry, front.host)


@pytest.fixture(scope="module")
def dotnet(registry, front):
    return load_dotnet(registry, front.host)


def _app(server, **bounds):
    """An app whose registry client reads tag lists in pages of PAGE (or as given)."""
    config = config_for(server)
    tags = TagBounds(**{"page_size": PAGE, **bounds})
    return create_app(config, resolver=Resolver(RegistryClient(config, tag_bounds=tags), config))


@pytest.fixture()
def client(front):
    front.refuse_tags = False
    return _app(front).test_client()


def _advice(client, repository, *hosts, **params):
    query = [("repository", repository), *(("host", h) for h in hosts), *params.items()]
    return client.get("/advice", query_string=query)


def test_pagination_reads_every_tag(client, front, servercore):
    before = len(front.pages)
    body = _advice(client, servercore.reference, "10.0.20348.2700").get_json()
    assert body["tag_count"] == len(servercore.tags) > 3 * PAGE
    assert sorted(t["tag"] for t in body["tags"]) == sorted(servercore.tags)
    pages = front.pages[before:]
    assert len(pages) == -(-len(servercore.tags) // PAGE)  # ceil: one request per page
    assert pages[0] == f"n={PAGE}" and all("last=" in q for q in pages[1:])
    assert body["truncated"] is False


def test_tag_list_is_cached_like_tags(client, front, servercore):
    _advice(client, servercore.reference, "10.0.20348.2700")
    before = len(front.pages)
    body = _advice(client, servercore.reference, "10.0.17763.7314").get_json()
    assert len(front.pages) == before
    assert body["cache"]["status"] == "hit"


def test_ws2022_host_gets_lagging_floating_and_pinned_tag(client, servercore):
    body = _advice(client, servercore.reference, "10.0.20348.2700").get_json()
    assert body["floating"]["tag"] == "ltsc2022"
    assert body["floating"]["os_version"] == "10.0.20348.2762"
    assert body["floating"]["digest"] == servercore.images["10.0.20348.2762"].digest
    assert body["pinned"] == {
        "tag": "10.0.20348.2700",
        "os_version": "10.0.20348.2700",
        "digest": None,
    }
    # ltsc2022 (2762) is newer than the host (2700): build on the pinned tag instead.
    assert body["dockerfile"] == f"FROM {servercore.reference}:10.0.20348.2700"
    newest = f"10.0.20348.{max(SERVERCORE_20348)}"
    assert any("older than the newest pinned tag" in w and newest in w for w in body["warnings"])
    assert any("newer than host 10.0.20348.2700" in w for w in body["warnings"])


def test_host_at_floating_revision_builds_on_floating_tag(client, servercore):
    body = _advice(client, servercore.reference, "10.0.20348.2849").get_json()
    assert body["dockerfile"] == f"FROM {servercore.reference}:ltsc2022"
    assert body["pinned"]["tag"] == "10.0.20348.2849"
    assert not any("newer than host" in w for w in body["warnings"])


@pytest.mark.parametrize(
    ("kind", "tag", "build", "revision", "kb"),
    [
        ("floating", "ltsc2022", 20348, None, None),
        ("floating", "ltsc2022-amd64", 20348, None, None),
        ("pinned", "10.0.20348.2582-amd64", 20348, 2582, None),
        ("kb", "ltsc2022-KB5040437", 20348, None, "KB5040437"),
        ("kb", "1809-KB4493509", 17763, None, "KB4493509"),
        ("floating", "20H2", 19042, None, None),
        ("floating", "2009", 19042, None, None),
        ("floating", "2004", 19041, None, None),
        ("unknown", "latest", None, None, None),
    ],
    ids=lambda v: str(v),
)
def test_tag_rows_classify_published_tags(client, servercore, kind, tag, build, revision, kb):
    body = _advice(client, servercore.reference, "10.0.20348.2700").get_json()
    row = next(t for t in body["tags"] if t["tag"] == tag)
    assert (row["kind"], row["build"], row["revision"], row["kb"]) == (kind, build, revision, kb)


def test_kb_pairs_come_from_the_tag_list(client, servercore):
    body = _advice(client, servercore.reference, "10.0.20348.2700").get_json()
    pair = next(p for p in body["kb"] if p["kb"] == "KB5040437")
    assert pair["revision"] == 2582 and pair["pinned_tag"] == "10.0.20348.2582"
    assert pair["digest"] == servercore.images["10.0.20348.2582"].digest


def test_kb_lookup_without_host(client, servercore):
    body = _advice(client, servercore.reference, kb="KB4493509").get_json()
    assert body["kb_lookup"]["revision"] == 437
    assert body["kb_lookup"]["os_version"] == "10.0.17763.437"


def test_kb_as_host_is_422(client, servercore):
    answer = _advice(client, servercore.reference, "KB5040437")
    assert answer.status_code == 422
    assert "kb=KB5040437" in answer.get_json()["errors"]["hosts[0]"][0]


def test_ws2016_needs_exact_revision(client, servercore):
    body = _advice(client, servercore.reference, "10.0.14393.7000").get_json()
    assert body["pinned"] is None
    warning = next(w for w in body["warnings"] if "Windows Server 2016" in w)
    assert "10.0.14393.7000" in warning and "10.0.14393.7159" in warning
    exact = _advice(client, servercore.reference, "10.0.14393.6897").get_json()
    assert exact["pinned"]["tag"] == "10.0.14393.6897"
    assert exact["dockerfile"].endswith(":10.0.14393.6897")


def test_fleet_2022_and_2025_shares_a_ws2022_tag(client, servercore):
    body = _advice(client, servercore.reference, "10.0.20348.2849", "10.0.26100.4061").get_json()
    assert body["floating"]["tag"] == "ltsc2022"
    assert body["pinned"]["tag"] == "10.0.20348.2849"
    row = next(t for t in body["tags"] if t["tag"] == "ltsc2025")
    assert row["runs_on"] == ["10.0.26100.4061"]
    assert body["splits"] == []


def test_fleet_without_common_tag_is_split(client, servercore):
    body = client.post(
        "/advice",
        json={"repository": servercore.reference, "hosts": ["10.0.17763.7314", "10.0.20348.2849"]},
    ).get_json()
    assert body["floating"] is None and body["dockerfile"] is None
    by_build = {s["build"]: s for s in body["splits"]}
    assert by_build[17763]["dockerfile"].endswith(":ltsc2019")
    assert by_build[20348]["pinned"]["tag"] == "10.0.20348.2849"
    assert any("split the deployment" in w for w in body["warnings"])


def test_suffixed_family_keeps_its_prefix(client, dotnet):
    body = _advice(
        client, dotnet.reference + ":4.8-windowsservercore-ltsc2019", "10.0.20348.3932"
    ).get_json()
    assert body["family"] == "4.8-windowsservercore-"
    assert body["floating"] == {
        "tag": "4.8-windowsservercore-ltsc2022",
        "os_version": "10.0.20348.3932",
        "digest": dotnet.images["10.0.20348.3932"].digest,
    }
    dated = next(t for t in body["tags"] if t["tag"] == "4.8-20250610-windowsservercore-ltsc2022")
    assert dated["kind"] == "dated" and dated["family"] == "4.8-windowsservercore-"
    assert next(t for t in body["tags"] if t["tag"] == "4.8")["kind"] == "unknown"


def test_truncated_tag_list_warns(front, servercore):
    body = _advice(
        _app(front, max_tags=25).test_client(), servercore.reference, "10.0.20348.2700"
    ).get_json()
    assert body["truncated"] is True and body["tag_count"] == 25
    assert any("more tags than the 25 read" in w for w in body["warnings"])


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ([("repository", "Not A Repo!"), ("host", "10.0.20348.1")], 422, "repository"),
        (
            [("repository", "mcr.microsoft.com/windows/servercore"), ("host", "banana")],
            422,
            "hosts[0]",
        ),
        ([("repository", "mcr.microsoft.com/windows/servercore")], 422, "host"),
        ([("repository", "evil.example.com/x"), ("host", "10.0.20348.1")], 403, None),
    ],
    ids=["bad-reference", "bad-host", "no-host", "not-allowed"],
)
def test_bad_input_is_a_clear_problem(client, query, status, field):
    answer = client.get("/advice", query_string=query)
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"
    if field:
        assert field in answer.get_json()["errors"]


def test_registry_without_credentials_for_tags_list_is_a_problem(basic_registry):
    repo = basic_registry.new_repo("windows/servercore")
    basic_registry.push_mcr_base(repo, "ltsc2022", "10.0.20348.2762")
    client = create_app(config_for(basic_registry)).test_client()
    answer = _advice(client, f"{basic_registry.host}/{repo}", "10.0.20348.2762")
    assert answer.status_code == 502
    assert "refuse tags/list" in answer.get_json()["detail"]


def test_registry_refusing_tags_list_is_a_problem(client, front, servercore):
    front.refuse_tags = True
    answer = _advice(client, servercore.reference, "10.0.20348.2762")
    assert answer.status_code == 502
    assert answer.mimetype == "application/problem+json"
    assert "tag listing is disabled" in answer.get_json()["detail"]


def test_unknown_repository_is_404(client, front):
    answer = _advice(client, f"{front.host}/nothing/here", "10.0.20348.2762")
    assert answer.status_code == 404
    assert answer.get_json()["detail"].startswith(f"repository {front.host}/nothing/here not")


def test_unknown_tag_given_with_the_repository_is_read_from_its_manifest(client, servercore):
    body = _advice(client, servercore.reference + ":latest", "10.0.20348.2762").get_json()
    assert body["asked"] == {
        "tag": "latest",
        "kind": "unknown",
        "os_version": "10.0.20348.2762",
        "digest": servercore.images["10.0.20348.2762"].digest,
        "runs_on": ["10.0.20348.2762"],
    }
    assert _advice(client, servercore.reference, "10.0.20348.2762").get_json()["asked"] is None


def test_compat_remedy_keeps_a_suffixed_family(client, dotnet):
    image = dotnet.reference + ":4.8-windowsservercore-ltsc2019"
    body = client.get("/compat", query_string={"image": image, "host": "10.0.20348.3932"})
    rebuild = next(r for r in body.get_json()["remedies"] if r["action"] == "rebuild")
    assert rebuild["fields"]["base_image"] == dotnet.reference + ":4.8-windowsservercore-ltsc2022"
    assert "4.8-windowsservercore-ltsc2022" in dotnet.tags  # the tag it names exists
