"""Reader of `kubectl describe pod`: the pod, its node, each container's image, image ID
(digest), state and last state with their reasons and message, restart count, the node
selectors and the events. Indentation decides nesting, as kubectl's describer writes it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.pastes.reading import Reading, excerpt, line_of

_START = re.compile(
    r"^(?P<indent>[ \t]*)Name:[ \t]+(?P<name>\S+)[ \t]*\n(?:.*\n){0,2}?[ \t]*Namespace:",
    re.MULTILINE,
)
_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z][\w .()/-]*?):(?:[ \t]+(?P<value>.*))?$")
_IMAGE_ID_SCHEMES = re.compile(r"^(?:docker-pullable|docker|containerd|cri-o)://")
_EVENT_TIMES = re.compile(r"\(x(?P<n>\d+) over [^)]*\)")
_FAILED_EVENT = re.compile(r"\bWarning\s+Failed\b")  # BackOff counts waits, not failures
_CONTAINER_SECTIONS = ("Containers", "Init Containers")


@dataclass
class Container:
    name: str
    fields: dict[str, str] = field(default_factory=dict)
    state: dict[str, dict[str, str]] = field(default_factory=dict)  # "State"/"Last State"

    @property
    def failing(self) -> bool:
        waiting = self.state.get("State", {}).get("Reason")
        return bool(waiting or self.state.get("Last State", {}).get("Reason"))


@dataclass
class _Pod:
    top: dict[str, str] = field(default_factory=dict)
    containers: list[Container] = field(default_factory=list)
    selectors: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


def _image_id(value: str) -> str | None:
    value = _IMAGE_ID_SCHEMES.sub("", value.strip())
    return value if "@" in value else None  # a bare config digest names no repository


class _Walker:
    """Walks the lines below `Name:`, keeping the section and container they belong to."""

    def __init__(self, base: int) -> None:
        self.base, self.pod = base, _Pod()
        self.section: str | None = None
        self.levels: list[int] = []  # indents of container names, fields, sub-fields
        self.state_key: str | None = None

    def line(self, raw: str) -> None:
        text = raw.expandtabs(8)
        if not text.strip():
            return
        indent = len(text) - len(text.lstrip(" "))
        match = _KEY.match(text)
        value = (match.group("value") or "").rstrip() if match else ""
        if indent <= self.base and match:
            self._top(match.group("key"), value)
        elif self.section in _CONTAINER_SECTIONS and match:
            self._container(indent, match.group("key"), value)
        elif self.section == "Node-Selectors" and indent > self.base:
            self.pod.selectors.append(text.strip())
        elif self.section == "Events" and indent > self.base:
            self.pod.events.append(text.strip())

    def _top(self, key: str, value: str) -> None:
        self.section, self.levels, self.state_key = key, [], None
        self.pod.top.setdefault(key, value)
        if key == "Node-Selectors" and value and value != "<none>":
            self.pod.selectors.append(value)

    def _level(self, indent: int) -> int:
        for i, known in enumerate(self.levels):
            if indent <= known:
                return i
        self.levels.append(indent)
        return len(self.levels) - 1

    def _container(self, indent: int, key: str, value: str) -> None:
        level = self._level(indent)
        containers = self.pod.containers
        if level == 0:
            containers.append(Container(key))
        elif containers and level == 1:
            containers[-1].fields.setdefault(key, value)
            self.state_key = key if key in ("State", "Last State") else None
            if self.state_key:
                containers[-1].state[key] = {"": value}
        elif containers and self.state_key:
            containers[-1].state[self.state_key].setdefault(key, value)


def _failures(containers: list[Container], events: list[str]) -> int | None:
    counts = []
    for c in containers:
        restarts = c.fields.get("Restart Count", "")
        if restarts.isdigit():
            counts.append(int(restarts))
    for event in events:
        if not _FAILED_EVENT.search(event):
            continue
        times = _EVENT_TIMES.search(event)
        cells = re.split(r"\s{2,}", event)
        if times:
            counts.append(int(times.group("n")))
        elif len(cells) > 2 and cells[2].isdigit():  # old kubectl: FirstSeen LastSeen Count
            counts.append(int(cells[2]))
    return max(counts) if counts else None


def _facts(pod: _Pod) -> dict[str, object]:
    node, _, ip = pod.top.get("Node", "").partition("/")
    chosen = next((c for c in pod.containers if c.failing), None) or (
        pod.containers[0] if pod.containers else None
    )
    facts: dict[str, object] = {"orchestrator": "kubernetes", "pod": pod.top.get("Name")}
    optional = {
        "namespace": pod.top.get("Namespace"),
        "node": node if node and node != "<none>" else None,
        "node_ip": ip or None,
        "pod_status": pod.top.get("Status"),
        "node_selectors": dict(s.split("=", 1) for s in pod.selectors if "=" in s) or None,
        "failures": _failures(pod.containers, pod.events),
    }
    if chosen:
        state, last = chosen.state.get("State", {}), chosen.state.get("Last State", {})
        optional.update(
            container=chosen.name,
            image=chosen.fields.get("Image") or None,
            image_id=_image_id(chosen.fields.get("Image ID", "")),
            state=state.get(""),
            state_reason=state.get("Reason"),
            last_state=last.get(""),
            last_reason=last.get("Reason"),
            exit_code=last.get("Exit Code"),
            message=excerpt(last.get("Message") or state.get("Message") or "") or None,
        )
    facts.update({k: v for k, v in optional.items() if v})
    return facts


def read_describe_pod(text: str) -> Reading | None:
    start = _START.search(text)
    if not start:
        return None
    walker = _Walker(len(start.group("indent").expandtabs(8)))
    body = text[start.start() :].split("\n")
    for raw in body[1:]:
        indent = len(raw.expandtabs(8)) - len(raw.expandtabs(8).lstrip(" "))
        if indent <= walker.base and raw.strip().startswith("Name:"):
            break  # a second pod's description
        walker.line(raw)
    walker.pod.top["Name"] = start.group("name")
    return Reading(
        "kubectl-describe-pod",
        line_of(text, start.start()),
        excerpt(f"Name: {start.group('name')}"),
        _facts(walker.pod),
    )


_NODE_NAME = re.compile(r"^[ \t]*Name:[ \t]+(?P<name>\S+)[ \t]*$", re.MULTILINE)
_KERNEL = re.compile(r"^[ \t]*Kernel Version:[ \t]+(?P<kernel>[^\n]{1,200}?)[ \t]*$", re.MULTILINE)
MAX_NODES = 100


def read_describe_node(text: str) -> Reading | None:
    """`kubectl describe node` (beyond the spec): each node's name and its System Info
    `Kernel Version`, so a pod's node can be judged from the same paste."""
    names = list(_NODE_NAME.finditer(text))[: MAX_NODES + 1]
    versions: dict[str, str] = {}
    for i, name in enumerate(names):
        end = names[i + 1].start() if i + 1 < len(names) else len(text)
        kernel = _KERNEL.search(text, name.end(), end)
        if kernel and len(versions) < MAX_NODES:
            versions[name.group("name")] = kernel.group("kernel")
    if not versions:
        return None
    first = next(n for n in names if n.group("name") in versions)
    return Reading(
        "kubectl-describe-node",
        line_of(text, first.start()),
        excerpt(f"Name: {first.group('name')}"),
        {"node_versions": versions},
    )
