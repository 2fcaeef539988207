"""Known problems an HCS code can point at, recognised from the judged pair itself (the
ids of runtimes.md's known-problems table)."""

from __future__ import annotations

from service.compat.assessment import Assessment

# An image revision newer than the host's, same build: failed to start in the field.
REVISION_PROBLEMS: dict[int, str] = {
    26100: "image-revision-newer-2025",  # actions/runner-images#11582
    17763: "image-revision-newer-2019",  # the February 2020 baseline page and field reports
}


def revision_problem(a: Assessment) -> str | None:
    """The known problem id when the image's revision is newer than the host's, same build."""
    image, host = a.image, a.host.version
    if image is None or image.build != host.build or image.revision is None:
        return None
    if host.revision is None or image.revision <= host.revision:
        return None
    return REVISION_PROBLEMS.get(image.build)


def update_host_fix(a: Assessment) -> dict | None:
    problem = revision_problem(a)
    if problem is None:
        return None
    target = f"{a.image.major}.{a.image.minor}.{a.image.build}.{a.image.revision}"
    detail = (
        f"update the host to {target} or later (known problem {problem}), or rebuild on a base "
        f"image pinned to the host's revision (10.0.{a.host.build}.{a.host.version.revision})"
    )
    return {"action": "update-host", "detail": detail, "host_version": target}
