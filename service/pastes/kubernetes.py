"""Read Kubernetes manifests (multi-document YAML, or a `List`): each workload's containers
and init containers with their lines, and the pod's nodeSelector, required node affinity and
runtimeClassName. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.pastes.yamltext import Document, YamlError, load_all

# kind -> path from the object to its pod spec
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
CONTAINER_FIELDS = (("initContainers", True), ("containers", False))


@dataclass(frozen=True)
class Container:
    name: str
    image: str | None
    line: int
    init: bool


@dataclass(frozen=True)
class Expression:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist, Gt, Lt
    values: tuple[str, ...]


@dataclass(frozen=True)
class Toleration:
    key: str | None  # None with operator Exists: every taint
    operator: str  # "Equal" (default) or "Exists"
    value: str | None
    effect: str | None  # None: every effect


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    namespace: str | None
    line: int
    containers: tuple[Container, ...]
    node_selector: dict[str, str]
    affinity_terms: tuple[tuple[Expression, ...], ...]  # ORed terms of ANDed expressions
    runtime_class: str | None
    selector_line: int
    tolerations: tuple[Toleration, ...] = ()


def workloads(text: str) -> tuple[list[Workload], list[str]]:
    """The workloads, and notes about documents that are not workloads."""
    found: list[Workload] = []
    notes: list[str] = []
    documents = load_all(text)
    if not documents:
        raise YamlError(1, "no YAML documents")
    for doc in documents:
        _read(doc, doc.value, (), found, notes)
    return found, notes


def _read(doc: Document, obj: Any, at: tuple, found: list, notes: list) -> None:
    if not isinstance(obj, dict):
        raise YamlError(doc.line_of(*at), "a manifest is a mapping with apiVersion and kind")
    kind = str(obj.get("kind", ""))
    if kind.endswith("List") and "items" in obj:
        for i, item in enumerate(doc.sequence(obj["items"], *at, "items")):
            _read(doc, item, (*at, "items", i), found, notes)
        return
    path = POD_SPEC_PATHS.get(kind)
    line = doc.line_of(*at, "kind")
    metadata = doc.mapping(obj.get("metadata"), *at, "metadata")
    name = str(metadata.get("name", "?"))
    if path is None:
        notes.append(f"line {line}: {kind or 'a document without kind'} {name} has no pods")
        return
    spec = _dig(obj, path)
    if not isinstance(spec, dict):
        raise YamlError(line, f"{kind} {name} has no pod spec at {'.'.join(path)}")
    namespace = metadata.get("namespace")
    found.append(_workload(doc, kind, name, namespace, line, spec, (*at, *path)))


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _workload(doc, kind, name, namespace, line, spec: dict, at: tuple) -> Workload:
    containers = []
    for field, init in CONTAINER_FIELDS:
        for i, c in enumerate(doc.sequence(spec.get(field), *at, field)):
            c = doc.mapping(c, *at, field, i)
            image = str(c["image"]) if c.get("image") is not None else None
            where = doc.line_of(*at, field, i, "image")
            containers.append(Container(str(c.get("name", f"{field}[{i}]")), image, where, init))
    selector = doc.mapping(spec.get("nodeSelector"), *at, "nodeSelector")
    selector = {str(k): str(v) for k, v in selector.items()}
    runtime = spec.get("runtimeClassName")
    selector_line = doc.line_of(*at, "nodeSelector") if selector else line
    return Workload(
        kind,
        name,
        str(namespace) if namespace else None,
        line,
        tuple(containers),
        selector,
        _terms(doc, spec, at),
        str(runtime) if runtime else None,
        selector_line,
        _tolerations(doc, spec, at),
    )


def _tolerations(doc: Document, spec: dict, at: tuple) -> tuple[Toleration, ...]:
    out = []
    for i, t in enumerate(doc.sequence(spec.get("tolerations"), *at, "tolerations")):
        t = doc.mapping(t, *at, "tolerations", i)
        key, value, effect = (t.get(k) for k in ("key", "value", "effect"))
        out.append(
            Toleration(
                str(key) if key else None,
                str(t.get("operator") or "Equal"),
                None if value is None else str(value),
                str(effect) if effect else None,
            )
        )
    return tuple(out)


def _terms(doc: Document, spec: dict, at: tuple) -> tuple[tuple[Expression, ...], ...]:
    path = (*at, "affinity")
    affinity = doc.mapping(spec.get("affinity"), *path)
    node = doc.mapping(affinity.get("nodeAffinity"), *path, "nodeAffinity")
    path = (*path, "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
    required = doc.mapping(node.get(path[-1]), *path)
    terms = doc.sequence(required.get("nodeSelectorTerms"), *path, "nodeSelectorTerms")
    out = []
    for i, term in enumerate(terms):
        where = (*path, "nodeSelectorTerms", i)
        term = doc.mapping(term, *where)
        expressions = doc.sequence(term.get("matchExpressions"), *where, "matchExpressions")
        out.append(
            tuple(
                _expression(doc, e, (*where, "matchExpressions", j))
                for j, e in enumerate(expressions)
            )
        )
    return tuple(out)


def _expression(doc: Document, e: Any, at: tuple) -> Expression:
    e = doc.mapping(e, *at)
    values = doc.sequence(e.get("values"), *at, "values")
    return Expression(str(e.get("key", "")), str(e.get("operator", "")), tuple(map(str, values)))
