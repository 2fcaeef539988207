"""A small YAML emitter for the snippets we hand out: block style, two-space indent, and every
scalar that a YAML 1.1 reader could take for a number or a boolean quoted (`"14393.1715"` must
stay a string; Kubernetes' YAML reader would make it a float)."""

from __future__ import annotations

import json
import re

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9._/-]*")
_RESERVED = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan"})


def scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return "null"
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def dump(value: object, indent: int = 0) -> str:
    return "".join(_lines(value, indent))


def _lines(value: object, indent: int):
    pad = " " * indent
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, dict | list) and inner:
                yield f"{pad}{scalar(key)}:\n"
                yield from _lines(inner, indent + 2 if isinstance(inner, dict) else indent)
            else:
                yield f"{pad}{scalar(key)}: {_empty(inner)}\n"
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                first, *rest = _lines(item, indent + 2)
                yield f"{pad}- {first.lstrip()}"
                yield from rest
            else:
                yield f"{pad}- {_empty(item)}\n"
    else:
        yield f"{pad}{scalar(value)}\n"


def _empty(value: object) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)
