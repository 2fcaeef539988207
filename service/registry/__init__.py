"""I/O to registries: reference grammar, manifests, guard, transport, auth, client."""
