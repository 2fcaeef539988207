"""Advice: which base tag to build on, from the repository's own tag list (advice.md)."""
