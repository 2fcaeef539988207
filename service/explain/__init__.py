"""POST /explain: what failed, why, and the fix, from what people paste (explain.md)."""
