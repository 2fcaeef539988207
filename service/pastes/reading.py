"""What a paste reader returns: the shapes it recognised and the facts each one carries."""

from __future__ import annotations

from dataclasses import dataclass, field

EXCERPT = 240  # characters of the matched text kept per sighting


@dataclass(frozen=True)
class Reading:
    """One shape recognised in a paste; `facts` holds only what that shape says."""

    shape: str
    line: int  # 1-based, where the shape starts
    excerpt: str
    facts: dict[str, object] = field(default_factory=dict)


def excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
