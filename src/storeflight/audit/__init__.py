"""Audit history: who changed what and when, appended with the change, in a per-tenant hash chain."""
