"""POST /check/*: judge every image a Dockerfile, compose file or Kubernetes manifest pins,
against the hosts it can land on. Plain functions over the resolver; readers in pastes/."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from service.advice import placement
from service.advice.placement import Target
from service.advice.spelling import retarget_tag
from service.compat.rules import Verdict
from service.compat.selection import select_platform
from service.pastes import compose, dockerfile, kubernetes
from service.registry.errors import RegistryError
from service.registry.reference import ImageReference, InvalidReference, parse_reference

RUNS, FAILS, UNKNOWN, ERROR, SKIPPED = "runs", "fails", "unknown", "error", "skipped"
# Overall status: the worst deciding finding.
_WORST = (ERROR, FAILS, UNKNOWN, RUNS)


@dataclass(frozen=True)
class HostResult:
    name: str
    os_version: str
    verdict: str  # of the isolation mode asked for
    isolation: str
    reason: str
    image_os_version: str | None


@dataclass(frozen=True)
class Finding:
    line: int
    kind: str  # "from", "service", "container"
    name: str | None
    image: str | None
    status: str
    detail: str
    decides: bool = True  # earlier Dockerfile stages are reported but do not decide
    hosts: tuple[HostResult, ...] = ()
    suggestion: str | None = None


@dataclass(frozen=True)
class Report:
    kind: str
    status: str
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()


@dataclass
class Checker:
    """One request's worth of image judgements: each image resolved once."""

    resolver: Any
    allowed: Callable[[str], bool]
    targets: Sequence[Target]
    isolation: str = "process"
    # Where earlier Dockerfile stages run (`docker build --isolation`); default: the hosts.
    build_targets: Sequence[Target] = ()
    build_isolation: str | None = None
    _seen: dict[str, Any] = field(default_factory=dict)

    def image(
        self, text: str, targets: Sequence[Target], isolation: str, arch: str | None = None
    ) -> Finding:
        """A Finding skeleton (line 0) for one image on these targets; `arch` (from a
        `--platform` or compose `platform:`) instead of each target's own."""
        try:
            ref = parse_reference(text)
        except InvalidReference as exc:
            return Finding(0, "", None, text, ERROR, f"not an image reference: {exc}")
        if not self.allowed(ref.registry):
            detail = f"registry {ref.registry} is not in the allow-list"
            return Finding(0, "", None, text, ERROR, detail)
        resolved = self._resolve(ref)
        if isinstance(resolved, RegistryError):
            return Finding(0, "", None, text, ERROR, resolved.detail)
        if not targets:
            return Finding(0, "", None, text, UNKNOWN, "no given host can run this workload")
        results, suggestion = [], None
        for target in targets:
            chosen = select_platform(target.host, resolved.platforms, arch=arch or target.arch)
            a = chosen.assessment
            judged = {"process": a.process, "hyperv": a.hyperv}
            if isolation == "any":
                verdict = Verdict.SUPPORTED if a.compatible else a.process.verdict
                reason = a.summary
            else:
                verdict, reason = judged[isolation].verdict, judged[isolation].reason
            image_version = str(a.image) if a.image else None
            results.append(
                HostResult(
                    target.name,
                    str(target.host.version),
                    verdict.value,
                    isolation,
                    reason,
                    image_version,
                )
            )
            if verdict is not Verdict.SUPPORTED and a.target and suggestion is None:
                tag = retarget_tag(ref.tag, a.target.tag, ref.name)
                suggestion = f"{ref.name}:{tag}"
        status = _status([r.verdict for r in results])
        failing = [r.name for r in results if r.verdict != Verdict.SUPPORTED.value]
        detail = (
            f"runs on every host with {isolation} isolation"
            if status == RUNS
            else f"does not run with {isolation} isolation on {', '.join(failing)}"
        )
        return Finding(0, "", None, text, status, detail, True, tuple(results), suggestion)

    def _resolve(self, ref: ImageReference) -> Any:
        key = str(ref)
        if key not in self._seen:
            try:
                self._seen[key] = self.resolver.resolve(ref).image
            except RegistryError as exc:
                self._seen[key] = exc
        return self._seen[key]


