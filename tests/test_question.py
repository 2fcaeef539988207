"""q=: questions in words, read into /compat's fields (a plain table), and over HTTP."""

from __future__ import annotations

import pytest

from service.app import create_app
from service.config import Config
from service.pastes.question import MAX_QUESTION, Question, missing_sentence, read_question

# No registry may be contacted: every image question is refused before any I/O.
OFFLINE = Config(allowed_registries=(), insecure_registries=())

SERVERCORE = "mcr.microsoft.com/windows/servercore"
VER_2022 = "Microsoft Windows [Version 10.0.20348.2700]"

READS = [
    (
        "will servercore ltsc2019 run on windows server 2022",
        Question(image=f"{SERVERCORE}:ltsc2019", host="windows server 2022"),
    ),
    (
        "can I run mcr.microsoft.com/windows/nanoserver:ltsc2022 on 10.0.17763.6054?",
        Question(image="mcr.microsoft.com/windows/nanoserver:ltsc2022", host="10.0.17763.6054"),
    ),
    (
        f"my host says {VER_2022}; will {SERVERCORE}:ltsc2022 run?",
        Question(image=f"{SERVERCORE}:ltsc2022", host=VER_2022),
    ),
    (
        f"my host says\n\n{VER_2022}\n\ncan I run {SERVERCORE}:ltsc2019",
        Question(image=f"{SERVERCORE}:ltsc2019", host=VER_2022),
    ),
    (
        f"will {SERVERCORE}:ltsc2019 run on Windows Server 2022?",
        Question(image=f"{SERVERCORE}:ltsc2019", host="Windows Server 2022"),
    ),
    (
        "will a 10.0.17763.5329 image run on 10.0.20348.2700?",
        Question(image_version="10.0.17763.5329", host="10.0.20348.2700"),
    ),
    (
        "will ltsc2019 run on windows 11 23h2",
        Question(image_version="ltsc2019", host="windows 11 23h2"),
    ),
    (
        "does contoso.azurecr.io/app@sha256:" + "a" * 64 + " work on ltsc2022",
        Question(image="contoso.azurecr.io/app@sha256:" + "a" * 64, host="ltsc2022"),
    ),
    (
        f"{SERVERCORE}:ltsc2019 host: 10.0.20348.2700",
        Question(image=f"{SERVERCORE}:ltsc2019", host="10.0.20348.2700"),
    ),
    (
        "Will nano server 1809 work on my server? my host says OS Build 17763.6054",
        Question(image="mcr.microsoft.com/windows/nanoserver:1809", host="OS Build 17763.6054"),
    ),
    # Lacking a host: the image is read, the host is missing.
    (f"will {SERVERCORE}:ltsc2022 run?", Question(image=f"{SERVERCORE}:ltsc2022")),
    ("will servercore run on my laptop", Question(image=f"{SERVERCORE}:latest")),
    # Lacking an image.
    ("will it run on windows server 2022?", Question(host="windows server 2022")),
    ("hello", Question()),
]


@pytest.mark.parametrize(("text", "expected"), READS, ids=[t[:40] for t, _ in READS])
def test_reads_the_image_and_host(text, expected):
    assert read_question(text) == expected


MISSING = [
    (Question(image="x/y"), ("host",), "Add the host"),
    (Question(host="ltsc2022"), ("image",), "Name the image"),
    (Question(), ("image", "host"), "Name an image"),
]


@pytest.mark.parametrize(("question", "missing", "start"), MISSING, ids=["host", "image", "both"])
def test_what_is_missing_is_one_sentence(question, missing, start):
    assert question.missing == missing
    sentence = missing_sentence(question)
    assert sentence.startswith(start)
    assert sentence.count(". ") == 0 and sentence.endswith(".")


def test_a_long_question_is_cut_before_reading():
    text = "will a 10.0.17763.5329 image run " + "x" * (2 * MAX_QUESTION) + " on 10.0.20348.1"
    assert read_question(text) == Question()  # the host lies past the cut; the image is too long


@pytest.fixture(scope="module")
def client():
    return create_app(OFFLINE).test_client()


def test_q_answers_like_the_fields(client):
    q = "will a 10.0.17763.5329 image run on 10.0.20348.2700?"
    by_words = client.get("/compat", query_string={"q": q})
    by_fields = client.get("/compat?image_version=10.0.17763.5329&host=10.0.20348.2700")
    assert by_words.status_code == 200, by_words.data
    assert by_words.json["summary"] == by_fields.json["summary"]
    assert by_words.json["recommended_isolation"] == "hyperv"


def test_explicit_fields_win_over_the_question(client):
    q = "will a 10.0.17763.5329 image run on 10.0.20348.2700?"
    r = client.get("/compat", query_string={"q": q, "host": "10.0.17763.6054"})
    assert r.json["host"]["os_version"] == "10.0.17763.6054"
    assert r.json["isolation"]["process"]["verdict"] == "supported"


def test_q_in_plain_text_is_one_paragraph(client):
    q = "will ltsc2019 run on windows server 2022"
    r = client.get("/compat", query_string={"q": q}, headers={"Accept": "text/plain"})
    assert r.content_type.startswith("text/plain")
    assert r.text.startswith("Yes, with Hyper-V isolation only") and r.text.count("\n") == 1


@pytest.mark.parametrize(
    ("q", "field_start"),
    [
        (f"will {SERVERCORE}:ltsc2022 run?", "Add the host"),
        ("will it run on windows server 2022?", "Name the image"),
    ],
    ids=["no-host", "no-image"],
)
def test_a_question_lacking_a_part_gets_the_one_sentence_422(client, q, field_start):
    r = client.get("/compat", query_string={"q": q})
    assert r.status_code == 422
    assert r.content_type == "application/problem+json"
    assert r.json["detail"].startswith(field_start)
    assert r.json["errors"]["q"] == [r.json["detail"]]
    text = client.get("/compat", query_string={"q": q}, headers={"Accept": "text/plain"})
    assert text.status_code == 422 and text.content_type.startswith("text/plain")
    assert text.text == r.json["detail"] + "\n"


def test_q_is_bounded(client):
    r = client.get("/compat", query_string={"q": "x" * 5000})
    assert r.status_code == 422 and "q" in r.json["errors"]
