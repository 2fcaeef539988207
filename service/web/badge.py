"""A shields-style SVG badge for an answer: label, message, colour by verdict; valid SVG with a
<title> for screen readers. Pure: the answer dict (or a problem type) in, SVG text out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

LABEL = "windows compat"
MAX_LABEL = 40
# Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Colours dark enough for white text (WCAG AA at 11px bold-ish): green, amber, red, grey.
COLOURS = {
    "process": "#2e7d32",
    "hyperv": "#a15c00",
    "preview": "#a15c00",
    "unsupported": "#c62828",
    "unknown": "#616161",
    "error": "#616161",
}

# What a problem type says on a badge: short enough to read in a README.
PROBLEM_MESSAGES = {
    "invalid-request": "invalid question",
    "image-not-found": "image not found",
    "registry-not-allowed": "registry not allowed",
    "registry-auth": "registry refused",
    "registry-rate-limited": "rate limited",
    "registry-unavailable": "registry down",
    "registry-timeout": "registry timeout",
}


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    colour: str
    kind: str  # the COLOURS key: what the badge says, for tests and headers


def _failed(answer: dict) -> str:
    image, host = answer["image"].get("build"), answer["host"].get("build")
    return f"✗ {image}≠{host}" if image and host and image != host else "✗ unsupported"


def for_answer(answer: dict, modes: tuple[str, ...] = ("process", "hyperv"), label: str = LABEL):
    """The badge for an answer, judging only the isolation modes the caller can use."""
    verdicts = {m: answer["isolation"][m]["verdict"] for m in modes}
    if verdicts.get("process") == "supported":
        return Badge(label, "process ✓", COLOURS["process"], "process")
    if verdicts.get("hyperv") == "supported":
        return Badge(label, "hyper-v only", COLOURS["hyperv"], "hyperv")
    if "preview" in verdicts.values():
        return Badge(label, "preview", COLOURS["preview"], "preview")
    if "unknown" in verdicts.values():
        return Badge(label, "unknown", COLOURS["unknown"], "unknown")
    return Badge(label, _failed(answer), COLOURS["unsupported"], "unsupported")


def for_problem(kind: str | None, label: str = LABEL) -> Badge:
    return Badge(label, PROBLEM_MESSAGES.get(kind or "", "error"), COLOURS["error"], "error")


def _width(text: str) -> int:
    """Text width in px at Verdana 11px, from rough per-character classes (as shields does)."""
    total = 0.0
    for ch in text:
        if ch in "il.,:;|!'`ijft ":
            total += 3.8
        elif ch in "mwMW":
            total += 10.0
        elif ch.isupper() or not ch.isascii():
            total += 7.6
        else:
            total += 6.6
    return int(total + 0.5)


def svg(badge: Badge) -> str:
    raw_label = _NOT_XML.sub("", badge.label[:MAX_LABEL])
    label, message = escape(raw_label), escape(badge.message)
    left, right = _width(raw_label) + 12, _width(badge.message) + 12
    width = left + right
    title = f"{label}: {message}"
    aria = escape(f"{raw_label}: {badge.message}", {'"': "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{aria}"><title>{title}</title>'
        f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        f'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{badge.colour}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        f'font-size="11"><text x="{left / 2}" y="14">{label}</text>'
        f'<text x="{left + right / 2}" y="14">{message}</text></g></svg>'
    )
