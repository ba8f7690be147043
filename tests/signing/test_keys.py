"""Stored signing keys: rotation in one transaction, its guard, and processes picking the new keys up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from storeflight.auth import tokens
from storeflight.domain import dates
from storeflight.domain.errors import InvalidState, Unauthorized
from storeflight.signing import keys
from storeflight.signing.live import LiveKeys
from storeflight.storage.sql import SqlStore
from tests.support import open_store


@pytest.fixture
def own_store(tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(f"sqlite:///{tmp_path / 'keys.db'}")
    yield store
    store.close()


def test_a_rotation_keeps_the_current_key_as_previous_and_drops_the_one_before(own_store: SqlStore) -> None:
    now = dates.utcnow()
    with own_store.transaction(write=True) as tx:
        first = keys.load(tx)
        second = keys.rotate_all(tx, {keys.TOKEN: timedelta(hours=1), keys.SAS: timedelta(hours=24)}, now=now)
    assert second["token"].previous == first.token.current and second["sas"].previous == first.sas.current
    assert second["token"].current not in first.token.all() and second["sas"].current not in first.sas.all()
    later = now + timedelta(hours=2)
    with own_store.transaction(write=True) as tx:
        third = keys.rotate_all(tx, {keys.TOKEN: timedelta(hours=1)}, now=later)
        assert keys.read(tx, keys.SAS) == second["sas"]  # only the kinds asked for
    assert third["token"].all() == (third["token"].current, second["token"].current)


def test_a_rotation_that_would_drop_a_live_previous_key_is_refused_as_a_whole(own_store: SqlStore) -> None:
    now = dates.utcnow()
    plan = {keys.TOKEN: timedelta(hours=1), keys.SAS: timedelta(hours=24)}
    with own_store.transaction(write=True) as tx:
        keys.rotate_all(tx, {keys.TOKEN: timedelta(hours=1)}, now=now - timedelta(hours=2))  # long enough ago
        keys.rotate_all(tx, {keys.SAS: timedelta(hours=24)}, now=now - timedelta(hours=2))  # too recent for SAS
        before = (keys.read(tx, keys.TOKEN), keys.read(tx, keys.SAS))
        with pytest.raises(InvalidState, match="sas key"):
            keys.rotate_all(tx, plan, now=now)
        assert (keys.read(tx, keys.TOKEN), keys.read(tx, keys.SAS)) == before
        forced = keys.rotate_all(tx, plan, now=now, force=True)
    assert before[0] is not None and forced["token"].previous == before[0].current


def test_running_processes_pick_up_a_rotation_and_stop_trusting_a_dropped_key(own_store: SqlStore) -> None:
    with own_store.transaction(write=True) as tx:
        live = LiveKeys(own_store, keys.load(tx), ttl=0)
    verified = tokens.VerifiedTokens(live.token)
    now = dates.utcnow()

    def mint() -> str:
        issued = tokens.issue(
            live.token().current, tenant_id="t", client_id="c", issuer="x", now=now, lifetime=timedelta(hours=1)
        )
        return issued.token

    old = mint()
    assert verified.verify(old).tenant_id == "t"
    for _ in range(2):
        with own_store.transaction(write=True) as tx:
            tokens.rotate(tx)
        newer = mint()
        assert newer != old and verified.verify(newer).client_id == "c"
        if _ == 0:
            assert verified.verify(old).tenant_id == "t"  # remembered, and its key is the previous one
    with pytest.raises(Unauthorized):
        verified.verify(old)  # two rotations ago: refused, although it was verified (and remembered) before
