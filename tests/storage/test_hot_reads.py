"""The one-statement read outside a transaction: the same answer as the transaction's, per thread, recovering."""

from __future__ import annotations

import threading
import uuid

from storeflight.domain import dates
from storeflight.services import admin
from storeflight.storage.sql import SqlStore


def _published(store: SqlStore) -> tuple[str, str]:
    """A new tenant's app with its first, published submission: (tenant id, submission id)."""
    tenant = str(uuid.uuid4())
    with store.transaction(write=True) as tx:
        app = admin.create_app(
            tx, tenant_id=tenant, name="Hot", identity_name="Hot.App", publisher="CN=Hot", now=dates.utcnow()
        )
        submission = tx.last_published(f"app:{app.id}")
    assert submission is not None
    return tenant, submission.id


def test_it_reads_what_the_transaction_reads(store: SqlStore) -> None:
    tenant, submission_id = _published(store)
    with store.transaction(write=False) as tx:
        expected = tx.get_submission_and_app(tenant, submission_id)
    assert expected is not None
    assert store.read_submission_and_app(tenant, submission_id) == expected


def test_unknown_ids_and_other_tenants_read_nothing(store: SqlStore) -> None:
    tenant, submission_id = _published(store)
    assert store.read_submission_and_app(tenant, "1152921504606846976") is None
    assert store.read_submission_and_app(str(uuid.uuid4()), submission_id) is None


def test_it_sees_a_committed_change_at_once(store: SqlStore) -> None:
    tenant, submission_id = _published(store)
    assert store.read_submission_and_app(tenant, submission_id) is not None
    with store.transaction(write=True) as tx:
        found = tx.get_submission(tenant, submission_id)
        assert found is not None
        tx.save_submission(found.model_copy(update={"notes_for_certification": "changed"}))
    read = store.read_submission_and_app(tenant, submission_id)
    assert read is not None and read[0].notes_for_certification == "changed"


def test_each_thread_reads_on_its_own_connection(store: SqlStore) -> None:
    tenant, submission_id = _published(store)
    results: list[object] = []

    def read() -> None:
        results.append(store.read_submission_and_app(tenant, submission_id))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(r is not None and r == results[0] for r in results)


def test_a_broken_connection_reads_nothing_once_then_recovers(store: SqlStore) -> None:
    tenant, submission_id = _published(store)
    assert store.read_submission_and_app(tenant, submission_id) is not None
    store._hot._local.connection.close()  # the server went away under it, say
    assert store.read_submission_and_app(tenant, submission_id) is None  # the caller takes its transaction
    assert store.read_submission_and_app(tenant, submission_id) is not None
