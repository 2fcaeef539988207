"""Read every FROM of a Dockerfile with its line number, as BuildKit would resolve it. Pure.

Handles parser directives (`# escape=`), comments, line continuations, `ARG` before the first
`FROM` (the only ones a FROM may use) overridden by build args, `${VAR}`, `$VAR`,
`${VAR:-default}`, `${VAR:+alt}`, `FROM --platform=…`, `AS name`, `FROM <stage>` and
`scratch`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

MAX_BYTES = 1024 * 1024
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
_VAR = re.compile(r"\$(?:\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class DockerfileError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Instruction:
    line: int  # 1-based line of the instruction's first physical line
    keyword: str  # upper case
    args: str


@dataclass(frozen=True)
class Stage:
    index: int
    line: int
    text: str  # the FROM line as written (continuations joined)
    image: str  # after substitution; a stage name or "scratch" as written
    name: str | None  # AS name
    platform: str | None
    parent: int | None  # index of the stage it builds on (FROM <stage>)
    unresolved: tuple[str, ...] = ()  # variables that had no value

    @property
    def scratch(self) -> bool:
        return self.image.lower() == "scratch"


def instructions(text: str) -> list[Instruction]:
    """Logical instructions with the line each starts on; comments and blanks dropped."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise DockerfileError(1, f"larger than {MAX_BYTES} bytes")
    lines = text.splitlines()
    escape, start = _directives(lines)
    found: list[Instruction] = []
    parts: list[str] = []
    first = 0
    for number, raw in enumerate(lines[start:], start + 1):
        stripped = raw.strip()
        if not parts and not stripped:
            continue
        if stripped.startswith("#"):
            continue  # comments go, even inside a continued instruction
        if not parts:
            first = number
        if stripped.endswith(escape):
            parts.append(raw.rstrip()[:-1])
            continue
        parts.append(raw)
        found.append(_instruction(first, " ".join(p.strip() for p in parts if p.strip())))
        parts = []
    if parts:
        found.append(_instruction(first, " ".join(p.strip() for p in parts if p.strip())))
    return found


def _directives(lines: list[str]) -> tuple[str, int]:
    escape = "\\"
    for i, line in enumerate(lines):
        match = _DIRECTIVE.match(line.strip())
        if not match:
            return escape, i
        if match[1].lower() == "escape":
            if match[2] not in ("\\", "`"):
                raise DockerfileError(i + 1, f"invalid escape directive {match[2]!r}")
            escape = match[2]
    return escape, len(lines)


def _instruction(line: int, text: str) -> Instruction:
    keyword, _, args = text.partition(" ")
    return Instruction(line, keyword.upper(), args.strip())


def substitute(text: str, values: Mapping[str, str | None]) -> tuple[str, tuple[str, ...]]:
    """Shell-style substitution as the Dockerfile frontend does; names without a value."""
    missing: list[str] = []
    if re.search(r"\$\{[^}]*$", text):
        raise ValueError("unterminated ${ in the line")

    def one(match: re.Match) -> str:
        if match["bare"]:
            return _value(match["bare"], values, missing)
        body = match["braced"]
        for op in (":-", ":+", "-", "+"):
            name, sep, word = body.partition(op)
            if sep and _NAME.fullmatch(name):
                got = values.get(name)
                unset = got is None or (op.startswith(":") and got == "")
                if op.endswith("-"):
                    return word if unset else str(got)
                return "" if unset else word
        if not _NAME.fullmatch(body):
            raise ValueError(f"bad substitution ${{{body}}}")
        return _value(body, values, missing)

    return _VAR.sub(one, text), tuple(missing)


def _value(name: str, values: Mapping[str, str | None], missing: list[str]) -> str:
    got = values.get(name)
    if got is None:
        missing.append(name)
        return ""
    return got


def _args(args: str) -> list[tuple[str, str | None]]:
    pairs = []
    for word in args.split():
        name, sep, default = word.partition("=")
        pairs.append((name, default.strip("\"'") if sep else None))
    return pairs


def stages(text: str, build_args: Mapping[str, str] | None = None) -> list[Stage]:
    """Every FROM, in order. Raises DockerfileError for what BuildKit would refuse."""
    build_args = dict(build_args or {})
    scope: dict[str, str | None] = {}
    found: list[Stage] = []
    for ins in instructions(text):
        if ins.keyword == "ARG" and not found:
            for name, default in _args(ins.args):
                scope[name] = build_args.get(name, default)
        elif ins.keyword == "FROM":
            found.append(_stage(ins, scope, found))
        elif not found and ins.keyword not in ("ARG",):
            raise DockerfileError(ins.line, f"{ins.keyword} before the first FROM")
    if not found:
        raise DockerfileError(1, "no FROM instruction")
    return found


def _stage(ins: Instruction, scope: Mapping[str, str | None], before: list[Stage]) -> Stage:
    words = ins.args.split()
    platform = None
    while words and words[0].startswith("--"):
        flag, _, value = words.pop(0).partition("=")
        if flag == "--platform":
            platform = value
    if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
        raise DockerfileError(ins.line, "expected FROM [--platform=…] IMAGE [AS NAME]")
    try:
        image, missing = substitute(words[0], scope)
        if platform:
            platform, _ = substitute(platform, scope)
    except ValueError as exc:
        raise DockerfileError(ins.line, str(exc)) from None
    if not image:
        raise DockerfileError(ins.line, f"FROM names no image ({words[0]} is empty)")
    name = words[2] if len(words) == 3 else None
    names = {s.name.lower(): s.index for s in before if s.name}
    parent = names.get(image.lower())
    text = f"FROM {ins.args}"
    return Stage(len(before), ins.line, text, image, name, platform, parent, missing)
