"""Images x hosts (fleet.md, POST /compat/matrix): read the entries, then build the cells.
Pure: the caller resolves the images (see service.fleet.questions)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cachetools import LRUCache

from service.compat import catalog
from service.compat.hosts import host_from_text, parse_image_version
from service.compat.rules import Host
from service.compat.versions import InvalidVersion, WindowsVersion
from service.fleet.judging import Judge, Outcome, Subject
from service.registry.reference import ImageReference, InvalidReference, parse_reference

MAX_IMAGES, MAX_HOSTS, MAX_CELLS = 100, 500, 10_000
MAX_HOST_TEXT, MAX_IMAGE_TEXT, MAX_NAME = 4096, 1024, 256
HOST_KEYS = frozenset({"host", "host_type", "name"})
IMAGE_KEYS = frozenset({"image", "image_version"})


class EntryErrors(ValueError):
    """Entries that can't be read, by path (`hosts[3]`); nothing is resolved then."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class OverLimit(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ImageEntry:
    key: str  # one per distinct image: the canonical reference, or "version:<v>"
    ref: ImageReference | None
    version: WindowsVersion | None


@dataclass(frozen=True)
class HostEntry:
    name: str
    host: Host
    notes: tuple[str, ...]


def check_limits(images: list, hosts: list) -> None:
    if len(images) > MAX_IMAGES:
        raise OverLimit("images", f"{len(images)} images; at most {MAX_IMAGES} per matrix")
    if len(hosts) > MAX_HOSTS:
        raise OverLimit("hosts", f"{len(hosts)} hosts; at most {MAX_HOSTS} per matrix")
    if len(images) * len(hosts) > MAX_CELLS:
        raise OverLimit(
            "cells",
            f"{len(images)} x {len(hosts)} = {len(images) * len(hosts)} cells; at most "
            f"{MAX_CELLS} per matrix",
        )


def _image(raw: object) -> ImageEntry:
    if isinstance(raw, dict):
        given = [k for k in IMAGE_KEYS if raw.get(k) is not None]
        if set(raw) - IMAGE_KEYS or len(given) != 1:
            raise ValueError("an object needs exactly one of `image` and `image_version`")
        (name,) = given
        text = raw[name]
        if not isinstance(text, str) or len(text) > MAX_IMAGE_TEXT:
            raise ValueError(f"`{name}` must be a string of at most {MAX_IMAGE_TEXT} characters")
        if name == "image_version":
            version = parse_image_version(text).version
            return ImageEntry(f"version:{version}", None, version)
        raw = text
    if not isinstance(raw, str) or len(raw) > MAX_IMAGE_TEXT:
        raise ValueError(
            "an image is a reference string, or an object with `image` or `image_version`"
        )
    ref = parse_reference(raw)
    return ImageEntry(str(ref), ref, None)


def _host(raw: object) -> HostEntry:
    host_type, name = None, None
    if isinstance(raw, dict):
        if set(raw) - HOST_KEYS or "host" not in raw:
            raise ValueError("an object needs `host`, and may have `host_type` and `name`")
        host_type, name = raw.get("host_type"), raw.get("name")
        if host_type is not None and host_type not in catalog.KINDS:
            raise ValueError(f"`host_type` must be one of {', '.join(catalog.KINDS)}")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
            raise ValueError(f"`name` must be a string of at most {MAX_NAME} characters")
        raw = raw["host"]
    if not isinstance(raw, str) or len(raw) > MAX_HOST_TEXT:
        raise ValueError(
            f"a host is a string of at most {MAX_HOST_TEXT} characters, or an object with `host`"
        )
    host, notes = host_from_text(raw, host_type)
    return HostEntry(name or raw.strip(), host, notes)


def read_entries(images: list, hosts: list) -> tuple[list[ImageEntry], list[HostEntry]]:
    """Every entry, or EntryErrors naming each bad one."""
    errors: dict[str, list[str]] = {}
    read_images, read_hosts = [], []
    for field, raws, reader, out in (
        ("images", images, _image, read_images),
        ("hosts", hosts, _host, read_hosts),
    ):
        for i, raw in enumerate(raws):
            try:
                out.append(reader(raw))
            except (InvalidVersion, InvalidReference, ValueError) as exc:
                errors[f"{field}[{i}]"] = [str(exc)]
    if errors:
        raise EntryErrors(errors)
    return read_images, read_hosts


