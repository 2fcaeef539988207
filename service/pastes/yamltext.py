"""YAML documents as plain values plus the line of every mapping key and list item. Pure.

Built on PyYAML's node graph (SafeLoader: no arbitrary objects), with a bound on the nodes
converted so an alias bomb cannot expand without limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_BYTES = 1024 * 1024
MAX_NODES = 200_000
MAX_DOCUMENTS = 1000

Path = tuple[Any, ...]


class YamlError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class Document:
    value: Any
    line: int  # where the document starts
    lines: dict[Path, int] = field(default_factory=dict)  # path -> 1-based line

    def mapping(self, value: Any, *path: Any) -> dict:
        """`value` when it is a mapping (None as empty); YamlError naming the field if not."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise YamlError(self.line_of(*path), f"{_field(path)} must be a mapping")
        return value

    def sequence(self, value: Any, *path: Any) -> list:
        """`value` when it is a list (None as empty); YamlError naming the field if not."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise YamlError(self.line_of(*path), f"{_field(path)} must be a list")
        return value

    def line_of(self, *path: Any) -> int:
        """The line of the deepest known prefix of `path`."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return self.line


def _field(path: tuple) -> str:
    """`containers[0]`, `nodeSelector`: the last named field of a path, with its index."""
    text = ""
    for part in path:
        text = f"{text}[{part}]" if isinstance(part, int) else str(part)
    return text or "the document"


_SCALARS = {
    "tag:yaml.org,2002:int": int,
    "tag:yaml.org,2002:float": float,
}


class _Converter:
    def __init__(self, lines: dict[Path, int]) -> None:
        self.lines = lines
        self.count = 0

    def value(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlError(node.start_mark.line + 1, f"more than {MAX_NODES} YAML nodes")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key, item in node.value:
                name = self.value(key, (*path, "<key>"))
                name = name if isinstance(name, str | int | float | bool) else str(name)
                self.lines[(*path, name)] = key.start_mark.line + 1
                out[name] = self.value(item, (*path, name))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
        return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    text = node.value
    if node.tag == "tag:yaml.org,2002:null":
        return None
    if node.tag == "tag:yaml.org,2002:bool":
        return text.lower() in ("true", "yes", "on", "y")
    convert = _SCALARS.get(node.tag)
    if convert is not None:
        try:
            return convert(text.replace("_", ""))
        except ValueError:
            return text
    return text


def load_all(text: str) -> list[Document]:
    """Every document of the text; YamlError with the line when it does not parse."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise YamlError(1, f"larger than {MAX_BYTES} bytes")
    documents = []
    try:
        for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
            if node is None:
                continue
            if len(documents) >= MAX_DOCUMENTS:
                raise YamlError(node.start_mark.line + 1, f"more than {MAX_DOCUMENTS} documents")
            lines: dict[Path, int] = {}
            value = _Converter(lines).value(node, ())
            documents.append(Document(value, node.start_mark.line + 1, lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(line, str(exc.problem or exc.context or "not YAML")) from None
    except yaml.YAMLError as exc:
        raise YamlError(1, str(exc)) from None
    return documents
