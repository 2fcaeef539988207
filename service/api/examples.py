"""Examples for the OpenAPI document: one answer (made by the code that answers) and every
problem type."""

from __future__ import annotations

from datetime import date

from service.api.problems import TYPES
from service.api.schemas import CompatResponseSchema
from service.cache.resolver import Resolution
from service.compat.image import Platform, ResolvedImage
from service.questions.compat import answer

# The answer example is a real answer: a fixed image and date through the same question function
# and response schema as every request, so it cannot drift from what is served.
EXAMPLE_DATE = date(2026, 1, 15)
EXAMPLE_IMAGE = ResolvedImage(
    reference="mcr.microsoft.com/windows/servercore:ltsc2019",
    digest="sha256:4f0b5f1b9bd9d1bd1e8b2cd2e0c8f9a6a7a0a1f6d6f3c4b5a6e7d8c9b0a1f2e3",
    media_type="application/vnd.docker.distribution.manifest.list.v2+json",
    platforms=(
        Platform(
            "windows",
            "amd64",
            "10.0.17763.5329",
            "sha256:0c3f5a3e5d0f4e7b8a9c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708",
        ),
    ),
)
EXAMPLE_QUESTION = {"image": EXAMPLE_IMAGE.reference, "host": "10.0.20348.2700", "arch": "amd64"}


class _Known:
    """A resolver that knows one image, as a cache hit 12 s old."""

    def resolve(self, ref: object) -> Resolution:
        return Resolution(EXAMPLE_IMAGE, "hit", 12, 288)


def example_answer() -> dict:
    found = answer(EXAMPLE_QUESTION, _Known(), lambda _registry: True, today=EXAMPLE_DATE)
    return CompatResponseSchema().dump(found)


COMPAT_EXAMPLE = example_answer()

# What each runtime does with that list (runtimes.md): the containerd matchers refuse a 17763
# entry on a 20348 host; Docker pulls it, and process isolation then fails.
COMPAT_EXAMPLE["image"]["platforms"][0]["os_version_source"] = "index"
_REFUSED = {
    "matches": False,
    "pulls": None,
    "os_version": None,
    "starts": False,
    "isolation": "process",
    "verdict": None,
    "rule": None,
}
COMPAT_EXAMPLE["runtimes"] = {
    "containerd-2.2": {
        **_REFUSED,
        "name": "containerd >= 2.2, hcsshim >= 0.13",
        "detail": "no entry matches 10.0.20348 (images from the newest LTSC older than the host "
        "up to the host build): no match for platform in manifest",
    },
    "containerd-1.7": {
        **_REFUSED,
        "name": "containerd 1.7.6 - 2.1, hcsshim 0.10 - 0.12",
        "detail": "no entry matches 10.0.20348 (images from build 20348 up to the host build): "
        "no match for platform in manifest",
    },
    "containerd-1.6": {
        **_REFUSED,
        "name": "containerd <= 1.7.5",
        "detail": "no entry matches 10.0.20348 (the host's major.minor.build by prefix): no "
        "match for platform in manifest",
    },
    "docker": {
        "name": "Moby / Docker Engine on Windows",
        "matches": True,
        "pulls": COMPAT_EXAMPLE["image"]["platforms"][0]["digest"],
        "os_version": "10.0.17763.5329",
        "starts": False,
        "isolation": "process",
        "detail": COMPAT_EXAMPLE["isolation"]["process"]["reason"],
        "verdict": "unsupported",
        "rule": "different-build",
    },
}

PROBLEM_EXAMPLES = {
    "invalid-request": "'windows/amd64' is not a Windows version. Accepted shapes: ...",
    "image-not-found": "mcr.microsoft.com/windows/servercore:ltsc2030: manifest unknown",
    "registry-not-allowed": "registry example.com is not in WINCOMPAT_ALLOWED_REGISTRIES",
    "registry-auth": "contoso.azurecr.io refused the credentials (401)",
    "registry-rate-limited": "registry-1.docker.io answered 429 Too Many Requests",
    "registry-unavailable": "mcr.microsoft.com answered 503 after 3 attempts",
    "registry-timeout": "mcr.microsoft.com did not answer within 10 s",
    "unauthorized": "This service needs a bearer token (Authorization: Bearer <token>).",
    "too-many-requests": "too many questions that reach a registry from this client",
    "request-timeout": "the request body did not arrive within 5 s",
}


TEXT_EXAMPLE = COMPAT_EXAMPLE["summary"] + "\n"


def problem_docs(*, text: bool = False, json_body: bool = False) -> dict:
    """`responses` for @blp.doc: each problem type of api.md with its status; with `text`,
    the text/plain answer too; with `json_body`, the 415 for a body that is not JSON."""
    responses: dict[str, dict] = {}
    if text:
        plain = {"schema": {"type": "string"}, "example": TEXT_EXAMPLE}
        answer = {"schema": {"$ref": "#/components/schemas/CompatResponse"}}
        answer["example"] = COMPAT_EXAMPLE
        content = {"application/json": answer, "text/plain": plain}
        headers = {
            "ETag": {"description": "Weak validator of this answer", "schema": {"type": "string"}},
            "Cache-Control": {
                "description": "`max-age` for as long as the answer holds",
                "schema": {"type": "string"},
            },
        }
        responses["200"] = {"description": "The answer", "content": content, "headers": headers}
        responses["304"] = {
            "description": "Not Modified: the answer named by `If-None-Match` still holds",
            "headers": headers,
        }
    for kind, (status, title) in TYPES.items():
        statuses = (
            ((400, 422, 413) if json_body else (400, 422))
            if kind == "invalid-request"
            else (status,)
        )
        for code in statuses:
            example = {
                "type": f"/problems/{kind}",
                "title": title,
                "status": code,
                "detail": PROBLEM_EXAMPLES[kind],
            }
            if kind == "invalid-request":
                example["errors"] = {"host": [PROBLEM_EXAMPLES[kind]]}
            entry = responses.setdefault(
                str(code),
                {
                    "description": "",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"},
                            "examples": {},
                        }
                    },
                },
            )
            entry["description"] = " / ".join(filter(None, [entry["description"], title]))
            if text:  # Accept: text/plain gets the detail as one line
                line = {"schema": {"type": "string"}, "example": PROBLEM_EXAMPLES[kind] + "\n"}
                entry["content"].setdefault("text/plain", line)
            entry["content"]["application/problem+json"]["examples"][kind] = {"value": example}
    if json_body:
        responses["413"] = {
            "description": "Content Too Large: the body is over this endpoint's limit",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        responses["415"] = {
            "description": "Unsupported Media Type: the body must be JSON",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
    return {"responses": responses}
