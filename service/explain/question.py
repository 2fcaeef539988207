"""explain(question, lookup): read the paste, resolve and judge the image it names against
the host it names (or `host`), and answer with the /compat answer, concrete fixes and one
sentence. Pure: the registry is reached only through `lookup`, which the door supplies
(the resolver behind the allow-list), so nothing in the paste is fetched but the image."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from service.api import render
from service.compat import catalog
from service.compat.assessment import Assessment, assess, host_from_text, parse_image_version
from service.compat.remedies import DEFAULT_BASE
from service.compat.rules import Host
from service.compat.selection import select_platform
from service.compat.versions import InvalidVersion
from service.explain import hcs_codes, known, sentences
from service.explain.fixes import Target, concrete_fixes
from service.pastes.failures import ACCEPTED, Paste, read_failure
from service.registry.reference import ImageReference, InvalidReference, parse_reference


class LookupFailed(Exception):
    """The door could not resolve the image; `problem` is what /compat would have answered."""

    def __init__(self, problem: dict) -> None:
        super().__init__(problem.get("detail", ""))
        self.problem = problem


Lookup = Callable[[ImageReference], object]  # -> service.cache.resolver.Resolution


@dataclass(frozen=True)
class Question:
    text: str
    host: str | None = None
    host_type: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class Judged:
    assessment: Assessment | None
    compat: dict | None
    image_error: dict | None


def _errors(paste: Paste) -> list[dict]:
    codes = list(paste.facts.get("codes", []))
    message = paste.facts.get("system_message")
    if not codes and isinstance(message, str) and (known := hcs_codes.by_message(message)):
        codes = [known.code]
    found = []
    for code in codes:
        entry = hcs_codes.lookup(code)
        found.append(
            {
                "code": code,
                "name": entry.name if entry else None,
                "meaning": entry.slug if entry else "unknown-hcs-code",
                "description": entry.meaning if entry else "A code outside hcsshim's HCS table.",
                "version_problem": entry.version if entry else "unknown",
                "known_problems": list(entry.known_problems) if entry else [],
            }
        )
    return found


def _primary(errors: list[dict]) -> dict | None:
    order = {"mismatch": 0, "known-problem": 1, "unknown": 2, "no": 3}
    return min(errors, key=lambda e: order[e["version_problem"]]) if errors else None


def _found(paste: Paste, errors: list[dict]) -> dict:
    facts = paste.facts
    primary = _primary(errors)
    refusal = facts.get("refusal")
    keys = (
        "isolation",
        "orchestrator",
        "node",
        "node_ip",
        "pod",
        "namespace",
        "container",
        "service",
        "failures",
        "state",
        "state_reason",
        "last_state",
        "last_reason",
        "exit_code",
        "message",
        "node_selectors",
        "replicas",
        "arch",
        "operation",
    )
    found: dict = {
        "error": primary["code"] if primary else None,
        "meaning": primary["meaning"] if primary else refusal,
        "errors": errors,
        "refusal": refusal,
        "image": facts.get("image_id") or facts.get("image"),
        "image_tag": facts.get("image") if facts.get("image_id") else None,
        "image_version": facts.get("image_version"),
        "host_version": facts.get("host_text"),
        **{k: facts.get(k) for k in keys},
    }
    return {k: v for k, v in found.items() if v not in (None, [], {})}


def _host(q: Question, paste: Paste, warnings: list[str]) -> tuple[Host | None, str | None]:
    """The host: `host` if given (bad text is the caller's 422), else the paste's."""
    if q.host:
        host, notes = host_from_text(q.host, q.host_type)
        warnings.extend(notes)
        return host, "host"
    text, source = paste.facts.get("host_text"), paste.facts.get("host_from", "the paste")
    if not text:
        text, source = _node_version(paste)
    if isinstance(text, str):
        try:
            host, notes = host_from_text(text, q.host_type)
        except (InvalidVersion, ValueError):
            return None, None
        warnings.extend(notes)
        return host, str(source)
    return None, None


def _node_version(paste: Paste) -> tuple[str | None, str | None]:
    """The failing node's Kernel Version from a `kubectl describe node` in the same paste; with
    no node named, the only node described."""
    versions = paste.facts.get("node_versions")
    if not isinstance(versions, dict) or not versions:
        return None, None
    node = paste.facts.get("node")
    if not node and len(versions) == 1:
        node = next(iter(versions))
    text = versions.get(str(node)) if node else None
    return (text, f"kubectl describe node {node}") if text else (None, None)


def _reference(q: Question, found: dict, warnings: list[str]) -> ImageReference | None:
    if q.image:
        return parse_reference(q.image)  # the caller's field: a bad one is a 422
    text = found.get("image")
    if not text:
        return None
    try:
        return parse_reference(text)
    except InvalidReference as exc:
        warnings.append(
            f"The pasted image {text!r} is not a reference wincompat can look up: {exc}"
        )
        return None


def _base_repository(ref: ImageReference) -> str:
    name = f"{ref.registry}/{ref.repository}"
    return name if name in catalog.BASE_IMAGE_REPOSITORIES else catalog.BASE_IMAGE_REPOSITORIES[0]


def _judge_reference(
    ref, host: Host | None, q: Question, arch: str, lookup: Lookup, warnings: list[str], found: dict
) -> Judged:
    try:
        resolution = lookup(ref)
    except LookupFailed as exc:
        return Judged(None, None, exc.problem)
    versions = [p.os_version for p in resolution.image.platforms if p.is_windows and p.os_version]
    found["image_os_versions"] = versions
    if host is None:
        return Judged(None, None, None)
    selection = select_platform(
        host,
        resolution.image.platforms,
        arch=arch,
        name=str(ref),
        requested_kind=q.host_type,
        repository=_base_repository(ref),
        extra_warnings=(*warnings, *resolution.warnings),
    )
    cache = {"status": resolution.cache_status, "age_seconds": resolution.age_seconds}
    image = render.resolved_image(resolution.image, selection)
    return Judged(selection.assessment, render.answer(selection.assessment, image, cache), None)


def _judge_version(text: str, host: Host, q: Question, warnings: list[str]) -> Judged:
    parsed = parse_image_version(text)
    a = assess(host, parsed.version, requested_kind=q.host_type, extra_warnings=tuple(warnings))
    return Judged(a, render.answer(a, render.version_image(parsed.version)), None)


def _revision_fix(a: Assessment | None, found: dict, fixes: list[dict]) -> list[dict]:
    """An HCS failure on a pair the rules allow, whose image revision is newer than the host's:
    the known problem's fix, updating the host."""
    update = known.update_host_fix(a) if a and found.get("error") else None
    if update is None or any(f["action"] == "update-host" for f in fixes):
        return []
    return [update]


def _unrecognised() -> dict:
    return {
        "recognised": False,
        "found": {},
        "shapes": [],
        "needs": [],
        "compat": None,
        "fixes": [],
        "accepts": list(ACCEPTED),
        "summary": sentences.UNRECOGNISED,
        "warnings": [],
    }


def explain(q: Question, lookup: Lookup) -> dict:
    """The whole answer of explain.md. Raises InvalidVersion/InvalidReference/ValueError for a
    bad `host`, `host_type` or `image` field (the caller's 422), never for the paste."""
    paste = read_failure(q.text)
    if not paste.recognised:
        return _unrecognised()
    warnings: list[str] = []
    found = _found(paste, _errors(paste))
    host, host_from = _host(q, paste, warnings)
    ref = _reference(q, found, warnings)
    if ref is not None:
        found["image"] = str(ref)
    arch = str(found.get("arch", "amd64"))
    judged = Judged(None, None, None)
    version_related = sentences.version_related(found)
    if ref is not None and (version_related or host is not None):  # else nothing to ask
        judged = _judge_reference(ref, host, q, arch, lookup, warnings, found)
    elif host is not None and found.get("image_version"):
        judged = _judge_version(str(found["image_version"]), host, q, warnings)
    if host is not None:
        found["host"] = {**render.host(host), "from": host_from}
    needs = []
    if version_related and host is None:
        needs.append("host")
    if version_related and ref is None and not found.get("image_version"):
        needs.append("image")
    target = Target(
        orchestrator=found.get("orchestrator"),
        image=found.get("image"),
        node=found.get("node"),
        service=found.get("service"),
        pod=found.get("pod"),
        isolation=found.get("isolation"),
        repository=_base_repository(ref) if ref else DEFAULT_BASE,
    )
    fixes = concrete_fixes(judged.assessment, target) if judged.assessment else []
    fixes += _revision_fix(judged.assessment, found, fixes)
    answer = {
        "recognised": True,
        "found": found,
        "shapes": paste.shapes,
        "needs": needs,
        "compat": judged.compat,
        "image_error": judged.image_error,
        "fixes": fixes,
        "accepts": [],
        "warnings": warnings,
    }
    answer["summary"] = sentences.summary(
        found, needs, judged.assessment, fixes, judged.image_error
    )
    return answer
