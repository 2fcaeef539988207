"""Replaying rendered answers: a repeated GET skips the resolver and stays truthful."""

from __future__ import annotations

import pytest
from helpers import DOCKER_LIST, FakeClock

from service.app import create_app
from service.cache.resolver import Resolution
from service.compat.image import Platform, ResolvedImage
from service.config import Config
from service.registry.errors import RegistryUnavailable

DIGEST = "sha256:" + "a" * 64
IMAGE = ResolvedImage(
    "mcr.microsoft.com/windows/servercore:ltsc2022",
    DIGEST,
    DOCKER_LIST,
    (Platform("windows", "amd64", "10.0.20348.2113", "sha256:" + "b" * 64),),
)
URL = "/compat?image=mcr.microsoft.com/windows/servercore:ltsc2022&host=10.0.20348.2700"


class CountingResolver:
    """Answers like the real resolver on a cache miss, and counts the calls."""

    def __init__(self, max_age: int = 300, status: str = "miss") -> None:
        self.calls, self.max_age, self.status = 0, max_age, status

    def resolve(self, ref):
        self.calls += 1
        return Resolution(IMAGE, self.status, 0, self.max_age, ())

    def ready(self) -> bool:
        return True


@pytest.fixture
def setup():
    resolver, clock = CountingResolver(), FakeClock()
    app = create_app(Config(), resolver=resolver, clock=clock)
    return app.test_client(), resolver, clock


def test_repeat_is_replayed_with_a_growing_age_until_the_answer_expires(setup):
    client, resolver, clock = setup
    first = client.get(URL)
    assert first.json["cache"] == {"status": "miss", "age_seconds": 0}
    clock.advance(42)
    again = client.get(URL)
    assert resolver.calls == 1
    assert again.json["cache"] == {"status": "hit", "age_seconds": 42}
    assert {k: v for k, v in again.json.items() if k != "cache"} == {
        k: v for k, v in first.json.items() if k != "cache"
    }
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "max-age=258"
    clock.advance(300)
    client.get(URL)
    assert resolver.calls == 2  # the tag's life is over: ask the resolver again


def test_replay_negotiates_and_validates(setup):
    client, resolver, _ = setup
    json_etag = client.get(URL).headers["ETag"]
    text = client.get(URL, headers={"Accept": "text/plain"})
    assert text.mimetype == "text/plain" and text.data.decode().startswith("Yes: ")
    assert text.headers["ETag"] != json_etag
    assert client.get(URL, headers={"If-None-Match": json_etag}).status_code == 304
    assert resolver.calls == 1


def test_stale_answers_and_posts_are_never_replayed():
    resolver = CountingResolver(max_age=0, status="stale")
    client = create_app(Config(), resolver=resolver).test_client()
    client.get(URL)
    client.get(URL)
    assert resolver.calls == 2
    fresh = CountingResolver()
    client = create_app(Config(), resolver=fresh).test_client()
    question = {"image": IMAGE.reference, "host": "10.0.20348.2700"}
    client.post("/compat", json=question)
    client.post("/compat", json=question)
    assert fresh.calls == 2


class FailingOnce(CountingResolver):
    """The registry fails the first question, then answers."""

    def resolve(self, ref):
        if self.calls == 0:
            self.calls += 1
            raise RegistryUnavailable("mcr.microsoft.com answered 503")
        return super().resolve(ref)


def test_errors_are_not_replayed():
    resolver = FailingOnce()
    client = create_app(Config(), resolver=resolver).test_client()
    first = client.get(URL)
    assert first.status_code == 502 and first.json["type"] == "/problems/registry-unavailable"
    again = client.get(URL)  # a replayed error would be the 502 again
    assert again.status_code == 200 and again.json["cache"]["status"] == "miss"
    assert resolver.calls == 2
