"""Reader of `docker service ps [--no-trunc] SERVICE` (and `docker service ls`) tables.

The docker CLI writes these through a tabwriter: columns are separated by at least two
spaces, while a cell may hold single spaces ("Failed 39 seconds ago", `\\_ name.1`)."""

from __future__ import annotations

import re
from collections import Counter

from service.pastes.reading import Reading, excerpt, line_of

_GAP = r"(?:[ \t]*\t[ \t]*| {2,})"  # two spaces or a tab: the tabwriter's padding
_PS_HEADER = re.compile(
    rf"^[ \t]*ID{_GAP}NAME{_GAP}IMAGE{_GAP}NODE{_GAP}DESIRED STATE{_GAP}CURRENT STATE", re.MULTILINE
)
_LS_HEADER = re.compile(rf"^[ \t]*ID{_GAP}NAME{_GAP}MODE{_GAP}REPLICAS{_GAP}IMAGE", re.MULTILINE)
_TASK_ID = re.compile(r"[a-z0-9]{12,25}")
_SLOT = re.compile(r"\.(?:\d+|[a-z0-9]{25})$")  # replicated slot or global task's node id
_COLUMNS = re.compile(_GAP)


def _task(line: str) -> dict[str, str] | None:
    cells = _COLUMNS.split(line.strip(), maxsplit=6)
    if len(cells) < 6 or not _TASK_ID.fullmatch(cells[0]):
        return None
    name = cells[1].removeprefix("\\_").strip()
    error = cells[6].strip() if len(cells) > 6 else ""
    if error.startswith('"'):
        error = error[1:].removesuffix('"') if error.endswith('"') else error[1:]
    return {
        "id": cells[0],
        "name": name,
        "image": cells[2],
        "node": cells[3],
        "desired": cells[4],
        "current": cells[5],
        "error": error,
    }


def _failed(task: dict[str, str]) -> bool:
    return bool(task["error"]) or task["current"].startswith(("Failed", "Rejected"))


def read_service_ps(text: str) -> Reading | None:
    header = _PS_HEADER.search(text)
    if not header:
        return None
    rows = text[header.end() :].split("\n")[1:]
    tasks = [t for t in (_task(row) for row in rows) if t is not None]
    if not tasks:
        return None
    failed = [t for t in tasks if _failed(t)]
    focus = failed or tasks
    # `docker service ps` and its --no-trunc twin are often pasted together: a task counts
    # once (its id truncated to 12), and the image with its digest wins.
    failures = len({t["id"][:12] for t in failed})
    pinned = [t for t in focus if "@" in t["image"]] or focus
    node = Counter(t["node"] for t in focus).most_common(1)[0][0]
    facts: dict[str, object] = {
        "orchestrator": "swarm",
        "service": _SLOT.sub("", focus[0]["name"]),
        "image": pinned[0]["image"],
        "node": node,
        "nodes": sorted({t["node"] for t in tasks}),
        "failures": failures,
    }
    errors = [t["error"] for t in failed if t["error"]]
    if errors:
        facts["task_error"] = errors[0]
    return Reading(
        "docker-service-ps", line_of(text, header.start()), excerpt(header.group(0)), facts
    )


def read_service_ls(text: str) -> Reading | None:
    header = _LS_HEADER.search(text)
    if not header:
        return None
    for row in text[header.end() :].split("\n")[1:]:
        cells = _COLUMNS.split(row.strip())
        if len(cells) >= 5 and re.fullmatch(r"\d+/\d+", cells[3]):
            running, wanted = (int(n) for n in cells[3].split("/"))
            facts = {
                "orchestrator": "swarm",
                "service": cells[1],
                "image": cells[4],
                "replicas": cells[3],
            }
            if running < wanted:
                facts["stuck"] = True
            return Reading("docker-service-ls", line_of(text, header.start()), excerpt(row), facts)
    return None
