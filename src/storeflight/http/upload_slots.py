"""Per-tenant upload slots: one tenant's slow or stalled uploads never take the upload capacity of another."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from storeflight.http.blob_wire import server_busy
from storeflight.storage.protocol import Store

RETRY_AFTER = 5  # seconds
_CACHE_LIMIT = 10_000  # blob name -> tenant, remembered (it never changes); cleared when full


class UploadSlots:
    """At most `per_tenant` uploads of one tenant at once; more answer 503 ServerBusy with Retry-After.

    Used on the event loop only (no lock needed). A blob no submission names counts for the tenant "".
    """

    def __init__(self, store: Store, per_tenant: int) -> None:
        self.store = store
        self.per_tenant = per_tenant
        self._active: dict[str, int] = {}
        self._tenants: dict[str, str] = {}

    def active(self, tenant_id: str) -> int:
        return self._active.get(tenant_id, 0)

    def tenant_of(self, name: str) -> str:
        tenant = self._tenants.get(name)
        if tenant is None:
            with self.store.transaction(write=False) as tx:
                tenant = tx.upload_tenant(name) or ""
            if len(self._tenants) >= _CACHE_LIMIT:
                self._tenants.clear()
            self._tenants[name] = tenant
        return tenant

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """One slot of the blob's tenant for the duration, or 503 ServerBusy if they are all taken."""
        tenant = self.tenant_of(name)
        if self.active(tenant) >= self.per_tenant:
            raise server_busy(
                f"This tenant already has {self.per_tenant} uploads in progress. Retry when one has finished.",
                RETRY_AFTER,
            )
        self._active[tenant] = self.active(tenant) + 1
        try:
            yield
        finally:
            left = self._active[tenant] - 1
            if left:
                self._active[tenant] = left
            else:
                del self._active[tenant]
