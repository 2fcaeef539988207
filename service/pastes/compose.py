"""Read a compose file: each service's image, build and placement constraints, with lines.
Pure. `${VAR:-default}` in an image takes its default (compose would read the environment)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.pastes.dockerfile import substitute
from service.pastes.yamltext import Document, YamlError, load_all

_CONSTRAINT = re.compile(r"^\s*(?P<key>[\w.\-/]+)\s*(?P<op>==|!=)\s*(?P<value>.+?)\s*$")


@dataclass(frozen=True)
class Constraint:
    line: int
    text: str
    key: str | None  # None when the text is no `key ==/!= value`
    op: str | None
    value: str | None


@dataclass(frozen=True)
class Service:
    name: str
    line: int
    image: str | None
    image_line: int
    build: bool  # has a build section: the image is built here, not pulled
    platform: str | None
    constraints: tuple[Constraint, ...]
    unresolved: tuple[str, ...] = ()


def services(text: str) -> list[Service]:
    documents = load_all(text)
    if not documents:
        raise YamlError(1, "empty compose file")
    doc = documents[0]
    if not isinstance(doc.value, dict) or not isinstance(doc.value.get("services"), dict):
        raise YamlError(doc.line, "a compose file needs a `services:` mapping")
    return [_service(doc, name, body) for name, body in doc.value["services"].items()]


def _service(doc: Document, name: object, body: object) -> Service:
    key = str(name)
    line = doc.line_of("services", name)
    if not isinstance(body, dict):
        raise YamlError(line, f"service {key} is not a mapping")
    image, missing = None, ()
    if body.get("image") is not None:
        try:
            image, missing = substitute(str(body["image"]), {})
        except ValueError as exc:
            raise YamlError(doc.line_of("services", name, "image"), str(exc)) from None
    at = ("services", name, "deploy")
    deploy = doc.mapping(body.get("deploy"), *at)
    placement = doc.mapping(deploy.get("placement"), *at, "placement")
    raw = doc.sequence(placement.get("constraints"), *at, "placement", "constraints")
    constraints = tuple(
        _constraint(doc.line_of(*at, "placement", "constraints", i), c) for i, c in enumerate(raw)
    )
    return Service(
        key,
        line,
        image,
        doc.line_of("services", name, "image"),
        "build" in body,
        str(body["platform"]) if body.get("platform") else None,
        constraints,
        missing,
    )


def _constraint(line: int, text: object) -> Constraint:
    match = _CONSTRAINT.match(str(text))
    if not match:
        return Constraint(line, str(text), None, None, None)
    value = match["value"].strip("\"'")
    return Constraint(line, str(text), match["key"], match["op"], value)
