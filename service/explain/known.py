"""Which known problem (runtimes.md's table in force, as the assessment found it for the pair)
an HCS code in the paste points at, and its fix when it is a newer image revision."""

from __future__ import annotations

from service.compat.assessment import Assessment
from service.compat.known_problems import KnownProblem


def matching(a: Assessment, code: str | None, ids: list[str]) -> KnownProblem | None:
    """The known problem of this pair whose error is the pasted code, or that the HCS table
    names for it."""
    for problem in a.known:
        if (code and (problem.error or "").lower() == code) or problem.id in ids:
            return problem
    return None


def update_host_fix(a: Assessment, problem: KnownProblem) -> dict | None:
    """For a problem of image revisions newer than the host's: update the host, or pin."""
    if not problem.images.newer_than_host or a.image is None:
        return None
    target = f"{a.image.major}.{a.image.minor}.{a.image.build}.{a.image.revision}"
    detail = (
        f"update the host to {target} or later (known problem {problem.id}), or rebuild on a "
        f"base image pinned to the host's revision (10.0.{a.host.build}."
        f"{a.host.version.revision})"
    )
    return {"action": "update-host", "detail": detail, "host_version": target}
