"""The page at `/` and the badge at /badge.svg: thin doors to the same answer as /compat."""

from __future__ import annotations

from pathlib import Path

import flask
import marshmallow as ma
from flask import Response, render_template, request, url_for
from flask_smorest import Blueprint

from service.api import compat, explain, fleet
from service.api.explain_schemas import ExplainResponseSchema
from service.api.fleet_schemas import (
    MatrixQuerySchema,
    MatrixResponseSchema,
    NodesQuerySchema,
    NodesResponseSchema,
)
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
from service.compat.versions import InvalidVersion, parse_version
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
VIEWS = (
    ("one", "One question"),
    ("nodes", "A cluster's nodes"),
    ("matrix", "Images and hosts"),
    ("explain", "Explain an error"),
)
FLEET_FIELDS = {
    "nodes": ("image", "image_version", "nodes", "isolation"),
    "matrix": ("images", "hosts", "isolation"),
    "explain": ("text", "host", "host_type", "image"),
}
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
NODES_QUERY, NODES_ANSWER = NodesQuerySchema(), NodesResponseSchema()
MATRIX_QUERY, MATRIX_ANSWER = MatrixQuerySchema(), MatrixResponseSchema()
EXPLAINED = ExplainResponseSchema()
MAX_PASTE = 256 * 1024  # as /explain reads
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


def _common() -> dict:
    return {
        "views": VIEWS,
        "choices": CHOICES,
        "limits": LIMITS,
        "verdicts": card.VERDICTS,
        "docs_url": url_for("api-docs.openapi_swagger_ui"),
    }


def page():
    """The page's views: one question, a cluster's nodes, images x hosts. Each is a form that
    re-renders with the answer (no JavaScript needed)."""
    view = request.args.get("view", "one")
    if view in FLEET_FIELDS:
        request.max_content_length = fleet.MAX_BODY  # a cluster's node list, as the API reads
        return {"nodes": _nodes_page, "matrix": _matrix_page, "explain": _explain_page}[view]()
    return _one_page()


def _one_page():
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
        view="one",
        form=form,
        errors=(problem or {}).get("errors") or {},
        problem=problem,
        card=card.card(answer) if answer else None,
        verdict_ok="supported" in verdicts,
        allowed=allowed,
        share=url_for("web.page", **question),
        **_common(),
    )
    return Response(html, status=status, mimetype="text/html")


def _fleet_form(view: str) -> dict:
    source = request.form if request.method == "POST" else request.args
    form = {name: source.get(name, "").strip() for name in FLEET_FIELDS[view]}
    if "isolation" in form:
        form["isolation"] = form["isolation"] if form["isolation"] in MODES else "any"
    return form


def _fleet_ask(schema, answer, dumper, body: dict) -> tuple[dict | None, dict | None]:
    """(answer, problem) through the fleet endpoints' own functions."""
    try:
        found = answer(schema.load(body))
    except ma.ValidationError as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.normalized_messages().items()}
        return None, {"detail": "Check the fields marked below.", "errors": errors}
    except RegistryError as exc:
        return None, from_registry_error(exc).problem
    if isinstance(found, Response):
        return None, found.problem
    return dumper.dump(found), None


def _groups(nodes: list[dict]) -> list[dict]:
    """Nodes by build, newest first; unreadable versions last."""
    by_build: dict[int | None, list[dict]] = {}
    for node in nodes:
        by_build.setdefault(node.get("build"), []).append(node)
    order = sorted(by_build, key=lambda b: -1 if b is None else b, reverse=True)
    titles = {b: f"{by_build[b][0].get('release') or 'Unknown release'} ({b})" for b in order}
    return [{"title": titles[b] if b else "Version unknown", "nodes": by_build[b]} for b in order]


def _nodes_page():
    form = _fleet_form("nodes")
    fleet_answer = problem = None
    if form["nodes"]:
        body = {k: v for k, v in form.items() if v}
        fleet_answer, problem = _fleet_ask(NODES_QUERY, fleet.nodes_answer, NODES_ANSWER, body)
    html = render_template(
        "nodes.html",
        view="nodes",
        form=form,
        errors=(problem or {}).get("errors") or {},
        problem=problem,
        fleet=fleet_answer,
        groups=_groups(fleet_answer["nodes"]) if fleet_answer else [],
        **_common(),
    )
    status = 200 if problem is None else int(problem.get("status", 422))
    return Response(html, status=status, mimetype="text/html")


def _image_entry(line: str) -> str | dict:
    """A matrix line: an OS version when it reads as one and names no repository."""
    if "/" in line or ":" in line:
        return line
    try:
        parse_version(line)
    except InvalidVersion:
        return line
    return {"image_version": line}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def cell_words(cell: dict | None) -> tuple[str, str, str]:
    """A matrix cell in words and a symbol, as the one-question card says it."""
    if cell is None:
        return card.VERDICTS["unknown"]
    if cell.get("runs"):
        if cell.get("recommended_isolation") == "hyperv":
            return ("✓", "Hyper-V only", "warn")
        return ("✓", "Runs", "ok")
    if "unknown" in (cell.get("process"), cell.get("hyperv")):
        return card.VERDICTS["unknown"]
    return card.VERDICTS["unsupported"]


def _matrix_page():
    form = _fleet_form("matrix")
    matrix = problem = None
    if form["images"] or form["hosts"]:
        body = {
            "images": [_image_entry(line) for line in _lines(form["images"])],
            "hosts": _lines(form["hosts"]),
            "isolation": form["isolation"],
        }
        matrix, problem = _fleet_ask(MATRIX_QUERY, fleet.matrix_answer, MATRIX_ANSWER, body)
    html = render_template(
        "matrix.html",
        view="matrix",
        form=form,
        errors=(problem or {}).get("errors") or {},
        problem=problem,
        matrix=matrix,
        cell_words=cell_words,
        **_common(),
    )
    status = 200 if problem is None else int(problem.get("status", 422))
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


def _explain_page():
    form = _fleet_form("explain")
    answer = problem = None
    if form["text"]:
        if len(form["text"].encode()) > MAX_PASTE:
            problem = {"detail": f"The paste is longer than {MAX_PASTE} bytes.", "status": 413}
        else:
            found = explain.explain_answer({k: v or None for k, v in form.items()})
            if isinstance(found, Response):
                problem = found.problem
            else:
                answer = EXPLAINED.dump(found)
    html = render_template(
        "explain.html",
        view="explain",
        form=form,
        errors=(problem or {}).get("errors") or {},
        problem=problem,
        explained=answer,
        **_common(),
    )
    status = 200 if problem is None else int(problem.get("status", 422))
    return Response(html, status=status, mimetype="text/html")
