"""The badge's query: /compat's parameters plus a label (for the OpenAPI document)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.schemas import CompatQuerySchema


class BadgeQuerySchema(CompatQuerySchema):
    label = ma.fields.String(
        validate=validate.Length(max=40),
        metadata={"description": "The badge's left text; default `windows compat`."},
    )
    isolation = ma.fields.String(
        validate=validate.OneOf(("any", "process", "hyperv")),
        metadata={"description": "The modes you can use: `any` (default), `process`, `hyperv`."},
    )