def cell(outcome: Outcome) -> dict:
    a = outcome.assessment
    return {
        "process": a.process.verdict.value,
        "hyperv": a.hyperv.verdict.value,
        "runs": outcome.runs,
        "recommended_isolation": outcome.mode,
        "os_version": outcome.os_version,
        "digest": outcome.digest,
        "rule": outcome.rule,
    }


class CellMemo:
    """Judged cells by (image entries, host, mode, arch), kept across requests: a portal asks
    the same team's images against the same hosts again and again. One per app: verdicts
    depend only on the rules and the app's configuration, fixed for the app's life."""

    def __init__(self, size: int = 20_000) -> None:
        self._cells: LRUCache = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[dict, int | None] | None:
        with self._lock:
            return self._cells.get(key)

    def put(self, key: tuple, value: tuple[dict, int | None]) -> None:
        with self._lock:
            self._cells[key] = value


class Cells:
    """Cells for many images against the same hosts. A verdict depends on the host and the
    image's entries (os, architecture, os.version), not on its name or digests: images built on
    the same base share them, so each (host, entries) pair is judged once per matrix and only
    the chosen entry's digest differs between such images."""

    def __init__(
        self,
        hosts: list[HostEntry],
        isolation: str,
        arch: str,
        memo: CellMemo | None = None,
        runtime: str | None = None,
    ) -> None:
        self.hosts, self.isolation, self.arch, self.runtime = hosts, isolation, arch, runtime
        self._memo = memo if memo is not None else CellMemo(len(hosts) * 4 or 1)

    def row(self, subject: Subject) -> list[dict]:
        if subject.platforms is None:
            key: tuple = ("version", subject.version)
        else:
            key = tuple((p.os, p.architecture, p.os_version) for p in subject.platforms)
        judge = Judge(subject, self.isolation, self.runtime)
        return [self._cell(judge, key, h, subject) for h in self.hosts]

    def _cell(self, judge: Judge, key: tuple, h: HostEntry, subject: Subject) -> dict:
        memo_key = (key, h.host, h.notes, self.isolation, self.arch, self.runtime)
        found = self._memo.get(memo_key)
        if found is None:
            outcome = judge.outcome(h.host, self.arch, h.notes)
            found = (cell(outcome), _chosen_index(subject, outcome))
            self._memo.put(memo_key, found)
        shared, index = found
        digest = subject.platforms[index].digest if index is not None else shared["digest"]
        return shared if digest == shared["digest"] else {**shared, "digest": digest}


def _chosen_index(subject: Subject, outcome: Outcome) -> int | None:
    if subject.platforms is None or outcome.digest is None:
        return None
    digests = [p.digest for p in subject.platforms]
    return digests.index(outcome.digest) if outcome.digest in digests else None


def host_row(h: HostEntry) -> dict:
    release = catalog.release_for(h.host.build, h.host.kind)
    return {
        "name": h.name,
        "os_version": str(h.host.version),
        "build": h.host.build,
        "revision": h.host.version.revision,
        "release": release.name if release else None,
        "type": h.host.kind,
        "warnings": list(h.notes),
    }


def summary(images: list[dict], cells: list[list[dict] | None], hosts: int) -> str:
    failed = sum(1 for r in cells if r is None)
    rows = [r for r in cells if r is not None]
    everywhere = sum(1 for r in rows if all(c["runs"] for c in r))
    nowhere = sum(1 for r in rows if not any(c["runs"] for c in r))
    parts = [f"{everywhere} of {len(images)} images run on all {hosts} hosts"]
    if len(rows) - everywhere - nowhere:
        parts.append(f"{len(rows) - everywhere - nowhere} run on some")
    if nowhere:
        parts.append(f"{nowhere} run on none")
    if failed:
        parts.append(f"{failed} could not be resolved")
    return "; ".join(parts) + "."
