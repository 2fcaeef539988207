"""Request and response schemas: they validate input and document the contract."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.runtime_schemas import RuntimeOutcomeSchema
from service.compat.assessment import DEFAULT_ISOLATION, ISOLATION_CHOICES
from service.compat.runtime_ids import RUNTIME_IDS
from service.compat.versions import MAX_INPUT
from service.questions.compat import host_release

MAX_HOST = MAX_INPUT  # characters here; parse_version bounds it in bytes
MAX_IMAGE = 1024
MAX_VERSION = 256
VERDICTS = ("supported", "unsupported", "preview", "unknown")


class CompatQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE  # a typo like `isolaton` must not be ignored: 422 naming it

    image = ma.fields.String(
        validate=validate.Length(min=1, max=MAX_IMAGE),
        metadata={
            "description": "An image reference; the registry is asked for its os.version.",
            "example": "mcr.microsoft.com/windows/servercore:ltsc2022",
        },
    )
    image_version = ma.fields.String(
        validate=validate.Length(min=1, max=MAX_VERSION),
        metadata={
            "description": "Instead of `image`: the image's OS version; no registry is asked.",
            "example": "10.0.17763.5122",
        },
    )
    host = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_HOST),
        metadata={
            "description": "The host's version in any shape: `10.0.20348.2113`, `ver` output, "
            "`docker info` OperatingSystem, BuildLabEx, kernel version, `ltsc2022`, ...",
            "example": "10.0.20348.2700",
        },
    )
    host_type = ma.fields.String(
        validate=validate.OneOf(("server", "client")),
        metadata={"description": "`server` (default) or `client` (Windows 10/11)."},
    )
    arch = ma.fields.String(
        load_default="amd64",
        validate=validate.OneOf(("amd64", "arm64")),
        metadata={"description": "The host's architecture."},
    )
    runtime = ma.fields.String(
        validate=validate.OneOf(RUNTIME_IDS),
        metadata={
            "description": "A runtime id of runtimes.md: its outcome decides `compatible`.",
            "example": "containerd-1.7",
        },
    )
    isolation = ma.fields.String(
        load_default=DEFAULT_ISOLATION,
        validate=validate.OneOf(ISOLATION_CHOICES),
        metadata={
            "description": "The isolation modes the caller can use: `any` (default), `process` "
            "or `hyperv`. It decides `compatible`, `recommended_isolation` and the summary's "
            "first words (Kubernetes on AKS/EKS/GKE has no Hyper-V isolation by default: ask "
            "with `process`)."
        },
    )

    @ma.validates_schema
    def one_image(self, data, **kwargs):
        given = [name for name in ("image", "image_version") if data.get(name)]
        if len(given) != 1:
            message = "Give exactly one of `image` and `image_version`."
            raise ma.ValidationError({"image": [message], "image_version": [message]})


# The answer's schemas dump service.questions.compat.CompatAnswer: what they declare is what
# is sent (the view returns the answer; @blp.response serialises it) and what the OpenAPI
# document shows, example included.


def _computed(serialize, **kwargs) -> ma.fields.Function:
    """A string worked out from the object when dumped; loaded back as it is (for validate)."""
    return ma.fields.Function(serialize, deserialize=str, metadata={"type": "string"}, **kwargs)


class JudgementSchema(ma.Schema):
    verdict = ma.fields.String(required=True, validate=validate.OneOf(VERDICTS))
    reason = ma.fields.String(required=True)
    rule = ma.fields.String(metadata={"description": "Stable id of the rule that decided."})


class IsolationSchema(ma.Schema):
    process = ma.fields.Nested(JudgementSchema, required=True)
    hyperv = ma.fields.Nested(JudgementSchema, required=True)


class PlatformSchema(ma.Schema):
    os = ma.fields.String(required=True, attribute="entry.platform.os")
    architecture = ma.fields.String(required=True, attribute="entry.platform.architecture")
    variant = ma.fields.String(allow_none=True, attribute="entry.platform.variant")
    os_version = ma.fields.String(allow_none=True, attribute="entry.platform.os_version")
    os_version_source = ma.fields.String(
        attribute="entry.platform.version_source",
        validate=validate.OneOf(("index", "config", "none")),
        metadata={"description": "Where os_version came from; runtimes see only `index`."},
    )
    digest = ma.fields.String(allow_none=True, attribute="entry.platform.digest")
    release = ma.fields.String(allow_none=True)
    selected = ma.fields.Boolean()
    isolation = ma.fields.Nested(IsolationSchema, required=True, attribute="entry")


class ImageSchema(ma.Schema):
    reference = ma.fields.String(allow_none=True)
    digest = ma.fields.String(allow_none=True)
    media_type = ma.fields.String(allow_none=True)
    os_version = ma.fields.String(allow_none=True)
    build = ma.fields.Integer(allow_none=True)
    revision = ma.fields.Integer(allow_none=True)
    release = ma.fields.String(allow_none=True)
    platforms = ma.fields.List(ma.fields.Nested(PlatformSchema))


class HostSchema(ma.Schema):
    os_version = _computed(lambda h: str(h.version), required=True)
    build = ma.fields.Integer(required=True)
    revision = ma.fields.Integer(allow_none=True, attribute="version.revision")
    release = _computed(host_release, allow_none=True)
    type = ma.fields.String(
        required=True, attribute="kind", validate=validate.OneOf(("server", "client"))
    )


class RemedySchema(ma.Schema):
    action = ma.fields.String(
        required=True,
        metadata={"description": "rebuild, hyperv, schedule, update-host or give-revision"},
    )
    detail = ma.fields.String(required=True)
    fields = ma.fields.Dict(metadata={"description": "Machine-readable specifics."})


class CacheSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=validate.OneOf(("hit", "miss", "stale")))
    age_seconds = ma.fields.Integer(required=True)


class CompatResponseSchema(ma.Schema):
    image = ma.fields.Nested(ImageSchema, required=True)
    host = ma.fields.Nested(HostSchema, required=True, attribute="assessment.host")
    isolation = ma.fields.Nested(IsolationSchema, required=True, attribute="assessment")
    compatible = ma.fields.Boolean(required=True, attribute="assessment.compatible")
    recommended_isolation = ma.fields.String(
        allow_none=True,
        validate=validate.OneOf(("process", "hyperv")),
        attribute="assessment.recommended_isolation",
    )
    warnings = ma.fields.List(ma.fields.String(), required=True, attribute="assessment.warnings")
    remedies = ma.fields.List(
        ma.fields.Nested(RemedySchema), required=True, attribute="assessment.remedies"
    )
    runtimes = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.OneOf(RUNTIME_IDS)),
        values=ma.fields.Nested(RuntimeOutcomeSchema),
        metadata={
            "description": "Per runtime (runtimes.md): the entry it pulls, and whether it starts."
        },
    )
    summary = ma.fields.String(required=True, attribute="assessment.summary")
    cache = ma.fields.Nested(CacheSchema, allow_none=True)


class ProblemSchema(ma.Schema):
    type = ma.fields.String(required=True, metadata={"example": "/problems/invalid-request"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "For invalid input: each bad field and what is wrong."},
    )
    retry_after = ma.fields.Integer(metadata={"description": "Seconds, for rate limits."})


class ReleaseSchema(ma.Schema):
    build = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    version_id = ma.fields.String(allow_none=True)
    channel = ma.fields.String(allow_none=True)
    tags = ma.fields.List(ma.fields.String())
    has_images = ma.fields.Boolean()
    mainstream_end = ma.fields.Date(allow_none=True)
    support_end = ma.fields.Date(allow_none=True)
    note = ma.fields.String()


class VersionsSchema(ma.Schema):
    releases = ma.fields.List(ma.fields.Nested(ReleaseSchema), required=True)


class StatusSchema(ma.Schema):
    status = ma.fields.String(required=True)
    checks = ma.fields.Dict()
