"""Host text → Host: the version a paste holds and the host's kind (rules.md §1-2)."""

from __future__ import annotations

from service.compat import catalog
from service.compat.catalog import KINDS, SERVER
from service.compat.rules import Host
from service.compat.versions import InvalidVersion, ParsedVersion, parse_version


def make_host(parsed: ParsedVersion, host_type: str | None = None) -> Host:
    """The host's kind: the catalog for single-kind builds, else host_type, else the product
    the text named, else server (rules.md §1-2)."""
    if host_type is not None and host_type not in KINDS:
        raise ValueError(f"host_type must be one of {', '.join(KINDS)}")
    kinds = catalog.kinds_of(parsed.version.build)
    kind = kinds[0] if len(kinds) == 1 else (host_type or parsed.kind_hint or SERVER)
    return Host(parsed.version, kind)


def host_from_text(text: str, host_type: str | None = None) -> tuple[Host, tuple[str, ...]]:
    """Parse a host string into a Host, with the warnings the parsing itself raised."""
    parsed = parse_version(text, kind=host_type)
    host = make_host(parsed, host_type)
    notes = parsed.warnings
    dual = len(catalog.kinds_of(host.build)) > 1
    if dual and host_type and parsed.kind_hint and host_type != parsed.kind_hint:
        notes = (
            *notes,
            f"The host text names a {parsed.kind_hint} release, but host_type says "
            f"{host_type}; host_type was used.",
        )
    return host, notes


def parse_image_version(text: str) -> ParsedVersion:
    """An image's OS version: the host shapes apply, names resolve to server releases."""
    parsed = parse_version(text, kind=SERVER)
    if parsed.kind_hint == catalog.CLIENT and parsed.shape == "release-name":
        raise InvalidVersion(text, "Only Windows Server builds exist as images.")
    return parsed
