"""Schemas of POST /check/dockerfile, /check/compose, /check/kubernetes (advice.md)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.advice.choose import ISOLATIONS
from service.api.schemas import MAX_HOST

MAX_HOSTS = 500
MAX_BODY = 1024 * 1024
STATUSES = ("runs", "fails", "unknown", "error", "skipped")

_HOST_LIST = {
    "validate": validate.Length(max=MAX_HOSTS),
    "load_default": list,
}


def _hosts(**extra) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=MAX_HOST)), **_HOST_LIST, **extra
    )


class _Options(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    isolation = ma.fields.String(
        load_default="process",
        validate=validate.OneOf(ISOLATIONS),
        metadata={"description": "The mode the hosts run containers with (process default)."},
    )
    arch = ma.fields.String(load_default="amd64", validate=validate.OneOf(("amd64", "arm64")))


class CheckQuerySchema(_Options):
    """For a raw body (text/plain, YAML): hosts and options in the query."""

    hosts = _hosts(data_key="host", metadata={"description": "A host version; may repeat."})
    build_hosts = _hosts(
        data_key="build_host",
        metadata={"description": "Dockerfile only: the build host(s) earlier stages run on."},
    )
    build_isolation = ma.fields.String(validate=validate.OneOf(ISOLATIONS))
    build_args = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=4096)),
        load_default=list,
        data_key="build_arg",
        metadata={"description": "Dockerfile only: KEY=VALUE, as `--build-arg`; may repeat."},
    )


class _Body(_Options):
    hosts = _hosts()
    nodes = ma.fields.Raw(
        metadata={
            "description": "Instead of or with `hosts`: `kubectl get nodes -o json` or "
            "`docker node inspect` output (fleet.md), as JSON or a YAML string; selectors and "
            "constraints are matched against the nodes' own labels."
        }
    )


class DockerfileBodySchema(_Body):
    dockerfile = ma.fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY))
    build_hosts = _hosts(
        metadata={"description": "The build host(s) earlier stages run on; default: hosts."}
    )
    build_isolation = ma.fields.String(
        validate=validate.OneOf(ISOLATIONS),
        metadata={"description": "`docker build --isolation` on the build host."},
    )
    build_args = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(max=256)),
        values=ma.fields.String(validate=validate.Length(max=4096)),
        load_default=dict,
    )


class ComposeBodySchema(_Body):
    compose = ma.fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY))


class KubernetesBodySchema(_Body):
    manifests = ma.fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY))


class HostResultSchema(ma.Schema):
    name = ma.fields.String(required=True)
    os_version = ma.fields.String(required=True)
    verdict = ma.fields.String(required=True)
    isolation = ma.fields.String(required=True)
    reason = ma.fields.String()
    image_os_version = ma.fields.String(allow_none=True)


class FindingSchema(ma.Schema):
    line = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "from, service, container"})
    name = ma.fields.String(allow_none=True)
    image = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, validate=validate.OneOf(STATUSES))
    decides = ma.fields.Boolean(
        metadata={"description": "False for earlier Dockerfile stages and skipped entries."}
    )
    detail = ma.fields.String(required=True)
    hosts = ma.fields.List(ma.fields.Nested(HostResultSchema))
    suggestion = ma.fields.String(
        allow_none=True, metadata={"description": "An image of the same family that runs."}
    )


class CheckResponseSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True,
        validate=validate.OneOf(STATUSES[:4]),
        metadata={"description": "The worst deciding finding: CI fails unless `runs`."},
    )
    ok = ma.fields.Boolean(required=True)
    findings = ma.fields.List(ma.fields.Nested(FindingSchema), required=True)
    notes = ma.fields.List(ma.fields.String(), required=True)
