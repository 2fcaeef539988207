"""The host from a `nodes` paste (fleet.md), matched by the node name the failure paste names."""

from __future__ import annotations

from service.compat import catalog
from service.compat.rules import Host
from service.pastes.nodes import NodeFacts, NodeList


def _kind(node: NodeFacts, host_type: str | None) -> str:
    kinds = catalog.kinds_of(node.version.build)
    return kinds[0] if len(kinds) == 1 else (host_type or node.kind_hint or catalog.SERVER)


def host_from_nodes(
    nodes: NodeList, name: str | None, host_type: str | None, warnings: list[str]
) -> tuple[Host, str, str] | None:
    """(host, the version text read, where from); None, with a warning, when the node is not
    listed or says no version."""
    listed = nodes.nodes
    if not name and len(listed) == 1:
        name = listed[0].name
    if not name:
        warnings.append("`nodes` was given, but the paste names no node to match it with.")
        return None
    match = next((n for n in listed if n.name.lower() == name.lower()), None)
    if match is None:
        warnings.append(f"Node {name} is not in `nodes` ({len(listed)} nodes listed).")
        return None
    if match.version is None:
        looked = ", ".join(match.missing) or "its fields"
        warnings.append(f"Node {name} in `nodes` carries no Windows version ({looked}).")
        return None
    warnings.extend(match.notes)
    host = Host(match.version, _kind(match, host_type))
    return host, match.version_text or str(match.version), f"nodes: {match.version_from} of {name}"
