"""An answer (the /compat JSON) as what the page shows: each mode's verdict in words, a symbol
and a colour class (never colour alone), and the remedies' copyable lines."""

from __future__ import annotations

from dataclasses import dataclass

MODES = (("process", "Process isolation"), ("hyperv", "Hyper-V isolation"))

# verdict -> (symbol, words, css class)
VERDICTS: dict[str, tuple[str, str, str]] = {
    "supported": ("✓", "Runs", "ok"),
    "unsupported": ("✗", "Does not run", "bad"),
    "preview": ("!", "Preview builds only", "warn"),
    "unknown": ("?", "Cannot tell", "unknown"),
}

ACTION_TITLES = {
    "rebuild": "Rebuild on a matching base image",
    "hyperv": "Run it with Hyper-V isolation",
    "schedule": "Schedule it on matching hosts",
    "update-host": "Update the host",
    "give-revision": "Ask with full versions",
}


@dataclass(frozen=True)
class Mode:
    name: str
    title: str
    verdict: str
    symbol: str
    words: str
    css: str
    reason: str


@dataclass(frozen=True)
class Copyable:
    label: str
    text: str


@dataclass(frozen=True)
class RemedyView:
    title: str
    detail: str
    copy: Copyable | None


@dataclass(frozen=True)
class Card:
    summary: str
    compatible: bool
    modes: tuple[Mode, ...]
    warnings: tuple[str, ...]
    remedies: tuple[RemedyView, ...]
    image: str
    host: str


def _mode(name: str, title: str, judged: dict) -> Mode:
    symbol, words, css = VERDICTS.get(judged["verdict"], VERDICTS["unknown"])
    return Mode(name, title, judged["verdict"], symbol, words, css, judged["reason"])


def _yaml(selector: dict) -> str:
    lines = ["nodeSelector:", "  kubernetes.io/os: windows"]
    lines += [f'  {key}: "{value}"' for key, value in selector.items()]
    return "\n".join(lines)


def _copyable(remedy: dict, image: str) -> Copyable | None:
    """The line a person pastes for each remedy that has one."""
    fields = remedy.get("fields") or {}
    action = remedy["action"]
    if action == "rebuild" and fields.get("base_image"):
        return Copyable("FROM line", f"FROM {fields['base_image']}")
    if action == "hyperv" and fields.get("docker_run"):
        return Copyable("docker run", f"docker run {fields['docker_run']} {image}")
    if action == "schedule" and fields.get("node_selector"):
        return Copyable("Kubernetes YAML", _yaml(fields["node_selector"]))
    return None


def card(answer: dict) -> Card:
    image = answer["image"]
    shown = image.get("reference") or f"an image of {image.get('os_version')}"
    remedies = tuple(
        RemedyView(
            ACTION_TITLES.get(r["action"], r["action"]),
            r["detail"],
            _copyable(r, image.get("reference") or "IMAGE"),
        )
        for r in answer["remedies"]
    )
    host = answer["host"]
    return Card(
        summary=answer["summary"],
        compatible=answer["compatible"],
        modes=tuple(_mode(n, t, answer["isolation"][n]) for n, t in MODES),
        warnings=tuple(answer["warnings"]),
        remedies=remedies,
        image=shown,
        host=f"{host['os_version']} ({host.get('release') or 'unknown release'})",
    )