def _status(verdicts: Sequence[str]) -> str:
    if all(v == Verdict.SUPPORTED.value for v in verdicts):
        return RUNS
    if any(v in (Verdict.UNSUPPORTED.value, Verdict.PREVIEW.value) for v in verdicts):
        return FAILS
    return UNKNOWN


def overall(findings: Sequence[Finding]) -> str:
    deciding = {f.status for f in findings if f.decides}
    return next((s for s in _WORST if s in deciding), RUNS)


# -- Dockerfile ---------------------------------------------------------------------------------


def check_dockerfile(
    checker: Checker, text: str, build_args: Mapping[str, str] | None = None
) -> Report:
    """Raises dockerfile.DockerfileError when the file does not parse."""
    stages = dockerfile.stages(text, build_args)
    findings = [_stage(checker, stages, s, s.index == len(stages) - 1) for s in stages]
    return Report("dockerfile", overall(findings), tuple(findings))


def requested_platform(platform: str | None) -> tuple[str | None, str | None]:
    """(os, arch) of `--platform=windows/arm64` or compose `platform:`; (None, None) if unset.
    A variable left unexpanded (`$BUILDPLATFORM`) says nothing."""
    if not platform or "$" in platform:
        return None, None
    parts = platform.lower().split("/")
    return parts[0] or None, (parts[1] if len(parts) > 1 and parts[1] else None)


def _not_windows(os_name: str | None, line: int, kind: str, name, image, decides: bool):
    if os_name in (None, "windows"):
        return None
    detail = f"built for {os_name}, not Windows: not judged against Windows hosts"
    return Finding(line, kind, name, image, SKIPPED, detail, decides)


def _stage(checker: Checker, stages, stage, final: bool) -> Finding:
    role = "final stage" if final else "build stage (runs on the build host)"
    root = stage
    while root.parent is not None:
        root = stages[root.parent]
    name = stage.name or f"stage {stage.index}"
    if root.scratch:
        return Finding(stage.line, "from", name, "scratch", SKIPPED, f"{role}: scratch", final)
    if stage.unresolved and root is stage:
        missing = ", ".join(f"${m}" for m in stage.unresolved)
        detail = f"{role}: {missing} has no value (no ARG default or build arg)"
        return Finding(stage.line, "from", name, stage.image, ERROR, detail, final)
    if final or not checker.build_targets:
        targets, isolation = checker.targets, checker.isolation
    else:
        targets, isolation = checker.build_targets, checker.build_isolation or checker.isolation
    os_name, arch = requested_platform(stage.platform)
    skipped = _not_windows(os_name, stage.line, "from", name, stage.image, final)
    if skipped:
        return skipped
    found = checker.image(root.image, targets, isolation, arch)
    via = f" (FROM {stage.image} -> {root.image})" if root is not stage else ""
    return replace(
        found,
        line=stage.line,
        kind="from",
        name=name,
        decides=final,
        detail=f"{role}{via}: {found.detail}",
        image=root.image,
    )


# -- compose ------------------------------------------------------------------------------------


def check_compose(checker: Checker, text: str) -> Report:
    """Raises yamltext.YamlError when the file does not parse."""
    findings, notes = [], []
    for service in compose.services(text):
        findings.append(_service(checker, service, notes))
    return Report("compose", overall(findings), tuple(findings), tuple(notes))


