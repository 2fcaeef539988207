"""POST /explain: a paste in (JSON or text/plain), the explanation out. The view only
translates; service.explain.question does the work."""

from __future__ import annotations

import json

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from service.api.answers import JSON, TEXT
from service.api.examples import problem_docs
from service.api.explain_schemas import (
    MAX_TEXT,
    ExplainQuerySchema,
    ExplainRequestSchema,
    ExplainResponseSchema,
)
from service.api.fleet import MAX_BODY as NODES_MAX_BODY
from service.api.problems import from_registry_error, invalid, problem
from service.api.tool_examples import EXPLAIN_EXAMPLE, EXPLAIN_SUMMARY
from service.compat.versions import InvalidVersion
from service.explain.question import Question, Registry, explain
from service.pastes.nodes import NodePasteError, TooManyNodes
from service.pastes.question import missing_sentence, read_question
from service.registry.reference import InvalidReference

blp = Blueprint("explain", __name__, description="Explain a failure from what people paste")

PATH = "/explain"
# \uXXXX escapes take 6 bytes a character in JSON, and `nodes` may be a list as big as
# /compat/nodes takes; the text itself is checked after (256 KiB).
BODY_LIMIT = 6 * MAX_TEXT + NODES_MAX_BODY
REQUEST, QUERY = ExplainRequestSchema(), ExplainQuerySchema()

REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": ExplainRequestSchema},
        "text/plain": {"schema": {"type": "string", "maxLength": MAX_TEXT}},
    },
}


def _docs() -> dict:
    """Only the problems /explain answers with: registry failures are `image_error` in a 200."""
    responses = {k: v for k, v in problem_docs()["responses"].items() if k in ("400", "422")}
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    responses["413"] = {
        "description": "The paste is longer than 256 KiB",
        "content": {"application/problem+json": problem},
    }
    plain = {"schema": {"type": "string"}, "example": EXPLAIN_SUMMARY + "\n"}
    answer = {"schema": {"$ref": "#/components/schemas/ExplainResponse"}}
    answer["example"] = EXPLAIN_EXAMPLE
    responses["200"] = {"description": "The explanation",
                        "content": {"application/json": answer, "text/plain": plain}}  # fmt: skip
    return {"responses": responses}


@blp.before_request
def _allow_pastes() -> None:
    request.max_content_length = BODY_LIMIT  # pastes are bigger than /compat questions


def _problem_body(response: Response) -> dict:
    return json.loads(response.get_data(as_text=True))


def _registry() -> Registry:
    """The resolver behind the allow-list, as /compat uses them; failures become problems."""
    services = current_app.extensions["wincompat"]
    problem = lambda exc: _problem_body(from_registry_error(exc))  # noqa: E731
    return Registry(services.resolver, services.guard.registry_allowed, problem)


def _too_large() -> Response:
    detail = f"The paste is longer than {MAX_TEXT // 1024} KiB."
    return problem("invalid-request", detail, status=413, errors={"text": [detail]})


def _read_question() -> tuple[dict, object] | Response:
    if request.mimetype == JSON:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return invalid("request", "The body is not a JSON object.", status=400)
        try:
            fields = REQUEST.load(body)
        except ValidationError as exc:
            return problem("invalid-request", "Invalid parameters.", errors=_messages(exc))
        if bool(fields.get("text")) == bool(fields.get("q")):
            return invalid("text", "Give exactly one of `text` (the paste) and `q` (a question).")
        if len(fields.get("text", "").encode()) > MAX_TEXT:
            return _too_large()
        return fields, body.get("nodes")
    raw = request.get_data()
    if len(raw) > MAX_TEXT:
        return _too_large()
    if not raw.strip():
        return invalid("text", "The body is empty: paste the error as the body.")
    try:
        fields = QUERY.load(request.args.to_dict())
    except ValidationError as exc:
        return problem("invalid-request", "Invalid parameters.", errors=_messages(exc))
    fields.pop("q", None)  # the body is the paste
    return {**fields, "text": raw.decode("utf-8", errors="replace")}, None


