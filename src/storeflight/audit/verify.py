"""Checking every chain of a database: read in bounded batches, each chain against its recorded head."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from storeflight.audit.history import chain
from storeflight.audit.model import Broken, verify

if TYPE_CHECKING:
    from storeflight.storage.protocol import Store


@dataclass(frozen=True)
class Report:
    tenants: int
    records: int
    broken: Broken | None


def verify_store(store: Store, tenant_id: str | None = None) -> Report:
    """Verify the chains (of one tenant, if given) until the first broken record, which the report names."""
    with store.transaction(write=False) as tx:
        heads = [h for h in tx.audit_heads() if tenant_id is None or h[0] == tenant_id]
    records = 0
    for tenant, seq, hash_ in heads:
        checked, broken = verify(tenant, chain(store, tenant), (seq, hash_))
        records += checked
        if broken is not None:
            return Report(len(heads), records, broken)
    return Report(len(heads), records, None)
