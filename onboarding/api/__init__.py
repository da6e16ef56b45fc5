"""The REST API (docs/api.md): token auth, the same scoping as the pages, writes through the services."""
