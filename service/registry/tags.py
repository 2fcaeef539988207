"""GET /v2/<name>/tags/list, following `Link: <…?n=…&last=…>; rel="next"` pages, bounded.

Each page goes through RegistryClient's request path (guard, transport caps, auth dance); the
next page is asked of the same registry and repository whatever host the Link names, so a
registry cannot steer us elsewhere. Bounds: tags in total, pages, and bytes per page (the
transport's manifest cap)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from service.registry.errors import RegistryUnavailable

MAX_TAGS = 10_000  # advice.md: a repository with more is read up to this, with a warning
MAX_PAGES = 100
MAX_BYTES = 16 * 1024 * 1024  # all pages together (each page is also under the transport cap)
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")  # distribution's tag grammar
PAGE_SIZE = 1000  # asked as n=; registries may send fewer (MCR sends all in one page)
_NEXT = re.compile(r'<([^>]*)>\s*;[^,]*\brel="?next"?', re.I)


@dataclass(frozen=True)
class TagBounds:
    """How much of a tag list is read; tests make pages small to exercise pagination."""

    page_size: int = PAGE_SIZE
    max_tags: int = MAX_TAGS
    max_pages: int = MAX_PAGES


@dataclass(frozen=True)
class TagList:
    tags: tuple[str, ...]  # as published, in the registry's order, at most MAX_TAGS
    truncated: bool  # the repository has more tags than were read
    pages: int


# path (relative to /v2/<name>/) -> (body, headers)
Fetch = Callable[[str], tuple[bytes, dict[str, str]]]


def next_query(link: str | None) -> str | None:
    """The query string of the `rel="next"` target of a Link header, or None."""
    if not link:
        return None
    match = _NEXT.search(link)
    if not match:
        return None
    query = urlsplit(match.group(1)).query
    # Only the pagination parameters, re-encoded: nothing else is passed on.
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in ("n", "last")]
    return urlencode(kept) if kept else None


def parse_page(body: bytes) -> list[str]:
    try:
        doc = json.loads(body)
    except ValueError:
        raise RegistryUnavailable("the tag list is not JSON") from None
    tags = doc.get("tags") if isinstance(doc, dict) else None
    if tags is None:
        return []  # distribution answers "tags": null for a repository with no tags
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise RegistryUnavailable("the tag list has no list of strings under `tags`")
    return [t for t in tags if _TAG.fullmatch(t)]  # anything else is no tag we could pull


def list_tags(
    fetch: Fetch,
    *,
    page_size: int = PAGE_SIZE,
    max_tags: int = MAX_TAGS,
    max_pages: int = MAX_PAGES,
) -> TagList:
    tags: list[str] = []
    seen: set[str] = set()
    query: str | None = urlencode({"n": page_size})
    pages = size = 0
    while query is not None and pages < max_pages and len(tags) < max_tags and size < MAX_BYTES:
        body, headers = fetch(f"tags/list?{query}")
        pages, size = pages + 1, size + len(body)
        fresh = [t for t in parse_page(body) if t not in seen]
        if not fresh:
            query = None  # a registry repeating itself: stop rather than loop
            break
        seen.update(fresh)
        tags.extend(fresh)
        query = next_query(headers.get("Link"))
    truncated = len(tags) > max_tags or query is not None
    return TagList(tuple(tags[:max_tags]), truncated, pages)
