"""Approvals: rules that make chosen actions wait for signoffs from API clients holding a role."""
