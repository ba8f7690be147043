"""The keys a running process signs and verifies with, re-read from the database every few seconds.

So a rotation by `storeflight admin rotate-keys` reaches every process within `ttl` seconds, without a
restart and without costing each request a query.
"""

from __future__ import annotations

import threading
import time

from storeflight.signing import keys
from storeflight.signing.keys import KeyPair, Keys
from storeflight.storage.protocol import Store

REFRESH_SECONDS = 2.0


class LiveKeys:
    """The current `Keys`, refreshed at most every `ttl` seconds; the same object until a key changes."""

    def __init__(self, store: Store, initial: Keys, ttl: float = REFRESH_SECONDS) -> None:
        self._store = store
        self._keys = initial
        self.ttl = ttl
        self._read_at = time.monotonic()
        self._lock = threading.Lock()

    def token(self) -> KeyPair:
        return self.current().token

    def sas(self) -> KeyPair:
        return self.current().sas

    def current(self) -> Keys:
        if time.monotonic() - self._read_at > self.ttl and self._lock.acquire(blocking=False):
            try:  # one thread refreshes; the others go on with the keys they have
                self._refresh()
            finally:
                self._lock.release()
        return self._keys

    def _refresh(self) -> None:
        try:
            with self._store.transaction(write=False) as tx:
                token, sas = keys.read(tx, keys.TOKEN), keys.read(tx, keys.SAS)
        except Exception:  # the database is away for a moment: keep the keys we have
            self._read_at = time.monotonic()
            return
        self._read_at = time.monotonic()
        fresh = Keys(token or self._keys.token, sas or self._keys.sas)
        if fresh != self._keys:
            self._keys = fresh
