"""Profile secrets in the system keyring (the `keyring` library), where this machine has a usable one.

An entry is named by the client and the server (`<client id>@<base URL>`) under the service "storeflight",
so two profiles of one client share it. Without a usable keyring (keyring's fail backend, one that refuses
to store, or the library missing) `storeflight login` keeps the secret in the 0600 profile file instead;
`--no-keyring` or STOREFLIGHT_NO_KEYRING=1 asks for the file anyway. The library is imported only when a
keyring is asked for, so other commands start without it. Errors never carry the secret.
"""

from __future__ import annotations

import contextlib
from typing import Any

SERVICE = "storeflight"
NO_KEYRING_ENV = "STOREFLIGHT_NO_KEYRING"


def entry_name(client_id: str, base_url: str) -> str:
    return f"{client_id}@{base_url.rstrip('/')}"


def backend() -> Any | None:
    """The keyring in use (a `keyring.backend.KeyringBackend`), or None when there is none worth storing in
    (keyring's fail backend, a broken keyring configuration, no keyring library)."""
    try:
        import keyring  # noqa: PLC0415 - only when a keyring is asked for
        from keyring.backends import fail  # noqa: PLC0415

        chosen = keyring.get_keyring()
    except Exception:  # no library, or a broken keyring configuration: as if there were none
        return None
    if isinstance(chosen, fail.Keyring) or getattr(chosen, "priority", 1) <= 0:
        return None
    return chosen


def backend_name(chosen: Any) -> str:
    return str(getattr(chosen, "name", type(chosen).__name__))


def put(chosen: Any, name: str, secret: str) -> bool:
    """Store the secret; False when the keyring refuses (locked, no session bus...): use the file then."""
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        chosen.set_password(SERVICE, name, secret)
    except KeyringError:
        return False
    return True


def get(name: str) -> str | None:
    """The stored secret, or None when the entry is gone or no keyring answers."""
    chosen = backend()
    if chosen is None:
        return None
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        found = chosen.get_password(SERVICE, name)
    except KeyringError:
        return None
    return str(found) if found is not None else None


def delete(name: str) -> None:
    chosen = backend()
    if chosen is not None:
        from keyring.errors import KeyringError  # noqa: PLC0415

        with contextlib.suppress(KeyringError):
            chosen.delete_password(SERVICE, name)
