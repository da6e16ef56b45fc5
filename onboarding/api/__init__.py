"""The REST API (DESIGN §5): token auth, the same scoping as the pages, writes through the services."""
