"""The rebuild remedy names a tag that exists: checked against the base repository's tag list
(the resolver's, cached like a tag), replaced by a published tag of the same family and build
when the repository does not publish it, and marked when nothing fits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from service.advice.listed import published
from service.compat.assessment import Assessment
from service.compat.remedies import Remedy
from service.registry.errors import RegistryError
from service.registry.reference import InvalidReference, parse_reference


def checked(assessment: Assessment, resolver: Any, allowed: Callable[[str], bool]) -> Assessment:
    """The assessment with its rebuild remedy checked; unchanged when there is none, when the
    resolver cannot list tags, or when the registry will not say (the remedy then carries
    `tag_published: null`)."""
    rebuild = next((r for r in assessment.remedies if r.action == "rebuild"), None)
    if rebuild is None:
        return assessment
    fixed = _checked(rebuild, assessment, resolver, allowed)
    remedies = tuple(fixed if r is rebuild else r for r in assessment.remedies)
    return replace(assessment, remedies=remedies)


def _checked(rebuild: Remedy, a: Assessment, resolver: Any, allowed) -> Remedy:
    image = str(rebuild.fields.get("base_image", ""))
    tags_of = getattr(resolver, "tags", None)
    try:
        ref = parse_reference(image)
    except InvalidReference:
        return rebuild
    if tags_of is None or not ref.tag or not allowed(ref.registry):
        return _marked(rebuild, None)
    try:
        listing = tags_of(ref)
    except RegistryError:
        return _marked(rebuild, None)  # e.g. a registry that refuses tags/list
    found = published(ref.tag, listing.tags, a.host.version.revision)
    if not found.exists:
        return _marked(rebuild, None if listing.truncated else False)
    if found.replaced is None:
        return _marked(rebuild, True)
    name = image.rsplit(":", 1)[0]
    new_image = f"{name}:{found.tag}"
    fields = {
        **rebuild.fields,
        "tag": found.tag,
        "base_image": new_image,
        "tag_published": True,
        "instead_of": found.replaced,
    }
    detail = rebuild.detail.replace(image, new_image)
    detail = detail.replace(f"{found.replaced} tag", f"{found.tag} tag")
    return Remedy(rebuild.action, detail, fields)


def _marked(rebuild: Remedy, published_: bool | None) -> Remedy:
    """`tag_published`: True (in the list), False (not in a complete list), None (unknown)."""
    detail = rebuild.detail
    if published_ is False:
        detail += " (that tag is not in the repository's tag list: check the tags it publishes)"
    return Remedy(rebuild.action, detail, {**rebuild.fields, "tag_published": published_})
