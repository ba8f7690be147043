"""The pure chain: hashes over canonical content, and a verifier that names the first broken record."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from storeflight.audit.model import GENESIS, Actor, ActorKind, AuditRecord, Entry, canonical, link, verify

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def entry(n: int, after: object = None) -> Entry:
    return Entry(
        tenant_id="t1",
        at=T0 + timedelta(seconds=n),
        actor=Actor(ActorKind.CLIENT, "c1"),
        action="flight.update",
        resource_type="flight",
        resource_id=f"f{n % 3}",
        before={"friendlyName": f"n{n}"},
        after=after if after is not None else {"friendlyName": f"n{n + 1}"},
        correlation_id=f"corr-{n}",
    )


def chain(entries: list[Entry]) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    seq, head = 0, GENESIS
    for item in entries:
        records.append(link(item, seq, head))
        seq, head = records[-1].seq, records[-1].hash
    return records


def test_canonical_json_sorts_keys_and_drops_spaces() -> None:
    assert canonical({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'


def test_the_first_record_follows_genesis_and_each_names_its_predecessor() -> None:
    records = chain([entry(n) for n in range(3)])
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS
    assert records[2].prev_hash == records[1].hash
    assert len({r.hash for r in records}) == 3


@given(st.lists(json_values, min_size=1, max_size=6))
def test_an_untouched_chain_verifies(values: list[object]) -> None:
    records = chain([entry(n, {"v": value}) for n, value in enumerate(values)])
    assert verify("t1", records, (records[-1].seq, records[-1].hash)) == (len(records), None)


@given(st.lists(json_values, min_size=2, max_size=6), st.data())
def test_a_changed_record_is_named(values: list[object], data: st.DataObject) -> None:
    records = chain([entry(n, {"v": value}) for n, value in enumerate(values)])
    victim = data.draw(st.integers(0, len(records) - 1))
    changed = dataclasses.replace(records[victim].entry, after={"v": "tampered", "was": values[victim]})
    records[victim] = dataclasses.replace(records[victim], entry=changed)
    checked, broken = verify("t1", records)
    assert broken is not None
    assert (checked, broken.seq) == (victim, victim + 1)
    assert "changed" in broken.reason


def test_a_removed_record_is_named() -> None:
    records = chain([entry(n) for n in range(5)])
    del records[2]
    _, broken = verify("t1", records)
    assert broken is not None and broken.seq == 4
    assert "missing" in broken.reason


def test_a_rehashed_record_breaks_the_link_to_its_successor() -> None:
    records = chain([entry(n) for n in range(4)])
    forged = link(dataclasses.replace(records[1].entry, actor=Actor(ActorKind.ADMIN, "x")), 1, records[0].hash)
    records[1] = forged
    _, broken = verify("t1", records)
    assert broken is not None and broken.seq == 3
    assert "previous hash" in broken.reason


def test_records_cut_from_the_end_are_caught_by_the_head() -> None:
    records = chain([entry(n) for n in range(4)])
    head = (records[-1].seq, records[-1].hash)
    checked, broken = verify("t1", records[:2], head)
    assert checked == 2
    assert broken is not None and broken.seq == 3


def test_every_field_is_covered_by_the_hash() -> None:
    base = link(entry(1), 0, GENESIS)
    changes = {
        "tenant_id": "t2",
        "at": T0,
        "actor": Actor(ActorKind.SERVER, "pipeline"),
        "action": "flight.delete",
        "resource_type": "group",
        "resource_id": "other",
        "before": None,
        "after": {"x": 1},
        "correlation_id": None,
        "reason": "why",
    }
    for name, value in changes.items():
        changed = link(dataclasses.replace(base.entry, **{name: value}), 0, GENESIS)
        assert changed.hash != base.hash, name
