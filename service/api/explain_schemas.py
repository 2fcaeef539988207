"""POST /explain request and answer (explain.md): the schemas are the contract."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.schemas import MAX_HOST, MAX_IMAGE, CompatResponseSchema
from service.pastes.question import MAX_QUESTION

MAX_TEXT = 256 * 1024  # bytes of paste; longer is a 413


class ExplainRequestSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    text = ma.fields.String(
        validate=validate.Length(min=1),
        metadata={
            "description": "The paste: docker run error, `docker service ps --no-trunc`, "
            "`kubectl describe pod`, a pull error, … (at most 256 KiB)."
        },
    )
    q = ma.fields.String(
        validate=validate.Length(min=1, max=MAX_QUESTION),
        metadata={
            "description": "Instead of `text`: a question in words with the error in it "
            "(`my pod fails with 0xc0370101 on Windows Server 2022, image …`); the image and "
            "the host are read from it when not given."
        },
    )
    host = ma.fields.String(
        validate=validate.Length(min=1, max=MAX_HOST),
        metadata={
            "description": "The host's version in any shape /compat accepts, when the "
            "paste does not say it."
        },
    )
    host_type = ma.fields.String(validate=validate.OneOf(("server", "client")))
    image = ma.fields.String(
        validate=validate.Length(min=1, max=MAX_IMAGE),
        metadata={"description": "The image reference, when the paste does not name it."},
    )
    nodes = ma.fields.Raw(
        metadata={
            "description": "A fleet.md nodes paste (kubectl get nodes -o json, docker node "
            "inspect), matched by the node name in the paste."
        },
    )


class ExplainQuerySchema(ma.Schema):
    """With a text/plain body, the other fields come as query parameters; GET asks with `q`."""

    class Meta:
        unknown = ma.EXCLUDE

    q = ma.fields.String(
        validate=validate.Length(min=1, max=MAX_QUESTION),
        metadata={"description": "GET: a question in words with the error in it."},
    )

    host = ma.fields.String(validate=validate.Length(min=1, max=MAX_HOST))
    host_type = ma.fields.String(validate=validate.OneOf(("server", "client")))
    image = ma.fields.String(validate=validate.Length(min=1, max=MAX_IMAGE))


class HcsErrorSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "0xc0370101"})
    name = ma.fields.String(allow_none=True, metadata={"example": "HCS_E_IMAGE_MISMATCH"})
    meaning = ma.fields.String(required=True, metadata={"example": "image-os-mismatch"})
    description = ma.fields.String(required=True)
    version_problem = ma.fields.String(
        required=True,
        validate=validate.OneOf(("mismatch", "known-problem", "unknown", "no")),
        metadata={
            "description": "mismatch: the code says the image does not fit the host; "
            "known-problem: a generic code that known version problems produce; unknown: a code "
            "outside the table; no: not a version problem."
        },
    )
    known_problems = ma.fields.List(ma.fields.String())


class FoundHostSchema(ma.Schema):
    os_version = ma.fields.String(required=True)
    build = ma.fields.Integer(required=True)
    revision = ma.fields.Integer(allow_none=True)
    release = ma.fields.String(allow_none=True)
    type = ma.fields.String(required=True, validate=validate.OneOf(("server", "client")))
    source = ma.fields.String(
        data_key="from",
        attribute="from",
        metadata={"description": "host, the paste's own line, or nodes: FIELD of NODE"},
    )


class FoundSchema(ma.Schema):
    error = ma.fields.String(metadata={"description": "The main HCS code."})
    meaning = ma.fields.String(
        metadata={
            "description": "Its meaning, or the pull refusal: image-newer-than-host, "
            "no-platform-match."
        },
    )
    errors = ma.fields.List(ma.fields.Nested(HcsErrorSchema))
    refusal = ma.fields.String()
    isolation = ma.fields.String(metadata={"description": "process or hyperv, as the run used"})
    orchestrator = ma.fields.String(
        metadata={"description": "docker, swarm, kubernetes, containerd"}
    )
    image = ma.fields.String(metadata={"description": "The reference, with digest when pasted."})
    image_tag = ma.fields.String()
    image_version = ma.fields.String()
    image_os_versions = ma.fields.List(ma.fields.String())
    host_version = ma.fields.String(metadata={"description": "The host version the paste states."})
    host = ma.fields.Nested(FoundHostSchema)
    node = ma.fields.String()
    node_ip = ma.fields.String()
    pod = ma.fields.String()
    namespace = ma.fields.String()
    container = ma.fields.String()
    service = ma.fields.String()
    replicas = ma.fields.String()
    failures = ma.fields.Integer(metadata={"description": "How often it failed."})
    state = ma.fields.String()
    state_reason = ma.fields.String()
    last_state = ma.fields.String()
    last_reason = ma.fields.String()
    exit_code = ma.fields.String()
    message = ma.fields.String()
    node_selectors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    arch = ma.fields.String()
    operation = ma.fields.String()


class FixSchema(ma.Schema):
    """Dumps the fix dicts of service.explain. Keys only: marshmallow falls back to getattr for
    a missing key, and `update` would then be dict.update written as a string."""

    def get_attribute(self, obj, attr, default):
        if isinstance(obj, dict):
            return obj.get(attr, default)
        return super().get_attribute(obj, attr, default)

    action = ma.fields.String(
        required=True,
        metadata={"description": "rebuild, hyperv, schedule, update-host or give-revision"},
    )
    detail = ma.fields.String(required=True)
    yaml = ma.fields.String()
    commands = ma.fields.List(ma.fields.String())
    runtime_class = ma.fields.String()
    command = ma.fields.String()
    tag = ma.fields.String()
    base_image = ma.fields.String()
    daemon_json = ma.fields.Dict()
    nodeSelector = ma.fields.Dict(allow_none=True)  # the Kubernetes field name
    affinity = ma.fields.Dict(allow_none=True)
    pod_spec = ma.fields.Dict()
    constraint = ma.fields.String()
    host_builds = ma.fields.List(ma.fields.Integer())
    note = ma.fields.String()
    process = ma.fields.String()
    update = ma.fields.String()
    host_version = ma.fields.String()
    build = ma.fields.Integer()
    isolation = ma.fields.String()
    own_from = ma.fields.Boolean(metadata={"description": "The image is not a base: edit its FROM"})
    constraints = ma.fields.List(ma.fields.String())
    runs_on = ma.fields.List(
        ma.fields.String(), metadata={"description": "Pasted nodes that run it"}
    )
    fails_on = ma.fields.List(ma.fields.String())
    notes = ma.fields.List(ma.fields.String())


class ImageErrorSchema(ma.Schema):
    type = ma.fields.String(required=True)
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()


class ExplainResponseSchema(ma.Schema):
    recognised = ma.fields.Boolean(required=True)
    found = ma.fields.Nested(FoundSchema, required=True)
    shapes = ma.fields.List(ma.fields.String(), required=True)
    needs = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(("host", "image"))), required=True
    )
    compat = ma.fields.Nested(CompatResponseSchema, allow_none=True)
    image_error = ma.fields.Nested(ImageErrorSchema, allow_none=True)
    fixes = ma.fields.List(ma.fields.Nested(FixSchema), required=True)
    accepts = ma.fields.List(ma.fields.String(), required=True)
    warnings = ma.fields.List(ma.fields.String(), required=True)
    summary = ma.fields.String(required=True)
