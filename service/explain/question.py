"""explain(question, registry): read the paste, resolve and judge the image it names against
the host it names (or `host`, or its node in `nodes`), and answer with the /compat answer
(service.questions.compat.answer, the function /compat itself calls), concrete fixes and one
sentence. Pure: the registry is reached only through the resolver and allow-list the door
supplies, so nothing in the paste is fetched but the image."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from service.compat import catalog
from service.compat.assessment import Assessment, host_from_text
from service.compat.remedies import DEFAULT_BASE
from service.compat.rules import Host
from service.compat.versions import InvalidVersion
from service.explain import hcs_codes, known, sentences
from service.explain.cluster import schedule_fix
from service.explain.fixes import Target, concrete_fixes
from service.explain.nodes_host import host_from_nodes
from service.fleet.questions import Doors
from service.pastes.failures import ACCEPTED, Paste, read_failure
from service.pastes.nodes import NodeList, read_nodes
from service.questions import compat
from service.registry.errors import RegistryError, RegistryNotAllowed
from service.registry.reference import ImageReference, InvalidReference, parse_reference


@dataclass(frozen=True)
class Registry:
    """What the door supplies: the resolver, the allow-list, and how a registry failure reads
    as a problem object (api.md) inside the answer."""

    resolver: compat.Resolver
    allowed: Callable[[str], bool]
    problem: Callable[[RegistryError], dict]


@dataclass(frozen=True)
class Question:
    text: str
    host: str | None = None
    host_type: str | None = None
    image: str | None = None
    nodes: object | None = None  # a fleet.md nodes paste: parsed JSON, or JSON/YAML text


@dataclass(frozen=True)
class HostFound:
    host: Host
    text: str  # what /compat is asked with, so its parsing notes come along
    source: str


@dataclass(frozen=True)
class Judged:
    assessment: Assessment | None
    compat: compat.CompatAnswer | None
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


def _host(
    q: Question, paste: Paste, nodes: NodeList | None, node: str | None, warnings: list[str]
) -> HostFound | None:
    """`host` if given (bad text is the caller's 422), else the paste's, else `nodes`."""
    if q.host:
        host, notes = host_from_text(q.host, q.host_type)
        warnings.extend(notes)
        return HostFound(host, q.host, "host")
    text, source = paste.facts.get("host_text"), paste.facts.get("host_from", "the paste")
    if not text:
        text, source = _node_version(paste)
    if isinstance(text, str):
        try:
            host, notes = host_from_text(text, q.host_type)
        except (InvalidVersion, ValueError):
            return None
        warnings.extend(notes)
        return HostFound(host, text, str(source))
    if nodes is not None:
        listed = host_from_nodes(nodes, node, q.host_type, warnings)
        if listed is not None:
            return HostFound(*listed)
    return None


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


def _image_versions(ref: ImageReference, registry: Registry, found: dict) -> Judged:
    """No host to judge against: resolve the image all the same, to name its versions."""
    try:
        if not registry.allowed(ref.registry):
            detail = (
                f"registry {ref.registry} is not in the allow-list (WINCOMPAT_ALLOWED_REGISTRIES)"
            )
            raise RegistryNotAllowed(detail)
        resolution = registry.resolver.resolve(ref)
    except RegistryError as exc:
        return Judged(None, None, registry.problem(exc))
    platforms = resolution.image.platforms
    found["image_os_versions"] = [p.os_version for p in platforms if p.is_windows and p.os_version]
    return Judged(None, None, None)


def _judge(question: dict, registry: Registry) -> Judged:
    """The /compat answer, asked exactly as /compat asks it."""
    try:
        answer = compat.answer(question, registry.resolver, registry.allowed)
    except RegistryError as exc:
        return Judged(None, None, registry.problem(exc))
    except compat.InvalidQuestion:
        return Judged(None, None, None)  # a pasted version /compat cannot use: no judgement
    return Judged(answer.assessment, answer, None)


def _judged(
    q: Question, found: dict, host: HostFound | None, ref: ImageReference | None, registry: Registry
) -> Judged:
    asked = {"arch": str(found.get("arch", "amd64"))}
    if q.host_type:
        asked["host_type"] = q.host_type
    if ref is not None and host is None:
        return _image_versions(ref, registry, found)
    if ref is not None:
        return _judge({**asked, "host": host.text, "image": str(ref)}, registry)
    if host is not None and found.get("image_version"):
        return _judge(
            {**asked, "host": host.text, "image_version": found["image_version"]}, registry
        )
    return Judged(None, None, None)


def _cluster_fixes(
    fixes: list[dict], nodes: NodeList, found: dict, ref: ImageReference | None, registry: Registry
) -> list[dict]:
    """The schedule fix made for exactly the pasted nodes (fleet.md), in place of the generic."""
    if not any(f["action"] == "schedule" for f in fixes):
        return fixes
    image = {"image": str(ref)} if ref else {"image_version": str(found["image_version"])}
    doors = Doors(registry.resolver, registry.allowed, registry.problem)
    fix = schedule_fix(doors, image, nodes, found.get("orchestrator"), found.get("service"))
    if fix is None:
        return fixes
    return [fix if f["action"] == "schedule" else f for f in fixes]


def _found_host(h: HostFound) -> dict:
    host = h.host
    return {
        "os_version": str(host.version),
        "build": host.build,
        "revision": host.version.revision,
        "release": compat.host_release(host),
        "type": host.kind,
        "from": h.source,
    }


def _revision_fix(a: Assessment | None, found: dict, fixes: list[dict]) -> list[dict]:
    """An HCS failure that a known problem of newer image revisions explains: its fix."""
    if a is None or not found.get("error") or any(f["action"] == "update-host" for f in fixes):
        return []
    ids = [k for e in found.get("errors", []) for k in e["known_problems"]]
    problem = known.matching(a, found["error"], ids)
    update = known.update_host_fix(a, problem) if problem else None
    return [update] if update else []


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


def explain(q: Question, registry: Registry) -> dict:
    """The whole answer of explain.md (`compat` is the CompatAnswer its schema writes). Raises
    InvalidVersion/InvalidReference/ValueError for a bad `host`, `host_type` or `image` field
    and NodePasteError for bad `nodes` (the caller's 422), never for the paste."""
    paste = read_failure(q.text)
    if not paste.recognised:
        return _unrecognised()
    warnings: list[str] = []
    found = _found(paste, _errors(paste))
    nodes = read_nodes(q.nodes) if q.nodes is not None else None
    host = _host(q, paste, nodes, found.get("node"), warnings)
    ref = _reference(q, found, warnings)
    if ref is not None:
        found["image"] = str(ref)
    version_related = sentences.version_related(found)
    judged = Judged(None, None, None)
    if version_related or host is not None:  # else there is nothing to judge
        judged = _judged(q, found, host, ref, registry)
    if host is not None:
        found["host"] = _found_host(host)
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
    if nodes is not None and judged.compat is not None:
        fixes = _cluster_fixes(fixes, nodes, found, ref, registry)
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
