"""The one sentence (and a few more) an /explain answer says: what failed, why, the fix, or
exactly what to run when the host is not known."""

from __future__ import annotations

from service.compat import catalog
from service.compat.assessment import Assessment
from service.compat.rules import Verdict
from service.explain import known

UNRECOGNISED = (
    "wincompat found no container error it knows in this text (a docker run error, docker "
    "service ps, kubectl describe pod, a pull refusal or an HCS code); see `accepts`."
)

_REFUSALS = {
    "image-newer-than-host": "was refused by Docker at pull time: the image's Windows build "
    "is newer than the host's",
    "no-platform-match": "was refused at pull time: the image has no entry for the node's "
    "Windows build (no match for platform in manifest)",
}


def version_related(found: dict) -> bool:
    errors = found.get("errors") or []
    related = ("mismatch", "known-problem")
    return bool(found.get("refusal")) or any(e["version_problem"] in related for e in errors)


def _subject(found: dict) -> str:
    if found.get("pod"):
        return f"The pod {found['pod']}"
    if found.get("service"):
        return f"The service {found['service']}"
    return "The pull" if found.get("refusal") and not found.get("error") else "The container"


def _event(found: dict) -> str:
    primary = next((e for e in found.get("errors", []) if e["code"] == found.get("error")), None)
    failures = found.get("failures")
    times = f", {failures} times so far," if failures and failures > 1 else ""
    if primary:
        what = f"fails with HCS error {primary['code']}"
        if primary["name"]:
            what += f" ({primary['name']}: {_lower(primary['description'])})"
        return what + times
    if found.get("refusal"):
        return _REFUSALS[str(found["refusal"])] + times
    return _state(found) + times


def _state(found: dict) -> str:
    """What a describe or a service table says when it names no error wincompat knows."""
    reason, last = found.get("state_reason"), found.get("last_reason")
    if reason or last:
        said = f"is in {reason or found.get('last_state')}"
        if last:
            code = found.get("exit_code")
            said += f" (last state {found.get('last_state')}: {last}"
            said += f", exit code {code})" if code else ")"
        return said
    if found.get("replicas"):
        return f"runs {found['replicas']} replicas"
    return "shows no error"


def failing(found: dict) -> bool:
    keys = ("error", "refusal", "state_reason", "last_reason", "message", "operation")
    return any(found.get(k) for k in keys) or bool(found.get("failures"))


def _lower(sentence: str) -> str:
    sentence = sentence.rstrip(".")
    return sentence[:1].lower() + sentence[1:]


def _named(version, kind: str = catalog.SERVER) -> str:
    return f"{catalog.describe(version.build, kind)} ({version})"


def _why(found: dict, a: Assessment) -> str:
    where = f"node {found['node']}" if found.get("node") else "the host"
    host = _named(a.host.version, a.host.kind)
    if a.image is None:
        return f"; {a.summary}"
    pair = f"its image is {_named(a.image)} and {where} runs {host}"
    if a.process.verdict is Verdict.SUPPORTED and a.known:
        return f"; {pair}, which Microsoft's table supports with process isolation"
    if a.process.verdict is Verdict.SUPPORTED:
        return f"; yet {pair}, which process isolation supports, so the versions do not explain it"
    return f" because {pair}: {_lower(a.process.reason)}"


def _fix_clause(fixes: list[dict], found: dict, a: Assessment) -> str:
    parts = []
    for fix in fixes:
        if fix["action"] == "rebuild":
            parts.append(f"rebuild on {fix.get('base_image', fix['detail'])}")
        elif fix["action"] == "hyperv":
            parts.append("use Hyper-V isolation")
        elif fix["action"] == "schedule" and a.image is not None:
            parts.append(f"schedule it onto {catalog.describe(a.image.build)} nodes")
        elif fix["action"] in ("update-host", "give-revision"):
            parts.append(fix["detail"])
    return f" Fix: {', or '.join(parts)}." if parts else ""


def host_command(found: dict) -> str:
    node = found.get("node")
    if found.get("orchestrator") == "kubernetes" and node:
        return f"`kubectl get node {node} -o json` (status.nodeInfo.kernelVersion), or `ver` on it"
    if node:
        return f"`ver` on node {node} (or `docker info` there)"
    return "`ver` on the host (or `docker info` there)"


def _needs(needs: list[str], found: dict) -> str:
    said = []
    if "host" in needs:
        said.append(
            f"To judge it against the host, run {host_command(found)} and give the "
            "result as `host`."
        )
    if "image" in needs:
        said.append(
            "Give the image as `image` (`docker service ps --no-trunc SERVICE` or "
            "`kubectl describe pod POD` show it with its digest)."
        )
    return (" " + " ".join(said)) if said else ""


def _known(found: dict, a: Assessment | None) -> str:
    ids = [k for e in found.get("errors", []) for k in e["known_problems"]]
    problem = known.matching(a, found.get("error"), ids) if a else None
    if problem is not None:
        newer = ""
        if problem.images.newer_than_host and a.image is not None:
            newer = (
                f" The image's revision ({a.image.revision}) is newer than the host's "
                f"({a.host.version.revision})."
            )
        return f"{newer} That is known problem {problem.id}: {problem.text}."
    if not ids:
        return ""
    return f" This code has been the field symptom of known problems: {', '.join(ids)}."


def _not_version(found: dict) -> str:
    if version_related(found) or not failing(found):
        return ""
    if not found.get("errors"):
        return " Nothing in the paste points at a version problem."
    if any(e["version_problem"] == "unknown" for e in found["errors"]):
        return (
            " wincompat's HCS table (hcsshim's) has no entry for this code, so it cannot say "
            "whether the versions are the cause."
        )
    return " It is not a version problem: a different image or host build will not fix it."


def summary(
    found: dict, needs: list[str], a: Assessment | None, fixes: list[dict], image_error: dict | None
) -> str:
    text = f"{_subject(found)} {_event(found)}"
    if a is not None and not failing(found):
        text += f"; {a.summary}"
    elif a is not None:
        text += _why(found, a)
    elif found.get("image_os_versions"):
        text += f"; its image is {', '.join(found['image_os_versions'])}"
    text = text.rstrip(",.") + "."
    if image_error:
        text += f" The image {found.get('image')} could not be looked up: {image_error['detail']}"
        text = text.rstrip(".") + "."
    text += _not_version(found) + _known(found, a)
    if a is not None:
        text += _fix_clause(fixes, found, a)
    return text + _needs(needs, found)
