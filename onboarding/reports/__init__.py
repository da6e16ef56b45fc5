"""Read-only figures for one page or one email. Each module imports models only."""
