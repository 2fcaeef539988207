"""GET/POST /compat: parse, resolve, judge, render. The view only translates."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request, Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from service import metrics
from service.advice.spelling import family_repository
from service.api import render
from service.api.answers import JSON, TEXT, Answer, make_answer
from service.api.examples import COMPAT_EXAMPLE, problem_docs
from service.api.problems import invalid
from service.api.schemas import CompatQuerySchema, CompatResponseSchema
from service.compat import catalog
from service.compat.assessment import assess, host_from_text, parse_image_version
from service.compat.selection import select_platform
from service.compat.versions import InvalidVersion
from service.registry.errors import RegistryNotAllowed
from service.registry.reference import ImageReference, InvalidReference, parse_reference

blp = Blueprint("compat", __name__, description="Will this image run on this host?")

QUERY = CompatQuerySchema()  # one instance: building a schema per request cost ~35 us
VERSION_MAX_AGE = 3600  # an image_version answer depends only on the question and the catalog


@dataclass(frozen=True)
class Rendered:
    payload: dict
    max_age: int


@blp.route("/compat")
class Compat(MethodView):
    @blp.arguments(QUERY, location="query", as_kwargs=True)
    @blp.response(200, CompatResponseSchema, example=COMPAT_EXAMPLE)
    @blp.doc(**problem_docs(text=True))
    def get(self, **args):
        """Judge an image against a host, per isolation mode

        `Accept: text/plain` returns just the summary sentence."""
        return respond(args)

    @blp.arguments(QUERY, location="json", as_kwargs=True)
    @blp.response(200, CompatResponseSchema, example=COMPAT_EXAMPLE)
    @blp.doc(**problem_docs())
    def post(self, **args):
        """Judge an image against a host, with the question as a JSON body"""
        return respond(args)


def respond(args: dict) -> Response:
    try:
        host, notes = host_from_text(args["host"], args.get("host_type"))
    except (InvalidVersion, ValueError) as exc:
        return invalid("host", str(exc))
    if args.get("image_version"):
        rendered = _version_answer(args, host, notes)
    else:
        rendered = _image_answer(args, host, notes)
    return rendered if isinstance(rendered, Response) else _send(rendered)


def _version_answer(args: dict, host, notes) -> Rendered | Response:
    try:
        parsed = parse_image_version(args["image_version"])
    except InvalidVersion as exc:
        return invalid("image_version", str(exc))
    notes = (*notes, *(f"Image: {w}" for w in parsed.warnings))
    a = assess(host, parsed.version, requested_kind=args.get("host_type"), extra_warnings=notes)
    return Rendered(render.answer(a, render.version_image(parsed.version)), VERSION_MAX_AGE)


def _repository(ref: ImageReference) -> str:
    """Rebuild advice names the image's own base repository when it is one of Microsoft's."""
    name = f"{ref.registry}/{ref.repository}"
    family = family_repository(name, ref.tag)  # advice: `4.8-…-ltsc2019` stays in its family
    if family:
        return family
    return name if name in catalog.BASE_IMAGE_REPOSITORIES else catalog.BASE_IMAGE_REPOSITORIES[0]


def _image_answer(args: dict, host, notes) -> Rendered | Response:
    try:
        ref = parse_reference(args["image"])
    except InvalidReference as exc:
        return invalid("image", str(exc))
    services = current_app.extensions["wincompat"]
    # By name, before any cache: a shared Redis may hold answers another replica was allowed.
    if not services.guard.registry_allowed(ref.registry):
        detail = f"registry {ref.registry} is not in the allow-list (WINCOMPAT_ALLOWED_REGISTRIES)"
        raise RegistryNotAllowed(detail)
    resolution = services.resolver.resolve(ref)
    selection = select_platform(
        host,
        resolution.image.platforms,
        arch=args.get("arch", "amd64"),
        name=str(ref),
        requested_kind=args.get("host_type"),
        repository=_repository(ref),
        extra_warnings=(*notes, *resolution.warnings),
    )
    cache = {"status": resolution.cache_status, "age_seconds": resolution.age_seconds}
    image = render.resolved_image(resolution.image, selection)
    return Rendered(render.answer(selection.assessment, image, cache), resolution.max_age)


def _send(rendered: Rendered) -> Response:
    answers = current_app.extensions["wincompat"].answers
    answer = make_answer(rendered.payload, rendered.max_age, answers.clock())
    req = request._get_current_object()
    if req.method == "GET":
        answers.put(req.query_string, answer)
    return serve(req, answer, answers.clock(), replayed=False)


# Accept values that mean JSON without negotiating: what curl, browsers' fetch and CI send.
_PLAIN_JSON = frozenset({"", "*/*", JSON})


def _mimetype(req: Request) -> str:
    accept = req.environ.get("HTTP_ACCEPT", "")
    if accept in _PLAIN_JSON:
        return JSON
    return req.accept_mimetypes.best_match((JSON, TEXT)) or JSON


def serve(req: Request, answer: Answer, now: float, *, replayed: bool) -> Response:
    """One answer in the representation asked for, with its validators."""
    mimetype = _mimetype(req)
    etag = answer.etags[mimetype]
    headers = {
        "ETag": f'W/"{etag}"',
        "Cache-Control": f"max-age={answer.max_age(now)}",
        "Vary": "Accept",
    }
    if "HTTP_IF_NONE_MATCH" in req.environ and req.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    body = answer.body(mimetype, now, replayed=replayed)
    return Response(body, status=200, headers=headers, mimetype=mimetype)


_ANSWER_HITS = metrics.CACHE_EVENTS.labels("memory", "answer", "hit")


@blp.before_request
def replay() -> Response | None:
    """A GET asked before, within the life of its answer: no parsing, judging or rendering.
    This is the hot path of a busy portal: it touches the request proxy once."""
    req = request._get_current_object()
    if req.method != "GET" or req.path != "/compat":
        return None
    answers = current_app.extensions["wincompat"].answers
    answer = answers.get(req.query_string)
    if answer is None:
        return None
    _ANSWER_HITS.inc()
    return serve(req, answer, answers.clock(), replayed=True)
