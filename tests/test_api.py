"""/compat and friends through the Flask test client: contract, errors, caching headers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api.schemas import CompatResponseSchema, ProblemSchema
from service.app import MAX_BODY, create_app
from service.cli import spec_text
from service.config import Config

ROOT = Path(__file__).resolve().parents[1]


class NoRegistry:
    """Version questions must never reach the resolver; image questions here fail loudly."""

    def __init__(self):
        self.calls = 0

    def resolve(self, ref):
        self.calls += 1
        raise AssertionError(f"unexpected registry resolution of {ref}")

    def ready(self):
        return True


@pytest.fixture(scope="module")
def resolver():
    return NoRegistry()


@pytest.fixture(scope="module")
def client(resolver):
    return create_app(Config(), resolver=resolver).test_client()


def _problem(response, status, kind="invalid-request"):
    assert response.status_code == status, response.data
    assert response.content_type == "application/problem+json"
    body = response.get_json(force=True)
    assert ProblemSchema().validate(body) == {}
    assert body["type"] == (f"/problems/{kind}" if kind else "about:blank")
    assert body["status"] == status
    return body


def test_public_vectors_over_http(client, public_vectors):
    for case in public_vectors:
        query = {"image_version": case["image"], "host": case["host"]}
        query["host_type"] = case["host_kind"]
        r = client.get("/compat", query_string=query)
        assert r.status_code == 200, r.data
        verdict = r.json["isolation"][case["isolation"]]["verdict"]
        assert verdict == case["expected"], (case, r.json["isolation"])


def test_answer_shape_matches_the_documented_schema(client):
    r = client.get("/compat?image_version=10.0.17763.5329&host=10.0.20348.2700")
    body = r.json
    assert CompatResponseSchema().validate(body) == {}
    assert body["compatible"] is True
    assert body["recommended_isolation"] == "hyperv"
    assert body["host"] == {
        "os_version": "10.0.20348.2700",
        "build": 20348,
        "revision": 2700,
        "release": "Windows Server 2022",
        "type": "server",
    }
    assert body["image"]["digest"] is None and body["image"]["release"] == "Windows Server 2019"
    assert body["remedies"][0] == {
        "action": "rebuild",
        "detail": "FROM mcr.microsoft.com/windows/servercore:ltsc2022",
        "fields": {
            "tag": "ltsc2022",
            "base_image": "mcr.microsoft.com/windows/servercore:ltsc2022",
            "process": "supported",
        },
    }
    assert body["cache"] is None


def test_post_takes_the_same_fields_as_json(client):
    question = {"image_version": "10.0.20348.1", "host": "10.0.22631.4751", "host_type": "client"}
    r = client.post("/compat", json=question)
    assert r.status_code == 200
    assert r.json["isolation"]["process"]["verdict"] == "preview"
    get = client.get("/compat", query_string=question)
    assert get.json == r.json


def test_text_plain_returns_just_the_summary(client):
    r = client.get(
        "/compat?image_version=ltsc2022&host=10.0.17763.5329", headers={"Accept": "text/plain"}
    )
    assert r.status_code == 200 and r.mimetype == "text/plain"
    text = r.get_data(as_text=True)
    assert text.startswith("No: image 10.0.20348 (Windows Server 2022) does not run on host")
    assert text.count("\n") == 1


def test_etag_and_304(client):
    url = "/compat?image_version=10.0.20348.1&host=10.0.20348.2"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] in ("max-age=3600", "max-age=3599")
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(url, headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200
    text = client.get(url, headers={"Accept": "text/plain"})
    assert text.headers["ETag"] != etag  # another representation, another tag


BAD_QUESTIONS = [
    ({"image_version": "10.0.17763.1"}, "host"),
    ({"host": "10.0.17763.1"}, "image"),
    ({"host": "10.0.17763.1", "image": "nginx", "image_version": "10.0.17763.1"}, "image"),
    ({"host": "windows/amd64", "image_version": "10.0.17763.1"}, "host"),
    ({"host": "hyperv", "image_version": "10.0.17763.1"}, "host"),
    ({"host": "10.0.17763.1", "image_version": "banana"}, "image_version"),
    ({"host": "10.0.17763.1", "image_version": "win11-23h2"}, "image_version"),
    ({"host": "10.0.17763.1", "image_version": "10.0.17763.1", "host_type": "laptop"}, "host_type"),
    ({"host": "10.0.17763.1", "image_version": "10.0.17763.1", "arch": "mips"}, "arch"),
    ({"host": "x" * 5000, "image_version": "10.0.17763.1"}, "host"),
    ({"host": "10.0.17763.1", "image": "UPPER/Case"}, "image"),
    ({"host": "10.0.17763.1", "image": "nginx@sha256:abc"}, "image"),
    ({"host": "10.0.17763.1", "image": "https://mcr.microsoft.com/windows"}, "image"),
]


@pytest.mark.parametrize(("query", "field"), BAD_QUESTIONS)
def test_bad_questions_are_422_naming_the_field(client, resolver, query, field):
    before = resolver.calls
    body = _problem(client.get("/compat", query_string=query), 422)
    assert field in body["errors"]
    assert resolver.calls == before  # nothing was sent anywhere


def test_malformed_json_body_is_400(client):
    body = _problem(client.post("/compat", data="{oops", content_type="application/json"), 400)
    assert body["errors"]


def test_oversized_body_is_413_and_closes_the_connection(client):
    huge = json.dumps({"host": "1" * (MAX_BODY + 1), "image_version": "10.0.17763.1"})
    r = client.post("/compat", data=huge, content_type="application/json")
    _problem(r, 413)
    assert r.headers["Connection"] == "close"


def test_unknown_path_and_wrong_method_are_problems(client):
    _problem(client.get("/nowhere"), 404, kind=None)
    r = client.delete("/compat")
    _problem(r, 405, kind=None)
    assert "GET" in r.headers["Allow"]


def test_versions_lists_the_catalog(client):
    releases = client.get("/versions").json["releases"]
    ws2022 = next(r for r in releases if r["build"] == 20348)
    assert ws2022["tags"] == ["ltsc2022"] and ws2022["support_end"] == "2031-10-14"
    assert {r["kind"] for r in releases if r["build"] == 26100} == {"server", "client"}


def test_health_ready_metrics(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["cache"] == "ok"
    client.get("/compat?image_version=10.0.20348.1&host=10.0.20348.2")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'wincompat_http_requests_total{endpoint="/compat",method="GET",status="200"}' in text


def test_junk_methods_do_not_grow_metric_labels(client):
    for i in range(5):
        assert client.open("/compat", method=f"JUNK{i}").status_code == 405
    text = client.get("/metrics").get_data(as_text=True)
    assert "JUNK" not in text and 'method="OTHER",status="405"' in text


def test_request_id_is_echoed_or_made(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made.headers["X-Request-ID"]) == 32


def test_committed_openapi_equals_the_served_one(client):
    committed = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    assert client.get("/openapi.json").json == committed
    assert json.loads(spec_text()) == committed, "run `wincompat openapi` and commit the result"
    assert client.get("/docs").status_code == 200


def test_committed_openapi_is_a_valid_openapi_document():
    from openapi_spec_validator import validate

    validate(json.loads((ROOT / "openapi" / "openapi.json").read_text()))


def test_openapi_documents_every_problem_type(client):
    spec = client.get("/openapi.json").json
    responses = spec["paths"]["/compat"]["get"]["responses"]
    kinds = set()
    for code, response in responses.items():
        if code != "200":
            examples = response["content"]["application/problem+json"]["examples"]
            kinds |= set(examples)
    assert kinds == {
        "invalid-request",
        "image-not-found",
        "registry-not-allowed",
        "registry-auth",
        "registry-rate-limited",
        "registry-unavailable",
        "registry-timeout",
        "unauthorized",
        "too-many-requests",
        "request-timeout",
    }
    assert "text/plain" in responses["200"]["content"]


text = st.text(max_size=300)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "host": text,
        "image_version": text,
        "image": text,
        "host_type": text,
        "arch": text,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=FIELDS)
def test_random_input_never_gives_a_500(query):
    app = _fuzz_app()
    client = app.test_client()
    query.pop("image", None)  # image questions need a registry: covered in test_api_images
    for response in (
        client.get("/compat", query_string=query),
        client.post("/compat", json=query),
    ):
        assert response.status_code in (200, 400, 413, 422), response.data
        if response.status_code != 200:
            assert response.content_type == "application/problem+json"


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200))
def test_random_bodies_never_give_a_500(body):
    r = _fuzz_app().test_client().post("/compat", data=body, content_type="application/json")
    assert r.status_code in (200, 400, 422), r.data


_APP = {}


def _fuzz_app():
    if "app" not in _APP:
        _APP["app"] = create_app(Config(), resolver=NoRegistry())
    return _APP["app"]
