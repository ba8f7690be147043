"""Published state of an app as a frozen `AppView`, plus who is in which group, cached per process.

A process rebuilds an app's snapshot when the database's delivery version moved (bumped by publishing,
rollout changes, flight and group changes). It looks at that version at most every `recheck` seconds, so a
change reaches every process within that time and a decision costs no query at all in between.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from storeflight.delivery.model import AppView, FlightView, PackageView, SubmissionView
from storeflight.domain.models import Application, FileStatus, Submission
from storeflight.storage.protocol import Store, Tx

T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    tenant_id: str
    app: AppView
    groups_of: dict[str, tuple[str, ...]]  # customer id -> the flight groups (of this app's flights) they are in

    def groups(self, customer_id: str) -> tuple[str, ...]:
        return self.groups_of.get(customer_id.strip().lower(), ())


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


class SnapshotCache:
    """Per-process snapshots. The published view is rebuilt when the state version moves; the (large)
    membership index only when the membership version moves, so a rollout change costs milliseconds."""

    def __init__(self, store: Store, recheck: float = 0.2) -> None:
        self.store, self.recheck = store, recheck
        self._lock = threading.Lock()
        # Builds run in worker threads: one at a time, so concurrent first requests do not each build the
        # (large) membership index.
        self._build_lock = threading.Lock()
        self._views: dict[str, tuple[str, AppView]] = {}  # app id -> (tenant id, view)
        self._members: dict[str, dict[str, tuple[str, ...]]] = {}
        self._versions = (-1, -1)
        self._checked = 0.0

    def get(self, tx: Tx, tenant_id: str, app_id: str, load: Callable[[], Application]) -> Snapshot:
        """The app's snapshot; `load` (which checks the caller may see the app) runs only when building."""
        self._recheck(tx)
        with self._build_lock:
            return self._snapshot(tx, tenant_id, app_id, load)

    def _snapshot(self, tx: Tx, tenant_id: str, app_id: str, load: Callable[[], Application]) -> Snapshot:
        # A re-check in another thread may move the versions while this one builds from older data: what was
        # built then is answered once but not kept, or it would be served as current until the next change.
        seen = self._versions
        cached = self._views.get(app_id)
        if cached is None or cached[0] != tenant_id:
            app = load()
            cached = (app.tenant_id, build_view(tx, app))
            self._keep(seen, self._views, app.id, cached)
        view = cached[1]
        members = self._members.get(view.app_id)
        if members is None:
            members = build_members(tx, view)
            self._keep(seen, self._members, view.app_id, members)
            # Millions of long-lived objects: keep them out of every later garbage collection, which would
            # otherwise walk them all and stall requests (a measured p99 cost, docs/benchmarks.md).
            gc.freeze()
        return Snapshot(cached[0], view, members)

    def _keep(self, seen: tuple[int, int], cache: dict[str, T], key: str, value: T) -> None:
        with self._lock:
            if self._versions == seen:
                cache[key] = value

    def fresh(self, tenant_id: str, app_id: str) -> Snapshot | None:
        """The app's snapshot if it is built and the versions were checked recently; no database access."""
        if time.monotonic() - self._checked > self.recheck:
            return None
        cached = self._views.get(app_id)
        members = self._members.get(app_id)
        if cached is None or members is None or cached[0] != tenant_id:
            return None
        return Snapshot(cached[0], cached[1], members)

    def _recheck(self, tx: Tx) -> None:
        now = time.monotonic()
        if now - self._checked <= self.recheck:
            return
        versions = tx.delivery_versions()
        with self._lock:
            if versions[0] != self._versions[0]:
                self._views.clear()
            if versions[1] != self._versions[1]:
                self._members.clear()
            self._versions = versions
            self._checked = now
