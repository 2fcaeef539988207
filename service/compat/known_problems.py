"""Known field failures as data (runtimes.md): the table shipped in data/known_problems.yaml,
plus the operator's WINCOMPAT_KNOWN_PROBLEMS file, validated in full before the service starts.

An entry with effect `fails` turns the modes it names `unsupported` (rules.judge applies it);
`warning` adds a warning. Matching takes plain versions, so this module needs nothing from the
rules and the rules can consult it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from service.compat.runtime_ids import RUNTIME_IDS
from service.compat.versions import WindowsVersion

RULE_PREFIX = "known-problem:"
MODES = ("process", "hyperv")
EFFECTS = ("fails", "warning")
KINDS = ("server", "client")
NEWER_THAN_HOST = "newer-than-host"
ALL_RUNTIMES = "all"
ENTRY_FIELDS = frozenset(
    {"id", "hosts", "images", "isolation", "runtimes", "effect", "error", "text", "source"}
)
MAX_FILE_BYTES = 1024 * 1024  # an operator's file; far more than any real table
MAX_ENTRIES = 1000
MAX_TEXT = 2000
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_GITHUB = re.compile(r"https://github\.com/([^/]+/[^/]+)/(?:issues|pull)/(\d+)")
SHIPPED = "known_problems.yaml"


class KnownProblemsError(ValueError):
    """A known-problems file the service cannot use; the message is one line naming the spot."""


@dataclass(frozen=True)
class Range:
    """Inclusive bounds on a build or revision; None is open."""

    low: int | None
    high: int | None

    def holds(self, value: int | None) -> bool:
        if value is None:
            return False  # an unknown revision cannot be said to be in the range
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def as_data(self) -> int | dict[str, int]:
        if self.low is not None and self.low == self.high:
            return self.low
        return {k: v for k, v in (("min", self.low), ("max", self.high)) if v is not None}


@dataclass(frozen=True)
class Hosts:
    build: Range
    revision: Range | None = None
    kind: str | None = None  # None: server and client

    def holds(self, version: WindowsVersion, kind: str) -> bool:
        return (
            self.build.holds(version.build)
            and (self.revision is None or self.revision.holds(version.revision))
            and (self.kind is None or self.kind == kind)
        )


@dataclass(frozen=True)
class Images:
    build: Range
    revision: Range | None = None
    newer_than_host: bool = False  # the image's revision is above the host's

    def holds(self, image: WindowsVersion, host: WindowsVersion) -> bool:
        if not self.build.holds(image.build):
            return False
        if self.revision is not None and not self.revision.holds(image.revision):
            return False
        if self.newer_than_host:
            ir, hr = image.revision, host.revision
            return ir is not None and hr is not None and ir > hr
        return True


@dataclass(frozen=True)
class KnownProblem:
    id: str
    hosts: Hosts
    images: Images
    isolation: frozenset[str]
    runtimes: frozenset[str] | None  # None: every runtime
    effect: str  # "fails" or "warning"
    error: str | None
    text: str
    source: str

    @property
    def rule(self) -> str:
        return RULE_PREFIX + self.id

    @property
    def cite(self) -> str:
        """The source, short: `microsoft/hcsshim#2566` for GitHub threads, else the URL."""
        found = _GITHUB.fullmatch(self.source)
        return f"{found[1]}#{found[2]}" if found else self.source

    @property
    def label(self) -> str:
        """`id (error, source)`: how sentences and reasons name it."""
        said = ", ".join(part for part in (self.error, self.cite) if part)
        return f"{self.id} ({said})"

    def concerns(self, host: WindowsVersion, kind: str, image: WindowsVersion) -> bool:
        return self.hosts.holds(host, kind) and self.images.holds(image, host)

    def for_runtime(self, runtime: str | None) -> bool:
        """Entries for every runtime always count; runtime-limited ones only for theirs."""
        return self.runtimes is None or runtime in self.runtimes

    def as_data(self) -> dict[str, Any]:
        def span(r: Range | None) -> object:
            return None if r is None else r.as_data()

        images_revision = (
            NEWER_THAN_HOST if self.images.newer_than_host else span(self.images.revision)
        )
        return {
            "id": self.id,
            "rule": self.rule,
            "hosts": {
                "build": span(self.hosts.build),
                "revision": span(self.hosts.revision),
                "kind": self.hosts.kind,
            },
            "images": {"build": span(self.images.build), "revision": images_revision},
            "isolation": [m for m in MODES if m in self.isolation],
            "runtimes": ALL_RUNTIMES if self.runtimes is None else sorted(self.runtimes),
            "effect": self.effect,
            "error": self.error,
            "text": self.text,
            "source": self.source,
        }


@dataclass(frozen=True)
class KnownProblems:
    entries: tuple[KnownProblem, ...]
    override: str | None = None  # the operator's file, when one was read

    def concerning(
        self, host: WindowsVersion, kind: str, image: WindowsVersion, runtime: str | None = None
    ) -> tuple[KnownProblem, ...]:
        return tuple(
            p for p in self.entries if p.for_runtime(runtime) and p.concerns(host, kind, image)
        )

    def failing(
        self,
        host: WindowsVersion,
        kind: str,
        image: WindowsVersion,
        mode: str,
        runtime: str | None = None,
    ) -> KnownProblem | None:
        """The first `fails` entry for this pair, mode and runtime, or None."""
        for p in self.concerning(host, kind, image, runtime):
            if p.effect == "fails" and mode in p.isolation:
                return p
        return None

    def warnings(
        self, host: WindowsVersion, kind: str, image: WindowsVersion, runtime: str | None = None
    ) -> list[str]:
        return [
            f"Known problem {p.label}: {p.text}."
            for p in self.concerning(host, kind, image, runtime)
            if p.effect == "warning"
        ]


# ---- reading and validating -------------------------------------------------------------


def _fail(where: str, message: str) -> KnownProblemsError:
    return KnownProblemsError(f"{where}: {message}")


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise _fail(where, f"expected a non-negative integer, got {value!r}")
    return value


def _range(value: object, where: str) -> Range:
    if isinstance(value, Mapping):
        extra = set(value) - {"min", "max"}
        if extra or not value:
            raise _fail(where, "expected N or {min: N, max: N}")
        low = _int(value["min"], f"{where}.min") if "min" in value else None
        high = _int(value["max"], f"{where}.max") if "max" in value else None
        if low is not None and high is not None and low > high:
            raise _fail(where, f"min {low} is above max {high}")
        return Range(low, high)
    exact = _int(value, where)
    return Range(exact, exact)


def _section(value: object, where: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, "expected a mapping with `build`")
    extra = set(value) - allowed
    if extra:
        raise _fail(where, f"unknown field(s) {', '.join(sorted(map(str, extra)))}")
    if "build" not in value:
        raise _fail(where, "`build` is required")
    return value


def _hosts(value: object, where: str) -> Hosts:
    data = _section(value, where, {"build", "revision", "kind"})
    kind = data.get("kind")
    if kind is not None and kind not in KINDS:
        raise _fail(f"{where}.kind", f"expected server or client, got {kind!r}")
    revision = data.get("revision")
    return Hosts(
        _range(data["build"], f"{where}.build"),
        None if revision is None else _range(revision, f"{where}.revision"),
        kind,
    )


def _images(value: object, where: str) -> Images:
    data = _section(value, where, {"build", "revision"})
    revision = data.get("revision")
    build = _range(data["build"], f"{where}.build")
    if revision == NEWER_THAN_HOST:
        return Images(build, None, newer_than_host=True)
    return Images(build, None if revision is None else _range(revision, f"{where}.revision"))


def _text(data: Mapping[str, Any], name: str, where: str, *, optional: bool = False) -> str | None:
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise _fail(f"{where}.{name}", f"expected a text of 1-{MAX_TEXT} characters")
    return " ".join(value.split())


def _choices(value: object, allowed: Iterable[str], where: str) -> frozenset[str]:
    allowed = tuple(allowed)
    if not isinstance(value, list) or not value or not all(v in allowed for v in value):
        raise _fail(where, f"expected a non-empty list of {', '.join(allowed)}, got {value!r}")
    return frozenset(value)


def _entry(data: object, where: str) -> KnownProblem:
    if not isinstance(data, Mapping):
        raise _fail(where, "expected a mapping")
    if not isinstance(data.get("id"), str) or not _ID.fullmatch(data["id"]):
        raise _fail(f"{where}.id", "expected lowercase letters, digits and dashes")
    where = f"{where} (id {data['id']})"
    missing = sorted((ENTRY_FIELDS - {"error"}) - set(data))
    if missing:
        raise _fail(where, f"missing field(s) {', '.join(missing)}")
    extra = sorted(map(str, set(data) - ENTRY_FIELDS))
    if extra:
        raise _fail(where, f"unknown field(s) {', '.join(extra)}")
    if data["effect"] not in EFFECTS:
        raise _fail(f"{where}.effect", f"expected fails or warning, got {data['effect']!r}")
    runtimes = data["runtimes"]
    source = _text(data, "source", where)
    if not source.startswith(("https://", "http://")):
        raise _fail(f"{where}.source", "expected a URL")
    return KnownProblem(
        id=data["id"],
        hosts=_hosts(data["hosts"], f"{where}.hosts"),
        images=_images(data["images"], f"{where}.images"),
        isolation=_choices(data["isolation"], MODES, f"{where}.isolation"),
        runtimes=None
        if runtimes == ALL_RUNTIMES
        else _choices(runtimes, RUNTIME_IDS, f"{where}.runtimes"),
        effect=data["effect"],
        error=_text(data, "error", where, optional=True),
        text=_text(data, "text", where).rstrip("."),
        source=source,
    )


def parse(data: object, origin: str) -> tuple[KnownProblem, ...]:
    """Entries from loaded YAML/JSON: a list, or a mapping with a `known_problems` list."""
    if isinstance(data, Mapping) and set(data) == {"known_problems"}:
        data = data["known_problems"]
    if not isinstance(data, list):
        raise _fail(origin, "expected a list of entries (or {known_problems: [...]})")
    if len(data) > MAX_ENTRIES:
        raise _fail(origin, f"more than {MAX_ENTRIES} entries")
    entries = tuple(_entry(item, f"{origin}: entry {i}") for i, item in enumerate(data))
    ids = [e.id for e in entries]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise _fail(origin, f"id(s) given twice: {', '.join(twice)}")
    return entries


def _decode(raw: bytes, origin: str, *, as_json: bool) -> object:
    try:
        text = raw.decode("utf-8")
        return json.loads(text) if as_json else yaml.safe_load(text)
    except UnicodeDecodeError:
        raise _fail(origin, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _fail(origin, f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise _fail(origin, f"not valid YAML{at}: {problem}") from None


def read_file(path: str) -> tuple[KnownProblem, ...]:
    """An operator's file, bounded in bytes; any problem is one KnownProblemsError line."""
    origin = f"WINCOMPAT_KNOWN_PROBLEMS {path}"
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _fail(origin, exc.strerror or "cannot be read") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _fail(origin, f"larger than {MAX_FILE_BYTES} bytes")
    return parse(_decode(raw, origin, as_json=Path(path).suffix.lower() == ".json"), origin)


