"""Cross-domain helpers: JSON, validation, pagination, auth, caching, timing, OpenAPI."""
