"""Flight groups (a storeflight extension): create, list, get, rename, delete, and bulk member changes.

A member is a customer id: an e-mail address or an opaque id, at most 320 characters, without control
characters. Members are stored trimmed; e-mail addresses (anything with an `@`) are stored lower-cased, so
they compare case-insensitively. Opaque ids keep their case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storeflight.audit import snapshots as snap
from storeflight.audit.record import Author
from storeflight.domain import ids, text
from storeflight.domain.errors import InvalidParameterValue, InvalidState, NotFound
from storeflight.domain.models import FlightGroup
from storeflight.services.context import Context
from storeflight.storage.protocol import Tx

MAX_MEMBER_LENGTH = 320
MAX_NAME_LENGTH = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class GroupView:
    group: FlightGroup
    member_count: int


@dataclass(frozen=True)
class MemberChange:
    added: int
    removed: int
    member_count: int


def check_name(name: str) -> str:
    name = text.check(name, "name").strip()
    if not name:
        raise InvalidParameterValue("A flight group needs a name.", target="name")
    if len(name) > MAX_NAME_LENGTH or _CONTROL.search(name):
        raise InvalidParameterValue(
            f"A flight group name may have at most {MAX_NAME_LENGTH} characters and no control characters.",
            target="name",
        )
    return name


def member(value: Any, field: str) -> str:
    """One customer id, normalised: trimmed, and lower-cased when it is an e-mail address."""
    if not isinstance(value, str):
        raise InvalidParameterValue(f"{field} must be a string (an e-mail address or a customer id).", target=field)
    customer: str = text.check(value, field).strip()
    if not customer or len(customer) > MAX_MEMBER_LENGTH or _CONTROL.search(customer):
        raise InvalidParameterValue(
            f"{field} must be a non-empty customer id of at most {MAX_MEMBER_LENGTH} characters without "
            "control characters.",
            target=field,
        )
    return customer.lower() if "@" in customer else customer


def members(values: Any, field: str) -> list[str]:
    """A list of customer ids, normalised and without duplicates (first occurrence kept)."""
    if not isinstance(values, list):
        raise InvalidParameterValue(f"{field} must be an array of customer ids.", target=field)
    return list(dict.fromkeys(member(v, f"{field}[{i}]") for i, v in enumerate(values)))


def create_group(tx: Tx, *, tenant_id: str, name: str, members: Sequence[str], now: datetime, by: Author) -> GroupView:
    """A new group of `tenant_id` with already-normalised `members` (see `members`), recorded for `by`."""
    group = FlightGroup(id=ids.new_decimal_id(), tenant_id=tenant_id.lower(), name=check_name(name), created_at=now)
    tx.add_group(group, [])
    if members:
        tx.add_members(group.id, members)
    view = GroupView(group, tx.count_members(group.id))
    if view.member_count:
        tx.add_tenant_members(group.tenant_id, view.member_count)
    by.record(tx, group.tenant_id, "group.create", ("group", group.id), None, snap.group(group, view.member_count))
    return view


def create(tx: Tx, ctx: Context, name: str, new_members: Sequence[str]) -> GroupView:
    """A new group of the caller's tenant, within its groups and members quotas."""
    tenant_id = ctx.caller.tenant_id
    if ctx.quotas.groups:
        ctx.quotas.check("groups", tx.count_groups(tenant_id), 1)
    view = create_group(tx, tenant_id=tenant_id, name=name, members=new_members, now=ctx.now, by=ctx.author)
    _check_members_quota(tx, ctx, view.member_count)
    return view


def _check_members_quota(tx: Tx, ctx: Context, added: int) -> None:
    """After `added` members were inserted and counted (in this transaction): QuotaExceeded, which rolls the
    insert back, if the tenant now has more than its quota. Checking afterwards counts what was really added."""
    if ctx.quotas.members and added > 0:
        total = tx.count_tenant_members(ctx.caller.tenant_id)
        ctx.quotas.check("members", total - added, added)


def load_group(tx: Tx, ctx: Context, group_id: str, *, lock: bool = False) -> FlightGroup:
    """The caller's group, or NotFound (another tenant's group is not found either)."""
    group = None if _CONTROL.search(group_id) else tx.get_group(ctx.caller.tenant_id, group_id.strip(), lock=lock)
    if group is None:
        raise NotFound(f"The flight group '{group_id}' was not found.", target="flightGroup")
    return group


def get(tx: Tx, ctx: Context, group_id: str) -> GroupView:
    group = load_group(tx, ctx, group_id)
    return GroupView(group, tx.count_members(group.id))


def list_page(tx: Tx, ctx: Context, *, skip: int, top: int) -> tuple[list[GroupView], int]:
    page = tx.list_groups_page(ctx.caller.tenant_id, skip=skip, top=top)
    return [GroupView(group, count) for group, count in page.items], page.total


def rename(tx: Tx, ctx: Context, group_id: str, name: str) -> GroupView:
    old = load_group(tx, ctx, group_id, lock=True)
    group = old.model_copy(update={"name": check_name(name)})
    tx.rename_group(group.id, group.name)
    count = tx.count_members(group.id)
    ctx.record(tx, "group.update", "group", group.id, snap.group(old, count), snap.group(group, count))
    return GroupView(group, count)


def delete(tx: Tx, ctx: Context, group_id: str) -> None:
    """Delete a group and its members; InvalidState while any flight names it."""
    group = load_group(tx, ctx, group_id, lock=True)
    if tx.group_in_use(group.id):
        raise InvalidState(
            f"The flight group '{group.id}' is used by a package flight; remove it from the flight first.",
            target="flightGroup",
        )
    count = tx.count_members(group.id)
    tx.delete_group(group.id)
    if count:
        tx.add_tenant_members(group.tenant_id, -count)
    tx.bump_group_delivery(group.tenant_id, group.id)
    ctx.record(tx, "group.delete", "group", group.id, snap.group(group, count), None)


def change_members(tx: Tx, ctx: Context, group_id: str, add: Sequence[str], remove: Sequence[str]) -> MemberChange:
    """Add and remove already-normalised members in bulk; adding a member twice is not an error."""
    both = set(add).intersection(remove)
    if both:
        sample = ", ".join(sorted(both)[:5])
        raise InvalidParameterValue(f"Members may not be both added and removed: {sample}.", target="members")
    group = load_group(tx, ctx, group_id, lock=True)
    before = tx.count_members(group.id)
    if remove:
        tx.remove_members(group.id, remove)
    middle = tx.count_members(group.id) if remove else before
    if add:
        tx.add_members(group.id, add)
    after = tx.count_members(group.id) if add else middle
    if after != before:
        tx.add_tenant_members(group.tenant_id, after - before)
    _check_members_quota(tx, ctx, after - middle)
    tx.bump_group_delivery(group.tenant_id, group.id)
    counted = {"added": after - middle, "removed": before - middle}  # counted, never listed
    ctx.record(tx, "group.members", "group", group.id, {"memberCount": before}, {"memberCount": after, **counted})
    return MemberChange(added=after - middle, removed=before - middle, member_count=after)


def list_members(tx: Tx, ctx: Context, group_id: str, *, skip: int, top: int) -> tuple[list[str], int]:
    group = load_group(tx, ctx, group_id)
    return tx.list_members(group.id, skip=skip, top=top), tx.count_members(group.id)
