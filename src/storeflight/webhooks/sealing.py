"""Signing secrets at rest: AES-GCM under a server key kept in the settings table (created on first use).

A subscription's secret must be usable for HMAC, so it cannot be hashed; it is sealed instead, with the
subscription id as associated data (a sealed secret copied to another row does not open)."""

from __future__ import annotations

import base64
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storeflight.storage.protocol import Tx

KEY_SETTING = "webhook_secret_key"
PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def server_key(tx: Tx) -> bytes:
    """The key every process on this database shares (made once, kept in `settings`)."""
    fresh = base64.b64encode(os.urandom(32)).decode()
    return base64.b64decode(tx.put_setting_if_absent(KEY_SETTING, fresh))


def seal(key: bytes, subscription_id: str, secret: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), subscription_id.encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(key: bytes, subscription_id: str, sealed: str) -> str:
    raw = base64.b64decode(sealed)
    return AESGCM(key).decrypt(raw[:12], raw[12:], subscription_id.encode()).decode()
