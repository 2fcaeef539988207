"""The badge, CORS, offline /docs assets and the page, through the Flask test client."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.app import create_app
from service.config import Config
from service.web import badge

# No registry may be contacted: every image question is refused before any I/O.
OFFLINE = Config(allowed_registries=(), insecure_registries=())

SVG = "{http://www.w3.org/2000/svg}"
PORTAL = "https://portal.example"


@pytest.fixture(scope="module")
def client():
    return create_app(OFFLINE).test_client()


BADGES = [
    ("image_version=ltsc2022&host=10.0.20348.2700", "process ✓", "process"),
    ("image_version=ltsc2019&host=10.0.20348.2700", "hyper-v only", "hyperv"),
    (
        "image_version=ltsc2019&host=10.0.20348.2700&isolation=process",
        "✗ 17763≠20348",
        "unsupported",
    ),
    ("image_version=ltsc2022&host=10.0.17763.6054", "✗ 20348≠17763", "unsupported"),
    ("image_version=14393.5&host=14393&isolation=process", "unknown", "unknown"),
]


@pytest.mark.parametrize(
    ("query", "message", "kind"), BADGES, ids=[b[2] + b[0][:25] for b in BADGES]
)
def test_badge_says_the_verdict_in_its_colour(client, query, message, kind):
    r = client.get(f"/badge.svg?{query}")
    assert r.status_code == 200 and r.content_type == "image/svg+xml; charset=utf-8"
    root = ET.fromstring(r.data)  # an XML parser: the badge is well-formed SVG
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == f"windows compat: {message}"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["windows compat", message]
    fills = [rect.get("fill") for rect in root.iter(f"{SVG}rect")]
    assert badge.COLOURS[kind] in fills
    assert r.headers["Cache-Control"] == "max-age=3600"  # as the answer's
    assert "X-Problem-Type" not in r.headers


def _answer(process: str, hyperv: str, image: int = 17763, host: int = 20348) -> dict:
    isolation = {"process": {"verdict": process}, "hyperv": {"verdict": hyperv}}
    return {"isolation": isolation, "image": {"build": image}, "host": {"build": host}}


FOR_ANSWER = [
    (_answer("supported", "supported"), ("process", "hyperv"), "process ✓"),
    (_answer("unsupported", "supported"), ("process", "hyperv"), "hyper-v only"),
    (_answer("supported", "supported"), ("hyperv",), "hyper-v only"),
    (_answer("unsupported", "preview"), ("process", "hyperv"), "preview"),
    (_answer("unknown", "unsupported"), ("process", "hyperv"), "unknown"),
    (_answer("unsupported", "unsupported", 20348, 17763), ("process", "hyperv"), "✗ 20348≠17763"),
    (_answer("unsupported", "unsupported", 14393, 14393), ("process", "hyperv"), "✗ unsupported"),
]


@pytest.mark.parametrize(
    ("answer", "modes", "message"),
    FOR_ANSWER,
    ids=[f[2] + "-" + "+".join(f[1]) for f in FOR_ANSWER],
)
def test_badge_message_table(answer, modes, message):
    assert badge.for_answer(answer, modes).message == message


def test_badge_colours_differ_per_verdict():
    assert len({badge.COLOURS[k] for k in ("process", "hyperv", "unsupported", "unknown")}) == 4


ERRORS = [
    ("host=ltsc2022", "/problems/invalid-request", "invalid question"),
    ("image_version=banana&host=ltsc2022", "/problems/invalid-request", "invalid question"),
    (
        "image=example.com/x:y&host=ltsc2022",
        "/problems/registry-not-allowed",
        "registry not allowed",
    ),
    (
        "image_version=ltsc2022&host=ltsc2022&isolation=both",
        "/problems/invalid-request",
        "invalid question",
    ),
]


@pytest.mark.parametrize(
    ("query", "kind", "message"), ERRORS, ids=[e[1][10:] + e[0][:12] for e in ERRORS]
)
def test_badge_errors_are_grey_200_with_the_problem_type(client, query, kind, message):
    r = client.get(f"/badge.svg?{query}")
    assert r.status_code == 200
    assert r.headers["X-Problem-Type"] == kind
    root = ET.fromstring(r.data)
    assert root.find(f"{SVG}title").text.endswith(message)
    assert badge.COLOURS["error"] in [rect.get("fill") for rect in root.iter(f"{SVG}rect")]


def test_badge_label_is_escaped_and_bounded(client):
    label = '<b>"x"&' + "y" * 100
    r = client.get(
        "/badge.svg", query_string={"image_version": "ltsc2022", "host": "ltsc2022", "label": label}
    )
    root = ET.fromstring(r.data)
    assert root.find(f"{SVG}title").text == f"{label[:40]}: process ✓"
    assert root.get("aria-label") == f"{label[:40]}: process ✓"


def test_docs_assets_are_served_locally(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "cdn" not in page and "http" not in page.split("<script>")[0]
    assert '"validatorUrl": null' in page  # no call to validator.swagger.io either
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f'"docs/assets/{asset}"' in page
        r = client.get(f"/docs/assets/{asset}")
        assert r.status_code == 200 and len(r.data) > 1000
    assert client.get("/docs/assets/../../../etc/passwd").status_code == 404


@pytest.fixture(scope="module")
def cors():
    config = Config(cors_origins=(PORTAL, "https://other.example"))
    return create_app(config).test_client()


def test_cors_allowed_origin_gets_the_headers(cors):
    r = cors.get("/compat?image_version=ltsc2022&host=ltsc2022", headers={"Origin": PORTAL})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == PORTAL
    exposed = {h.strip() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {"ETag", "Retry-After", "X-Request-ID"}
    assert "Origin" in r.headers["Vary"]


def test_cors_refused_origin_gets_none(cors):
    r = cors.get(
        "/compat?image_version=ltsc2022&host=ltsc2022", headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers


def test_cors_preflight(cors):
    r = cors.options(
        "/compat",
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, If-None-Match",
        },
    )
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == PORTAL
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {"content-type", "if-none-match"}


def test_cors_is_off_by_default(client):
    r = client.get("/compat?image_version=ltsc2022&host=ltsc2022", headers={"Origin": PORTAL})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_cors_star_from_the_environment():
    config = Config.from_env({"WINCOMPAT_CORS_ORIGINS": "*"})
    r = create_app(config).test_client().get("/healthz", headers={"Origin": PORTAL})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_page_without_a_question_is_the_form(client):
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.content_type.startswith("text/html")
    for field in ("q", "image", "image_version", "host", "host_type", "isolation"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert 'id="answer-title"' not in html
    assert "http://" not in html and "https://" not in html  # nothing from elsewhere


def test_page_deep_link_renders_the_answer(client):
    r = client.get("/?image_version=10.0.17763.5329&host=10.0.20348.2700")
    html = r.get_data(as_text=True)
    assert "Yes, with Hyper-V isolation only" in html
    assert "✗</span> Does not run" in html and "✓</span> Runs" in html
    assert "FROM mcr.microsoft.com/windows/servercore:ltsc2022" in html
    assert "node.kubernetes.io/windows-build: &#34;10.0.17763&#34;" in html
    assert 'href="/?image_version=10.0.17763.5329&amp;host=10.0.20348.2700"' in html


def test_page_posts_and_marks_a_bad_field(client):
    r = client.post("/", data={"image_version": "ltsc2022", "host": "banana"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'aria-invalid="true" aria-describedby="host-error"' in html
    assert "&#39;banana&#39; is not a Windows version" in html


@pytest.mark.parametrize("accept", ["text/plain", "application/json", "*/*"], ids=str)
def test_page_and_badge_whatever_the_client_accepts(client, accept):
    headers = {"Accept": accept}
    page = client.get("/?host=banana&image_version=ltsc2022", headers=headers)
    assert page.status_code == 422 and "is not a Windows version" in page.get_data(as_text=True)
    svg = client.get("/badge.svg?host=ltsc2022&image=example.com/x", headers=headers)
    assert (
        svg.status_code == 200 and svg.headers["X-Problem-Type"] == "/problems/registry-not-allowed"
    )


TEXT = st.text(max_size=200)
FORM = st.fixed_dictionaries(
    {},
    optional={
        k: TEXT for k in ("image", "image_version", "host", "host_type", "isolation", "q", "label")
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(FORM)
def test_no_input_breaks_the_page_the_badge_or_q(client, fields):
    fields = {
        k: v for k, v in fields.items() if not k.startswith("image") or "/" not in v
    }  # no I/O
    page = client.get("/", query_string=fields)
    assert page.status_code in (200, 400, 422), page.data[:300]
    svg = client.get("/badge.svg", query_string=fields)
    assert svg.status_code == 200
    ET.fromstring(svg.data)
    compat = client.get("/compat", query_string={"q": fields.get("q", "") or "x"})
    assert compat.status_code in (200, 422), compat.data[:300]


def test_page_answers_a_question_in_words(client):
    q = "will ltsc2019 run on Windows Server 2022?"
    html = client.get("/", query_string={"q": q}).get_data(as_text=True)
    assert "Yes, with Hyper-V isolation only" in html
    missing = client.get("/", query_string={"q": "will ltsc2019 run?"})
    assert missing.status_code == 422
    assert 'id="q-error">Add the host' in missing.get_data(as_text=True)
