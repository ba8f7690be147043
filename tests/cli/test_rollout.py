"""`storeflight rollout show|set|halt|finalize|health`: the Store's state rules reach the user as exit codes."""

from __future__ import annotations

from pathlib import Path

import httpx

from storeflight.audit.record import ADMIN
from storeflight.cli.output import ExitCode
from storeflight.devices import service
from storeflight.domain import dates
from tests.cli.conftest import Account, fails, package, run, run_json

POLL = ("--poll-interval", "0.05", "--timeout", "60")


def test_a_submission_without_gradual_rollout_cannot_be_changed(account: Account, tmp_path: Path) -> None:
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    shown = run_json("rollout", "show", account.app_id)
    assert (shown["isPackageRollout"], shown["packageRolloutStatus"]) == (False, "PackageRolloutNotStarted")
    result = fails(ExitCode.CONFLICT, "rollout", "set", account.app_id, "50")
    assert "InvalidState" in result.stderr


def test_set_halt_and_finalize_on_the_app(account: Account, tmp_path: Path) -> None:
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.1.0.0")), "--rollout", "5", *POLL)
    assert run_json("rollout", "set", account.app_id, "20.5")["packageRolloutPercentage"] == 20.5
    human = run("rollout", "show", account.app_id)
    assert human.exit_code == 0 and "20.5%" in human.stdout and "PackageRolloutInProgress" in human.stdout
    assert run_json("rollout", "finalize", account.app_id)["packageRolloutStatus"] == "PackageRolloutComplete"
    fails(ExitCode.CONFLICT, "rollout", "halt", account.app_id)  # finished rollouts cannot be halted
    assert run("rollout", "set", account.app_id, "101").exit_code == ExitCode.USAGE


def test_an_app_with_nothing_published_by_the_api_has_no_rollout_to_show(account: Account) -> None:
    app_id = account.tenant.create_app(baseline=False)
    result = fails(ExitCode.NOT_FOUND, "rollout", "show", app_id)
    assert "no published submission" in result.stderr


def test_health_shows_what_the_devices_reported_per_cohort(account: Account, tmp_path: Path) -> None:
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.1.0.0")), "--rollout", "50", *POLL)
    assert run_json("rollout", "health", account.app_id)["cohorts"] == []
    tenant = account.tenant
    with tenant.server.store.transaction(write=True) as tx:
        _, secret = service.create_key(tx, tenant.tenant_id, account.app_id, name="cli", now=dates.utcnow(), by=ADMIN)
    url = f"{account.url}/devices/v1/apps/{account.app_id}/reports"
    for i in range(20):
        events = [
            {"id": "1", "type": "launched", "version": "1.1.0.0"},
            {"id": "2", "type": "crashed", "version": "1.1"},
        ]
        answer = httpx.post(
            url, json={"events": events}, params={"customerId": f"d{i}"}, headers={"Authorization": f"Bearer {secret}"}
        )
        assert answer.json()["accepted"] == 2
    health = run_json("rollout", "health", account.app_id, "--hours", "2")
    cohorts = {c["cohort"]: c for c in health["cohorts"]}
    assert set(cohorts) <= {"rollout", "fallback"} and sum(c["devices"] for c in cohorts.values()) == 20
    assert all(c["crashRate"] == 1.0 for c in cohorts.values())
    assert health["adoption"][0]["version"] == "1.1.0.0" and health["adoption"][0]["share"] == 1.0
    human = run("rollout", "health", account.app_id)
    assert human.exit_code == 0 and "per cohort" in human.stdout and "100.00%" in human.stdout
    assert run("rollout", "health", account.app_id, "--hours", "0").exit_code == ExitCode.USAGE
