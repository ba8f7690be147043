"""`storeflight webhooks ...` against a live server, with a real receiver and a delivery worker."""

from __future__ import annotations

from pathlib import Path

from storeflight.cli.output import ExitCode
from storeflight.webhooks import signing
from storeflight.webhooks.worker import WebhookWorker
from tests.cli.conftest import Account, fails, package, run, run_json
from tests.webhooks.receiver import Receiver

POLL = ("--poll-interval", "0.05", "--timeout", "60")


def test_add_list_show_test_deliveries_and_remove(account: Account) -> None:
    with Receiver() as receiver:
        added = run_json("webhooks", "add", receiver.url, "--event", "rollout.halted", "--app", account.app_id)
        hook_id = added["id"]
        assert added["secret"].startswith("whsec_") and added["eventTypes"] == ["rollout.halted"]
        assert [h["id"] for h in run_json("webhooks", "list")] == [hook_id]
        table = run("webhooks", "list")
        assert table.exit_code == 0 and table.stdout.startswith("webhooks\n")
        assert run_json("webhooks", "disable", hook_id)["enabled"] is False
        assert run_json("webhooks", "enable", hook_id)["enabled"] is True
        shown = run_json("webhooks", "show", hook_id)
        assert shown["url"] == receiver.url and "secret" not in shown
        queued = run_json("webhooks", "test", hook_id)
        worker = WebhookWorker(account.tenant.server.store)
        try:
            assert worker.run_once() >= 1
        finally:
            worker.stop()
        [got] = receiver.wait_for(1)
    assert got.json["id"] == queued["eventId"] and got.json["type"] == "webhook.ping"
    stamp = int(got.headers["storeflight-timestamp"])
    assert signing.verify(added["secret"], stamp, got.body, got.headers["storeflight-signature"])
    [delivery] = run_json("webhooks", "deliveries", hook_id)
    assert (delivery["status"], delivery["attempts"], delivery["lastStatusCode"]) == ("delivered", 1, 200)
    assert run("webhooks", "deliveries", hook_id).stdout.startswith(f"deliveries of webhook {hook_id}")
    assert run_json("webhooks", "remove", hook_id)["id"] == hook_id
    fails(ExitCode.NOT_FOUND, "webhooks", "show", hook_id)


def test_a_published_submission_is_reported(account: Account, tmp_path: Path) -> None:
    hook = run_json("webhooks", "add", "https://hooks.example.invalid/x", "--event", "submission.published")
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    [delivery] = run_json("webhooks", "deliveries", hook["id"])
    assert (delivery["eventType"], delivery["status"]) == ("submission.published", "pending")


def test_bad_urls_and_event_types_are_refused(account: Account) -> None:
    assert "user name" in fails(ExitCode.VALIDATION, "webhooks", "add", "https://u:p@example.com/x").output
    assert "http or https" in fails(ExitCode.VALIDATION, "webhooks", "add", "ftp://example.com/x").output
    assert (
        "Unknown event types"
        in fails(ExitCode.VALIDATION, "webhooks", "add", "https://example.com/x", "--event", "rollout.exploded").output
    )
    fails(ExitCode.NOT_FOUND, "webhooks", "add", "https://example.com/x", "--app", "9NOSUCHAPP00")
