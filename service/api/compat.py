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
    @blp.doc(**problem_docs(text=True))
    def get(self, **args):
        """Judge an image against a host, per isolation mode

        `Accept: text/plain` returns just the summary sentence."""
        return ask(args)

    @blp.arguments(QUERY, location="json", as_kwargs=True)
    @http_cache.cached
    @blp.response(200, CompatResponseSchema, example=COMPAT_EXAMPLE)
    @blp.doc(**problem_docs(json_body=True))
    def post(self, **args):
        """Judge an image against a host, with the question as a JSON body"""
        return ask(args)


def ask(args: dict) -> tuple[compat.CompatAnswer, int, dict[str, str]]:
    services = current_app.extensions["wincompat"]
    found = compat.answer(args, services.resolver, services.guard.registry_allowed)
    return found, 200, {"Cache-Control": f"max-age={found.max_age}"}
