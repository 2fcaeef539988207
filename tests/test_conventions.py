"""Conventions a client relies on, through the Flask test client: unknown and repeated
parameters, JSON only, problem type pages, /versions validators, isolation=, host pastes."""

from __future__ import annotations

import pytest

from service.api.problems import TYPES
from service.app import create_app
from service.config import Config


class NoRegistry:
    def resolve(self, ref):
        raise AssertionError(f"unexpected registry resolution of {ref}")

    def ready(self):
        return True


@pytest.fixture(scope="module")
def client():
    return create_app(Config(), resolver=NoRegistry()).test_client()


Q = {"image_version": "10.0.17763.5329", "host": "10.0.20348.2700"}


def _errors(response, status=422) -> dict:
    assert response.status_code == status, response.data
    assert response.content_type == "application/problem+json"
    return response.get_json(force=True).get("errors", {})


def test_an_unknown_query_parameter_is_named(client):
    assert "isolaton" in _errors(client.get("/compat", query_string={**Q, "isolaton": "process"}))


def test_an_unknown_json_field_is_named(client):
    assert "hots" in _errors(client.post("/compat", json={**Q, "hots": "x"}))


def test_a_repeated_parameter_is_refused(client):
    r = client.get("/compat?image_version=ltsc2019&host=10.0.20348.1&host=10.0.17763.1")
    assert list(_errors(r)) == ["host"]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(Q, None, id="form"),
        pytest.param(
            '{"host": "10.0.20348.2700", "image_version": "ltsc2019"}', "text/plain", id="text"
        ),
    ],
)
def test_a_body_that_is_not_json_is_415(client, data, content_type):
    r = client.post("/compat", data=data, content_type=content_type)
    assert r.status_code == 415 and r.content_type == "application/problem+json"
    assert "application/json" in r.get_json(force=True)["detail"]


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_every_problem_type_resolves_to_a_page(client, kind):
    r = client.get(f"/problems/{kind}")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert TYPES[kind][1] in r.get_data(as_text=True)
    text = client.get(f"/problems/{kind}", headers={"Accept": "text/plain"})
    assert text.mimetype == "text/plain" and str(TYPES[kind][0]) in text.get_data(as_text=True)


def test_an_unknown_problem_type_is_a_404_problem(client):
    _errors(client.get("/problems/no-such-thing"), 404)


def test_versions_has_an_etag_and_answers_304(client):
    first = client.get("/versions")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag
    again = client.get("/versions", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/versions", headers={"If-None-Match": '"other"'}).status_code == 200


ISOLATION = [
    # host, image, isolation, compatible, recommended, first words
    (
        "10.0.20348.2700",
        "10.0.17763.5329",
        "any",
        True,
        "hyperv",
        "Yes, with Hyper-V isolation only: ",
    ),
    ("10.0.20348.2700", "10.0.17763.5329", "process", False, None, "No: "),
    ("10.0.20348.2700", "10.0.17763.5329", "hyperv", True, "hyperv", "Yes: "),
    ("10.0.20348.2700", "10.0.20348.1", "process", True, "process", "Yes: "),
    ("10.0.20348.2700", "10.0.20348.1", "hyperv", True, "hyperv", "Yes: "),
    ("10.0.17763.5329", "10.0.20348.1", "hyperv", False, None, "No: "),
    ("10.0.14393", "10.0.14393.5", "process", False, None, "Can't tell: "),
    ("10.0.14393", "10.0.14393.5", "any", True, "hyperv", "Yes, with Hyper-V isolation: "),
]


@pytest.mark.parametrize(
    ("host", "image", "isolation", "compatible", "recommended", "start"),
    ISOLATION,
    ids=[f"{r[0]}-{r[1]}-{r[2]}" for r in ISOLATION],
)
def test_isolation_decides_compatible_recommended_and_first_words(
    client, host, image, isolation, compatible, recommended, start
):
    query = {"host": host, "image_version": image, "isolation": isolation}
    body = client.get("/compat", query_string=query).get_json()
    assert body["compatible"] is compatible
    assert body["recommended_isolation"] == recommended
    assert body["summary"].startswith(start), body["summary"]


def test_process_callers_get_no_hyperv_remedy(client):
    body = client.get("/compat", query_string={**Q, "isolation": "process"}).get_json()
    assert "hyperv" not in {r["action"] for r in body["remedies"]}


def test_a_bad_isolation_is_named(client):
    assert "isolation" in _errors(client.get("/compat", query_string={**Q, "isolation": "vm"}))


def test_a_paste_of_several_hosts_is_a_422_pointing_to_the_fleet_endpoint(client, data_dir):
    paste = (data_dir / "pastes" / "kubectl-get-nodes_two-builds.json").read_text()
    r = client.post("/compat", json={"host": paste, "image_version": "ltsc2022"})
    message = _errors(r)["host"][0]
    assert "10.0.17763" in message and "10.0.20348" in message and "/compat/nodes" in message


def test_a_64_kib_paste_is_read_by_post(client, data_dir):
    paste = (data_dir / "pastes" / "kubectl-describe-node_ws2019.txt").read_text()
    paste += "\n" + "\t# padding\n" * ((64 * 1024 - len(paste) - 64) // 11)
    assert len(paste.encode()) > 60_000
    r = client.post("/compat", json={"host": paste, "image_version": "ltsc2019"})
    assert r.status_code == 200, r.data
    assert r.get_json()["host"]["os_version"] == "10.0.17763.8389"


def test_a_nul_inside_a_version_is_a_422(client):
    r = client.get(
        "/compat", query_string={"host": "10.0.20348\x00.2700", "image_version": "ltsc2022"}
    )
    assert "control character" in _errors(r)["host"][0]
