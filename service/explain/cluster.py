"""With a `nodes` paste, the scheduling fix is fleet.md's, made for exactly these nodes: which
of them run the image with process isolation, and the nodeSelector/affinity or Swarm label and
constraint commands that keep the workload on them (service.fleet.scheduling)."""

from __future__ import annotations

from service.fleet import nodes as cluster_nodes
from service.fleet import scheduling
from service.fleet.questions import Doors, subject_of
from service.pastes.nodes import NodeList
from service.registry.errors import RegistryError


def schedule_fix(
    doors: Doors, question: dict, node_list: NodeList, orchestrator: str | None, service: str | None
) -> dict | None:
    """The `schedule` fix for this cluster; None when the image can't be resolved or nothing
    in the list is of the orchestrator's kind. `question` has `image` or `image_version`."""
    try:
        subject, _ = subject_of(doors, question)
    except RegistryError:
        return None  # the answer already carries the image's problem
    cluster = cluster_nodes.judge_cluster(subject, node_list, "process")
    runs_on = [j.node.name for j in cluster.runnable]
    fails_on = [j.node.name for j in cluster.failing]
    where = ", ".join(runs_on) or "no listed node"
    if orchestrator == "swarm":
        plan = scheduling.swarm(cluster)
        if plan is None:
            return None
        commands = [
            c.replace(" SERVICE", f" {service}") if service else c for c in plan["commands"]
        ]
        detail = f"Keep the service on the nodes that run it ({where}): " + "; ".join(commands)
        return {"action": "schedule", "detail": detail, "commands": commands,
                "constraints": plan["constraints"], "runs_on": runs_on, "fails_on": fails_on,
                "notes": plan["notes"]}  # fmt: skip
    plan = scheduling.kubernetes(cluster)
    if plan is None:
        return None
    detail = f"Schedule the pod onto the nodes that run it ({where}): add to the pod spec\n"
    detail += plan["yaml"]
    fix = {"action": "schedule", "detail": detail, "yaml": plan["yaml"],
           "nodeSelector": plan["nodeSelector"], "affinity": plan["affinity"],
           "runs_on": runs_on, "fails_on": fails_on, "notes": plan["notes"]}  # fmt: skip
    label = plan.get("revision_label") or {}
    if label.get("commands"):
        fix["commands"] = label["commands"]
    return fix
