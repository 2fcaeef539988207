"""Schemas of POST /compat/matrix and POST /compat/nodes (fleet.md): the contract."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.schemas import MAX_IMAGE, MAX_VERSION, VERDICTS, RemedySchema
from service.compat.runtime_ids import RUNTIME_IDS
from service.fleet.judging import ISOLATIONS

ISOLATION_HELP = (
    "`any` (default), `process` or `hyperv`: the modes the caller can use; it decides `runs`."
)


def _runtime(what: str) -> ma.fields.String:
    return ma.fields.String(
        validate=validate.OneOf(RUNTIME_IDS),
        metadata={"description": f"A runtime id of runtimes.md: {what}.", "example": "docker"},
    )


def _isolation() -> ma.fields.String:
    return ma.fields.String(
        load_default="any",
        validate=validate.OneOf(ISOLATIONS),
        metadata={"description": ISOLATION_HELP},
    )


class MatrixQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    images = ma.fields.List(
        ma.fields.Raw(),
        required=True,
        metadata={
            "description": "At most 100. Each a reference string, or an object with exactly "
            "one of `image` / `image_version`.",
            "example": [
                "mcr.microsoft.com/windows/servercore:ltsc2022",
                {"image_version": "10.0.17763.5329"},
            ],
        },
    )
    hosts = ma.fields.List(
        ma.fields.Raw(),
        required=True,
        metadata={
            "description": "At most 500 (and 10,000 cells). Each a host string in any shape "
            "/compat accepts, or an object with `host` and optional `host_type`, `name`.",
            "example": [
                "10.0.20348.2700",
                {"host": "AKSWindows-2025-26100.33296.260812", "name": "pool-2025"},
            ],
        },
    )
    arch = ma.fields.String(load_default="amd64", validate=validate.OneOf(("amd64", "arm64")))
    isolation = _isolation()
    runtime = _runtime("every host is judged by what that runtime pulls and starts")


class NodesQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    image = ma.fields.String(
        validate=validate.Length(min=1, max=MAX_IMAGE),
        metadata={"example": "mcr.microsoft.com/windows/servercore:ltsc2022"},
    )
    image_version = ma.fields.String(validate=validate.Length(min=1, max=MAX_VERSION))
    nodes = ma.fields.Raw(
        required=True,
        metadata={
            "description": "`kubectl get nodes -o json` output (a List with `items`, one Node, "
            "an array of Nodes) or `docker node inspect …` output; or either as a JSON or YAML "
            "string. At most 5,000 nodes and 4 MiB.",
        },
    )
    isolation = _isolation()
    runtime = _runtime(
        "nodes are judged by their own `containerRuntimeVersion`; this one judges those that "
        "name none we know"
    )

    @ma.validates_schema
    def one_image(self, data, **kwargs):
        given = [name for name in ("image", "image_version") if data.get(name)]
        if len(given) != 1:
            message = "Give exactly one of `image` and `image_version`."
            raise ma.ValidationError({"image": [message], "image_version": [message]})


# -- answers ------------------------------------------------------------------------------------


class CacheStatusSchema(ma.Schema):
    status = ma.fields.String()
    age_seconds = ma.fields.Integer()


class MatrixImageSchema(ma.Schema):
    reference = ma.fields.String(allow_none=True)
    digest = ma.fields.String(allow_none=True)
    os_versions = ma.fields.List(ma.fields.String(), required=True)
    error = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": "The problem object /compat would have returned; the row of "
            "cells is then null."
        },
    )
    cache = ma.fields.Nested(CacheStatusSchema)
    warnings = ma.fields.List(ma.fields.String())


class MatrixHostSchema(ma.Schema):
    name = ma.fields.String(required=True)
    os_version = ma.fields.String(required=True)
    build = ma.fields.Integer(required=True)
    revision = ma.fields.Integer(allow_none=True)
    release = ma.fields.String(allow_none=True)
    type = ma.fields.String(required=True)
    warnings = ma.fields.List(ma.fields.String())


class CellSchema(ma.Schema):
    process = ma.fields.String(required=True, validate=validate.OneOf(VERDICTS))
    hyperv = ma.fields.String(required=True, validate=validate.OneOf(VERDICTS))
    runs = ma.fields.Boolean(required=True)
    recommended_isolation = ma.fields.String(allow_none=True)
    os_version = ma.fields.String(allow_none=True)
    digest = ma.fields.String(allow_none=True)
    rule = ma.fields.String()


class Prebuilt(ma.fields.List):
    """Documented as the list it is; sent as built: the cells are plain data already, and
    serialising 10,000 nested objects field by field took a third of a 100 x 100 answer."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class MatrixResponseSchema(ma.Schema):
    images = ma.fields.List(ma.fields.Nested(MatrixImageSchema), required=True)
    hosts = ma.fields.List(ma.fields.Nested(MatrixHostSchema), required=True)
    cells = Prebuilt(
        ma.fields.List(ma.fields.Nested(CellSchema), allow_none=True),
        required=True,
        metadata={
            "description": "`cells[i][j]` is image i on host j; a row is null when the "
            "image could not be resolved."
        },
    )
    isolation = ma.fields.String()
    runtime = ma.fields.String(allow_none=True)
    summary = ma.fields.String(required=True)


