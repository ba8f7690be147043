"""An app's published state as a frozen `AppView`, and who is in which of its flight groups, read through a
`Tx`. Kept per process by `delivery.cache.SnapshotCache`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storeflight.delivery.model import AppView, FlightView, PackageView, SubmissionView
from storeflight.domain.families import store_families
from storeflight.domain.models import Application, FileStatus, Submission
from storeflight.storage.protocol import Tx


@dataclass(frozen=True)
class Snapshot:
    tenant_id: str
    app: AppView
    groups_of: dict[str, tuple[str, ...]]  # customer id -> the flight groups (of this app's flights) they are in
    versions: tuple[int, int] = (-1, -1)  # the delivery versions (state, members) it was built at

    def groups(self, customer_id: str) -> tuple[str, ...]:
        return self.groups_of.get(customer_id.strip().lower(), ())


def submission_view(sub: Submission) -> SubmissionView:
    packages = tuple(
        PackageView(
            id=p.id,
            file_name=p.file_name,
            version=p.version,
            architecture=p.architecture,
            architectures=tuple(p.architectures),
            device_families=tuple(store_families(p.device_families)),  # the families the API shows
            size=p.size,
            sha256=p.sha256,
            dependencies=tuple((name, publisher, minimum) for name, publisher, minimum in p.dependencies),
        )
        for p in sub.packages
        if p.file_status != FileStatus.PENDING_DELETE
    )
    rollout = sub.delivery.rollout
    return SubmissionView(
        id=sub.id,
        packages=packages,
        is_rollout=rollout.is_package_rollout,
        percentage=rollout.percentage,
        rollout_status=rollout.status.value,
        fallback_id=rollout.fallback_submission_id,
        seed=sub.rollout_seed or sub.id,
        is_mandatory=sub.delivery.is_mandatory_update,
        mandatory_date=sub.delivery.mandatory_update_effective_date,
    )


def _latest(subs: Iterable[Submission]) -> Submission | None:
    ordered = sorted(subs, key=lambda s: (s.published_at or s.created_at, s.id))
    return ordered[-1] if ordered else None


def build_view(tx: Tx, app: Application) -> AppView:
    """The app's published state: cheap (a few queries), rebuilt whenever it changes."""
    published = tx.published_submissions(app.id)
    views = {s.id: submission_view(s) for s in published}
    lines: dict[str | None, list[Submission]] = {}  # flight id (None: non-flighted) -> its published ones
    for sub in published:
        lines.setdefault(sub.flight_id, []).append(sub)
    non_flighted = _latest(lines.get(None, ()))
    flights = tuple(
        FlightView(
            id=f.id,
            name=f.friendly_name,
            rank=f.rank,
            group_ids=frozenset(f.group_ids),
            latest=_view(views, _latest(lines.get(f.id, ()))),
        )
        for f in tx.list_flights(app.tenant_id, app.id)
    )
    seek = bool(non_flighted.extra.get("isSeekEnabled")) if non_flighted else False
    return AppView(
        app_id=app.id, non_flighted=_view(views, non_flighted), flights=flights, submissions=views, is_seek_enabled=seek
    )


def build_members(tx: Tx, view: AppView) -> dict[str, tuple[str, ...]]:
    """Customer -> the groups (of the app's flights) they are in: one query, rebuilt only when groups change.

    Compact on purpose (a million memberships): one interned string per group id and a small tuple per
    customer, rows streamed rather than fetched at once.
    """
    group_ids = sorted({g for f in view.flights for g in f.group_ids})
    interned = {g: g for g in group_ids}
    members: dict[str, tuple[str, ...]] = {}
    for group_id, member in tx.group_members(group_ids) if group_ids else ():
        key = member.strip().lower()
        group = interned.get(group_id, group_id)
        found = members.get(key)
        if found is None:
            members[key] = (group,)
        elif group not in found:
            members[key] = (*found, group)
    return members


def _view(views: dict[str, SubmissionView], sub: Submission | None) -> SubmissionView | None:
    return views[sub.id] if sub is not None else None
