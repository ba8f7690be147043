"""`storeflight rollout show|set|halt|finalize`: the Store's state rules reach the user as exit codes."""

from __future__ import annotations

from pathlib import Path

from storeflight.cli.output import ExitCode
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
