"""Caches in front of the registry: backends, single-flight, the resolver."""
