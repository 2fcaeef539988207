"""The page at `/` and the badge at /badge.svg: thin doors to the same answer as /compat."""

from __future__ import annotations

from pathlib import Path

import flask
import marshmallow as ma
from flask import Response, render_template, request, url_for
from flask_smorest import Blueprint

from service.api import compat
from service.api.problems import from_registry_error, invalid
from service.api.schemas import (
    MAX_HOST,
    MAX_IMAGE,
    MAX_QUESTION,
    MAX_VERSION,
    CompatQuerySchema,
    CompatResponseSchema,
)
from service.api.web_schemas import BadgeQuerySchema
from service.questions.compat import InvalidQuestion
from service.registry.errors import RegistryError
from service.web import badge, card

WEB = Path(__file__).resolve().parents[1] / "web"
blp = Blueprint(
    "web",
    __name__,
    description="For people and portals: the page at / and an embeddable badge",
    template_folder=str(WEB / "templates"),
    static_folder=str(WEB / "static"),
    static_url_path="/web/static",
)

FIELDS = ("q", "image", "image_version", "host", "host_type", "isolation")
MODES = {"any": ("process", "hyperv"), "process": ("process",), "hyperv": ("hyperv",)}
CHOICES = {
    "host_type": (
        ("", "Detect it (server unless named)"),
        ("server", "Windows Server"),
        ("client", "Windows 10/11"),
    ),
    "isolation": (
        ("any", "Either"),
        ("process", "Process only (AKS, EKS, GKE)"),
        ("hyperv", "Hyper-V only"),
    ),
}
LIMITS = {"image": MAX_IMAGE, "version": MAX_VERSION, "host": MAX_HOST, "q": MAX_QUESTION}
QUERY = CompatQuerySchema()
ANSWER = CompatResponseSchema()
EXAMPLE = badge.svg(badge.Badge(badge.LABEL, "hyper-v only", badge.COLOURS["hyperv"], "hyperv"))


def _ask(values: dict) -> tuple[dict | None, dict | None, int]:
    """(answer, problem, max_age) for one question, through /compat's own function."""
    try:
        args = QUERY.load(values)
        found = compat.answer(args)
    except ma.ValidationError as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.normalized_messages().items()}
        return None, {"detail": "Check the fields marked below.", "errors": errors}, 0
    except InvalidQuestion as exc:
        return None, invalid(exc.field, exc.message).problem, 0
    except RegistryError as exc:
        return None, from_registry_error(exc).problem, 0
    return ANSWER.dump(found), None, found.max_age


def _form() -> dict:
    source = request.form if request.method == "POST" else request.args
    form = {name: source.get(name, "").strip() for name in FIELDS}
    form["isolation"] = form["isolation"] if form["isolation"] in MODES else "any"
    return form


def page():
    """The single question: a form that re-renders with the answer (no JavaScript needed)."""
    form = _form()
    question = {k: v for k, v in form.items() if v and not (k == "isolation" and v == "any")}
    answer = problem = None
    if question.keys() & {"q", "image", "image_version", "host"}:
        answer, problem, _ = _ask(question)
    allowed = MODES[form["isolation"]]
    verdicts = [answer["isolation"][m]["verdict"] for m in allowed] if answer else []
    status = 200 if problem is None else int(problem.get("status", 422))
    html = render_template(
        "index.html",
        form=form,
        errors=(problem or {}).get("errors") or {},
        problem=problem,
        card=card.card(answer) if answer else None,
        verdict_ok="supported" in verdicts,
        allowed=allowed,
        share=url_for("web.page", **question),
        choices=CHOICES,
        limits=LIMITS,
        docs_url=url_for("api-docs.openapi_swagger_ui"),
    )
    return Response(html, status=status, mimetype="text/html")


# The page is for people: registered without an OpenAPI entry (it is no tool for a bot).
flask.Blueprint.add_url_rule(blp, "/", "page", page, methods=["GET", "POST"])


@blp.route("/badge.svg")
@blp.doc(
    operationId="getBadge",
    summary="An SVG badge with the verdict, for READMEs and portals",
    description="Call it to embed the verdict in a README or a portal page with an `<img>` "
    "tag; it takes the same parameters as GET /compat, plus `label` and `isolation`. "
    "Errors still answer 200 with a grey badge (so the image shows) and name the problem type "
    "in the `X-Problem-Type` header.",
    parameters=[{"in": "query", "schema": BadgeQuerySchema}],
    responses={
        "200": {
            "description": "The badge; Cache-Control is the answer's.",
            "content": {"image/svg+xml": {"schema": {"type": "string"}, "example": EXAMPLE}},
            "headers": {
                "X-Problem-Type": {
                    "description": "Set when the badge shows an error: the problem type",
                    "schema": {"type": "string"},
                }
            },
        }
    },
)
def badge_svg():
    values = {k: v for k, v in request.args.items() if v}
    label = values.pop("label", badge.LABEL)[: badge.MAX_LABEL]
    isolation = values.pop("isolation", "any")
    answer, problem, max_age = _ask(values)
    headers = {"Cache-Control": f"max-age={max_age}"}
    if problem is not None or isolation not in MODES:
        kind = (problem or {}).get("type", "/problems/invalid-request").rsplit("/", 1)[-1]
        made = badge.for_problem(kind, label)
        headers["X-Problem-Type"] = f"/problems/{kind}"
        headers["Cache-Control"] = "no-cache"
    else:
        made = badge.for_answer(answer, MODES[isolation], label)
    return Response(badge.svg(made), mimetype="image/svg+xml", headers=headers)
