"""Node lists as people paste them: `kubectl get nodes -o json|yaml` (a List/NodeList, one
Node, an array of Nodes) and `docker node inspect …` (an array of Swarm nodes), read into
NodeFacts. Pure: the caller bounds the text in bytes, this module bounds the node count.

Where a node's version comes from, in this order of trust (fleet.md): the kubelet's
kernelVersion, the windows-build label, AKS's node-image-version label (a number), the
osImage product name (a name lags: 23H2 nodes say "2022"); for Swarm the seed document's
OsVersion label, on the node or on the engine."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from service.compat.versions import InvalidVersion, WindowsVersion, parse_version

MAX_NODES = 5000
MAX_TAINTS = 32  # a node with more is not a real node
MAX_FIELD = 4096  # any string read; a Windows version text is at most this long anyway
MAX_LABELS = 1024
TAINT_EFFECTS = frozenset({"NoSchedule", "PreferNoSchedule", "NoExecute"})
MAX_NAME = 253  # a Kubernetes object name
KUBERNETES, SWARM = "kubernetes", "swarm"
BUILD_LABEL = "node.kubernetes.io/windows-build"
AKS_IMAGE_LABEL = "kubernetes.azure.com/node-image-version"
# The seed document's label for Windows Server 2016, which needs build *and* revision.
REVISION_LABEL = "beta.kubernetes.io/osbuild"
OS_LABELS = ("kubernetes.io/os", "beta.kubernetes.io/os")
ARCH_LABELS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")
ARCH_ALIASES = {"x86_64": "amd64", "x64": "amd64", "aarch64": "arm64"}
SWARM_UNSCHEDULABLE = frozenset({"drain", "pause"})
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # aliases stay shared, never copied


class NodePasteError(ValueError):
    """The paste is not a node list, or a field has the wrong type; `path` says where."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or 'nodes'}: {message}")
        self.path = path
        self.message = message


class TooManyNodes(NodePasteError):
    pass


@dataclass(frozen=True)
class Taint:
    key: str
    value: str | None
    effect: str


