"""`storeflight rollout plan ...` against a live server: create from --step, show as a table and JSON, the verbs."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from storeflight.cli.output import ExitCode
from storeflight.cli.plans import parse_step
from tests.cli.conftest import Account, fails, package, run, run_json
from tests.plans.support import drain

POLL = ("--poll-interval", "0.05", "--timeout", "60")


def test_step_syntax() -> None:
    assert parse_step("5:30m") == {"percentage": 5.0, "hold": "duration", "seconds": 1800}
    assert parse_step("50.5:guard") == {"percentage": 50.5, "hold": "guard"}
    assert parse_step(" 80 : Approval ") == {"percentage": 80.0, "hold": "approval"}
    assert parse_step("10:45")["seconds"] == 45
    with pytest.raises(typer.BadParameter):
        parse_step("10:soon")


def test_create_show_and_verbs(account: Account, tmp_path: Path) -> None:
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.0.0.0")), *POLL)
    run_json("publish", account.app_id, "--add", str(package(tmp_path, "1.1.0.0")), "--rollout", "1", *POLL)
    created = run_json("rollout", "plan", "create", account.app_id, "--step", "10:0s", "--step", "50:approval")
    assert created["status"] == "running" and [s["percentage"] for s in created["plan"]["steps"]] == [10, 50]
    drain(account.tenant.server.store)
    human = run("rollout", "plan", "show", account.app_id)
    assert human.exit_code == 0 and "plan.step" in human.stdout and "running" in human.stdout
    assert run_json("rollout", "show", account.app_id)["packageRolloutPercentage"] == 50
    assert run_json("rollout", "plan", "approve", account.app_id)["approved"] is True
    assert run_json("rollout", "plan", "pause", account.app_id)["status"] == "paused"
    assert run_json("rollout", "plan", "resume", account.app_id)["status"] == "running"
    assert run_json("rollout", "plan", "abort", account.app_id)["status"] == "halted"
    assert run_json("rollout", "show", account.app_id)["packageRolloutStatus"] == "PackageRolloutStopped"
    fails(ExitCode.CONFLICT, "rollout", "plan", "skip", account.app_id)
    assert run("rollout", "plan", "create", account.app_id).exit_code == ExitCode.USAGE
