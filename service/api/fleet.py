"""POST /compat/matrix and POST /compat/nodes: thin doors to service.fleet.questions."""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from service.api.examples import problem_docs
from service.api.fleet_examples import MATRIX_EXAMPLE, NODES_EXAMPLE
from service.api.fleet_schemas import (
    MatrixQuerySchema,
    MatrixResponseSchema,
    NodesQuerySchema,
    NodesResponseSchema,
)
from service.api.problems import invalid, problem, registry_problem
from service.api.schemas import RemedySchema
from service.compat.versions import InvalidVersion
from service.fleet import questions
from service.fleet.matrix import CellMemo, EntryErrors, OverLimit
from service.pastes.nodes import MAX_NODES, NodePasteError, TooManyNodes, read_nodes

blp = Blueprint("fleet", __name__, description="Many images, many hosts, whole clusters")
REMEDY = RemedySchema()  # the remedies of /compat, written the same way

CELLS_KEY = "wincompat.fleet.cells"
MAX_BODY = 4 * 1024 * 1024  # fleet.md: a 5,000-node list fits; the app's default is smaller
LARGE_BODY_PATHS = ("/compat/nodes", "/compat/matrix")  # read up to MAX_BODY (api/bounds.py)


@blp.before_request
def larger_bodies() -> Response | None:
    """A cluster's node list is bigger than a question: allow 4 MiB here, and say so."""
    req = request._get_current_object()
    req.max_content_length = MAX_BODY
    if req.content_length is not None and req.content_length > MAX_BODY:
        detail = f"The body is {req.content_length} bytes; at most {MAX_BODY} (4 MiB) are read."
        return problem("invalid-request", detail, status=413, errors={"body": [detail]})
    return None


def _docs() -> dict:
    """The problem types of every question, plus the 413 past a limit."""
    docs = problem_docs()
    example = {
        "type": "/problems/invalid-request",
        "title": "Invalid request",
        "status": 413,
        "detail": "101 images; at most 100 per matrix",
        "errors": {"images": ["101 images; at most 100 per matrix"]},
    }
    content = {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}
    docs["responses"]["413"] = {
        "description": "Past a limit (images, hosts, cells, nodes, 4 MiB body)",
        "content": {"application/problem+json": content},
    }
    return docs


def _doors() -> questions.Doors:
    app = current_app._get_current_object()
    services = app.extensions["wincompat"]
    cells = app.extensions.get(CELLS_KEY)
    if cells is None:  # one per app, made on first use (setdefault keeps a racing twin out)
        cells = app.extensions.setdefault(CELLS_KEY, CellMemo())
    return questions.Doors(
        services.resolver, services.guard.registry_allowed, registry_problem, cells
    )


def _over(field: str, message: str) -> Response:
    return problem("invalid-request", message, status=413, errors={field: [message]})


@blp.route("/compat/matrix")
class Matrix(MethodView):
    @blp.arguments(MatrixQuerySchema, location="json")
    @blp.response(200, MatrixResponseSchema, example=MATRIX_EXAMPLE)
    @blp.doc(**_docs())
    def post(self, question):
        """Images x hosts: every image judged against every host

        Each distinct image is resolved once, cold ones concurrently; an image the registry
        fails on gets its problem object in `images[i].error` and a null row of cells."""
        try:
            return questions.matrix(_doors(), question)
        except OverLimit as exc:
            return _over(exc.field, str(exc))
        except EntryErrors as exc:
            return problem("invalid-request", "Some entries can't be read.", errors=exc.errors)


def _nodes_path(path: str) -> str:
    return "nodes" + ("" if not path else path if path.startswith("[") else f".{path}")


@blp.route("/compat/nodes")
class Nodes(MethodView):
    @blp.arguments(NodesQuerySchema, location="json")
    @blp.response(200, NodesResponseSchema, example=NODES_EXAMPLE)
    @blp.doc(**_docs())
    def post(self, question):
        """Which nodes of a Kubernetes or Swarm cluster run this image, and what to paste

        `nodes` is `kubectl get nodes -o json` (or -o yaml) output, or `docker node inspect`
        output. The answer judges every Windows node, skips Linux ones, and gives the
        nodeSelector / affinity YAML, tolerations, label commands and Swarm constraints that
        put the image exactly on the nodes that run it."""
        try:
            node_list = read_nodes(question["nodes"])
        except TooManyNodes as exc:
            return _over(_nodes_path(exc.path), f"{exc.message} (limit {MAX_NODES})")
        except NodePasteError as exc:
            return invalid(_nodes_path(exc.path), exc.message)
        try:
            return questions.nodes(_doors(), question, node_list, REMEDY.dump)
        except InvalidVersion as exc:
            return invalid("image_version", str(exc))
