"""What every paste reader does first: undo what terminals, chats and ticket systems add."""

from __future__ import annotations

import re

MAX_PASTE_BYTES = 256 * 1024  # explain.md: longer is a 413

# CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks).
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """ANSI colours and control bytes removed, CRLF and lone CR made LF, tabs kept."""
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def lines(text: str) -> list[str]:
    return text.split("\n")
