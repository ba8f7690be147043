"""Webhooks: per-tenant subscriptions, an outbox written with each change it reports, and signed delivery."""
