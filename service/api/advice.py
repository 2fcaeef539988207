"""GET/POST /advice: which base tag to build on for these hosts. The view only translates."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from service.advice import question
from service.advice.choose import Pick
from service.api.advice_schemas import AdviceBodySchema, AdviceQuerySchema, AdviceResponseSchema
from service.api.examples import problem_docs
from service.api.problems import invalid
from service.api.tool_examples import ADVICE_EXAMPLE
from service.compat import catalog
from service.registry.errors import RegistryNotAllowed

blp = Blueprint("advice", __name__, description="Which base tag to build on?")


@blp.route("/advice")
class AdviceView(MethodView):
    @blp.arguments(AdviceQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, AdviceResponseSchema, example=ADVICE_EXAMPLE)
    @blp.doc(operationId="adviseBaseTag", **problem_docs())
    def get(self, **args):
        """The floating and the pinned tag of a repository for a host (or several)

        Call this when someone asks which base image tag to build FROM for their hosts (e.g.
        which servercore tag runs on Windows Server 2022 nodes, pinned to a revision)."""
        return respond(args)

    @blp.arguments(AdviceBodySchema, location="json", as_kwargs=True)
    @blp.response(200, AdviceResponseSchema, example=ADVICE_EXAMPLE)
    @blp.doc(operationId="adviseBaseTagPost", **problem_docs(json_body=True))
    def post(self, **args):
        """The same, with several hosts as a JSON body

        Call this instead of GET /advice when the hosts are many or long pastes."""
        return respond(args)


def respond(args: dict):
    try:
        question.check_kb(args.get("kb"))
        hosts = question.parse_hosts(args.get("hosts", []))
        ref, tag = question.parse_repository(args["repository"])
    except question.BadAdviceInput as exc:
        return invalid(exc.field, str(exc))
    services = current_app.extensions["wincompat"]
    if not services.guard.registry_allowed(ref.registry):
        detail = f"registry {ref.registry} is not in the allow-list (WINCOMPAT_ALLOWED_REGISTRIES)"
        raise RegistryNotAllowed(detail)
    try:
        found = question.answer(
            services.resolver,
            ref,
            hosts,
            kb=args.get("kb"),
            isolation=args["isolation"],
            arch=args["arch"],
            family=args.get("family"),
            asked_tag=tag,
        )
    except question.BadAdviceInput as exc:
        return invalid(exc.field, str(exc))
    return render(found)


def _pick(pick: Pick | None) -> dict | None:
    return None if pick is None else vars(pick)


def render(found: question.AdviceAnswer) -> dict:
    advice = found.advice
    hosts = [
        {
            "os_version": str(h.version),
            "build": h.build,
            "release": catalog.describe(h.build, h.kind),
        }
        for h in found.hosts
    ]
    body = {
        "repository": found.repository,
        "hosts": hosts,
        "family": advice.family if advice else None,
        "floating": _pick(advice.floating) if advice else None,
        "pinned": _pick(advice.pinned) if advice else None,
        "dockerfile": advice.dockerfile if advice else None,
        "tags": [_row(r) for r in advice.tags] if advice else [],
        "kb": [vars(p) for p in advice.kb] if advice else [],
        "kb_lookup": _lookup(found.kb_lookup),
        "splits": [_split(s) for s in advice.splits] if advice else [],
        "tag_count": found.tag_count,
        "truncated": found.truncated,
        "warnings": [*(advice.warnings if advice else ()), *found.warnings],
        "cache": {"status": found.cache_status, "age_seconds": found.cache_age},
        "asked": None
        if found.asked is None
        else {**vars(found.asked), "runs_on": list(found.asked.runs_on)},
    }
    return body


def _row(row) -> dict:
    s = row.shape
    return {
        "tag": s.tag,
        "kind": s.kind,
        "build": s.build,
        "revision": s.revision,
        "kb": s.kb,
        "family": s.family,
        "arch": s.arch,
        "runs_on": list(row.runs_on),
    }


def _split(split) -> dict:
    return {
        "build": split.build,
        "hosts": list(split.hosts),
        "floating": _pick(split.floating),
        "pinned": _pick(split.pinned),
        "dockerfile": split.dockerfile,
    }


def _lookup(lookup: question.KbLookup | None) -> dict | None:
    if lookup is None:
        return None
    return {
        "kb": lookup.kb,
        "revision": lookup.revision,
        "os_version": lookup.os_version,
        "tags": [vars(p) for p in lookup.tags],
    }
