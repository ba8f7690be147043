"""Opt-in "rough edges": the Store's throttling, transient 503s, slow and stuck stages, reproducible by seed."""
