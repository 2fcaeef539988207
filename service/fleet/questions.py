"""The fleet questions as plain functions over the resolver: HTTP, CLI and others are doors.

Images go through the normal Resolver (cache, single-flight, guard); the distinct images of one
question are resolved concurrently, at most POOL at a time, so 20 cold images cost about the
slowest few rather than the sum."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from service.compat import catalog
from service.compat.hosts import parse_image_version
from service.fleet import matrix as grid
from service.fleet import nodes as cluster_nodes
from service.fleet import scheduling
from service.fleet.judging import Outcome, Subject
from service.pastes.nodes import NodeList
from service.questions.compat import repository_of
from service.registry.errors import RegistryError, not_allowed
from service.registry.reference import ImageReference, parse_reference

POOL = 8  # concurrent resolutions per request
ProblemOf = Callable[[RegistryError], dict]


@dataclass(frozen=True)
class Doors:
    """What a question needs from its surroundings."""

    resolver: Any  # service.cache.resolver.Resolver
    registry_allowed: Callable[[str], bool]
    problem_of: ProblemOf  # a registry failure as the problem object /compat would return
    cells: grid.CellMemo | None = None  # judged matrix cells kept between requests


def resolve(doors: Doors, ref: ImageReference):
    # By name, before any cache: a shared Redis may hold answers another replica was allowed.
    if not doors.registry_allowed(ref.registry):
        raise not_allowed(ref.registry)
    return doors.resolver.resolve(ref)


def resolve_many(doors: Doors, refs: dict[str, ImageReference]) -> dict[str, Any]:
    """key -> Resolution, or the RegistryError that image met."""

    def one(ref: ImageReference):
        try:
            return resolve(doors, ref)
        except RegistryError as exc:
            return exc

    if len(refs) <= 1:
        return {key: one(ref) for key, ref in refs.items()}
    with ThreadPoolExecutor(max_workers=min(POOL, len(refs))) as pool:
        futures = {key: pool.submit(one, ref) for key, ref in refs.items()}
        return {key: future.result() for key, future in futures.items()}


# -- matrix -----------------------------------------------------------------------------------


def _image_row(entry: grid.ImageEntry, found: Any, doors: Doors) -> tuple[dict, Subject | None]:
    if entry.ref is None:
        row = {
            "reference": None,
            "digest": None,
            "os_versions": [str(entry.version)],
            "error": None,
        }
        return row, Subject.of_version(entry.version)
    if isinstance(found, RegistryError):
        row = {
            "reference": str(entry.ref),
            "digest": None,
            "os_versions": [],
            "error": doors.problem_of(found),
        }
        return row, None
    image = found.image
    versions = [p.os_version for p in image.platforms if p.is_windows and p.os_version]
    row = {
        "reference": image.reference,
        "digest": image.digest,
        "os_versions": versions,
        "error": None,
        "cache": {"status": found.cache_status, "age_seconds": found.age_seconds},
        "warnings": list(found.warnings),
    }
    return row, Subject.of_image(image, repository_of(entry.ref))


def matrix(doors: Doors, question: dict) -> dict:
    """Raises grid.OverLimit (413) or grid.EntryErrors (422) before resolving anything."""
    images, hosts = question["images"], question["hosts"]
    grid.check_limits(images, hosts)
    image_entries, host_entries = grid.read_entries(images, hosts)
    refs = {e.key: e.ref for e in image_entries if e.ref is not None}
    found = resolve_many(doors, refs)
    isolation, arch = question.get("isolation", "any"), question.get("arch", "amd64")
    runtime = question.get("runtime")
    rows, cells, done = [], [], {}
    judged = grid.Cells(host_entries, isolation, arch, doors.cells, runtime)
    for entry in image_entries:
        row, subject = _image_row(entry, found.get(entry.key), doors)
        rows.append(row)
        if subject is None:
            cells.append(None)
            continue
        if entry.key not in done:  # an image listed twice is judged once
            done[entry.key] = judged.row(subject)
        cells.append(done[entry.key])
    return {
        "images": rows,
        "hosts": [grid.host_row(h) for h in host_entries],
        "cells": cells,
        "isolation": isolation,
        "runtime": runtime,
        "summary": grid.summary(rows, cells, len(host_entries)),
    }


# -- nodes ------------------------------------------------------------------------------------


def subject_of(doors: Doors, question: dict) -> tuple[Subject, dict]:
    """The one image of a nodes question, resolved; raises RegistryError as /compat would."""
    if question.get("image_version"):
        version = parse_image_version(question["image_version"]).version
        image = {"reference": None, "digest": None, "os_version": str(version), "platforms": []}
        return Subject.of_version(version), image
    ref = parse_reference(question["image"])
    resolution = resolve(doors, ref)
    resolved = resolution.image
    image = {
        "reference": resolved.reference,
        "digest": resolved.digest,
        "platforms": [
            {
                "os": p.os,
                "architecture": p.architecture,
                "os_version": p.os_version,
                "digest": p.digest,
            }
            for p in resolved.platforms
        ],
        "cache": {"status": resolution.cache_status, "age_seconds": resolution.age_seconds},
        "warnings": list(resolution.warnings),
    }
    return Subject.of_image(resolved, repository_of(ref)), image


def _verdicts(outcome: Outcome | None) -> dict:
    if outcome is None:
        return {
            "process": "unknown",
            "hyperv": "unknown",
            "runs": False,
            "isolation": None,
            "os_version_used": None,
            "digest": None,
            "rule": "no-node-version",
            "reason": None,
            "warnings": [],
        }
    a = outcome.assessment
    chosen = a.process if outcome.mode != "hyperv" else a.hyperv
    return {
        "process": a.process.verdict.value,
        "hyperv": a.hyperv.verdict.value,
        "runs": outcome.runs,
        "isolation": outcome.mode,
        "os_version_used": outcome.os_version,
        "digest": outcome.digest,
        "rule": outcome.rule,
        "reason": chosen.reason,
        "warnings": list(a.warnings),
    }


def node_row(j: cluster_nodes.JudgedNode) -> dict:
    n, h = j.node, j.host
    flags = (["unschedulable"] if n.unschedulable else []) + (["tainted"] if n.taints else [])
    row = {
        "name": n.name,
        "platform": n.platform,
        "os_version": str(h.version) if h else None,
        "build": h.build if h else None,
        "revision": h.version.revision if h else None,
        "release": catalog.describe(h.build, h.kind) if h else None,
        "type": h.kind if h else None,
        "version_from": n.version_from,
        "version_text": n.version_text,
        "missing": list(n.missing),
        "arch": n.arch,
        "runtime": n.runtime,
        "judged_by_runtime": j.outcome.runtime if j.outcome else None,
        "unschedulable": n.unschedulable,
        "taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in n.taints],
        "flags": flags,
        **_verdicts(j.outcome),
    }
    if h is None:
        looked = ", ".join(n.missing)
        row["reason"] = f"No Windows version could be read from this node; looked at {looked}."
    return row


def _remedies(c: cluster_nodes.Cluster, render_remedy: Callable) -> tuple[list, str | None]:
    if c.runnable:
        return [], None
    common = cluster_nodes.most_common_failing(c)
    if common is None:
        return [], None
    return [render_remedy(r) for r in common.outcome.assessment.remedies], common.release


def nodes(doors: Doors, question: dict, node_list: NodeList, render_remedy: Callable) -> dict:
    subject, image = subject_of(doors, question)
    isolation, runtime = question.get("isolation", "any"), question.get("runtime")
    c = cluster_nodes.judge_cluster(subject, node_list, isolation, runtime)
    remedies, remedies_for = _remedies(c, render_remedy)
    return {
        "image": image,
        "isolation": isolation,
        "runtime": runtime,
        "shape": node_list.shape,
        "nodes": [node_row(j) for j in c.judged],
        "skipped": [{"name": n.name, "reason": "linux node"} for n in c.skipped],
        "runs_on": [j.node.name for j in c.runnable],
        "fails_on": [j.node.name for j in c.failing],
        "unknown_on": [j.node.name for j in c.unreadable],
        "kubernetes": scheduling.kubernetes(c),
        "swarm": scheduling.swarm(c),
        "remedies": remedies,
        "remedies_for": remedies_for,
        "summary": cluster_nodes.summary(c),
    }