class TaintSchema(ma.Schema):
    key = ma.fields.String(required=True)
    value = ma.fields.String(allow_none=True)
    effect = ma.fields.String(required=True)


class NodeSchema(ma.Schema):
    name = ma.fields.String(required=True)
    platform = ma.fields.String(required=True, metadata={"description": "kubernetes or swarm"})
    os_version = ma.fields.String(allow_none=True)
    build = ma.fields.Integer(allow_none=True)
    revision = ma.fields.Integer(allow_none=True)
    release = ma.fields.String(allow_none=True)
    type = ma.fields.String(allow_none=True)
    version_from = ma.fields.String(
        allow_none=True, metadata={"description": "The field the version was read from."}
    )
    version_text = ma.fields.String(allow_none=True)
    missing = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "When no version could be read: every field looked at."},
    )
    arch = ma.fields.String(allow_none=True)
    runtime = ma.fields.String(
        allow_none=True,
        metadata={"description": "containerRuntimeVersion, e.g. containerd://1.7.20"},
    )
    judged_by_runtime = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "The runtime id (runtimes.md) this node was judged by: its own "
            "containerRuntimeVersion, else the question's `runtime`; null: Microsoft's table."
        },
    )
    unschedulable = ma.fields.Boolean()
    taints = ma.fields.List(ma.fields.Nested(TaintSchema))
    flags = ma.fields.List(ma.fields.String(), metadata={"description": "unschedulable, tainted"})
    process = ma.fields.String(required=True, validate=validate.OneOf(VERDICTS))
    hyperv = ma.fields.String(required=True, validate=validate.OneOf(VERDICTS))
    runs = ma.fields.Boolean(required=True)
    isolation = ma.fields.String(allow_none=True)
    os_version_used = ma.fields.String(allow_none=True)
    digest = ma.fields.String(allow_none=True)
    rule = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    warnings = ma.fields.List(ma.fields.String())


class SkippedSchema(ma.Schema):
    name = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)


class KubernetesSchema(ma.Schema):
    nodeSelector = ma.fields.Dict(allow_none=True)
    affinity = ma.fields.Dict(allow_none=True)
    tolerations = ma.fields.List(ma.fields.Dict())
    runtimeClassName = ma.fields.String(allow_none=True)
    runtime_class = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "When only Hyper-V runs it: a RuntimeClass manifest and why."},
    )
    revision_label = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": "The revision label to select on, and the `kubectl label` "
            "commands that set it."
        },
    )
    selects = ma.fields.List(
        ma.fields.String(), metadata={"description": "The pasted nodes the selector picks."}
    )
    exact = ma.fields.Boolean(metadata={"description": "Whether `selects` is what runs it"})
    isolation = ma.fields.String(allow_none=True)
    notes = ma.fields.List(ma.fields.String())
    yaml = ma.fields.String(metadata={"description": "Pastes into a pod spec."})


class SwarmSchema(ma.Schema):
    constraints = ma.fields.List(ma.fields.String())
    commands = ma.fields.List(ma.fields.String())
    selects = ma.fields.List(ma.fields.String())
    exact = ma.fields.Boolean()
    isolation = ma.fields.String(allow_none=True)
    notes = ma.fields.List(ma.fields.String())


class NodesImageSchema(ma.Schema):
    reference = ma.fields.String(allow_none=True)
    digest = ma.fields.String(allow_none=True)
    os_version = ma.fields.String(allow_none=True)
    platforms = ma.fields.List(ma.fields.Dict())
    cache = ma.fields.Nested(CacheStatusSchema)
    warnings = ma.fields.List(ma.fields.String())


class NodesResponseSchema(ma.Schema):
    image = ma.fields.Nested(NodesImageSchema, required=True)
    isolation = ma.fields.String()
    runtime = ma.fields.String(allow_none=True)
    shape = ma.fields.String(metadata={"description": "List, Node, array or swarm"})
    nodes = ma.fields.List(ma.fields.Nested(NodeSchema), required=True)
    skipped = ma.fields.List(ma.fields.Nested(SkippedSchema), required=True)
    runs_on = ma.fields.List(ma.fields.String(), required=True)
    fails_on = ma.fields.List(ma.fields.String(), required=True)
    unknown_on = ma.fields.List(ma.fields.String())
    kubernetes = ma.fields.Nested(KubernetesSchema, allow_none=True)
    swarm = ma.fields.Nested(SwarmSchema, allow_none=True)
    remedies = ma.fields.List(ma.fields.Nested(RemedySchema))
    remedies_for = ma.fields.String(
        allow_none=True, metadata={"description": "The release the remedies were judged for."}
    )
    summary = ma.fields.String(required=True)
