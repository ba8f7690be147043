"""Per-process delivery snapshots that answer without the database and refresh in the background.

Publishing, rollout, flight and group changes bump the version numbers of the apps they touch (one row per
app in the database), which each process reads at most every `recheck` seconds, while delivery requests
arrive:
- checked within `recheck`: the current snapshot answers, no database access;
- a refresh under way, or the check due for less than another `recheck`: the current snapshot answers (one
  background refresh is started), so busy processes never make a request wait for a rebuild;
- otherwise (a quiet process): the request checks first, so even a rare request sees a change at once.
A change thus reaches every process within 2 x `recheck` plus the rebuild (about 0.2 s for 1,000 flights).
Only an app's first request waits for its first snapshot. A refresh rebuilds only the apps whose versions
moved, so one tenant changing its groups never makes another tenant's (perhaps million-member) index rebuild;
`builds` and `index_builds` count, per app, the snapshots and membership indexes built.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from storeflight.delivery.snapshot import Snapshot, build_members, build_view
from storeflight.domain.models import Application
from storeflight.ops import metrics
from storeflight.storage.protocol import Store, Tx

log = logging.getLogger("storeflight.delivery")


class SnapshotCache:
    def __init__(self, store: Store, recheck: float = 0.2) -> None:
        self.store, self.recheck = store, recheck
        self._snapshots: dict[str, Snapshot] = {}  # app id -> its current snapshot
        self._build_lock = threading.Lock()  # one build at a time: first builds and refreshes
        self._lock = threading.Lock()  # guards _refreshing
        self._refreshing = False
        self._checked = 0.0
        self.builds: Counter[str] = Counter()  # app id -> snapshots built
        self.index_builds: Counter[str] = Counter()  # app id -> membership indexes built
        self.warmed = threading.Event()  # set once `warm` has built every published app's snapshot

    def fresh(self, tenant_id: str, app_id: str) -> Snapshot | None:
        """The app's snapshot when it may answer without the database (see the module); None when the caller
        must call `get` (off the event loop) instead."""
        snapshot = self._snapshots.get(app_id)
        if snapshot is None or snapshot.tenant_id != tenant_id:
            return None
        age = time.monotonic() - self._checked
        if age <= self.recheck or self._refreshing:
            return snapshot
        if age <= 2 * self.recheck:
            self._start_refresh()
            return snapshot
        return None

    def get(self, tx: Tx, tenant_id: str, app_id: str, load: Callable[[], Application]) -> Snapshot:
        """The app's snapshot after checking the versions (and building it if it has none); `load`, which
        checks that the caller may see the app, runs only for a first build. An app that has a snapshot never
        waits behind a build under way (another app's, or its own): its current snapshot answers."""
        current = self._snapshots.get(app_id)
        if current is not None and current.tenant_id == tenant_id:
            if not self._build_lock.acquire(blocking=False):
                return current
        else:
            self._build_lock.acquire()
        try:
            if time.monotonic() - self._checked > self.recheck:
                self._refresh_locked()
            found = self._snapshots.get(app_id)
            if found is not None and found.tenant_id == tenant_id:
                return found
            versions = tx.delivery_versions([app_id])[app_id]  # read before the data it describes
            app = load()
            snapshot = self._build(tx, app, versions, previous=None)
            self._snapshots[app.id] = snapshot
            return snapshot
        finally:
            self._build_lock.release()

    def warm(self) -> int:
        """Build the snapshot of every app with a published submission (at start-up, so no device waits for
        a first build); the number built. Requests meanwhile wait only for the app being built."""
        with self.store.transaction(write=False) as tx:
            apps = tx.published_apps()
        built = 0
        for tenant_id, app_id in apps:
            with self.store.transaction(write=False) as tx:
                app = tx.get_app(tenant_id, app_id)
                if app is not None and self.fresh(tenant_id, app_id) is None:
                    self.get(tx, tenant_id, app_id, _given(app))
                    built += 1
        self.warmed.set()
        return built

    def refresh(self) -> None:
        """Rebuild the snapshots whose app's versions moved (the membership index only if its members moved)."""
        with self._build_lock:
            self._refresh_locked()

    def _refresh_locked(self) -> None:
        self._checked = time.monotonic()
        if (counted := metrics.ACTIVE) is not None:
            counted.confirmed()
        with self.store.transaction(write=False) as tx:
            current = tx.delivery_versions(list(self._snapshots))
            for app_id, old in list(self._snapshots.items()):
                versions = current.get(app_id, (0, 0))
                if old.versions == versions:
                    continue
                app = tx.get_app(old.tenant_id, app_id)
                if app is None:
                    del self._snapshots[app_id]
                else:
                    self._snapshots[app_id] = self._build(tx, app, versions, previous=old)

    def _build(self, tx: Tx, app: Application, versions: tuple[int, int], previous: Snapshot | None) -> Snapshot:
        started = time.perf_counter()
        snapshot = self._build_snapshot(tx, app, versions, previous)
        if (counted := metrics.ACTIVE) is not None:
            counted.built("first" if previous is None else "refresh", time.perf_counter() - started)
        return snapshot

    def _build_snapshot(
        self, tx: Tx, app: Application, versions: tuple[int, int], previous: Snapshot | None
    ) -> Snapshot:
        view = build_view(tx, app)
        self.builds[app.id] += 1
        if previous is not None and previous.versions[1] == versions[1]:
            return Snapshot(app.tenant_id, view, previous.groups_of, versions)
        members = build_members(tx, view)
        self.index_builds[app.id] += 1
        # Millions of long-lived objects: keep them out of every later garbage collection, which would
        # otherwise walk them all and stall requests (a measured p99 cost, docs/benchmarks.md). Collect first
        # (about 0.1 s at a million memberships), so no cyclic garbage of the moment is frozen for good.
        gc.collect()
        gc.freeze()
        return Snapshot(app.tenant_id, view, members, versions)

    def _start_refresh(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self._refresh_in_background, name="storeflight-delivery-refresh", daemon=True).start()

    def _refresh_in_background(self) -> None:
        try:
            self.refresh()
        except Exception:  # the current snapshots keep answering; the next request tries again
            log.exception("refreshing delivery snapshots failed")
        finally:
            with self._lock:
                self._refreshing = False


def _given(app: Application) -> Callable[[], Application]:
    return lambda: app
