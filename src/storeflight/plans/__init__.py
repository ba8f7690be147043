"""Rollout plans: ramps as data, executed by a leased worker and gated by a sequential health guard."""
