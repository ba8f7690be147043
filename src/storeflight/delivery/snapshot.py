"""Published state of an app as a frozen `AppView`, plus who is in which group, cached per process.

A process rebuilds an app's snapshot when the database's delivery version moved (bumped by publishing,
rollout changes, flight and group changes). It looks at that version at most every `recheck` seconds, so a
change reaches every process within that time and a decision costs no query at all in between.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from storeflight.delivery.model import AppView, FlightView, PackageView, SubmissionView
from storeflight.domain.models import Application, FileStatus, Submission
from storeflight.storage.protocol import Store, Tx


@dataclass(frozen=True)
class Snapshot:
    tenant_id: str
    app: AppView
    groups_of: dict[str, frozenset[str]]  # customer id -> the flight groups (of this app's flights) they are in

    def groups(self, customer_id: str) -> frozenset[str]:
        return self.groups_of.get(customer_id.strip().lower(), frozenset())


def submission_view(sub: Submission) -> SubmissionView:
    packages = tuple(
        PackageView(
            id=p.id,
            file_name=p.file_name,
            version=p.version,
            architecture=p.architecture,
            device_families=tuple((name, minimum) for name, minimum in p.device_families),
            size=p.size,
            sha256=p.sha256,
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


def build(tx: Tx, app: Application) -> Snapshot:
    """Read everything published for the app, in a fixed number of queries whatever the group sizes."""
    published = tx.published_submissions(app.id)
    views = {s.id: submission_view(s) for s in published}
    non_flighted = _latest(s for s in published if s.flight_id is None)
    flights = tuple(
        FlightView(
            id=f.id,
            name=f.friendly_name,
            rank=f.rank,
            group_ids=frozenset(f.group_ids),
            latest=_view(views, _latest(s for s in published if s.flight_id == f.id)),
        )
        for f in tx.list_flights(app.tenant_id, app.id)
    )
    seek = bool(non_flighted.extra.get("isSeekEnabled")) if non_flighted else False
    view = AppView(
        app_id=app.id, non_flighted=_view(views, non_flighted), flights=flights, submissions=views, is_seek_enabled=seek
    )
    members: dict[str, set[str]] = {}
    group_ids = sorted({g for f in flights for g in f.group_ids})
    for group_id, member in tx.group_members(group_ids) if group_ids else []:
        members.setdefault(member.strip().lower(), set()).add(group_id)
    return Snapshot(app.tenant_id, view, {m: frozenset(g) for m, g in members.items()})


def _view(views: dict[str, SubmissionView], sub: Submission | None) -> SubmissionView | None:
    return views[sub.id] if sub is not None else None


class SnapshotCache:
    """Per-process snapshots, rebuilt after the delivery version moves."""

    def __init__(self, store: Store, recheck: float = 0.2) -> None:
        self.store, self.recheck = store, recheck
        self._lock = threading.Lock()
        self._snapshots: dict[str, Snapshot] = {}
        self._version = -1
        self._checked = 0.0

    def get(self, tx: Tx, tenant_id: str, app_id: str, load: Callable[[], Application]) -> Snapshot:
        """The app's snapshot; `load` (which checks the caller may see the app) runs only when building."""
        now = time.monotonic()
        if now - self._checked > self.recheck:
            version = tx.delivery_version()
            with self._lock:
                if version != self._version:
                    self._snapshots.clear()
                    self._version = version
                self._checked = now
        snapshot = self._snapshots.get(app_id)
        if snapshot is None or snapshot.tenant_id != tenant_id:
            app = load()
            snapshot = build(tx, app)
            self._snapshots[app.id] = snapshot
        return snapshot