def _service(checker: Checker, service: compose.Service, notes: list[str]) -> Finding:
    line = service.image_line if service.image else service.line
    if service.image is None or service.build:
        what = "has a build section" if service.build else "names no image"
        detail = f"{what}: the image is built here, not checkable (check its Dockerfile)"
        return Finding(line, "service", service.name, service.image, SKIPPED, detail, False)
    admitted = placement.swarm(checker.targets, service.constraints)
    if admitted.linux:
        detail = "constrained to Linux nodes: not judged"
        return Finding(line, "service", service.name, service.image, SKIPPED, detail, False)
    _unknown_note(notes, f"service {service.name}", admitted.unknown_keys)
    os_name, arch = requested_platform(service.platform)
    skipped = _not_windows(os_name, line, "service", service.name, service.image, False)
    if skipped:
        return skipped
    found = checker.image(service.image, admitted.targets, checker.isolation, arch)
    where = _placement(service.constraints, admitted, checker.targets)
    return replace(
        found, line=line, kind="service", name=service.name, detail=f"{found.detail}{where}"
    )


def _placement(constraints, admitted, targets) -> str:
    if not constraints:
        return "; no placement constraints: it may land on any host"
    left_out = len(targets) - len(admitted.targets)
    lines = ", ".join(str(c.line) for c in constraints)
    return f"; constraints (line {lines}) admit {len(admitted.targets)} of {len(targets)} hosts" + (
        f", excluding {left_out}" if left_out else ""
    )


def _unknown_note(notes: list[str], who: str, keys: Sequence[str]) -> None:
    if keys:
        notes.append(
            f"{who}: {', '.join(keys)} cannot be read from hosts given as versions; counted as "
            "matching (give the nodes to check it)"
        )


# -- Kubernetes ---------------------------------------------------------------------------------


def check_kubernetes(checker: Checker, text: str) -> Report:
    """Raises yamltext.YamlError when the manifests do not parse."""
    workloads, notes = kubernetes.workloads(text)
    findings = []
    for w in workloads:
        findings.extend(_workload(checker, w, notes))
    return Report("kubernetes", overall(findings), tuple(findings), tuple(notes))


def _workload(checker: Checker, w: kubernetes.Workload, notes: list[str]) -> list[Finding]:
    who = f"{w.kind} {w.name}"
    admitted = placement.kubernetes(
        checker.targets, w.node_selector, w.affinity_terms, w.tolerations
    )
    if admitted.linux:
        return [
            Finding(
                c.line,
                "container",
                f"{who}/{c.name}",
                c.image,
                SKIPPED,
                "scheduled on Linux nodes: not judged",
                False,
            )
            for c in w.containers
        ]
    _unknown_note(notes, who, admitted.unknown_keys)
    isolation = checker.isolation
    if w.runtime_class and "hyperv" in w.runtime_class.lower():
        isolation = "hyperv"
    if placement.OS_LABEL not in w.node_selector and not w.affinity_terms:
        notes.append(
            f"line {w.line}: {who} has no nodeSelector {placement.OS_LABEL}: windows; its pods "
            "may land on any node, Linux ones included"
        )
    out = []
    for c in w.containers:
        if c.image is None:
            out.append(Finding(c.line, "container", f"{who}/{c.name}", None, ERROR, "no image"))
            continue
        found = checker.image(c.image, admitted.targets, isolation)
        init = "init container" if c.init else "container"
        scheduling = _k8s_scheduling(w, admitted, checker.targets)
        out.append(
            replace(
                found,
                line=c.line,
                kind="container",
                name=f"{who}/{c.name}",
                detail=f"{init}: {found.detail}{scheduling}",
            )
        )
    return out


def _k8s_scheduling(w: kubernetes.Workload, admitted, targets) -> str:
    parts = []
    if w.node_selector:
        pairs = ", ".join(f"{k}={v}" for k, v in w.node_selector.items())
        parts.append(f"nodeSelector {pairs} (line {w.selector_line})")
    if w.affinity_terms:
        parts.append("required node affinity")
    if w.runtime_class:
        parts.append(f"runtimeClassName {w.runtime_class}")
    how = " and ".join(parts) if parts else "no scheduling constraints"
    return f"; {how} admit {len(admitted.targets)} of {len(targets)} hosts"
