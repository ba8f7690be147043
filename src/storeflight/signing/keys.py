"""The stored signing keys (access tokens, upload/download URLs) and their rotation in one transaction.

Each kind keeps a current key (signs) and the previous one (still verifies), with the time of the last
rotation, in the `settings` table. A rotation makes a new key current and keeps the current one as the
previous; the one before that is dropped, so whatever it signed is refused from then on. That is why a
rotation is refused while the previous key may still have signed something valid, unless forced.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storeflight.domain.errors import InvalidState
from storeflight.storage.protocol import Tx


@dataclass(frozen=True)
class Kind:
    """One kind of key: the names of its settings."""

    name: str  # as the admin command names it: "token" or "sas"
    current: str
    previous: str
    rotated_at: str


TOKEN = Kind("token", "jwt_signing_key", "jwt_previous_key", "jwt_rotated_at")
SAS = Kind("sas", "sas_signing_key", "sas_previous_key", "sas_rotated_at")
KINDS = (TOKEN, SAS)


@dataclass(frozen=True)
class KeyPair:
    current: str
    previous: str | None = None

    def all(self) -> tuple[str, ...]:
        """The keys a signature may have been made with, current first."""
        return (self.current,) if self.previous is None else (self.current, self.previous)


@dataclass(frozen=True)
class Keys:
    token: KeyPair
    sas: KeyPair


def fixed(pair: KeyPair) -> Callable[[], KeyPair]:
    """Keys that never change (a process that does not share its database, or a test)."""
    return lambda: pair


def new_key() -> str:
    return secrets.token_urlsafe(48)


def ensure(tx: Tx, kind: Kind) -> KeyPair:
    """The kind's keys; the first process to ask creates the current one, every process then uses it."""
    return KeyPair(tx.put_setting_if_absent(kind.current, new_key()), tx.get_setting(kind.previous))


def read(tx: Tx, kind: Kind) -> KeyPair | None:
    """The kind's keys as stored, or None before the first process created them (nothing reads as a key)."""
    current = tx.get_setting(kind.current)
    return None if current is None else KeyPair(current, tx.get_setting(kind.previous))


def load(tx: Tx) -> Keys:
    return Keys(token=ensure(tx, TOKEN), sas=ensure(tx, SAS))


def rotated_at(tx: Tx, kind: Kind) -> datetime | None:
    value = tx.get_setting(kind.rotated_at)
    return datetime.fromisoformat(value) if value else None


def rotate(tx: Tx, kind: Kind, *, now: datetime) -> KeyPair:
    """A new current key; the current one becomes the previous one (and the one before it is dropped)."""
    current = ensure(tx, kind).current
    pair = KeyPair(new_key(), current)
    tx.set_setting(kind.previous, pair.previous)
    tx.set_setting(kind.current, pair.current)
    tx.set_setting(kind.rotated_at, now.isoformat())
    return pair


def check_rotation(tx: Tx, kind: Kind, *, now: datetime, keep_previous: timedelta) -> None:
    """InvalidState when rotating `kind` now would drop a previous key whose signatures may still be valid."""
    last = rotated_at(tx, kind)
    if last is None or tx.get_setting(kind.previous) is None:
        return
    safe = last + keep_previous
    if now < safe:
        raise InvalidState(
            f"The {kind.name} key was rotated at {last.isoformat()}; what the key before it signed stays valid "
            f"until {safe.isoformat()}. Rotating again now would refuse it: wait, or pass --force."
        )


def rotate_all(tx: Tx, plan: dict[Kind, timedelta], *, now: datetime, force: bool = False) -> dict[str, KeyPair]:
    """Rotate every kind in `plan` (kind -> how long its previous key must stay) in this one transaction;
    checked first, so either every kind rotates or none does."""
    if not force:
        for kind, keep in plan.items():
            check_rotation(tx, kind, now=now, keep_previous=keep)
    return {kind.name: rotate(tx, kind, now=now) for kind in plan}