@dataclass(frozen=True)
class NodeFacts:
    name: str
    path: str  # where in the paste, e.g. "items[3]" or "[0]"
    platform: str  # "kubernetes" or "swarm"
    os: str | None  # "windows", "linux", or None when the node does not say
    version: WindowsVersion | None
    version_text: str | None  # the text the version was read from
    version_from: str | None  # which field, e.g. "status.nodeInfo.kernelVersion"
    kind_hint: str | None = None  # "server"/"client" when the text names the product
    missing: tuple[str, ...] = ()  # the fields looked at, when no version was found
    notes: tuple[str, ...] = ()  # parse warnings, disagreeing labels
    arch: str | None = None
    runtime: str | None = None  # e.g. "containerd://1.7.20", "docker://24.0.7"
    unschedulable: bool = False
    taints: tuple[Taint, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_linux(self) -> bool:
        return self.os == "linux"


@dataclass(frozen=True)
class NodeList:
    shape: str  # "List", "Node", "array", "swarm"
    nodes: tuple[NodeFacts, ...]


# -- text -> document --------------------------------------------------------------------------


def load_text(text: str) -> Any:
    """JSON when it looks like JSON (its errors are clearer), else YAML (kubectl -o yaml)."""
    stripped = text.strip()
    if not stripped:
        raise NodePasteError("", "is empty; paste `kubectl get nodes -o json` output")
    if stripped[0] in "[{":
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise NodePasteError("", f"is not valid JSON: {exc}") from None
    try:
        _refuse_aliases(stripped)
        docs = [d for d in yaml.load_all(stripped, Loader=_Loader) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise NodePasteError("", f"is neither valid JSON nor YAML{where}") from None
    return docs[0] if len(docs) == 1 else docs


def _refuse_aliases(text: str) -> None:
    """kubectl never writes anchors or aliases; refusing them keeps a 4 MiB paste from
    standing for a far larger document (an alias repeats a node, its labels or taints)."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise NodePasteError("", "uses YAML aliases (`*name`), which node lists never have")


# -- typed access, naming the path of anything of the wrong type ------------------------------

_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
# What slim() keeps of a node: the fields this module reads (real lists carry images too).
_KEEP = {
    KUBERNETES: {
        "kind": None,
        "metadata": ("name", "labels"),
        "spec": ("unschedulable", "taints"),
        "status": ("nodeInfo",),
    },
    SWARM: {
        "ID": None,
        "Spec": ("Labels", "Availability"),
        "Description": ("Hostname", "Platform", "Engine"),
    },
}
_NODE_INFO = (
    "kernelVersion",
    "osImage",
    "operatingSystem",
    "architecture",
    "containerRuntimeVersion",
)


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _typed(obj: Mapping, key: str, kind: type, path: str) -> Any:
    value = obj.get(key)
    if value is None:
        return None
    if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # YAML reads an unquoted 10.0 as a number
    if not isinstance(value, kind):
        raise NodePasteError(_at(path, key), f"must be {_TYPE_NAMES[kind]}")
    if kind is str and len(value) > MAX_FIELD:
        raise NodePasteError(_at(path, key), f"is longer than {MAX_FIELD} characters")
    return value


def _section(obj: Mapping, key: str, path: str) -> Mapping:
    return _typed(obj, key, dict, path) or {}


def _labels(obj: Mapping, key: str, path: str) -> dict[str, str]:
    raw = _section(obj, key, path)
    if len(raw) > MAX_LABELS:
        raise NodePasteError(_at(path, key), f"more than {MAX_LABELS} labels")
    labels = {}
    for name, value in raw.items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            labels[str(name)] = str(value)
        elif value is not None:
            where = f"{_at(path, key)}[{str(name)[:100]}]"
            raise NodePasteError(where, "a label value must be a string")
    return labels


def _arch(text: str | None) -> str | None:
    return ARCH_ALIASES.get(text.lower(), text.lower()) if text else None


# -- versions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    version: WindowsVersion
    text: str
    source: str
    kind_hint: str | None
    warnings: tuple[str, ...]


def _try(text: str | None, source: str) -> _Found | None:
    if not text:
        return None
    try:
        parsed = parse_version(text)
    except InvalidVersion:
        return None
    return _Found(parsed.version, text, source, parsed.kind_hint, parsed.warnings)


def _first(sources: list[tuple[str, str | None]]) -> tuple[_Found | None, list[_Found]]:
    found = [f for f in (_try(text, source) for source, text in sources) if f]
    return (found[0] if found else None), found


def _with_revision(best: _Found, others: list[_Found]) -> tuple[_Found, list[str]]:
    """A build-only version takes its revision from a later source of the same build (AKS's
    node image, the seed's osbuild label); a later source of another build is reported."""
    notes = []
    for other in others:
        if other.version.build != best.version.build:
            if other.source != "status.nodeInfo.osImage":  # product names lag; not news
                notes.append(
                    f"{other.source} says build {other.version.build}, but {best.source} says "
                    f"{best.version.build}; {best.source} was used."
                )
            continue
        if best.version.revision is None and other.version.revision is not None:
            v = best.version
            version = WindowsVersion(v.major, v.minor, v.build, other.version.revision)
            note = f"The revision {other.version.revision} comes from {other.source}."
            return _Found(version, best.text, best.source, best.kind_hint, ()), [*notes, note]
    return best, [*notes, *best.warnings]


def _version_facts(sources: list[tuple[str, str | None]], os: str | None) -> dict[str, Any]:
    if os and os.lower() == "linux":
        return {"version": None, "version_text": None, "version_from": None}  # not judged
    best, found = _first(sources)
    if best is None:
        return {
            "version": None,
            "version_text": None,
            "version_from": None,
            "missing": tuple(source for source, _ in sources),
        }
    best, notes = _with_revision(best, [f for f in found if f is not best])
    if best.source == "status.nodeInfo.osImage":
        notes.append(
            "The version was read from the product name in osImage, which can lag the build "
            "(Windows Server 23H2 nodes call themselves 2022)."
        )
    return {
        "version": best.version,
        "version_text": best.text,
        "version_from": best.source,
        "kind_hint": best.kind_hint,
        "notes": tuple(notes),
    }


# -- Kubernetes -------------------------------------------------------------------------------


def _taints(spec: Mapping, path: str) -> tuple[Taint, ...]:
    raw = _typed(spec, "taints", list, path) or []
    if len(raw) > MAX_TAINTS:
        raise NodePasteError(_at(path, "taints"), f"more than {MAX_TAINTS} taints")
    taints = []
    for i, item in enumerate(raw):
        where = f"{_at(path, 'taints')}[{i}]"
        if not isinstance(item, dict):
            raise NodePasteError(where, "a taint must be an object")
        key, effect = _typed(item, "key", str, where), _typed(item, "effect", str, where)
        if not key or not effect:
            raise NodePasteError(where, "a taint needs `key` and `effect`")
        if effect not in TAINT_EFFECTS:
            raise NodePasteError(f"{where}.effect", f"must be one of {', '.join(TAINT_EFFECTS)}")
        taints.append(Taint(key, _typed(item, "value", str, where), effect))
    return tuple(taints)


def _kubernetes(node: Mapping, path: str) -> NodeFacts:
    kind = node.get("kind")
    if kind is not None and kind != "Node":
        raise NodePasteError(path, f"is a {kind!s:.40}, not a Node")
    metadata = _section(node, "metadata", path)
    meta_path = _at(path, "metadata")
    labels = _labels(metadata, "labels", meta_path)
    spec = _section(node, "spec", path)
    status = _section(node, "status", path)
    info = _section(status, "nodeInfo", _at(path, "status"))
    info_path = _at(path, "status.nodeInfo")
    os = next((labels[k] for k in OS_LABELS if k in labels), None)
    os = os or _typed(info, "operatingSystem", str, info_path)
    arch = next((labels[k] for k in ARCH_LABELS if k in labels), None)
    arch = arch or _typed(info, "architecture", str, info_path)
    sources = [
        ("status.nodeInfo.kernelVersion", _typed(info, "kernelVersion", str, info_path)),
        (f"metadata.labels[{BUILD_LABEL}]", labels.get(BUILD_LABEL)),
        (f"metadata.labels[{REVISION_LABEL}]", _seed_label(labels.get(REVISION_LABEL))),
        (f"metadata.labels[{AKS_IMAGE_LABEL}]", labels.get(AKS_IMAGE_LABEL)),
        ("status.nodeInfo.osImage", _typed(info, "osImage", str, info_path)),
    ]
    name = _typed(metadata, "name", str, meta_path) or labels.get("kubernetes.io/hostname")
    return NodeFacts(
        name=(name or path or "node")[:MAX_NAME],
        path=path,
        platform=KUBERNETES,
        os=os.lower() if os else None,
        arch=_arch(arch),
        runtime=_typed(info, "containerRuntimeVersion", str, info_path),
        unschedulable=_typed(spec, "unschedulable", bool, _at(path, "spec")) is True,
        taints=_taints(spec, _at(path, "spec")),
        labels=labels,
        **_version_facts(sources, os),
    )


def _seed_label(value: str | None) -> str | None:
    """The seed's osbuild label holds `14393.1715` (build.revision) or `16299` (build)."""
    return value if value and value[:1].isdigit() else None


# -- Swarm ------------------------------------------------------------------------------------


def _swarm(node: Mapping, path: str) -> NodeFacts:
    spec = _section(node, "Spec", path)
    labels = _labels(spec, "Labels", _at(path, "Spec"))
    description = _section(node, "Description", path)
    desc_path = _at(path, "Description")
    platform = _section(description, "Platform", desc_path)
    engine = _section(description, "Engine", desc_path)
    engine_labels = _labels(engine, "Labels", f"{desc_path}.Engine")
    os = _typed(platform, "OS", str, f"{desc_path}.Platform")
    engine_version = _typed(engine, "EngineVersion", str, f"{desc_path}.Engine")
    availability = (_typed(spec, "Availability", str, _at(path, "Spec")) or "active").lower()
    sources = [
        ("Spec.Labels.OsVersion", labels.get("OsVersion")),
        ("Description.Engine.Labels.OsVersion", engine_labels.get("OsVersion")),
    ]
    name = _typed(description, "Hostname", str, desc_path) or _typed(node, "ID", str, path)
    return NodeFacts(
        name=(name or path or "node")[:MAX_NAME],
        path=path,
        platform=SWARM,
        os=os.lower() if os else None,
        arch=_arch(_typed(platform, "Architecture", str, f"{desc_path}.Platform")),
        runtime=f"docker://{engine_version}" if engine_version else None,
        unschedulable=availability in SWARM_UNSCHEDULABLE,
        labels=labels,
        **_version_facts(sources, os),
    )


# -- the document -----------------------------------------------------------------------------


def _is_swarm(node: Mapping) -> bool:
    return "Description" in node or ("ID" in node and "Spec" in node)


def _read_one(node: Any, path: str) -> NodeFacts:
    if not isinstance(node, dict):
        raise NodePasteError(path, f"a node must be an object, not {_json_type(node)}")
    return _swarm(node, path) if _is_swarm(node) else _kubernetes(node, path)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return next((n for t, n in _TYPE_NAMES.items() if isinstance(value, t)), "a number")


def _read_many(items: list, prefix: str) -> tuple[NodeFacts, ...]:
    if len(items) > MAX_NODES:
        raise TooManyNodes(prefix, f"has {len(items)} nodes; at most {MAX_NODES} are read")
    return tuple(_read_one(item, f"{prefix}[{i}]") for i, item in enumerate(items))


def read_nodes(doc: Any) -> NodeList:
    """Any of the shapes above, as parsed JSON/YAML (a str is loaded first)."""
    if isinstance(doc, str):
        doc = load_text(doc)
    if isinstance(doc, list):
        nodes = _read_many(doc, "")
        swarm = bool(nodes) and all(n.platform == SWARM for n in nodes)
        return NodeList("swarm" if swarm else "array", nodes)
    if not isinstance(doc, dict):
        raise NodePasteError("", f"must be a node list, not {_json_type(doc)}")
    if "items" in doc:
        items = doc["items"]
        if not isinstance(items, list):
            raise NodePasteError("items", "must be an array of nodes")
        return NodeList("List", _read_many(items, "items"))
    if doc.get("kind") == "Node" or "metadata" in doc or "status" in doc:
        return NodeList("Node", (_read_one(doc, ""),))
    if _is_swarm(doc):
        return NodeList("swarm", (_read_one(doc, ""),))
    raise NodePasteError(
        "",
        "is neither `kubectl get nodes -o json` output (a List with `items`, a Node, an array "
        "of Nodes) nor `docker node inspect` output (an array of Swarm nodes)",
    )


def _slim_node(node: Any) -> Any:
    if not isinstance(node, dict):
        return node  # read_nodes reports it, at the same path
    keep = _KEEP[SWARM if _is_swarm(node) else KUBERNETES]
    out = {}
    for key, inner in keep.items():
        if key not in node:
            continue
        value = node[key]
        if inner and isinstance(value, dict):
            value = {k: value[k] for k in inner if k in value}
            info = value.get("nodeInfo") if key == "status" else None
            if isinstance(info, dict):
                value["nodeInfo"] = {k: info[k] for k in _NODE_INFO if k in info}
        out[key] = value
    return out


def slim(doc: Any) -> Any:
    """The same document with only what read_nodes looks at, paths unchanged: a real
    `kubectl get nodes -o json` carries every node's image list, 10-50 KB a node."""
    if isinstance(doc, list):
        return [_slim_node(n) for n in doc]
    if isinstance(doc, dict) and isinstance(doc.get("items"), list):
        return {"kind": doc.get("kind"), "items": [_slim_node(n) for n in doc["items"]]}
    if isinstance(doc, dict):
        return _slim_node(doc) if ("metadata" in doc or _is_swarm(doc)) else doc
    return doc
