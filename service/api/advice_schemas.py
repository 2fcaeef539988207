"""Schemas of GET/POST /advice: the contract of advice.md."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.advice.choose import ISOLATIONS
from service.advice.shapes import KINDS
from service.api.schemas import MAX_HOST, MAX_IMAGE, CacheSchema

MAX_HOSTS = 100


class _Question(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    repository = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_IMAGE),
        metadata={
            "description": "A repository on the allow-list; a tag given with it "
            "(`…/aspnet:4.8-windowsservercore-ltsc2019`) selects its family of tags.",
            "example": "mcr.microsoft.com/windows/servercore",
        },
    )
    kb = ma.fields.String(
        validate=validate.Length(min=1, max=16),
        metadata={"description": "A KB number: the revision it brings, from the tag list."},
    )
    isolation = ma.fields.String(
        load_default="process",
        validate=validate.OneOf(ISOLATIONS),
        metadata={"description": "Which mode must run the tag: process (default), hyperv, any."},
    )
    arch = ma.fields.String(load_default="amd64", validate=validate.OneOf(("amd64", "arm64")))
    family = ma.fields.String(
        validate=validate.Length(max=MAX_IMAGE),
        metadata={"description": "Tag prefix of the family, e.g. `4.8-windowsservercore-`."},
    )

    @ma.validates_schema
    def something_asked(self, data, **kwargs):
        if not data.get("hosts") and not data.get("kb"):
            message = "Give at least one host (or a kb to look up)."
            raise ma.ValidationError({"host": [message]})


_HOSTS = ma.fields.List(
    ma.fields.String(validate=validate.Length(min=1, max=MAX_HOST)),
    validate=validate.Length(max=MAX_HOSTS),
    load_default=list,
)


class AdviceQuerySchema(_Question):
    hosts = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=MAX_HOST)),
        validate=validate.Length(max=MAX_HOSTS),
        load_default=list,
        data_key="host",
        metadata={"description": "A host version in any shape /compat accepts; may repeat."},
    )


class AdviceBodySchema(_Question):
    hosts = _HOSTS


class AdviceHostSchema(ma.Schema):
    os_version = ma.fields.String(required=True)
    build = ma.fields.Integer(required=True)
    release = ma.fields.String(allow_none=True)


class PickSchema(ma.Schema):
    tag = ma.fields.String(required=True)
    os_version = ma.fields.String(allow_none=True)
    digest = ma.fields.String(allow_none=True)


class TagRowSchema(ma.Schema):
    tag = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, validate=validate.OneOf(KINDS))
    build = ma.fields.Integer(allow_none=True)
    revision = ma.fields.Integer(allow_none=True)
    kb = ma.fields.String(allow_none=True)
    family = ma.fields.String()
    arch = ma.fields.String(allow_none=True)
    runs_on = ma.fields.List(ma.fields.String(), required=True)


class KbPairSchema(ma.Schema):
    kb = ma.fields.String(required=True)
    tag = ma.fields.String(required=True)
    os_version = ma.fields.String(allow_none=True)
    revision = ma.fields.Integer(allow_none=True)
    digest = ma.fields.String(allow_none=True)
    pinned_tag = ma.fields.String(allow_none=True)


class SplitSchema(ma.Schema):
    build = ma.fields.Integer(required=True)
    hosts = ma.fields.List(ma.fields.String())
    floating = ma.fields.Nested(PickSchema, allow_none=True)
    pinned = ma.fields.Nested(PickSchema, allow_none=True)
    dockerfile = ma.fields.String(allow_none=True)


class KbLookupSchema(ma.Schema):
    kb = ma.fields.String(required=True)
    revision = ma.fields.Integer(allow_none=True)
    os_version = ma.fields.String(allow_none=True)
    tags = ma.fields.List(ma.fields.Nested(KbPairSchema))


class AskedTagSchema(ma.Schema):
    tag = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, validate=validate.OneOf(KINDS))
    os_version = ma.fields.String(allow_none=True)
    digest = ma.fields.String(allow_none=True)
    runs_on = ma.fields.List(ma.fields.String(), required=True)


class AdviceResponseSchema(ma.Schema):
    repository = ma.fields.String(required=True)
    hosts = ma.fields.List(ma.fields.Nested(AdviceHostSchema), required=True)
    family = ma.fields.String(allow_none=True)
    floating = ma.fields.Nested(PickSchema, allow_none=True)
    pinned = ma.fields.Nested(PickSchema, allow_none=True)
    dockerfile = ma.fields.String(allow_none=True)
    tags = ma.fields.List(ma.fields.Nested(TagRowSchema), required=True)
    kb = ma.fields.List(ma.fields.Nested(KbPairSchema), required=True)
    kb_lookup = ma.fields.Nested(KbLookupSchema, allow_none=True)
    splits = ma.fields.List(
        ma.fields.Nested(SplitSchema),
        metadata={"description": "When no tag runs on every host: the answer per build."},
    )
    tag_count = ma.fields.Integer(required=True)
    truncated = ma.fields.Boolean(required=True)
    warnings = ma.fields.List(ma.fields.String(), required=True)
    cache = ma.fields.Nested(CacheSchema, allow_none=True)
    asked = ma.fields.Nested(
        AskedTagSchema,
        allow_none=True,
        metadata={"description": "The tag given with the repository, read from its manifest."},
    )
