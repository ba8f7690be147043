"""The stored-bytes quota on the upload endpoint: how much an upload may hold, and its size recorded on commit.

An upload's archive belongs to the tenant of the submission whose `fileUploadUrl` it is (the blob ledger,
`storage/usage_sql.py`). A Put Blob, or a Put Block List, that would take the tenant past its quota is
refused with 409 `QuotaExceeded` in Azure's XML shape and nothing is committed (a Put Blob is refused before
its body is stored); staging blocks is bounded by the upload size cap alone, so a refused commit never keeps
a later, smaller upload to the same blob from being staged. A committed upload's size counts at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import anyio.to_thread

from storeflight.blobs.protocol import BlobTooLarge
from storeflight.http.blob_wire import BlobHttpError
from storeflight.http.deps import ServerState


@dataclass(frozen=True)
class UploadCap:
    """The most bytes this upload may hold: the server's upload cap, or less when the quota says so."""

    max_bytes: int
    tenant_id: str | None = None  # None: no submission owns this blob, nothing is counted
    limit: int = 0  # the stored-bytes quota, when it is what limits
    used: int = 0  # the tenant's stored bytes besides this blob's

    @property
    def by_quota(self) -> bool:
        return self.limit > 0


def _cap(state: ServerState, name: str) -> UploadCap:
    cap = state.settings.max_upload_bytes
    with state.store.transaction(write=False) as tx:
        owner = tx.blob_owner(name)
        if owner is None:
            return UploadCap(cap)
        tenant_id, size = owner
        used = tx.stored_usage(tenant_id)[0] - size  # this blob's own bytes are replaced by the upload
    quotas = state.settings.quotas
    remaining = quotas.remaining("stored_bytes", used)
    if remaining is not None and remaining < cap:
        return UploadCap(remaining, tenant_id, quotas.stored_bytes, used)
    return UploadCap(cap, tenant_id)


async def upload_cap(state: ServerState, name: str) -> UploadCap:
    return await anyio.to_thread.run_sync(_cap, state, name)


async def record_upload(state: ServerState, cap: UploadCap, name: str, size: int) -> None:
    """Count a committed upload's size for its tenant."""
    tenant_id = cap.tenant_id
    if tenant_id is None:
        return

    def record() -> None:
        with state.store.transaction(write=True) as tx:
            if tx.blob_owner(name) is not None:  # not discarded meanwhile
                tx.record_blob(name, tenant_id, size, package=False)

    await anyio.to_thread.run_sync(record)


@contextmanager
def quota_errors(cap: UploadCap) -> Iterator[None]:
    """A size cap that is the quota's becomes 409 QuotaExceeded rather than 413."""
    try:
        yield
    except BlobTooLarge:
        if not cap.by_quota:
            raise
        message = (
            f"The storedBytes quota of this tenant is {cap.limit} bytes: {cap.used} in use, so this upload does "
            "not fit."
        )
        raise BlobHttpError(409, "QuotaExceeded", message) from None
