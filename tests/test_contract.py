"""The response schema is the contract: what /compat sends is what CompatResponseSchema
declares, field for field and in order, and the OpenAPI example is a real answer."""

from __future__ import annotations

import marshmallow as ma
import pytest
from test_answers import URL, CountingResolver

from service.api.examples import COMPAT_EXAMPLE, EXAMPLE_QUESTION
from service.api.schemas import CompatResponseSchema, ReleaseSchema
from service.app import create_app
from service.compat import catalog
from service.config import Config


def declared(schema: ma.Schema) -> dict:
    """Field names in declared order; nested schemas as nested dicts."""
    shape: dict = {}
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, ma.fields.List) else field
        shape[name] = declared(inner.schema) if isinstance(inner, ma.fields.Nested) else None
    return shape


def sent(value: object, like: dict | None) -> object:
    """The same picture of a body: keys in their order, nested objects (first list item); a
    null object (allowed where the schema says so) stands for its declared shape."""
    if like is None:
        return None
    if value is None:
        return like
    if isinstance(value, list):
        return sent(value[0], like) if value else like  # an empty list shows no items
    assert isinstance(value, dict), value
    return {key: sent(value[key], like.get(key)) for key in value}


@pytest.fixture
def client():
    return create_app(Config(), resolver=CountingResolver()).test_client()


QUESTIONS = {
    "image": URL,
    "version": "/compat?image_version=10.0.17763.5329&host=10.0.20348.2700",
    "linux-host-text": "/compat?image_version=ltsc2022&host=Windows%20Server%202025",
}


@pytest.mark.parametrize("url", QUESTIONS.values(), ids=QUESTIONS.keys())
def test_bodies_have_exactly_the_schemas_fields_in_its_order(client, url):
    shape = declared(CompatResponseSchema())
    for _ in range(2):  # served, then replayed
        body = client.get(url).json
        assert list(body) == list(shape)
        assert sent(body, shape) == shape


def test_post_answers_like_get(client):
    question = {"image": EXAMPLE_QUESTION["image"], "host": EXAMPLE_QUESTION["host"]}
    posted = client.post("/compat", json=question).json
    got = client.get("/compat", query_string=question).json
    assert posted == {**got, "cache": posted["cache"]}


def test_the_openapi_example_is_a_valid_answer_in_the_schemas_shape(client):
    shape = declared(CompatResponseSchema())
    assert CompatResponseSchema().validate(COMPAT_EXAMPLE) == {}
    assert sent(COMPAT_EXAMPLE, shape) == shape
    served = client.get("/openapi.json").json["paths"]["/compat"]["get"]["responses"]["200"]
    assert served["content"]["application/json"]["example"] == COMPAT_EXAMPLE
    assert served["content"]["text/plain"]["example"] == COMPAT_EXAMPLE["summary"] + "\n"


def test_versions_is_the_catalog_through_its_schema(client):
    response = client.get("/versions")
    releases = response.json["releases"]
    assert [r["build"] for r in releases] == [r.build for r in catalog.RELEASES]
    assert {tuple(r) for r in releases} == {tuple(ReleaseSchema().fields)}
    assert response.headers["Cache-Control"] == "max-age=86400"
