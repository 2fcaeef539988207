"""Schemas of the runtime and known-problem parts of answers (runtimes.md): the contract."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.compat.known_problems import ALL_RUNTIMES, EFFECTS, MODES
from service.compat.runtimes import BY_ID, Outcome


class KnownProblemSchema(ma.Schema):
    id = ma.fields.String(required=True, metadata={"example": "win11-25h2-ltsc2025"})
    rule = ma.fields.String(
        required=True, metadata={"description": "The `rule` of verdicts it decides."}
    )
    hosts = ma.fields.Dict(
        required=True,
        metadata={"description": "`build` and `revision` (N or {min, max}), `kind`."},
    )
    images = ma.fields.Dict(
        required=True,
        metadata={"description": "`build` and `revision` (N, {min, max} or newer-than-host)."},
    )
    isolation = ma.fields.List(ma.fields.String(validate=validate.OneOf(MODES)), required=True)
    runtimes = ma.fields.Raw(
        required=True, metadata={"description": f"`{ALL_RUNTIMES}` or a list of runtime ids."}
    )
    effect = ma.fields.String(required=True, validate=validate.OneOf(EFFECTS))
    error = ma.fields.String(allow_none=True)
    text = ma.fields.String(required=True)
    source = ma.fields.String(required=True)


class KnownProblemsSchema(ma.Schema):
    known_problems = ma.fields.List(ma.fields.Nested(KnownProblemSchema), required=True)
    override = ma.fields.Boolean(
        required=True,
        metadata={"description": "Whether a WINCOMPAT_KNOWN_PROBLEMS file adds to the table."},
    )


def _judged(o: Outcome, attr: str) -> str | None:
    j = o.judgement
    return None if j is None else str(getattr(j, attr))


class RuntimeOutcomeSchema(ma.Schema):
    """Dumps service.compat.runtimes.Outcome."""

    name = ma.fields.Function(
        lambda o: BY_ID[o.runtime].versions,
        deserialize=str,
        metadata={"type": "string", "description": "Which releases the row stands for."},
    )
    matches = ma.fields.Boolean(
        required=True,
        metadata={"description": "The runtime's platform matcher accepts the entry it chooses."},
    )
    pulls = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Digest of the entry it pulls; null for image_version."},
    )
    os_version = ma.fields.String(allow_none=True, required=True)
    starts = ma.fields.Boolean(
        allow_none=True,
        required=True,
        metadata={"description": "It starts in `isolation`; null when the version is unknown."},
    )
    isolation = ma.fields.String(
        validate=validate.OneOf(MODES),
        metadata={"description": "process; hyperv for Docker on Windows 10/11 (its default)."},
    )
    detail = ma.fields.String(allow_none=True, metadata={"description": "Why not."})
    verdict = ma.fields.Function(
        lambda o: _judged(o, "verdict"),
        deserialize=str,
        allow_none=True,
        metadata={"type": "string"},
    )
    rule = ma.fields.Function(
        lambda o: _judged(o, "rule"), deserialize=str, allow_none=True, metadata={"type": "string"}
    )
