"""The judgement, pure: versions, catalog, rules, advisories, remedies, selection, sentences."""
