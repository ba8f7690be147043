"""Profile secrets in the system keyring (the `keyring` library), where this machine has a usable one.

An entry is named by the client and the server (`<client id>@<base URL>`) under the service "storeflight",
so two profiles of one client share it. Without a usable keyring (keyring's fail backend, or one that
refuses to store) `storeflight login` keeps the secret in the 0600 profile file instead; `--no-keyring`
or STOREFLIGHT_NO_KEYRING=1 asks for the file anyway. Errors never carry the secret.
"""

from __future__ import annotations

import contextlib

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import fail

SERVICE = "storeflight"
NO_KEYRING_ENV = "STOREFLIGHT_NO_KEYRING"


def entry_name(client_id: str, base_url: str) -> str:
    return f"{client_id}@{base_url.rstrip('/')}"


def backend() -> KeyringBackend | None:
    """The keyring in use, or None when there is none worth storing in (keyring's fail backend)."""
    try:
        chosen = keyring.get_keyring()
    except Exception:  # a broken keyring configuration: as if there were none
        return None
    if isinstance(chosen, fail.Keyring) or getattr(chosen, "priority", 1) <= 0:
        return None
    return chosen


def backend_name(chosen: KeyringBackend) -> str:
    return str(getattr(chosen, "name", type(chosen).__name__))


def put(chosen: KeyringBackend, name: str, secret: str) -> bool:
    """Store the secret; False when the keyring refuses (locked, no session bus...): use the file then."""
    try:
        chosen.set_password(SERVICE, name, secret)
    except keyring.errors.KeyringError:
        return False
    return True


def get(name: str) -> str | None:
    """The stored secret, or None when the entry is gone or no keyring answers."""
    chosen = backend()
    if chosen is None:
        return None
    try:
        return chosen.get_password(SERVICE, name)
    except keyring.errors.KeyringError:
        return None


def delete(name: str) -> None:
    chosen = backend()
    if chosen is not None:
        with contextlib.suppress(keyring.errors.KeyringError):
            chosen.delete_password(SERVICE, name)
