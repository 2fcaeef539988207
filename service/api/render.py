"""The /compat answer as plain data (api.md), built once per question."""

from __future__ import annotations

from service.compat import catalog
from service.compat.assessment import Assessment
from service.compat.image import ResolvedImage
from service.compat.remedies import Remedy
from service.compat.rules import Host, Judgement
from service.compat.runtimes import BY_ID, Outcome
from service.compat.selection import Entry, Selection
from service.compat.versions import WindowsVersion


def judgement(j: Judgement) -> dict:
    return {"verdict": j.verdict.value, "reason": j.reason, "rule": j.rule}


def isolation(process: Judgement, hyperv: Judgement) -> dict:
    return {"process": judgement(process), "hyperv": judgement(hyperv)}


def host(h: Host) -> dict:
    release = catalog.release_for(h.build, h.kind)
    return {
        "os_version": str(h.version),
        "build": h.build,
        "revision": h.version.revision,
        "release": release.name if release else None,
        "type": h.kind,
    }


def remedy(r: Remedy) -> dict:
    return {"action": r.action, "detail": r.detail, "fields": dict(r.fields)}


def _release_name(version: WindowsVersion | None) -> str | None:
    release = catalog.release_for(version.build, catalog.SERVER) if version else None
    return release.name if release else None


def version_image(version: WindowsVersion) -> dict:
    return {
        "reference": None,
        "digest": None,
        "os_version": str(version),
        "build": version.build,
        "revision": version.revision,
        "release": _release_name(version),
        "platforms": [],
    }


def platform(entry: Entry, chosen: Entry | None) -> dict:
    p = entry.platform
    return {
        "os": p.os,
        "architecture": p.architecture,
        "variant": p.variant,
        "os_version": p.os_version,
        "os_version_source": p.version_source,
        "digest": p.digest,
        "release": _release_name(entry.version),
        "selected": entry is chosen,
        "isolation": isolation(entry.process, entry.hyperv),
    }


def resolved_image(image: ResolvedImage, selection: Selection) -> dict:
    chosen = selection.chosen
    version = chosen.version if chosen else None
    return {
        "reference": image.reference,
        "digest": image.digest,
        "media_type": image.media_type,
        "os_version": chosen.platform.os_version if chosen else None,
        "build": version.build if version else None,
        "revision": version.revision if version else None,
        "release": _release_name(version),
        "platforms": [platform(e, chosen) for e in selection.entries],
    }


def runtime(o: Outcome) -> dict:
    j = o.judgement
    return {
        "name": BY_ID[o.runtime].versions,
        "matches": o.matches,
        "pulls": o.pulls,
        "os_version": o.os_version,
        "starts": o.starts,
        "isolation": o.isolation,
        "detail": o.detail,
        "verdict": j.verdict.value if j else None,
        "rule": j.rule if j else None,
    }


def runtimes(outcomes: dict[str, Outcome]) -> dict:
    return {rid: runtime(o) for rid, o in outcomes.items()}


def answer(
    a: Assessment, image: dict, cache: dict | None = None, outcomes: dict | None = None
) -> dict:
    return {
        "image": image,
        "host": host(a.host),
        "isolation": isolation(a.process, a.hyperv),
        "compatible": a.compatible,
        "recommended_isolation": a.recommended_isolation,
        "warnings": list(a.warnings),
        "remedies": [remedy(r) for r in a.remedies],
        "runtimes": runtimes(outcomes or {}),
        "summary": a.summary,
        "cache": cache,
    }
