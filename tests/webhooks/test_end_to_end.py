"""Webhooks end to end: a real `storeflight serve` (with its workers) posting to a real receiver on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from storeflight.domain import dates
from storeflight.domain.rollout import RolloutAction
from storeflight.services import admin, rollout
from storeflight.services.context import Caller, Context
from storeflight.services.submissions import Parent
from storeflight.storage.sql import SqlStore
from storeflight.telemetry.cohort import NON_FLIGHTED, Cohort
from storeflight.telemetry.tally import Counts, RowKey, hour_of
from storeflight.webhooks import signing
from tests.plans.support import force_rollout
from tests.support import ServeProcess, open_store
from tests.webhooks.receiver import Receiver


@dataclass
class Account:
    server: ServeProcess
    store: SqlStore
    http: httpx.Client
    tenant_id: str
    app_id: str

    def published(self) -> str:
        """A new app submission, Published with its rollout in progress at 10%; its id."""
        sub_id = str(self.http.post(f"applications/{self.app_id}/submissions").json()["id"])
        force_rollout(self.store, self.tenant_id, self.app_id, sub_id, 10.0)
        return sub_id

    def subscribe(self, url: str, **extra: object) -> dict[str, object]:
        created = self.http.post("webhooks", json={"url": url, **extra})
        assert created.status_code == 201, created.text
        body: dict[str, object] = created.json()
        return body


def _account(server: ServeProcess, store: SqlStore) -> Account:
    tenant_id, client_id, secret = server.tenant_client()
    with store.transaction(write=True) as tx:
        app = admin.create_app(
            tx,
            tenant_id=tenant_id,
            name="Hooks",
            identity_name="Contoso.Hooks",
            publisher="CN=Contoso",
            now=dates.utcnow(),
        )
    token = server.token(tenant_id, client_id, secret)
    http = httpx.Client(base_url=f"{server.url}/v1.0/my/", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return Account(server, store, http, tenant_id, app.id)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, SqlStore]]:
    data_dir = tmp_path_factory.mktemp("hooks")
    with ServeProcess(data_dir, "--worker", "--webhook-retry", "0.2", "--plan-poll", "0.2") as server:
        store = open_store(f"sqlite:///{data_dir / 'storeflight.db'}")
        yield server, store
        store.close()


@pytest.fixture
def account(served: tuple[ServeProcess, SqlStore]) -> Account:
    return _account(*served)


def test_a_halt_sends_one_signed_post_with_the_body(account: Account) -> None:
    with Receiver() as receiver:
        hook = account.subscribe(receiver.url, eventTypes=["rollout.halted"])
        sub_id = account.published()
        halted = account.http.post(f"applications/{account.app_id}/submissions/{sub_id}/haltpackagerollout")
        assert halted.status_code == 200, halted.text
        [got] = receiver.wait_for(1)
        time.sleep(0.5)
        assert len(receiver.received) == 1
    timestamp = int(got.headers["storeflight-timestamp"])
    assert signing.verify(str(hook["secret"]), timestamp, got.body, got.headers["storeflight-signature"])
    body = got.json
    assert set(body) == {"id", "type", "occurredAt", "tenantId", "appId", "data"}
    assert (body["type"], body["tenantId"], body["appId"]) == ("rollout.halted", account.tenant_id, account.app_id)
    assert got.headers["storeflight-event-id"] == body["id"]
    data = body["data"]
    assert data["submissionId"] == sub_id and data["haltedBy"] == "person" and data["automatic"] is False
    assert data["after"]["packageRolloutStatus"] == "PackageRolloutStopped"


def test_a_receiver_failing_twice_gets_the_same_event_three_times(account: Account) -> None:
    with Receiver([500, 500]) as receiver:
        hook = account.subscribe(receiver.url)
        sub_id = account.published()
        path = f"applications/{account.app_id}/submissions/{sub_id}/updatepackagerolloutpercentage?percentage=20"
        assert account.http.post(path).status_code == 200
        got = receiver.wait_for(3)
    ids = {r.headers["storeflight-event-id"] for r in got}
    assert len(ids) == 1
    assert [r.headers["storeflight-delivery-attempt"] for r in got] == ["1", "2", "3"]
    log = account.http.get(f"webhooks/{hook['id']}/deliveries").json()["value"]
    [delivery] = [d for d in log if d["eventId"] in ids]
    deadline = time.monotonic() + 10
    while delivery["status"] != "delivered" and time.monotonic() < deadline:
        time.sleep(0.1)
        log = account.http.get(f"webhooks/{hook['id']}/deliveries").json()["value"]
        [delivery] = [d for d in log if d["eventId"] in ids]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert [a["statusCode"] for a in delivery["log"]] == [500, 500, 200]


class Undo(Exception):
    pass


def test_a_rolled_back_change_sends_nothing(account: Account) -> None:
    with Receiver() as receiver:
        hook = account.subscribe(receiver.url)
        sub_id = account.published()
        ctx = Context(caller=Caller(account.tenant_id, "rolled-back"))
        with pytest.raises(Undo), account.store.transaction(write=True) as tx:
            rollout.change(tx, ctx, Parent(account.app_id), sub_id, RolloutAction.HALT, None)
            with tx.conn.begin_nested():  # the event is in the outbox of this transaction, for now
                assert tx.webhook_deliveries(str(hook["id"]), skip=0, top=10).total == 1
            raise Undo
        assert account.http.post(f"webhooks/{hook['id']}/test").status_code == 202
        [got] = receiver.wait_for(1)
        time.sleep(0.5)
        assert len(receiver.received) == 1
    assert got.json["type"] == "webhook.ping"
    assert account.http.get(f"webhooks/{hook['id']}/deliveries").json()["totalCount"] == 1


def _regression(store: SqlStore, account: Account, sub_id: str) -> None:
    """Crash counts that make any guard halt: 300 crashes in 20,000 launches against 1,000 in 200,000."""
    with store.transaction(write=False) as tx:
        fallback = tx.last_published(f"app:{account.app_id}")
        submission = tx.get_submission(account.tenant_id, sub_id)
    assert submission is not None and fallback is not None
    previous = submission.delivery.rollout.fallback_submission_id or ""
    rows = {
        RowKey(NON_FLIGHTED, sub_id, Cohort.ROLLOUT, sub_id, "1.0.0.0"): Counts(
            devices=100, launches=20_000, crashes=300
        ),
        RowKey(NON_FLIGHTED, sub_id, Cohort.FALLBACK, previous, "0.9.0.0"): Counts(
            devices=1000, launches=200_000, crashes=1000
        ),
    }
    with store.transaction(write=True) as tx:
        tx.add_report_counts(account.tenant_id, account.app_id, hour_of(dates.utcnow()), rows)


def test_the_guards_automatic_halt_sends_a_halt_event_with_its_numbers(account: Account) -> None:
    with Receiver() as receiver:
        account.subscribe(receiver.url, eventTypes=["rollout.halted"])
        sub_id = account.published()
        _regression(account.store, account, sub_id)
        guard = {"metrics": ["crashRate"], "minSample": 100, "thresholds": []}
        plan = {"steps": [{"percentage": 20, "hold": "guard"}], "guard": guard}
        created = account.http.put(f"applications/{account.app_id}/submissions/{sub_id}/rolloutplan", json=plan)
        assert created.status_code == 201, created.text
        [got] = receiver.wait_for(1)
    data = got.json["data"]
    assert got.json["type"] == "rollout.halted"
    assert data["haltedBy"] == "guard" and data["automatic"] is True and data["action"] == "plan.guard_halt"
    [check] = [c for c in data["checks"] if c["metric"] == "crashRate"]
    assert check["outcome"] == "halt" and check["lower"] > 1
    assert check["rollout"] == {"events": 300, "trials": 20_000}
    assert check["fallback"] == {"events": 1000, "trials": 200_000}


def test_another_tenants_webhook_is_not_found(account: Account, served: tuple[ServeProcess, SqlStore]) -> None:
    other = _account(*served)
    hook = account.subscribe("https://example.invalid/hook")
    for path in (f"webhooks/{hook['id']}", f"webhooks/{hook['id']}/deliveries"):
        assert other.http.get(path).status_code == 404
    assert other.http.post(f"webhooks/{hook['id']}/test").status_code == 404
    assert other.http.delete(f"webhooks/{hook['id']}").status_code == 404
    assert other.http.get("webhooks").json()["value"] == []
    assert account.http.get(f"webhooks/{hook['id']}").json()["url"] == "https://example.invalid/hook"
    assert "secret" not in account.http.get(f"webhooks/{hook['id']}").json()
