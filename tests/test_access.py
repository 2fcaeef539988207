"""Service authentication (WINCOMPAT_API_TOKENS), the per-client cold-resolution limit, and
client bodies that used to be 500s; through the app, a real docker-registry and real Redis."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest
from registry_harness import PlatformSpec, config_for

from service.app import create_app
from service.config import Config, ConfigError

TOKEN = "team-token-0123456789abcdef"
HOST = "10.0.20348.2700"


def ask(client, image, **headers):
    return client.get("/compat", query_string={"image": image, "host": HOST}, headers=headers)


@pytest.fixture
def app_for(registry):
    made = []

    def make(**overrides):
        app = create_app(config_for(registry, **overrides))
        made.append(app)
        return app.test_client()

    yield make
    for app in made:
        app.extensions["wincompat"].resolver.close()


@pytest.fixture
def image(registry):
    repo = registry.new_repo("access/app")
    registry.push_image(repo, "v1", [PlatformSpec(os_version="10.0.20348.2113")])
    return f"{registry.host}/{repo}:v1"


# -- 4. authentication ---------------------------------------------------------------------------
def test_authentication_is_off_by_default(app_for, image):
    assert ask(app_for(), image).status_code == 200


def test_a_token_is_needed_when_tokens_are_configured(app_for, image, caplog):
    client = app_for(api_token_hashes=(hashlib.sha256(TOKEN.encode()).hexdigest(),))
    with caplog.at_level(logging.DEBUG):
        missing = ask(client, image)
        wrong = ask(client, image, Authorization="Bearer not-the-token-at-all")
        right = ask(client, image, Authorization=f"Bearer {TOKEN}")
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert missing.json["type"] == "/problems/unauthorized"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "not-the-token-at-all" not in wrong.get_data(as_text=True) + caplog.text
    assert TOKEN not in caplog.text + client.get("/metrics").get_data(as_text=True)
    assert ask(client, image).status_code == 401  # a replayed (cached) answer needs it too


@pytest.mark.parametrize(
    ("public", "path", "status"),
    [
        (None, "/healthz", 200),
        (None, "/readyz", 200),
        (None, "/metrics", 200),
        (None, "/versions", 401),
        (("/healthz",), "/metrics", 401),
        ((), "/healthz", 401),
    ],
    ids=["healthz", "readyz", "metrics", "versions", "metrics-closed", "all-closed"],
)
def test_health_and_metrics_are_configurable_apart(app_for, public, path, status):
    settings = {"api_token_hashes": (hashlib.sha256(TOKEN.encode()).hexdigest(),)}
    if public is not None:
        settings["public_paths"] = public
    assert app_for(**settings).get(path).status_code == status


def test_tokens_from_the_environment_or_a_file_of_digests(tmp_path):
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    listed = Config.from_env({"WINCOMPAT_API_TOKENS": f"{TOKEN}, other-token-0123456789"})
    assert digest in listed.api_token_hashes
    assert TOKEN not in repr(listed)  # only digests are held
    path = tmp_path / "tokens"
    path.write_text(f"# team a\n{digest}\nsha256:{'0' * 64}\n")
    assert Config.from_env({"WINCOMPAT_API_TOKENS": f"@{path}"}).api_token_hashes == (
        digest,
        "0" * 64,
    )
    with pytest.raises(ConfigError, match="16 characters"):
        Config.from_env({"WINCOMPAT_API_TOKENS": "short"})
    path.write_text("not a digest\n")
    with pytest.raises(ConfigError, match="sha256"):
        Config.from_env({"WINCOMPAT_API_TOKENS": f"@{path}"})


# -- 5. per-client limit on cold resolutions -----------------------------------------------------
def _images(registry, n):
    names = []
    for _ in range(n):
        repo = registry.new_repo("access/cold")
        registry.push_image(repo, "v1", [PlatformSpec(os_version="10.0.20348.2113")])
        names.append(f"{registry.host}/{repo}:v1")
    return names


def test_cold_resolutions_are_limited_per_client_and_cached_answers_are_not(registry, app_for):
    first, second, third = _images(registry, 3)
    client = app_for(cold_limit="2/minute")
    assert ask(client, first).status_code == 200
    assert ask(client, second).status_code == 200
    mark = registry.mark()
    refused = ask(client, third)
    assert refused.status_code == 429
    assert refused.json["type"] == "/problems/too-many-requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert registry.request_count(since=mark) == 0  # nothing was sent for it
    for _ in range(5):
        assert ask(client, first).status_code == 200  # cached: not a cold resolution


def test_the_limit_is_per_client(registry, app_for):
    first, second = _images(registry, 2)
    client = app_for(cold_limit="1/minute")
    assert ask(client, first, **{"X-Forwarded-For": "ignored"}).status_code == 200
    other = client.get(
        "/compat",
        query_string={"image": second, "host": HOST},
        environ_overrides={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert other.status_code == 200


def test_replicas_sharing_redis_share_the_limit(registry, redis_db, app_for):
    first, second = _images(registry, 2)
    one = app_for(cold_limit="1/minute", redis_url=redis_db.url)
    two = app_for(cold_limit="1/minute", redis_url=redis_db.url)
    assert ask(one, first).status_code == 200
    assert ask(two, second).status_code == 429


def test_an_unusable_limit_is_a_configuration_error(registry):
    with pytest.raises(ConfigError, match="WINCOMPAT_COLD_LIMIT"):
        create_app(config_for(registry, cold_limit="lots"))


# -- 9. client bodies that used to be 500s ------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 30_000 + b"]" * 30_000,
        b'{"host": ' + b"7" * 5000 + b', "image_version": "10.0.17763.1"}',
        b'{"host": "10.0.20348.1", "image_version": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    ],
    ids=["deep-array", "5000-digit-host", "deep-field"],
)
def test_hostile_json_bodies_are_400_problems(app_for, body):
    answer = app_for().post("/compat", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert "json" in answer.json["errors"]


def test_a_large_integer_host_is_a_422_problem(app_for):
    body = json.dumps({"host": 10**4000, "image_version": "10.0.17763.1"}).encode()
    answer = app_for().post("/compat", data=body, content_type="application/json")
    assert answer.status_code in (400, 422)
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_over_the_limit_an_expired_answer_is_served_stale_instead(registry, app_for):
    first, second = _images(registry, 2)
    client = app_for(cold_limit="2/minute", tag_ttl=0)  # every question asks again
    assert ask(client, first).status_code == 200
    assert ask(client, second).status_code == 200
    again = ask(client, first)  # over the limit, but its expired answer is at hand
    assert again.status_code == 200
    assert again.json["cache"]["status"] == "stale"
    assert any("limit" in w for w in again.json["warnings"])
