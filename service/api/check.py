"""POST /check/dockerfile, /check/compose, /check/kubernetes: the body is the file (or JSON
with the file in a field); hosts in the query or the JSON. The views only translate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from service.advice import checks, placement
from service.advice.placement import Target
from service.api.check_schemas import (
    MAX_BODY,
    CheckQuerySchema,
    CheckResponseSchema,
    ComposeBodySchema,
    DockerfileBodySchema,
    KubernetesBodySchema,
)
from service.api.examples import problem_docs
from service.api.problems import invalid, problem
from service.api.tool_examples import CHECK_EXAMPLE
from service.compat.hosts import host_from_text
from service.pastes.dockerfile import DockerfileError
from service.pastes.nodes import NodePasteError, read_nodes
from service.pastes.yamltext import YamlError

blp = Blueprint("check", __name__, description="Do the images a repository pins run?")
QUERY = CheckQuerySchema()


@blp.before_request
def _larger_bodies() -> None:
    request.max_content_length = MAX_BODY  # files, not questions: 1 MiB instead of 64 KiB


def _raw_doc(field: str, media: str) -> dict:
    body = {"schema": {"type": "string"}}
    json_body = {"schema": {"type": "object", "properties": {field: {"type": "string"}}}}
    return {
        "requestBody": {
            "required": True,
            "content": {media: body, "application/json": json_body},
        },
        **problem_docs(json_body=True),
    }


class _Check(MethodView):
    body_schema: type[ma.Schema]
    field: str
    run: Callable

    def _post(self, **query):
        services = current_app.extensions["wincompat"]
        if request.mimetype == "application/json":
            try:
                args = self.body_schema().load(request.get_json(silent=True) or {})
            except ma.ValidationError as exc:
                field, messages = next(iter(exc.normalized_messages().items()))
                return invalid(str(field), "; ".join(map(str, _flat(messages))))
            text = args[self.field]
        else:
            args = query
            text = request.get_data(as_text=True)
            if not text.strip():
                return invalid(self.field, f"the request body is empty; send the {self.field}")
            if isinstance(args.get("build_args"), list):
                pairs = [a.partition("=") for a in args["build_args"]]
                args["build_args"] = {k: v for k, sep, v in pairs if sep}
        try:
            targets = _targets(args.get("hosts", []), args["arch"], "hosts")
            builders = _targets(args.get("build_hosts", []), args["arch"], "build_hosts")
        except _BadHost as exc:
            return invalid(exc.field, exc.message)
        left_out: list[str] = []
        if args.get("nodes") is not None:
            try:
                found, left_out = placement.from_nodes(read_nodes(args["nodes"]).nodes)
            except NodePasteError as exc:
                return invalid(f"nodes.{exc.path}" if exc.path else "nodes", exc.message)
            targets += found
        if not targets:
            return invalid(
                "hosts", "give at least one host (`host=`, `hosts`) or Windows node (`nodes`)"
            )
        checker = checks.Checker(
            services.resolver,
            services.guard.registry_allowed,
            targets,
            args["isolation"],
            builders,
            args.get("build_isolation"),
        )
        try:
            report = type(self).run(checker, text, args)
        except (DockerfileError, YamlError) as exc:
            errors = {self.field: [str(exc)]}
            return problem("invalid-request", str(exc), errors=errors, line=exc.line)
        if left_out:
            notes = (*report.notes, *(f"node {n}: not judged" for n in left_out))
            report = replace(report, notes=notes)
        return render(report)


class _BadHost(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _targets(texts: list[str], arch: str, field: str) -> list[Target]:
    targets = []
    for i, host in enumerate(texts):
        try:
            parsed, _ = host_from_text(host)
        except ValueError as exc:
            raise _BadHost(f"{field}[{i}]", str(exc)) from None
        targets.append(Target.from_host(host, parsed, arch))
    return targets


def _flat(messages) -> list:
    if isinstance(messages, dict):
        return [f"{k}: {v}" for k, v in messages.items()]
    return messages if isinstance(messages, list) else [messages]


def render(report: checks.Report) -> dict:
    return {
        "kind": report.kind,
        "status": report.status,
        "ok": report.status == checks.RUNS,
        "findings": [asdict(f) for f in report.findings],
        "notes": list(report.notes),
    }


@blp.route("/check/dockerfile")
class CheckDockerfile(_Check):
    body_schema, field = DockerfileBodySchema, "dockerfile"

    @staticmethod
    def run(checker, text, args):
        return checks.check_dockerfile(checker, text, args.get("build_args"))

    @blp.arguments(QUERY, location="query", as_kwargs=True)
    @blp.response(200, CheckResponseSchema, example=CHECK_EXAMPLE)
    @blp.doc(operationId="checkDockerfile", **_raw_doc("dockerfile", "text/plain"))
    def post(self, **query):
        """Every FROM of a Dockerfile against the hosts (text/plain body, or JSON)

        Call this when someone shares a Dockerfile and asks whether it builds images that run
        on their hosts; each FROM line gets a status and a suggestion."""
        return self._post(**query)


@blp.route("/check/compose")
class CheckCompose(_Check):
    body_schema, field = ComposeBodySchema, "compose"

    @staticmethod
    def run(checker, text, args):
        return checks.check_compose(checker, text)

    @blp.arguments(QUERY, location="query", as_kwargs=True)
    @blp.response(200, CheckResponseSchema, example=CHECK_EXAMPLE)
    @blp.doc(operationId="checkCompose", **_raw_doc("compose", "application/yaml"))
    def post(self, **query):
        """Each compose service's image and placement constraints against the hosts

        Call this when someone shares a docker-compose / stack file for Windows hosts."""
        return self._post(**query)


@blp.route("/check/kubernetes")
class CheckKubernetes(_Check):
    body_schema, field = KubernetesBodySchema, "manifests"

    @staticmethod
    def run(checker, text, args):
        return checks.check_kubernetes(checker, text)

    @blp.arguments(QUERY, location="query", as_kwargs=True)
    @blp.response(200, CheckResponseSchema, example=CHECK_EXAMPLE)
    @blp.doc(operationId="checkKubernetes", **_raw_doc("manifests", "application/yaml"))
    def post(self, **query):
        """Each workload's containers and scheduling against the hosts

        Call this when someone shares Kubernetes manifests (Deployments, Pods, ...) for
        Windows nodes: images and nodeSelector/affinity are checked together."""
        return self._post(**query)
