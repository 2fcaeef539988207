"""Reader of `kubectl get events` tables (beyond the spec): the pod a Warning names and how
often it was seen. The messages themselves are read by the error readers."""

from __future__ import annotations

import re

from service.pastes.reading import Reading, excerpt, line_of

_HEADER = re.compile(
    r"^[ \t]*(?:NAMESPACE {2,})?LAST SEEN {2,}TYPE {2,}REASON {2,}OBJECT {2,}MESSAGE", re.MULTILINE
)
_ROW = re.compile(
    r"^[ \t]*(?:\S+ {2,})?(?P<seen>\S+(?: \(x(?P<times>\d+) over [^)]*\))?) {2,}(?P<type>Warning)"
    r" {2,}(?P<reason>\S+) {2,}pod/(?P<pod>\S+) {2,}",
    re.MULTILINE,
)


def read_events(text: str) -> Reading | None:
    header = _HEADER.search(text)
    if not header:
        return None
    rows = list(_ROW.finditer(text, header.end()))
    if not rows:
        return None
    pod = rows[0].group("pod")
    times = [int(r.group("times") or 1) for r in rows if r.group("pod") == pod]
    facts = {"orchestrator": "kubernetes", "pod": pod, "failures": max(times)}
    return Reading(
        "kubectl-get-events", line_of(text, header.start()), excerpt(rows[0].group(0)), facts
    )
