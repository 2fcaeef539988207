"""Narrow error types raised by the resolver side; problems.py maps them to HTTP."""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every fault met while asking a registry. `detail` is safe to show users."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ImageNotFound(RegistryError):
    """The registry has no such repository, tag or digest (or will not say: Docker Hub 401)."""


class RegistryNotAllowed(RegistryError):
    """The reference names a registry outside the allow-list; nothing was sent."""


class RegistryAuthError(RegistryError):
    """The registry refused us after the token dance (401/403)."""


class RegistryRateLimited(RegistryError):
    """The registry answered 429. `retry_after` is whole seconds, when the registry said."""

    def __init__(self, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class RegistryUnavailable(RegistryError):
    """Connection failed, 5xx, or a response that is not a valid manifest."""


class UnsupportedManifest(RegistryUnavailable):
    """A manifest kind we cannot read, such as Docker schema 1."""


class RegistryTimeout(RegistryError):
    """The registry did not answer in time."""


def not_allowed(registry: str) -> RegistryNotAllowed:
    """The one refusal for a registry that is not on the lists."""
    return RegistryNotAllowed(
        f"registry {registry} is not in the allow-list (WINCOMPAT_ALLOWED_REGISTRIES)"
    )
