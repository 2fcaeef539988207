"""GET/POST /compat: the question in, the answer out. The view only translates: the question
function answers, the response schema serialises, service.api.http_cache negotiates and
replays."""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from service.api import conventions, http_cache
from service.api.examples import COMPAT_EXAMPLE, problem_docs
from service.api.schemas import CompatQuerySchema, CompatResponseSchema
from service.pastes.question import Question, missing_sentence, read_question
from service.questions import compat

blp = Blueprint("compat", __name__, description="Will this image run on this host?")
http_cache.replay_on(blp, "/compat")


@blp.before_request
def conventions_hold() -> Response | None:
    """One value per parameter; a POST body as JSON (a form or text body is a 415)."""
    req = request._get_current_object()
    return conventions.repeated(req.args) or conventions.require_json(req)


QUERY = CompatQuerySchema()  # one instance: building a schema per request cost ~35 us


@blp.route("/compat")
class Compat(MethodView):
    # unknown=None: the schema's own RAISE, not webargs' EXCLUDE for query strings.
    @blp.arguments(QUERY, location="query", as_kwargs=True, unknown=None)
    @http_cache.cached
    @blp.response(200, CompatResponseSchema, example=COMPAT_EXAMPLE)
    @blp.doc(operationId="checkCompat", **problem_docs(text=True))
    def get(self, **args):
        """Judge an image against a host, per isolation mode

        Call this when someone asks whether a Windows container image (a reference, or its OS
        version) will run on a host: give `image` or `image_version`, and `host` in any shape
        they pasted, or the whole question in words as `q`. The answer has a verdict per
        isolation mode, the reason, warnings, remedies and a `summary` sentence to say as is.
        `Accept: text/plain` returns just that sentence; errors then come as one line too.
        Repeat requests with `If-None-Match` get 304 while the answer holds."""
        return ask(args)

    @blp.arguments(QUERY, location="json", as_kwargs=True)
    @http_cache.cached
    @blp.response(200, CompatResponseSchema, example=COMPAT_EXAMPLE)
    @blp.doc(operationId="checkCompatPost", **problem_docs(json_body=True))
    def post(self, **args):
        """Judge an image against a host, with the question as a JSON body

        The same question and answer as GET /compat; call this when the host text is a long
        paste (a whole `docker info`) that is awkward in a query string."""
        return ask(args)


def ask(args: dict) -> tuple[compat.CompatAnswer, int, dict[str, str]]:
    found = answer(args)
    return found, 200, {"Cache-Control": f"max-age={found.max_age}"}


def answer(args: dict) -> compat.CompatAnswer:
    """The answer to a loaded question, `q` read first. The page, the badge and the MCP tools
    ask through here too. Raises InvalidQuestion and the registry's errors."""
    services = current_app.extensions["wincompat"]
    question = with_question(args)
    return compat.answer(question, services.resolver, services.guard.registry_allowed)


def with_question(args: dict) -> dict:
    """Fill image/image_version/host from `q`; what the caller gave explicitly wins."""
    if not args.get("q"):
        return args
    if args.get("image") and args.get("image_version"):
        raise compat.InvalidQuestion("image", "Give exactly one of `image` and `image_version`.")
    read = read_question(args["q"])
    filled = {**args}
    if not (args.get("image") or args.get("image_version")):
        filled["image"], filled["image_version"] = read.image, read.image_version
    filled["host"] = args.get("host") or read.host
    still = Question(filled.get("image"), filled.get("image_version"), filled.get("host"))
    if still.missing:
        raise compat.InvalidQuestion("q", missing_sentence(still))
    return filled
