"""Every state change lives here: atomic, keyword-only, audited."""
