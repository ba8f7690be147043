"""Client secrets: random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "sfs_"  # greppable in logs and secret scanners


def new_secret() -> str:
    """A 256-bit random secret in URL-safe characters (no `+ / =`, so raw form posts survive)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """SHA-256 is enough here: the secrets are 256-bit random values, not passwords a person chose."""
    return hashlib.sha256(secret.encode()).hexdigest()


def verify_secret(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