@cache
def shipped() -> tuple[KnownProblem, ...]:
    raw = resources.files("service.compat").joinpath("data", SHIPPED).read_bytes()
    return parse(_decode(raw, SHIPPED, as_json=False), SHIPPED)


def merge(base: Iterable[KnownProblem], extra: Iterable[KnownProblem]) -> tuple[KnownProblem, ...]:
    """`extra` replaces entries of the same id, in place, and appends new ones."""
    table = {p.id: p for p in base}
    table.update({p.id: p for p in extra})
    return tuple(table.values())


def load(path: str | None = None) -> KnownProblems:
    """The table in force: the shipped entries, with the operator's file over them."""
    if not path:
        return KnownProblems(shipped())
    return KnownProblems(merge(shipped(), read_file(path)), override=path)


# ---- the table in force -----------------------------------------------------------------
# One per process, installed by create_app at start; the pure judgement reads it from here so
# every question (compat, fleet, advice) sees the same table without threading it through.
# `generation` changes with every install, so memos keyed on it never outlive their table.
_in_force: KnownProblems | None = None
_generation = 0


def install(table: KnownProblems) -> None:
    global _in_force, _generation
    _in_force = table
    _generation += 1


def in_force() -> KnownProblems:
    if _in_force is None:
        install(KnownProblems(shipped()))
    return _in_force


def generation() -> int:
    in_force()
    return _generation
