"""Audit records and the hash chain over them: pure, no I/O.

Each tenant has its own chain. A record's hash is SHA-256 over the canonical JSON of its content, which
includes the previous record's hash (`GENESIS` for the first): changing, removing or reordering any record
breaks every hash after it, and `verify` names the first record that does not fit.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64  # the previous hash of a chain's first record


class ActorKind(StrEnum):
    CLIENT = "client"  # an API client (publisher token)
    DELIVERY_KEY = "delivery_key"  # a device credential
    CONSOLE = "console"  # a console user
    ADMIN = "admin"  # the admin CLI
    SERVER = "server"  # the server itself: pipeline stages, automatic steps


@dataclass(frozen=True)
class Actor:
    """Who made a change."""

    kind: ActorKind
    id: str
    display: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "id": self.id, "display": self.display}


@dataclass(frozen=True)
class Entry:
    """What a change records, before the chain gives it a place (sequence number and hashes)."""

    tenant_id: str
    at: datetime
    actor: Actor
    action: str
    resource_type: str
    resource_id: str
    before: Any = None
    after: Any = None
    correlation_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class AuditRecord:
    """One link of a tenant's chain."""

    entry: Entry
    seq: int
    prev_hash: str
    hash: str


def timestamp(at: datetime) -> str:
    """The one spelling of a time in hashed content: UTC, microseconds."""
    value = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text as is (the same value always gives the same text);
    a lone surrogate (bad text stored by older versions) becomes U+FFFD, as the API shows it."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def content(entry: Entry, seq: int, prev_hash: str) -> dict[str, Any]:
    """Everything a record's hash covers."""
    return {
        "tenantId": entry.tenant_id,
        "seq": seq,
        "at": timestamp(entry.at),
        "actor": entry.actor.as_json(),
        "action": entry.action,
        "resourceType": entry.resource_type,
        "resourceId": entry.resource_id,
        "before": entry.before,
        "after": entry.after,
        "correlationId": entry.correlation_id,
        "reason": entry.reason,
        "prevHash": prev_hash,
    }


def digest(entry: Entry, seq: int, prev_hash: str) -> str:
    return hashlib.sha256(canonical(content(entry, seq, prev_hash)).encode()).hexdigest()


def link(entry: Entry, head_seq: int, head_hash: str) -> AuditRecord:
    """The record that follows a chain whose last record is (`head_seq`, `head_hash`); (0, GENESIS) if empty."""
    seq = head_seq + 1
    return AuditRecord(entry, seq, head_hash, digest(entry, seq, head_hash))


def as_json(record: AuditRecord) -> dict[str, Any]:
    """A record as the API, the CLI and the export show it: its hashed content plus its hash."""
    return {**content(record.entry, record.seq, record.prev_hash), "hash": record.hash}


@dataclass(frozen=True)
class Broken:
    """The first record of a chain that does not fit, and why."""

    tenant_id: str
    seq: int
    reason: str


def verify(
    tenant_id: str, records: Iterable[AuditRecord], head: tuple[int, str] | None = None
) -> tuple[int, Broken | None]:
    """Check a tenant's chain, in sequence order; (records checked, the first broken one or None).

    `head` is the chain's recorded last (sequence, hash): records removed from its end are caught by it."""
    expected_seq, prev = 1, GENESIS
    count = 0
    for record in records:
        problem = _misfit(record, expected_seq, prev)
        if problem is not None:
            return count, Broken(tenant_id, record.seq, problem)
        count += 1
        expected_seq, prev = record.seq + 1, record.hash
    if head is not None and head != (expected_seq - 1, prev):
        return count, Broken(tenant_id, expected_seq, f"the chain's head names record {head[0]}, but it ends here")
    return count, None


def _misfit(record: AuditRecord, expected_seq: int, prev: str) -> str | None:
    if record.seq != expected_seq:
        return f"expected record {expected_seq}, found {record.seq} (records are missing)"
    if record.prev_hash != prev:
        return "its previous hash is not the previous record's hash"
    if digest(record.entry, record.seq, record.prev_hash) != record.hash:
        return "its content does not match its hash (it was changed)"
    return None


@dataclass(frozen=True)
class AuditFilter:
    """Which records of a tenant a history read returns (every field optional; `until` exclusive)."""

    resource_type: str | None = None
    resource_id: str | None = None
    actor_id: str | None = None
    actor_kind: ActorKind | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