def _read_get() -> dict | Response:
    """GET /explain?q=…: a question in words, as a chatbot relays it."""
    try:
        fields = QUERY.load(request.args.to_dict())
    except ValidationError as exc:
        return problem("invalid-request", "Invalid parameters.", errors=_messages(exc))
    if not fields.get("q"):
        return invalid("q", "Ask with q=: the error and, if you know them, the image and host.")
    return fields


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    return {
        str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
        for k, v in exc.messages.items()
    }


def _text(answer: dict) -> str:
    lines = [answer["summary"]]
    for fix in answer["fixes"]:
        lines.append(f"- {fix['action']}: {fix['detail']}")
    lines += [f"- warning: {w}" for w in answer["warnings"]]
    if not answer["recognised"]:
        lines += [f"- accepts: {a}" for a in answer["accepts"]]
    return "\n".join(lines) + "\n"


def _wants_text() -> bool:
    accept = request.environ.get("HTTP_ACCEPT", "")
    if accept in ("", "*/*", JSON):
        return False
    return request.accept_mimetypes.best_match((JSON, TEXT)) == TEXT


@blp.route(PATH)
class Explain(MethodView):
    @blp.response(200, ExplainResponseSchema)
    @blp.doc(operationId="explainFailure", requestBody=REQUEST_BODY, **_docs())
    def post(self):
        """Explain a failure from a paste

        Call this when someone pastes an error (`docker run` output with 0xc0370101, `docker
        service ps`, `kubectl describe pod`, kubelet or containerd logs) and asks why it fails.
        The body is JSON (`text`, optional `host`, `host_type`, `image`, `nodes`) or the paste
        itself as `text/plain` (then `host`, `host_type`, `image` are query parameters).
        `Accept: text/plain` returns the sentence and the fixes as text."""
        read = _read_question()
        if isinstance(read, Response):
            return read
        fields, nodes = read
        return _respond(explain_answer(fields, nodes))

    @blp.response(200, ExplainResponseSchema)
    @blp.doc(operationId="explainQuestion", **_docs())
    def get(self):
        """Explain a failure asked about in words

        Call this when a person describes a failure in a sentence with the error in it ("my
        pod fails with 0xc0370101 on Windows Server 2022, image mcr.microsoft.com/…"): `q` is
        read as the paste, and the image and host it names fill `image` and `host` when they
        are not given. A question with no error in it that lacks the image or the host gets a
        one-sentence 422 saying what to add. `Accept: text/plain` returns the text answer."""
        fields = _read_get()
        if isinstance(fields, Response):
            return fields
        return _respond(explain_answer(fields))


def _respond(answer):
    if isinstance(answer, Response):
        return answer
    if _wants_text():
        return Response(_text(answer), mimetype=TEXT)
    return answer


def _from_words(fields: dict) -> dict:
    """`q`: the question is the paste; the image and host it names fill what is not given."""
    if not fields.get("q"):
        return fields
    named = read_question(fields["q"])
    return {
        **fields,
        "text": fields["q"],
        "host": fields.get("host") or named.host,
        "image": fields.get("image") or named.image,
    }


def _unanswerable(fields: dict, answer: dict) -> Response | None:
    """A question in words that carries no error shape and lacks the image or the host: one
    sentence saying what to add (surfaces.md), not an empty explanation."""
    if not fields.get("q") or answer["recognised"]:
        return None
    named = read_question(fields["q"])
    if not named.missing:
        return None
    return invalid("q", missing_sentence(named))


def explain_answer(fields: dict, nodes=None):
    """The explanation of a read paste, or the problem response (the page asks here too)."""
    fields = _from_words(fields)
    question = Question(
        fields["text"], fields.get("host"), fields.get("host_type"), fields.get("image"), nodes
    )
    try:
        answer = explain(question, _registry())
        return _unanswerable(fields, answer) or answer
    except TooManyNodes as exc:
        return invalid("nodes", str(exc), status=413)
    except NodePasteError as exc:
        return invalid("nodes", str(exc))
    except InvalidVersion as exc:
        return invalid("host", str(exc))
    except InvalidReference as exc:
        return invalid("image", str(exc))
    except ValueError as exc:
        return invalid("host_type", str(exc))
