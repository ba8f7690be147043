"""The `storeflight` command: serve, dev-cert and admin."""
